/**
 * Cell values of the customer spreadsheet, both ways: the text an import reads from an exceljs cell
 * value, and the exceljs value an export writes for an {@link ExportRow} field. This is the file
 * boundary of money: a money cell is written with `Number(decimalString)` and a number cell is read
 * back with `String(n)`; nothing else here (or in the importer) does arithmetic on money as a JS
 * number. Pure.
 */
import type { CellValue } from 'exceljs';
import { IMPORT_COLUMNS, type ImportKey, type SheetColumn } from '../../domain/crm/customer-sheet.ts';

/** Excel's most characters in one cell; longer text makes Excel refuse (repair) the file. */
export const MAX_CELL_CHARS = 32_767;

/** Most significant digits a decimal may have to survive a trip through a JS number unchanged. */
const EXACT_DIGITS = 15;

/** Number format of money cells. */
export const MONEY_FORMAT = '0.00';
/** Number format "Text": what is typed into the cell stays text (`00123` keeps its zeros). */
export const TEXT_FORMAT = '@';

const IMPORT_KEYS: ReadonlySet<string> = new Set(IMPORT_COLUMNS.map((column) => column.key));

/** Whether `key` is the key of an importable column. */
export function isImportKey(key: string): key is ImportKey {
  return IMPORT_KEYS.has(key);
}

/**
 * The text of a cell value as exceljs reads it, '' when blank. Strings trimmed; numbers `String(n)`
 * (`10000`, `1234.5`); booleans `true`/`false`; dates ISO 8601 UTC (an out-of-range date: `#NUM!`);
 * rich text concatenated; a hyperlink its text (which may itself be rich text); a formula its
 * cached result, converted the same way ('' without one); an error its code (`#N/A`, `#DIV/0!` …).
 * The value is taken as `unknown` and inspected: exceljs's declared types do not cover everything
 * it produces (a hyperlink's text can be a rich-text object).
 */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? '#NUM!' : value.toISOString();
  if (typeof value !== 'object') return '';
  if ('formula' in value || 'sharedFormula' in value) return 'result' in value ? cellText(value.result) : '';
  if ('error' in value) return typeof value.error === 'string' ? value.error : '';
  if ('richText' in value) {
    if (!Array.isArray(value.richText)) return '';
    const runs: unknown[] = value.richText;
    return runs.map((run) => (typeof run === 'object' && run !== null && 'text' in run && typeof run.text === 'string' ? run.text : '')).join('').trim();
  }
  if ('text' in value) return cellText(value.text);
  return '';
}

/** A decimal string: optional minus, digits, optional fraction. */
const DECIMAL = /^-?\d+(?:\.\d+)?$/;

/** Significant digits of a decimal string (leading zeros not counted, trailing ones counted). */
function significantDigits(decimal: string): number {
  return decimal.replace(/^-/, '').replace('.', '').replace(/^0+/, '').length;
}

/** A text cell's value: always a string (so `=1+1` or `00123` stay text), clipped to Excel's limit. */
function textValue(value: string | number | boolean): string {
  const text = String(value);
  return text.length > MAX_CELL_CHARS ? text.slice(0, MAX_CELL_CHARS) : text;
}

/**
 * The cell value an export writes for `value` in `column`, by the column's kind:
 * - money: a decimal string → a number cell (`Number(text)`, formatted {@link MONEY_FORMAT} by
 *   the column); a decimal of more than 15 significant digits, which a number would round, is
 *   written as its text instead, unchanged;
 * - integer: a number cell (a string of digits is converted);
 * - boolean: a TRUE/FALSE cell;
 * - time and text: a string (text cell), at most {@link MAX_CELL_CHARS} characters;
 * - null: blank. A value that does not fit the kind (a money text that is not a decimal) is
 *   written as text rather than lost.
 */
export function exportCellValue(column: SheetColumn, value: string | number | boolean | null): CellValue {
  if (value === null) return null;
  switch (column.kind) {
    case 'money':
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && DECIMAL.test(value) && significantDigits(value) <= EXACT_DIGITS) return Number(value);
      return textValue(value);
    case 'integer':
      if (typeof value === 'number') return value;
      if (typeof value === 'string' && /^-?\d+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
      return textValue(value);
    case 'boolean':
      return typeof value === 'boolean' ? value : textValue(value);
    case 'time':
    case 'text':
      return textValue(value);
  }
}
