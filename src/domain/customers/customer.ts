/**
 * A customer (billing account) as its actor holds it, the commands that change it, and the pure
 * `decide(state, command)` the actor runs (ARCHITECTURE.md "Actors: one writer per customer";
 * CustomerService in rustbill-docs.md). Money is a decimal string with two places; times are
 * RFC3339 strings (the state crosses process boundaries as JSON). No I/O.
 */
import { DomainError, invalid, notFound, refused } from '../errors.ts';
import { formatMoney, parseMoney } from '../money.ts';
import { clip } from '../input-limits.ts';
import {
  parseAddress, parseCountry, parseCustomerCode, parseCustomerType, parseIndustry, parsePaymentTerms, parseRatingNotes, parseRegion, parseTaxNumber,
  type CustomerType,
} from '../crm/profile.ts';
import { parseStars, type Stars } from '../crm/rating.ts';

/**
 * The CRM profile fields of a customer (src/domain/crm/profile.ts): a unique code ('' on
 * creation: one is assigned, `C000001`, …), the type ('' when not set), industry, address, payment
 * terms in days (null: the `[billing] due_days` default), tax number, country (ISO 3166-1 alpha-2,
 * upper-case; '' unknown) and region ('' none) for tax rules, and the manual rating (null: none, the
 * computed rating applies) with its notes.
 */
export interface CustomerProfile {
  customerCode: string;
  customerType: CustomerType;
  industry: string;
  address: string;
  paymentTermsDays: number | null;
  taxNumber: string;
  country: string;
  region: string;
  rating: Stars | null;
  ratingNotes: string;
}

/** The customer's live state: its `customers` row as far as commands change it. */
export interface CustomerState extends CustomerProfile {
  id: string;
  name: string;
  contactPerson: string;
  email: string;
  phone: string;
  company: string;
  notes: string;
  /** Prepaid balance (may be negative down to `-creditLimit`). */
  balance: string;
  /** `>= 0`. */
  creditLimit: string;
  isActive: boolean;
  canCreateApiKeys: boolean;
  /** Soft deletion time (RFC3339); null while the customer exists. */
  deletedAt: string | null;
  /** The snapshot's optimistic-lock version (1 when created; +1 per applied command). */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** The fields a customer is created with, validated (all but `name` may be empty). */
export interface NewCustomer extends CustomerProfile {
  /** Whether it starts active; absent: true (an import may create an inactive customer). */
  isActive?: boolean;
  name: string;
  contactPerson: string;
  email: string;
  phone: string;
  company: string;
  notes: string;
  creditLimit: string;
}

/** What a caller creates a customer with: RustBill's seven fields, the CRM ones optional (raw, before validation). */
export type NewCustomerInput = Omit<NewCustomer, keyof CustomerProfile | 'rating'> & {
  customerCode?: string;
  customerType?: string;
  industry?: string;
  address?: string;
  paymentTermsDays?: number | null;
  taxNumber?: string;
  country?: string;
  region?: string;
  /** 1-5 stars; null or absent: no manual rating. */
  rating?: number | null;
  ratingNotes?: string;
  isActive?: boolean;
};

/** A partial update as a caller sends it (raw): only the fields set change. `rating: null` clears the manual rating. */
export type CustomerChanges = Partial<Omit<NewCustomer, 'customerType' | 'rating'> & {
  customerType: string;
  rating: number | null;
  isActive: boolean;
  canCreateApiKeys: boolean;
}>;

/** Commands a customer actor applies. */
export type CustomerCommand =
  | { type: 'create'; customer: NewCustomer }
  | { type: 'update'; changes: ValidChanges }
  /** Soft deletion when the customer has money history, removal of the row when it has none (the store decides). */
  | { type: 'delete' };

/** Changes as {@link validateChanges} returns them. */
export type ValidChanges = Partial<Omit<NewCustomer, 'customerCode'> & { customerCode: string; isActive: boolean; canCreateApiKeys: boolean }>;

/** The profile fields an audit row lists before and after. */
export const AUDITED_FIELDS = [
  'name', 'contactPerson', 'email', 'phone', 'company', 'notes', 'creditLimit', 'isActive', 'canCreateApiKeys',
  'customerCode', 'customerType', 'industry', 'address', 'paymentTermsDays', 'taxNumber', 'country', 'region', 'rating', 'ratingNotes',
  'deletedAt',
] as const;

/** What a command does to the snapshot row. */
export type SnapshotChange = 'insert' | 'update' | 'delete' | 'none';

/** The outcome of {@link decide}: the next state (null: deleted) and what to write. */
export interface Decision {
  /** The state after the command; null when the customer was deleted. */
  next: CustomerState | null;
  change: SnapshotChange;
  /** The fields whose value changes (for the audit row). */
  changed: Array<(typeof AUDITED_FIELDS)[number]>;
}

const PHONE = /^[0-9+()\-. ]{1,32}$/;
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

function text(field: string, value: string, max: number, required: boolean): string {
  const trimmed = value.trim();
  if (required && trimmed === '') throw invalid(`${field} is required`);
  if (trimmed.length > max) throw invalid(`${field} must be at most ${max} characters, got ${trimmed.length}`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed) && field !== 'notes') throw invalid(`${field} must not contain control characters`);
  return trimmed;
}

/**
 * A customer's fields as stored: trimmed, e-mail lower-cased, phone checked, credit limit as a
 * money amount `>= 0` (`''` means 0.00).
 * @throws DomainError invalid_argument naming the field
 */
export function validateNewCustomer(input: NewCustomerInput): NewCustomer {
  const code = input.customerCode?.trim() ?? '';
  return {
    name: text('name', input.name, 255, true),
    contactPerson: text('contact_person', input.contactPerson, 255, false),
    email: emailOf(input.email),
    phone: phoneOf(input.phone),
    company: text('company', input.company, 255, false),
    notes: text('notes', input.notes, 10_000, false),
    creditLimit: input.creditLimit.trim() === '' ? '0.00' : formatMoney(parseMoney('credit_limit', input.creditLimit.trim())),
    customerCode: code === '' ? '' : parseCustomerCode(code),
    customerType: parseCustomerType(input.customerType ?? ''),
    industry: parseIndustry(input.industry ?? ''),
    address: parseAddress(input.address ?? ''),
    paymentTermsDays: input.paymentTermsDays === undefined || input.paymentTermsDays === null ? null : parsePaymentTerms(input.paymentTermsDays),
    taxNumber: parseTaxNumber(input.taxNumber ?? ''),
    country: parseCountry(input.country ?? ''),
    region: parseRegion(input.region ?? ''),
    rating: input.rating === undefined || input.rating === null ? null : parseStars('rating', input.rating),
    ratingNotes: parseRatingNotes(input.ratingNotes ?? ''),
    ...(input.isActive === false ? { isActive: false } : {}),
  };
}

/** {@link validateNewCustomer} for the fields of an update that are set. @throws DomainError invalid_argument */
export function validateChanges(changes: CustomerChanges): ValidChanges {
  const out: ValidChanges = {};
  if (changes.name !== undefined) out.name = text('name', changes.name, 255, true);
  if (changes.contactPerson !== undefined) out.contactPerson = text('contact_person', changes.contactPerson, 255, false);
  if (changes.email !== undefined) out.email = emailOf(changes.email);
  if (changes.phone !== undefined) out.phone = phoneOf(changes.phone);
  if (changes.company !== undefined) out.company = text('company', changes.company, 255, false);
  if (changes.notes !== undefined) out.notes = text('notes', changes.notes, 10_000, false);
  if (changes.creditLimit !== undefined) out.creditLimit = formatMoney(parseMoney('credit_limit', changes.creditLimit.trim()));
  if (changes.isActive !== undefined) out.isActive = changes.isActive;
  if (changes.canCreateApiKeys !== undefined) out.canCreateApiKeys = changes.canCreateApiKeys;
  if (changes.customerCode !== undefined) out.customerCode = parseCustomerCode(changes.customerCode);
  if (changes.customerType !== undefined) out.customerType = parseCustomerType(changes.customerType);
  if (changes.industry !== undefined) out.industry = parseIndustry(changes.industry);
  if (changes.address !== undefined) out.address = parseAddress(changes.address);
  if (changes.paymentTermsDays !== undefined) out.paymentTermsDays = changes.paymentTermsDays === null ? null : parsePaymentTerms(changes.paymentTermsDays);
  if (changes.taxNumber !== undefined) out.taxNumber = parseTaxNumber(changes.taxNumber);
  if (changes.country !== undefined) out.country = parseCountry(changes.country);
  if (changes.region !== undefined) out.region = parseRegion(changes.region);
  if (changes.rating !== undefined) out.rating = changes.rating === null ? null : parseStars('rating', changes.rating);
  if (changes.ratingNotes !== undefined) out.ratingNotes = parseRatingNotes(changes.ratingNotes);
  return out;
}

function emailOf(value: string): string {
  const email = value.trim().toLowerCase();
  if (email !== '' && (email.length > 254 || !EMAIL.test(email))) throw invalid(`email "${clip(email, 80)}" is not a valid e-mail address`);
  return email;
}

function phoneOf(value: string): string {
  const phone = value.trim();
  if (phone !== '' && !PHONE.test(phone)) throw invalid('phone may hold digits, spaces and + ( ) - . only, at most 32 characters');
  return phone;
}

/**
 * What `command` does to the customer `at.customerId` in `state` (null: no such customer yet) at
 * `at.now` (RFC3339). The inputs are validated already ({@link validateNewCustomer},
 * {@link validateChanges}).
 * @throws DomainError already_exists (create of an existing id), not_found (update or delete of a
 *   missing or deleted customer), failed_precondition (changing a deleted customer, deleting a
 *   customer whose balance is not zero)
 */
export function decide(state: CustomerState | null, command: CustomerCommand, at: { customerId: string; now: string }): Decision {
  const { now } = at;
  switch (command.type) {
    case 'create': {
      if (state) throw new DomainError('already_exists', `customer ${state.id} already exists`);
      return {
        next: {
          id: at.customerId, ...command.customer, balance: '0.00', isActive: command.customer.isActive ?? true, canCreateApiKeys: false, deletedAt: null,
          version: 1, createdAt: now, updatedAt: now,
        },
        change: 'insert',
        changed: AUDITED_FIELDS.filter((field) => field !== 'deletedAt'),
      };
    }
    case 'update': {
      if (!state) throw notFound(`customer ${at.customerId} does not exist`);
      if (state.deletedAt !== null) throw refused(`customer ${state.id} was deleted on ${state.deletedAt}; a deleted customer cannot be changed`);
      const next: CustomerState = { ...state, ...command.changes };
      const changed = AUDITED_FIELDS.filter((field) => next[field] !== state[field]);
      if (changed.length === 0) return { next: state, change: 'none', changed };
      return { next: { ...next, version: state.version + 1, updatedAt: now }, change: 'update', changed };
    }
    case 'delete': {
      if (!state) throw notFound(`customer ${at.customerId} does not exist`);
      if (state.deletedAt !== null) throw notFound(`customer ${state.id} was deleted already (on ${state.deletedAt})`);
      if (formatMoney(state.balance) !== '0.00') {
        throw refused(`customer ${state.id} has a balance of ${formatMoney(state.balance)}; settle or adjust it to 0.00 first, or deactivate the customer instead`);
      }
      // The state if the store keeps the row (soft deletion); it removes the row of a customer
      // without money history instead.
      return { next: { ...state, isActive: false, deletedAt: now, version: state.version + 1, updatedAt: now }, change: 'delete', changed: ['isActive', 'deletedAt'] };
    }
  }
}
