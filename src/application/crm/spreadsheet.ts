/**
 * The files of the customer import and export (crm-customer-controller.md 6.1-6.4): reading an
 * uploaded .xlsx or JSON import into raw rows, writing an export and the import template, with
 * exceljs. Columns, headers and widths come from customer-sheet.ts, so the files and the JSON keys
 * always agree. Reading only turns cells into text (`RawImportRow`); validating the values is the
 * importer's job.
 *
 * Errors: what is wrong with an upload is a DomainError invalid_argument with a one-line message
 * for the person uploading it; no exceljs or jszip exception (nor its stack) leaves the readers.
 *
 * Money: an export writes a money cell as `Number(decimalString)` and an import reads a number cell
 * as `String(n)` (spreadsheet-cells.ts): the file boundary, where Excel can only hold a number. No
 * arithmetic is done on money here.
 *
 * Memory: exceljs reads a whole workbook into memory (about 350 bytes a cell, on top of the
 * decompressed XML). Three bounds keep an upload from exhausting it: `maxBytes` on the file, at most
 * {@link EXPANSION_FACTOR} × that (at least {@link MIN_EXPANDED_BYTES}) declared uncompressed, and
 * at most 2 × `maxRows` + {@link ROW_SLACK} row elements parsed per worksheet. Within them a
 * crafted file can still make exceljs hold a few million cells (hundreds of MB); callers that
 * accept uploads from untrusted users should run imports where that is affordable.
 */
import ExcelJS, { type Workbook, type Worksheet, type XlsxReadOptions } from 'exceljs';
import { EXPORT_COLUMNS, IMPORT_COLUMNS, columnOfHeader, type ExportRow, type ImportKey, type RawImportRow, type SheetColumn } from '../../domain/crm/customer-sheet.ts';
import { DomainError, invalid } from '../../domain/errors.ts';
import { MONEY_FORMAT, TEXT_FORMAT, cellText, exportCellValue, isImportKey } from './spreadsheet-cells.ts';
import { jsonRow, jsonSyntaxError, kindOf } from './spreadsheet-json.ts';
import { addInstructions, addValidations, exampleRows } from './spreadsheet-template.ts';
import { checkWorkbookBytes, megabytes, notWorkbook } from './spreadsheet-zip.ts';

/** Limits of a read. */
export interface SheetLimits {
  /** Most data rows (customers) one file may hold. */
  maxRows: number;
  /** Largest file in bytes (a JSON import: characters). */
  maxBytes: number;
}

/** The archive of an .xlsx may declare at most this many times `maxBytes` uncompressed (at least {@link MIN_EXPANDED_BYTES}). */
export const EXPANSION_FACTOR = 20;
/** The least uncompressed size allowed, however small `maxBytes` is: 64 MB. */
export const MIN_EXPANDED_BYTES = 64 * 1_048_576;

/**
 * Most row elements exceljs may parse in one worksheet: 2 × maxRows + {@link ROW_SLACK}. Blank rows
 * that carry formatting are rows in the file too; past this many, reading stops (exceljs builds
 * every row in memory, about 350 bytes a cell), whatever the customer rows among them.
 */
export const ROW_SLACK = 1_000;

/** Worksheet parts the reader skips: merges (their copies are blank, and a huge merge range makes exceljs create every cell), checks and formatting. */
const IGNORED_NODES = ['mergeCells', 'dataValidations', 'conditionalFormatting', 'extLst'];

type Locale = 'en' | 'zh';

function tooManyRows(maxRows: number, what: 'file' | 'import'): DomainError {
  return invalid(`the ${what} has more than ${maxRows} customer rows; split it into ${what}s of at most ${maxRows} rows`);
}

/** The first line of an error's message, at most 100 characters. */
function oneLine(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0].trim();
  return message.length > 100 ? `${message.slice(0, 99)}…` : message;
}

/**
 * The importable column of each header cell of row 1, by column number.
 * @throws DomainError invalid_argument when a column is named twice or a required column is missing
 */
function headerColumns(sheet: Worksheet): Map<number, ImportKey> {
  const keys = new Map<number, ImportKey>();
  const cellOfKey = new Map<ImportKey, string>();
  sheet.findRow(1)?.eachCell((cell, columnNumber) => {
    const text = cellText(cell.value);
    const column = text === '' ? undefined : columnOfHeader(text);
    if (column === undefined || !column.importable || !isImportKey(column.key)) return;
    const earlier = cellOfKey.get(column.key);
    if (earlier !== undefined) {
      throw invalid(`the header cells ${earlier} and ${cell.address} both name the column "${column.header}" (${column.headerZh}); keep only one of them`);
    }
    cellOfKey.set(column.key, cell.address);
    keys.set(columnNumber, column.key);
  });
  const missing = IMPORT_COLUMNS.filter((column) => column.required && !cellOfKey.has(column.key));
  if (missing.length > 0) {
    const names = missing.map((column) => `"${column.header}" (${column.headerZh})`).join(' or ');
    throw invalid(`the file has no ${names} column; the first row must hold the column headers of the template`);
  }
  return keys;
}

/** The non-blank data rows of `sheet`. @throws DomainError invalid_argument (headers, more than `maxRows` rows) */
function dataRows(sheet: Worksheet, maxRows: number): RawImportRow[] {
  const keys = headerColumns(sheet);
  const rows: RawImportRow[] = [];
  sheet.eachRow((row, rowNumber) => {
    if (rowNumber === 1) return;
    const cells: Partial<Record<ImportKey, string>> = {};
    let blank = true;
    for (const [columnNumber, key] of keys) {
      const text = cellText(row.findCell(columnNumber)?.value);
      if (text === '') continue;
      cells[key] = text;
      blank = false;
    }
    if (blank) return;
    if (rows.length === maxRows) throw tooManyRows(maxRows, 'file');
    rows.push({ rowNumber, cells });
  });
  return rows;
}

/**
 * Reads the first worksheet of an .xlsx file into raw rows.
 * - Row 1 is the header row. Each header cell is matched with `columnOfHeader` (English, Chinese,
 *   camelCase or snake_case; case-insensitive). Unknown headers and the export's read-only columns
 *   (importable: false) are ignored. A header that names the same importable column twice is an error.
 * - Required columns (customerCode, name) missing from the header: invalid naming each by its
 *   English and Chinese header.
 * - Data rows from row 2; a row whose importable cells are all blank is skipped. `rowNumber` is the
 *   spreadsheet row number; `cells` holds the text of every non-blank importable cell by key.
 * - Cell → text: see `cellText` (strings trimmed, numbers `String(n)`, booleans `true`/`false`,
 *   dates ISO 8601 UTC, rich text and hyperlinks their text, formulas their cached result, errors
 *   their code such as `#N/A`). Merged cells: only the top-left cell holds the value.
 * @throws DomainError invalid_argument: more than `limits.maxRows` data rows (blank rows are not
 *   counted) or more than 2 × maxRows + {@link ROW_SLACK} rows in the file, formatted blank ones
 *   included; more than `limits.maxBytes` bytes (naming the limit in MB) or an archive expanding
 *   past {@link EXPANSION_FACTOR} × that; bytes that are not an .xlsx ("the file is not an Excel
 *   workbook (.xlsx): <short reason>", an .xls or CSV told to save it as .xlsx)
 */
export async function readCustomerSheet(bytes: Uint8Array, limits: SheetLimits): Promise<RawImportRow[]> {
  if (bytes.length > limits.maxBytes) throw invalid(`the file is larger than ${megabytes(limits.maxBytes)} MB; split it into smaller files`);
  checkWorkbookBytes(bytes, Math.max(limits.maxBytes * EXPANSION_FACTOR, MIN_EXPANDED_BYTES));
  const workbook = new ExcelJS.Workbook();
  const rowElements = limits.maxRows * 2 + ROW_SLACK;
  // maxRows: the row limit of exceljs's worksheet parser ("Max row count (N) exceeded"), missing
  // from its typings (hence not an object literal here).
  const options: Partial<XlsxReadOptions> & { maxRows: number } = { ignoreNodes: IGNORED_NODES, maxRows: rowElements };
  try {
    // A copy in an ArrayBuffer of its own: what exceljs's typings ask for (jszip reads either).
    await workbook.xlsx.load(new Uint8Array(bytes).buffer, options);
  } catch (error) {
    if (oneLine(error).startsWith('Max row count')) {
      throw invalid(`a worksheet of the file has more than ${rowElements} rows (formatted empty rows count); delete the rows below the data, or split the file into files of at most ${limits.maxRows} customer rows`);
    }
    throw notWorkbook(`it is damaged (${oneLine(error)})`);
  }
  const sheet = workbook.worksheets[0];
  if (sheet === undefined) throw notWorkbook('it has no worksheet');
  try {
    return dataRows(sheet, limits.maxRows);
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw notWorkbook(`it could not be read (${oneLine(error)})`);
  }
}

/**
 * Reads a JSON import: an array of objects whose keys are column keys in camelCase or snake_case
 * or headers (matched with columnOfHeader; unknown keys and read-only columns ignored). Values:
 * string (trimmed; blank = absent), number (`String(n)`), boolean (`true`/`false`), null (absent).
 * Row problems (the row's `cells` are then empty): an element that is not an object (`row N is not
 * an object`), a value of another type (`field "<key>" must be a string, number or boolean`), two
 * keys naming the same column. `rowNumber` = index + 1. A leading byte-order mark is ignored.
 * @throws DomainError invalid_argument: not JSON (with the line, column and offset of the first
 *   error), not an array, more than `limits.maxRows` elements or `limits.maxBytes` characters
 */
export function readCustomerJson(text: string, limits: SheetLimits): RawImportRow[] {
  if (text.length > limits.maxBytes) {
    throw invalid(`the import has more than ${limits.maxBytes} characters (${megabytes(limits.maxBytes)} MB); split it into smaller imports`);
  }
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    const found = jsonSyntaxError(body);
    const where = found === null ? oneLine(error) : `${found.problem} at line ${found.line}, column ${found.column} (position ${found.position})`;
    throw invalid(`the import is not valid JSON (a JSON array of customer objects is expected): ${where}`);
  }
  if (!Array.isArray(parsed)) throw invalid(`the import must be a JSON array of customer objects, not ${kindOf(parsed)}`);
  const elements: unknown[] = parsed;
  if (elements.length > limits.maxRows) throw tooManyRows(limits.maxRows, 'import');
  return elements.map((element, index) => jsonRow(element, index + 1));
}

/** Column formats and widths, then the bold header row, of a sheet whose columns are `columns`. */
function startSheet(workbook: Workbook, name: string, columns: readonly SheetColumn[], locale: Locale): Worksheet {
  const sheet = workbook.addWorksheet(name, { views: [{ state: 'frozen', ySplit: 1 }] });
  columns.forEach((column, index) => {
    const sheetColumn = sheet.getColumn(index + 1);
    sheetColumn.width = column.width;
    // Text columns keep what a user types as text (codes like 00123, long phone numbers).
    if (column.kind === 'money') sheetColumn.numFmt = MONEY_FORMAT;
    else if (column.kind === 'text' || column.kind === 'time') sheetColumn.numFmt = TEXT_FORMAT;
  });
  sheet.addRow(columns.map((column) => (locale === 'zh' ? column.headerZh : column.header))).font = { bold: true };
  return sheet;
}

function newWorkbook(): Workbook {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'NodeBill';
  return workbook;
}

async function bytesOf(workbook: Workbook): Promise<Buffer> {
  const written = await workbook.xlsx.writeBuffer();
  return Buffer.isBuffer(written) ? written : Buffer.from(written);
}

/**
 * Writes an export: one worksheet "Customers" (zh: "客户列表"), a bold, frozen header row with an
 * autofilter (English or Chinese headers by `locale`), then one row per ExportRow in EXPORT_COLUMNS
 * order. Money: a number cell `Number(decimalString)` formatted `0.00` (a decimal of more than 15
 * significant digits stays text, unrounded); integers: number cells; booleans: TRUE/FALSE; times
 * (RFC3339) and text: text cells, written as strings so `=1+1` or `00123` stay text (clipped to
 * Excel's 32,767 characters a cell); null (or a missing field): blank. Widths from the definitions.
 * @returns the .xlsx bytes
 */
export async function writeCustomerSheet(rows: readonly ExportRow[], options: { locale?: Locale } = {}): Promise<Buffer> {
  const locale = options.locale ?? 'en';
  const workbook = newWorkbook();
  const sheet = startSheet(workbook, locale === 'zh' ? '客户列表' : 'Customers', EXPORT_COLUMNS, locale);
  for (const row of rows) sheet.addRow(EXPORT_COLUMNS.map((column) => exportCellValue(column, row[column.key] ?? null)));
  sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: rows.length + 1, column: EXPORT_COLUMNS.length } };
  return bytesOf(workbook);
}

/**
 * Writes the import template: sheet "Customers" (zh: "客户导入") with the IMPORT_COLUMNS headers
 * only and two example rows (an enterprise and an individual); drop-downs and range checks on rows
 * 2..1001 (type: the English keys, zh: the Chinese names; rating 1-5; active TRUE/FALSE; payment
 * terms 0..MAX_PAYMENT_TERMS_DAYS; credit limit >= 0), each with an error message; then a sheet
 * "Instructions" (zh: "填写说明") listing every column: header, Chinese header, required, help.
 * @returns the .xlsx bytes
 */
export async function writeImportTemplate(options: { locale?: Locale } = {}): Promise<Buffer> {
  const locale = options.locale ?? 'en';
  const workbook = newWorkbook();
  const sheet = startSheet(workbook, locale === 'zh' ? '客户导入' : 'Customers', IMPORT_COLUMNS, locale);
  for (const example of exampleRows(locale === 'zh')) {
    sheet.addRow(IMPORT_COLUMNS.map((column) => exportCellValue(column, example[column.key] ?? null)));
  }
  addValidations(sheet, locale === 'zh');
  addInstructions(workbook, locale === 'zh');
  return bytesOf(workbook);
}
