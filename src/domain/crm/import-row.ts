/**
 * One row of a customer import (crm-customer-controller.md 6.1 and 6.4; issue 10 "Batch"): the
 * raw cells of a spreadsheet row or JSON object (src/domain/crm/customer-sheet.ts) checked field
 * by field, and what the row does to the customer its code names — create it, change the fields
 * that differ, or nothing. A row that breaks a rule is an error naming its row number and field,
 * and changes nothing. Pure.
 *
 * Rules:
 * - `customerCode` is required and identifies the customer (whatever its case); a code that
 *   appears twice in one file is an error on its later rows (also when its first row was refused).
 * - A blank cell means "not given": a new customer gets the default, an existing one keeps its
 *   value. (To clear a text field, change it in the API; the file cannot say "make this empty".)
 * - `name` is required for a new customer.
 * - Money: a decimal with at most two places, `>= 0` (spreadsheets may show `10000` for 10000.00);
 *   whole numbers for days and stars; TRUE/FALSE, yes/no, 1/0, 是/否 for the active flag.
 */
import { DomainError } from '../errors.ts';
import { formatMoney, parseMoney } from '../money.ts';
import type { CustomerState, ValidChanges } from '../customers/customer.ts';
import { validateChanges } from '../customers/customer.ts';
import { IMPORT_COLUMNS, type ImportKey, type RawImportRow } from './customer-sheet.ts';
import { parseCustomerCode } from './profile.ts';

/** The API's name of each importable field, for messages (`credit_limit`, …). */
const FIELD_NAMES: Readonly<Record<ImportKey, string>> = {
  customerCode: 'customer_code', name: 'name', customerType: 'customer_type', industry: 'industry', contactPerson: 'contact_person', phone: 'phone',
  email: 'email', company: 'company', address: 'address', creditLimit: 'credit_limit', paymentTermsDays: 'payment_terms_days', taxNumber: 'tax_number',
  country: 'country', region: 'region', rating: 'rating', ratingNotes: 'rating_notes', notes: 'notes', isActive: 'is_active',
};

const HEADERS: ReadonlyMap<string, string> = new Map(IMPORT_COLUMNS.map((column) => [column.key, column.header]));

/** A row that cannot be imported. */
export interface RowError {
  rowNumber: number;
  /** The customer code as written ('' when missing). */
  customerCode: string;
  /** The field at fault, as the API names it (`credit_limit`), or '' for the row as a whole. */
  field: string;
  message: string;
}

/** A row whose fields are all valid: its code and the fields it gives (validated, normalised). */
export interface ParsedRow {
  rowNumber: number;
  customerCode: string;
  fields: ValidChanges;
}

/** What a valid row does. */
export type RowPlan =
  | { kind: 'create'; fields: ValidChanges & { name: string; customerCode: string } }
  | { kind: 'update'; changes: ValidChanges }
  | { kind: 'unchanged' };

const TRUE_WORDS = new Set(['true', 'yes', 'y', '1', '是', 'on']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0', '否', 'off']);

function wholeNumber(field: string, text: string): number {
  if (!/^-?\d+(\.0+)?$/.test(text)) throw new DomainError('invalid_argument', `${field} must be a whole number (got "${text.slice(0, 40)}")`);
  return Number.parseInt(text, 10);
}

/** The error of `field` in `row`, from a refusal's message. */
function rowError(row: RawImportRow, field: string, error: unknown): RowError {
  if (!(error instanceof DomainError)) throw error;
  const header = [...HEADERS].find(([key]) => FIELD_NAMES[key as ImportKey] === field)?.[1];
  return {
    rowNumber: row.rowNumber,
    customerCode: row.cells.customerCode ?? '',
    field,
    message: header ? `${header} (${field}): ${error.message}` : error.message,
  };
}

/**
 * Checks every given cell of `row`; the first field at fault (in the template's column order)
 * makes the row an error.
 */
export function parseImportRow(row: RawImportRow): ParsedRow | RowError {
  if (row.problem !== undefined) return { rowNumber: row.rowNumber, customerCode: '', field: '', message: row.problem };
  const cells = row.cells;
  let code: string;
  try {
    code = parseCustomerCode(cells.customerCode ?? '');
  } catch (error) {
    return rowError(row, 'customer_code', error);
  }
  const fields: ValidChanges = { customerCode: code };
  for (const column of IMPORT_COLUMNS) {
    const key: ImportKey = column.key;
    const text = cells[key];
    if (key === 'customerCode' || text === undefined || text.trim() === '') continue;
    const field = FIELD_NAMES[key];
    try {
      Object.assign(fields, validateChanges(changeOf(key, field, text.trim())));
    } catch (error) {
      return rowError(row, field, error);
    }
  }
  return { rowNumber: row.rowNumber, customerCode: code, fields };
}

/** The raw change one cell asks for, typed for {@link validateChanges}. @throws DomainError invalid_argument */
function changeOf(key: ImportKey, field: string, text: string): Parameters<typeof validateChanges>[0] {
  switch (key) {
    case 'creditLimit':
      return { creditLimit: formatMoney(parseMoney(field, text)) };
    case 'paymentTermsDays':
      return { paymentTermsDays: wholeNumber(field, text) };
    case 'rating':
      return { rating: wholeNumber(field, text) };
    case 'isActive': {
      const word = text.toLowerCase();
      if (TRUE_WORDS.has(word)) return { isActive: true };
      if (FALSE_WORDS.has(word)) return { isActive: false };
      throw new DomainError('invalid_argument', `${field} must be TRUE or FALSE (got "${text.slice(0, 40)}")`);
    }
    case 'customerCode':
    case 'name':
    case 'customerType':
    case 'industry':
    case 'contactPerson':
    case 'phone':
    case 'email':
    case 'company':
    case 'address':
    case 'taxNumber':
    case 'country':
    case 'region':
    case 'ratingNotes':
    case 'notes':
      return { [key]: text };
  }
}

/**
 * Marks the later rows of a code that appears more than once (whatever its case) as errors.
 * @returns the rows in their order, duplicates replaced by errors
 */
export function refuseDuplicateCodes(rows: ReadonlyArray<ParsedRow | RowError>): Array<ParsedRow | RowError> {
  // A row refused for another field still claims its code: a later row of the same code is a
  // second appearance, not a correction.
  const first = new Map<string, number>();
  return rows.map((row) => {
    const key = row.customerCode.normalize('NFKC').trim().toLowerCase();
    if (key === '') return row;
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, row.rowNumber);
      return row;
    }
    if (!('fields' in row)) return row;
    return { rowNumber: row.rowNumber, customerCode: row.customerCode, field: 'customer_code', message: `Customer code (customer_code): "${row.customerCode}" appears in row ${earlier} already; each customer may appear once per file` };
  });
}

/**
 * What a valid row does to `existing` (the customer with its code, or null).
 * @returns a RowError when a new customer's row has no name
 */
export function planRow(row: ParsedRow, existing: CustomerState | null): RowPlan | RowError {
  if (existing === null) {
    const name = row.fields.name;
    if (name === undefined) return { rowNumber: row.rowNumber, customerCode: row.customerCode, field: 'name', message: 'Name (name): name is required for a new customer' };
    return { kind: 'create', fields: { ...row.fields, name, customerCode: row.customerCode } };
  }
  const changes: ValidChanges = {};
  for (const [key, value] of Object.entries(row.fields) as Array<[keyof ValidChanges, ValidChanges[keyof ValidChanges]]>) {
    // The code identifies the customer (whatever its case); an import never renames it.
    if (key === 'customerCode') continue;
    if (existing[key] !== value) Object.assign(changes, { [key]: value });
  }
  return Object.keys(changes).length === 0 ? { kind: 'unchanged' } : { kind: 'update', changes };
}
