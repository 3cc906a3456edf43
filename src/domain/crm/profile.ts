/**
 * The CRM profile of a customer (crm-customer-controller.md, "Customer实体" and 1.1's validation;
 * README "Customer relationship management"): customer code, type, industry, address, payment
 * terms, tax number, country and region (where tax rules apply, issue 11) and the manual rating
 * with its notes. Each check refuses with invalid_argument naming the field as the API spells it
 * (`customer_code`, …), and returns the value as it is stored (trimmed, the type in its English
 * key, the country upper-case). Pure.
 *
 * Adaptations of the document:
 * - Types are stored by their English keys; the document's Chinese names (企业, 个人, 经销商, 零售)
 *   and any case of the keys are accepted on input. '' means "not set" (RustBill's CreateCustomer
 *   has no type field, so existing clients create customers without one).
 * - The customer code may be left empty on creation: one is assigned (`C000001`, …) so every
 *   customer has the key that imports match rows on.
 * - Payment terms: 0..3650 days; not set means the `[billing] due_days` default.
 */
import { normalizeCountry } from '../billing/tax.ts';
import { invalid } from '../errors.ts';
import { clip } from '../input-limits.ts';
import { parseStars, type Stars } from './rating.ts';

/** The customer types of the CRM document, by their English keys. */
export const CUSTOMER_TYPES = ['enterprise', 'individual', 'distributor', 'retail'] as const;
/** A customer type, or '' when not set. */
export type CustomerType = (typeof CUSTOMER_TYPES)[number] | '';

/** The document's Chinese names of the types (accepted on input, shown in the Chinese template). */
export const CUSTOMER_TYPE_NAMES_ZH: Readonly<Record<(typeof CUSTOMER_TYPES)[number], string>> = {
  enterprise: '企业',
  individual: '个人',
  distributor: '经销商',
  retail: '零售',
};

/** Longest customer code (the document's 1-50 characters). */
export const MAX_CODE_CHARS = 50;
/** Longest industry. */
export const MAX_INDUSTRY_CHARS = 100;
/** Longest address. */
export const MAX_ADDRESS_CHARS = 500;
/** Longest tax number. */
export const MAX_TAX_NUMBER_CHARS = 64;
/** Longest region (characters). */
export const MAX_REGION_CHARS = 64;
/** Longest rating notes. */
export const MAX_RATING_NOTES_CHARS = 1_000;
/** Longest payment terms, in days (ten years). */
export const MAX_PAYMENT_TERMS_DAYS = 3_650;

/** A customer code: letters (any script), digits and `- _ . /`, no spaces. */
const CODE = /^[\p{L}\p{N}][\p{L}\p{N}\-_./]*$/u;
/** A tax number: letters, digits, `-`, `.` and spaces inside. */
const TAX_NUMBER = /^[A-Za-z0-9][A-Za-z0-9\-. ]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function plainText(field: string, value: string, max: number): string {
  const trimmed = value.trim();
  if (trimmed.length > max) throw invalid(`${field} must be at most ${max} characters, got ${trimmed.length}`);
  if (CONTROL.test(trimmed)) throw invalid(`${field} must not contain control characters`);
  return trimmed;
}

/**
 * A customer code as stored: NFKC-normalised (full-width forms folded), trimmed, 1-50 characters
 * of letters, digits and `- _ . /`, starting with a letter or digit. Codes are unique whatever
 * their case (the database checks).
 * @throws DomainError invalid_argument naming `customer_code`
 */
export function parseCustomerCode(value: string): string {
  // Full-width forms typed with an input method are the same code (Ｃ００１ is C001).
  const code = value.normalize('NFKC').trim();
  if (code === '') throw invalid('customer_code is required');
  if (code.length > MAX_CODE_CHARS) throw invalid(`customer_code must be at most ${MAX_CODE_CHARS} characters, got ${code.length}`);
  if (!CODE.test(code)) throw invalid(`customer_code "${clip(code, 60)}" may hold letters, digits and - _ . / only, and must start with a letter or digit`);
  return code;
}

/**
 * A customer type: one of {@link CUSTOMER_TYPES} in any case, or its Chinese name; '' when empty.
 * @throws DomainError invalid_argument naming `customer_type` and listing the choices
 */
export function parseCustomerType(value: string): CustomerType {
  const text = value.trim();
  if (text === '') return '';
  const key = text.toLowerCase();
  for (const type of CUSTOMER_TYPES) {
    if (key === type || text === CUSTOMER_TYPE_NAMES_ZH[type]) return type;
  }
  throw invalid(`customer_type "${clip(text, 40)}" is not one of ${CUSTOMER_TYPES.join(', ')} (or 企业, 个人, 经销商, 零售)`);
}

/** A customer type sent as a filter: like {@link parseCustomerType}, but '' is refused. @throws DomainError invalid_argument */
export function requireCustomerType(value: string): Exclude<CustomerType, ''> {
  const type = parseCustomerType(value);
  if (type === '') throw invalid(`customer_type is required: one of ${CUSTOMER_TYPES.join(', ')}`);
  return type;
}

/** An industry: free text, trimmed, at most 100 characters. @throws DomainError invalid_argument */
export function parseIndustry(value: string): string {
  return plainText('industry', value, MAX_INDUSTRY_CHARS);
}

/** An address: trimmed, at most 500 characters, no control characters. @throws DomainError invalid_argument */
export function parseAddress(value: string): string {
  return plainText('address', value, MAX_ADDRESS_CHARS);
}

/** A tax number: trimmed, at most 64 letters, digits, `-`, `.` or spaces; '' when not set. @throws DomainError invalid_argument */
export function parseTaxNumber(value: string): string {
  const text = plainText('tax_number', value, MAX_TAX_NUMBER_CHARS);
  if (text !== '' && !TAX_NUMBER.test(text)) throw invalid(`tax_number "${clip(text, 40)}" may hold letters, digits, - . and spaces only`);
  return text;
}

/**
 * A country: ISO 3166-1 alpha-2, trimmed and stored upper-case (` cn ` → `CN`); '' when unknown.
 * @throws DomainError invalid_argument naming `country`
 */
export function parseCountry(value: string): string {
  return normalizeCountry('country', value);
}

/**
 * A region within the country (state, province): free text, trimmed, at most 64 characters (as the
 * column and tax rules count them), no control characters; '' when none.
 * @throws DomainError invalid_argument naming `region`
 */
export function parseRegion(value: string): string {
  const text = value.trim();
  const length = [...text].length;
  if (length > MAX_REGION_CHARS) throw invalid(`region must be at most ${MAX_REGION_CHARS} characters, got ${length}`);
  if (CONTROL.test(text)) throw invalid('region must not contain control characters');
  return text;
}

/** Payment terms: a whole number of days, 0..3650. @throws DomainError invalid_argument naming `payment_terms_days` */
export function parsePaymentTerms(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > MAX_PAYMENT_TERMS_DAYS) {
    throw invalid(`payment_terms_days must be a whole number of days from 0 to ${MAX_PAYMENT_TERMS_DAYS} (got ${String(value)})`);
  }
  return value;
}

/**
 * A manual rating as an update sends it: 1-5 stars, or 0 to clear it (null).
 * @throws DomainError invalid_argument naming `rating`
 */
export function parseManualRating(value: number): Stars | null {
  if (value === 0) return null;
  return parseStars('rating (0 clears it)', value);
}

/** Notes on a rating: trimmed, at most 1000 characters. @throws DomainError invalid_argument */
export function parseRatingNotes(value: string): string {
  const text = value.trim();
  if (text.length > MAX_RATING_NOTES_CHARS) throw invalid(`rating_notes must be at most ${MAX_RATING_NOTES_CHARS} characters, got ${text.length}`);
  return text;
}

/** Where the rating in force comes from. */
export type RatingSource = 'manual' | 'computed' | 'default';

/** The rating new customers have until they are rated by hand or have a history (the document's default 3). */
export const DEFAULT_STARS: Stars = 3;

/**
 * The rating in force: the manual rating until it is cleared, else the computed one, else 3.
 * @param manual the admin's rating (null: none)
 * @param computed the last computed rating (null: the customer has no history yet)
 */
export function ratingInForce(manual: Stars | null, computed: Stars | null): { stars: Stars; source: RatingSource } {
  if (manual !== null) return { stars: manual, source: 'manual' };
  if (computed !== null) return { stars: computed, source: 'computed' };
  return { stars: DEFAULT_STARS, source: 'default' };
}
