/**
 * The columns of the customer spreadsheet (crm-customer-controller.md 6.1-6.3: the import file, the
 * export and the import template) and of the JSON import (6.4): one list, so the three files and
 * the JSON keys can never disagree. Importable columns come first, in the template's order; the
 * export adds read-only columns after them, which an import recognises and ignores — so an
 * exported file can be imported again unchanged. Pure data.
 *
 * Headers are matched case-insensitively after trimming, in English, in Chinese, or as the key in
 * camelCase or snake_case (`customerCode`, `customer_code`).
 */
import { MAX_PAYMENT_TERMS_DAYS } from './profile.ts';

/** How a column's cells are read and written. */
export type SheetCellKind =
  /** Free text. */
  | 'text'
  /** A money amount: a number cell with two decimals (format `0.00`) or a decimal string. */
  | 'money'
  /** A whole number (days, counts). */
  | 'integer'
  /** TRUE/FALSE (also yes/no, 1/0, 是/否 on import). */
  | 'boolean'
  /** A time (RFC3339 UTC text in exports). */
  | 'time';

/** One column. */
export interface SheetColumn {
  /** The field, as the JSON import names it (camelCase). */
  key: string;
  /** English header. */
  header: string;
  /** Chinese header (the CRM document's wording where it has one). */
  headerZh: string;
  kind: SheetCellKind;
  /** Required on import (a blank cell is a row error). */
  required: boolean;
  /** False for the export's read-only columns, which an import ignores. */
  importable: boolean;
  /** Column width in characters, for the files written. */
  width: number;
  /** What to write in it, for the template's instructions sheet. */
  help: string;
}

/** The importable columns, in the template's order. */
export const IMPORT_COLUMNS = [
  { key: 'customerCode', header: 'Customer code', headerZh: '客户代码', kind: 'text', required: true, importable: true, width: 16, help: 'Unique code, 1-50 letters, digits and - _ . /; an existing code updates that customer.' },
  { key: 'name', header: 'Name', headerZh: '客户名称', kind: 'text', required: true, importable: true, width: 28, help: 'Customer name, at most 255 characters, unique (case-insensitive).' },
  { key: 'customerType', header: 'Type', headerZh: '客户类型', kind: 'text', required: false, importable: true, width: 14, help: 'enterprise, individual, distributor or retail (企业, 个人, 经销商, 零售); empty: not set.' },
  { key: 'industry', header: 'Industry', headerZh: '所属行业', kind: 'text', required: false, importable: true, width: 16, help: 'Free text, at most 100 characters.' },
  { key: 'contactPerson', header: 'Contact person', headerZh: '联系人', kind: 'text', required: false, importable: true, width: 18, help: 'At most 255 characters.' },
  { key: 'phone', header: 'Phone', headerZh: '联系电话', kind: 'text', required: false, importable: true, width: 16, help: 'Digits, spaces and + ( ) - . only, at most 32 characters.' },
  { key: 'email', header: 'E-mail', headerZh: '邮箱', kind: 'text', required: false, importable: true, width: 26, help: 'A valid address, unique among customers.' },
  { key: 'company', header: 'Company', headerZh: '公司名称', kind: 'text', required: false, importable: true, width: 24, help: 'At most 255 characters.' },
  { key: 'address', header: 'Address', headerZh: '地址', kind: 'text', required: false, importable: true, width: 30, help: 'At most 500 characters.' },
  { key: 'creditLimit', header: 'Credit limit', headerZh: '信用额度', kind: 'money', required: false, importable: true, width: 14, help: 'Amount >= 0 with at most 2 decimals; empty: 0.00 for a new customer, unchanged for an existing one.' },
  { key: 'paymentTermsDays', header: 'Payment terms (days)', headerZh: '付款期限', kind: 'integer', required: false, importable: true, width: 12, help: `Whole days 0-${MAX_PAYMENT_TERMS_DAYS} an invoice is due after issue; empty: the billing default.` },
  { key: 'taxNumber', header: 'Tax number', headerZh: '税号', kind: 'text', required: false, importable: true, width: 22, help: 'Letters, digits, - . and spaces, at most 64 characters.' },
  { key: 'country', header: 'Country', headerZh: '国家代码', kind: 'text', required: false, importable: true, width: 10, help: 'Two-letter ISO 3166-1 code such as CN or DE (any case), for tax rules.' },
  { key: 'region', header: 'Region', headerZh: '地区', kind: 'text', required: false, importable: true, width: 16, help: 'State or province within the country, for tax rules, at most 64 characters.' },
  { key: 'rating', header: 'Rating', headerZh: '评级', kind: 'integer', required: false, importable: true, width: 8, help: 'A manual rating of 1-5 stars; empty: the computed rating applies.' },
  { key: 'ratingNotes', header: 'Rating notes', headerZh: '评级说明', kind: 'text', required: false, importable: true, width: 24, help: 'Why the manual rating, at most 1000 characters.' },
  { key: 'notes', header: 'Notes', headerZh: '备注', kind: 'text', required: false, importable: true, width: 24, help: 'Free text.' },
  { key: 'isActive', header: 'Active', headerZh: '是否启用', kind: 'boolean', required: false, importable: true, width: 8, help: 'TRUE or FALSE; empty: TRUE for a new customer, unchanged for an existing one.' },
] as const satisfies readonly SheetColumn[];

/** The export's read-only columns, after the importable ones. */
export const EXPORT_ONLY_COLUMNS = [
  { key: 'balance', header: 'Balance', headerZh: '当前余额', kind: 'money', required: false, importable: false, width: 14, help: 'Read-only: the balance (negative: owed).' },
  { key: 'availableCredit', header: 'Available credit', headerZh: '可用额度', kind: 'money', required: false, importable: false, width: 14, help: 'Read-only: credit not used yet.' },
  { key: 'totalOrders', header: 'Total orders', headerZh: '累计订单数', kind: 'integer', required: false, importable: false, width: 10, help: 'Read-only.' },
  { key: 'totalRevenue', header: 'Total revenue', headerZh: '累计总营收', kind: 'money', required: false, importable: false, width: 14, help: 'Read-only: paid, net of refunds.' },
  { key: 'lastOrderAt', header: 'Last order', headerZh: '最近订单时间', kind: 'time', required: false, importable: false, width: 22, help: 'Read-only.' },
  { key: 'ratingInForce', header: 'Rating in force', headerZh: '当前评级', kind: 'integer', required: false, importable: false, width: 10, help: 'Read-only: manual, else computed, else 3.' },
  { key: 'riskLevel', header: 'Risk level', headerZh: '信用风险等级', kind: 'text', required: false, importable: false, width: 10, help: 'Read-only: green, yellow, orange or red.' },
  { key: 'rfmSegment', header: 'RFM segment', headerZh: 'RFM分类', kind: 'text', required: false, importable: false, width: 18, help: 'Read-only.' },
  { key: 'createdAt', header: 'Created', headerZh: '创建时间', kind: 'time', required: false, importable: false, width: 22, help: 'Read-only.' },
] as const satisfies readonly SheetColumn[];

/** Every column of an export, importable first. */
export const EXPORT_COLUMNS = [...IMPORT_COLUMNS, ...EXPORT_ONLY_COLUMNS] as const satisfies readonly SheetColumn[];

/** A key of an importable column. */
export type ImportKey = (typeof IMPORT_COLUMNS)[number]['key'];
/** A key of an export column. */
export type ExportKey = (typeof EXPORT_COLUMNS)[number]['key'];

/**
 * One data row of an import as read from the file, before validation: the text of each importable
 * cell that is not blank (numbers as their shortest decimal text, booleans as `true` / `false`),
 * or a structural problem of the row itself (a JSON element that is not an object).
 */
export interface RawImportRow {
  /** The spreadsheet row number (the header is row 1), or the JSON array index + 1. */
  rowNumber: number;
  cells: Partial<Record<ImportKey, string>>;
  /** Why the row cannot be read at all; set, `cells` is empty. */
  problem?: string;
}

/** One row of an export: money as decimal strings, counts as numbers, times as RFC3339, null for blank. */
export type ExportRow = { [K in ExportKey]: string | number | boolean | null };

/** `camelCase` → `snake_case`. */
function snake(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** The normalised form of a header or JSON key, for matching (full-width forms folded, a trailing "*" of required columns dropped). */
export function normaliseHeader(text: string): string {
  return text.normalize('NFKC').trim().replace(/\s*\*$/, '').toLowerCase().replace(/\s+/g, ' ');
}

const BY_HEADER: ReadonlyMap<string, SheetColumn> = new Map(
  (EXPORT_COLUMNS as readonly SheetColumn[]).flatMap((column) => [column.header, column.headerZh, column.key, snake(column.key)].map((name) => [normaliseHeader(name), column] as const)),
);

/** The column a header or JSON key names (any of its spellings), or undefined. */
export function columnOfHeader(text: string): SheetColumn | undefined {
  return BY_HEADER.get(normaliseHeader(text));
}
