import { crc32, deflateRawSync } from 'node:zlib';
import { Decimal } from 'decimal.js';
import ExcelJS, { type CellValue } from 'exceljs';
import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import { EXPORT_COLUMNS, EXPORT_ONLY_COLUMNS, IMPORT_COLUMNS, type ExportRow, type RawImportRow } from '../../src/domain/crm/customer-sheet.ts';
import { DomainError } from '../../src/domain/errors.ts';
import {
  CUSTOMER_TYPES, CUSTOMER_TYPE_NAMES_ZH, MAX_PAYMENT_TERMS_DAYS, parseAddress, parseCountry, parseCustomerCode, parseCustomerType, parseIndustry, parsePaymentTerms, parseRegion,
  parseTaxNumber,
} from '../../src/domain/crm/profile.ts';
import { parseStars } from '../../src/domain/crm/rating.ts';
import { readCustomerJson, readCustomerSheet, writeCustomerSheet, writeImportTemplate, type SheetLimits } from '../../src/application/crm/spreadsheet.ts';
import { jsonSyntaxError } from '../../src/application/crm/spreadsheet-json.ts';

const LIMITS: SheetLimits = { maxRows: 1_000, maxBytes: 10 * 1_048_576 };
const IMPORT_KEYS = IMPORT_COLUMNS.map((column) => column.key);

/** An export row with every column, null unless given. */
function exportRow(values: Partial<ExportRow>): ExportRow {
  return Object.fromEntries(EXPORT_COLUMNS.map((column) => [column.key, values[column.key] ?? null])) as ExportRow;
}

/** The DomainError invalid_argument message `promise` rejects with; fails when it resolves or rejects otherwise. */
async function invalidMessage(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    expect(error.kind).toBe('invalid_argument');
    return error.message;
  }
  throw new Error('expected a DomainError, but the call succeeded');
}

function syncInvalidMessage(run: () => unknown): string {
  const error = refusal(run);
  expect(error.kind).toBe('invalid_argument');
  return error.message;
}

async function workbookOf(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(new Uint8Array(bytes).buffer);
  return workbook;
}

async function bytesOf(workbook: ExcelJS.Workbook): Promise<Buffer> {
  const written = await workbook.xlsx.writeBuffer();
  return Buffer.isBuffer(written) ? written : Buffer.from(written);
}

/** A workbook of one sheet with `rows` (row 1 first) as an .xlsx. */
async function sheetOf(rows: CellValue[][], setUp?: (sheet: ExcelJS.Worksheet) => void): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Data');
  rows.forEach((values, index) => {
    values.forEach((value, column) => {
      if (value !== null) sheet.getCell(index + 1, column + 1).value = value;
    });
  });
  setUp?.(sheet);
  return bytesOf(workbook);
}

/** A zip archive of `entries` (deflated), with declared sizes that are true. */
function zipOf(entries: Record<string, Buffer | string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(entries)) {
    const data = Buffer.from(content);
    const packed = deflateRawSync(data);
    const nameBytes = Buffer.from(name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc32(data), 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc32(data), 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, packed);
    centrals.push(central, nameBytes);
    offset += local.length + nameBytes.length + packed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** The text an import should read back from an exported value (money compared separately). */
function exportedText(value: string | number | boolean): string {
  return typeof value === 'boolean' ? String(value) : String(value).trim();
}

/** Checks that `read` holds exactly the non-null importable values of `written`. */
function expectSameCells(read: RawImportRow['cells'], written: ExportRow): void {
  const expectedKeys = IMPORT_COLUMNS.filter((column) => written[column.key] !== null).map((column) => column.key);
  expect(Object.keys(read).sort()).toEqual([...expectedKeys].sort());
  for (const column of IMPORT_COLUMNS) {
    const value = written[column.key];
    if (value === null) continue;
    const text = read[column.key];
    if (column.kind === 'money') expect(new Decimal(text ?? 'NaN').equals(new Decimal(String(value)))).toBe(true);
    else expect(text).toBe(exportedText(value));
  }
}

const ROWS: ExportRow[] = [
  exportRow({
    customerCode: '00123',
    name: '示例贸易有限公司',
    customerType: 'enterprise',
    industry: '批发',
    contactPerson: '李伟',
    phone: '+86 10 6512 3456',
    email: 'finance@example.com',
    company: 'Example Trading',
    address: '北京市朝阳区建国路 88 号',
    creditLimit: '10000.00',
    paymentTermsDays: 30,
    taxNumber: '91110105MA01ABCD2X',
    country: 'CN',
    region: '北京市',
    rating: 4,
    ratingNotes: '=SUM(A1)',
    notes: '=1+1',
    isActive: true,
    balance: '-15.50',
    availableCredit: '10015.50',
    totalOrders: 12,
    totalRevenue: '98765.43',
    lastOrderAt: '2024-05-06T07:08:09Z',
    ratingInForce: 4,
    riskLevel: 'green',
    rfmSegment: 'champions',
    createdAt: '2023-01-02T03:04:05Z',
  }),
  exportRow({ customerCode: 'C-2', name: 'Zhang San', creditLimit: '-15.50', isActive: false, balance: '0.00', createdAt: '2024-01-01T00:00:00Z' }),
  exportRow({ customerCode: 'C-3', name: 'Big', creditLimit: '0.01', paymentTermsDays: 0, notes: 'line 1\nline 2' }),
];

describe('writeCustomerSheet → readCustomerSheet', () => {
  it('reads back the importable cells written, ignoring the read-only columns and blanks', async () => {
    const rows = await readCustomerSheet(await writeCustomerSheet(ROWS), LIMITS);
    expect(rows.map((row) => row.rowNumber)).toEqual([2, 3, 4]);
    rows.forEach((row, index) => expectSameCells(row.cells, ROWS[index]));
    // Money comes back as the shortest decimal text of the number cell.
    expect(rows[0].cells.creditLimit).toBe('10000');
    expect(rows[1].cells.creditLimit).toBe('-15.5');
    expect(rows[0].cells.customerCode).toBe('00123');
    expect(rows[0].cells.ratingNotes).toBe('=SUM(A1)');
    expect(rows[0].cells.isActive).toBe('true');
    expect(rows[1].cells.isActive).toBe('false');
    expect(rows[1].cells.industry).toBeUndefined();
    for (const row of rows) expect(Object.keys(row.cells).every((key) => IMPORT_KEYS.some((k) => k === key))).toBe(true);
  });

  it('writes typed cells: numbers with 0.00, text as strings, booleans, times as text, blanks', async () => {
    const workbook = await workbookOf(await writeCustomerSheet(ROWS));
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['Customers']);
    const sheet = workbook.worksheets[0];
    const cell = (row: number, key: string) => sheet.getCell(row, EXPORT_COLUMNS.findIndex((column) => column.key === key) + 1);
    expect(sheet.getRow(1).values).toEqual([undefined, ...EXPORT_COLUMNS.map((column) => column.header)]);
    expect(cell(1, 'name').font?.bold).toBe(true);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.autoFilter).toBe(`A1:${sheet.getColumn(EXPORT_COLUMNS.length).letter}4`);
    expect(cell(2, 'creditLimit').value).toBe(10000);
    expect(cell(2, 'creditLimit').numFmt).toBe('0.00');
    expect(cell(2, 'balance').value).toBe(-15.5);
    expect(cell(2, 'totalOrders').value).toBe(12);
    expect(cell(2, 'isActive').value).toBe(true);
    expect(cell(2, 'ratingNotes').value).toBe('=SUM(A1)');
    expect(cell(2, 'ratingNotes').type).toBe(ExcelJS.ValueType.String);
    expect(cell(2, 'notes').value).toBe('=1+1');
    expect(cell(2, 'customerCode').value).toBe('00123');
    expect(cell(2, 'lastOrderAt').value).toBe('2024-05-06T07:08:09Z');
    expect(cell(3, 'industry').value).toBeNull();
    expect(cell(3, 'balance').value).toBe(0);
    EXPORT_COLUMNS.forEach((column, index) => expect(sheet.getColumn(index + 1).width).toBe(column.width));
  });

  it('keeps a money amount a number cannot hold exactly as text, unrounded', async () => {
    const big = exportRow({ customerCode: 'C-9', name: 'Huge', creditLimit: '12345678901234567.89' });
    const [row] = await readCustomerSheet(await writeCustomerSheet([big]), LIMITS);
    expect(row.cells.creditLimit).toBe('12345678901234567.89');
  });

  it('clips text to the 32,767 characters Excel allows in a cell', async () => {
    const long = exportRow({ customerCode: 'C-8', name: 'Long', notes: 'x'.repeat(40_000) });
    const [row] = await readCustomerSheet(await writeCustomerSheet([long]), LIMITS);
    expect(row.cells.notes).toBe('x'.repeat(32_767));
  });

  it('the Chinese export has Chinese headers and reads back the same', async () => {
    const bytes = await writeCustomerSheet(ROWS, { locale: 'zh' });
    const workbook = await workbookOf(bytes);
    expect(workbook.worksheets[0].name).toBe('客户列表');
    expect(workbook.worksheets[0].getRow(1).values).toEqual([undefined, ...EXPORT_COLUMNS.map((column) => column.headerZh)]);
    const rows = await readCustomerSheet(bytes, LIMITS);
    expect(rows).toEqual(await readCustomerSheet(await writeCustomerSheet(ROWS), LIMITS));
    rows.forEach((row, index) => expectSameCells(row.cells, ROWS[index]));
  });

  it('an export with no rows reads back as no rows', async () => {
    expect(await readCustomerSheet(await writeCustomerSheet([]), LIMITS)).toEqual([]);
  });
});

describe('readCustomerSheet of a hand-made workbook', () => {
  it('matches mixed header spellings and converts every kind of cell', async () => {
    const bytes = await sheetOf(
      [
        ['customer_code', '客户名称', ' E-MAIL ', 'Favourite colour', 'Balance', 'creditLimit', 'is_active', 'Phone', 'Notes', 'Rating notes', 'Industry', 'Address'],
        ['  C1 ', { richText: [{ text: 'Acme ', font: { bold: true } }, { text: 'Ltd' }] }, { text: 'a@example.com', hyperlink: 'mailto:a@example.com' }, 'red', 5, { formula: '2*500', result: 1000 }, false, { error: '#N/A' }, { formula: 'A1' }, new Date('2024-03-05T10:11:12Z'), '   ', 1234.5],
        [null, null, null, 'only an unknown column', 7],
        [null, null, null, null, null, null, null, null, null, null, null, null],
        ['C2', 'Bee', null, null, null, { formula: '1/0', result: { error: '#DIV/0!' } }, true, 13800138000, null, null, 'merged', null],
      ],
      (sheet) => sheet.mergeCells('K5:L5'),
    );
    const rows = await readCustomerSheet(bytes, LIMITS);
    expect(rows).toEqual([
      {
        rowNumber: 2,
        cells: { customerCode: 'C1', name: 'Acme Ltd', email: 'a@example.com', creditLimit: '1000', isActive: 'false', phone: '#N/A', ratingNotes: '2024-03-05T10:11:12.000Z', address: '1234.5' },
      },
      { rowNumber: 5, cells: { customerCode: 'C2', name: 'Bee', creditLimit: '#DIV/0!', isActive: 'true', phone: '13800138000', industry: 'merged' } },
    ]);
  });

  it('reads the first worksheet only', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('First').addRows([['Customer code', 'Name'], ['A', 'First']]);
    workbook.addWorksheet('Second').addRows([['Customer code', 'Name'], ['B', 'Second']]);
    const rows = await readCustomerSheet(await bytesOf(workbook), LIMITS);
    expect(rows).toEqual([{ rowNumber: 2, cells: { customerCode: 'A', name: 'First' } }]);
  });

  it('refuses a file without the required columns, naming each', async () => {
    const both = await invalidMessage(readCustomerSheet(await sheetOf([['E-mail', 'Phone'], ['a@example.com', '1']]), LIMITS));
    expect(both).toBe('the file has no "Customer code" (客户代码) or "Name" (客户名称) column; the first row must hold the column headers of the template');
    const one = await invalidMessage(readCustomerSheet(await sheetOf([['Name'], ['Acme']]), LIMITS));
    expect(one).toBe('the file has no "Customer code" (客户代码) column; the first row must hold the column headers of the template');
    const empty = await invalidMessage(readCustomerSheet(await sheetOf([]), LIMITS));
    expect(empty).toContain('"Customer code" (客户代码) or "Name" (客户名称)');
  });

  it('refuses a column named twice, with the two cells', async () => {
    const message = await invalidMessage(readCustomerSheet(await sheetOf([['Customer code', 'Name', 'customer_code'], ['A', 'B', 'C']]), LIMITS));
    expect(message).toContain('A1 and C1');
    expect(message).toContain('"Customer code" (客户代码)');
    // A read-only column twice is ignored like any read-only column.
    const rows = await readCustomerSheet(await sheetOf([['Customer code', 'Name', 'Balance', 'balance'], ['A', 'B', 1, 2]]), LIMITS);
    expect(rows).toEqual([{ rowNumber: 2, cells: { customerCode: 'A', name: 'B' } }]);
  });

  it('refuses more than maxRows non-blank rows, blank rows not counted', async () => {
    const rows: CellValue[][] = [['Customer code', 'Name'], ['A', 'a'], [null, null], ['B', 'b'], ['C', 'c']];
    const bytes = await sheetOf(rows);
    expect(await readCustomerSheet(bytes, { ...LIMITS, maxRows: 3 })).toHaveLength(3);
    const message = await invalidMessage(readCustomerSheet(bytes, { ...LIMITS, maxRows: 2 }));
    expect(message).toBe('the file has more than 2 customer rows; split it into files of at most 2 rows');
  });
});

describe('readCustomerSheet of bytes that are not an .xlsx', () => {
  it('stops parsing a worksheet of more than 2 × maxRows + 1000 rows, blank customer rows included', async () => {
    const rows: CellValue[][] = [['Customer code', 'Name', 'Other'], ['A', 'a'], ...Array.from({ length: 1_003 }, (): CellValue[] => [null, null, 'x'])];
    const bytes = await sheetOf(rows);
    expect(await readCustomerSheet(bytes, { ...LIMITS, maxRows: 3 })).toHaveLength(1);
    const message = await invalidMessage(readCustomerSheet(bytes, { ...LIMITS, maxRows: 2 }));
    expect(message).toBe('a worksheet of the file has more than 1004 rows (formatted empty rows count); delete the rows below the data, or split the file into files of at most 2 customer rows');
  });

  it('refuses random bytes, text, an empty file, an .xls, a damaged or foreign zip', async () => {
    const xlsx = await writeCustomerSheet(ROWS);
    const random = Buffer.from(Array.from({ length: 4_096 }, (_, index) => (index * 7919 + 13) % 251));
    random[0] = 0x00;
    const cases: [string, Uint8Array, RegExp][] = [
      ['random', random, /not a zip archive/],
      ['csv', Buffer.from('Customer code,Name\nC1,Acme\n客户,名称\n'), /text file \(CSV\?\).*save it as "Excel Workbook \(\.xlsx\)"/],
      ['empty', new Uint8Array(0), /empty/],
      ['xls', Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)]), /\.xls\).*save it as "Excel Workbook/],
      ['zip of text', zipOf({ 'hello.txt': 'hello' }), /holds no workbook/],
      ['ods', zipOf({ mimetype: 'application/vnd.oasis.opendocument.spreadsheet', 'content.xml': '<x/>' }), /OpenDocument/],
      ['truncated', xlsx.subarray(0, xlsx.length - 200), /damaged or incomplete zip/],
      ['only a zip header', Buffer.from([0x50, 0x4b, 3, 4, 1, 2, 3]), /damaged or incomplete zip/],
      ['corrupt entry', Buffer.concat([xlsx.subarray(0, 1_000), Buffer.alloc(400, 7), xlsx.subarray(1_400)]), /damaged/],
      ['no worksheet', zipOf({ 'xl/workbook.xml': '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets/></workbook>' }), /has no worksheet/],
      ['odd part names', zipOf({ 'xl/workbook.xml': '<workbook/>', 'xl/worksheets/data.xml': '<worksheet/>' }), /names this reader does not know/],
      ['bad xml', zipOf({ 'xl/workbook.xml': '<workbook><sheets>' , 'xl/worksheets/sheet1.xml': '<<<'}), /damaged/],
    ];
    for (const [name, bytes, reason] of cases) {
      const message = await invalidMessage(readCustomerSheet(bytes, LIMITS));
      expect(message, name).toMatch(/^the file is not an Excel workbook \(\.xlsx\): /);
      expect(message, name).toMatch(reason);
      expect(message, name).not.toContain('\n');
      expect(message.length, name).toBeLessThan(260);
    }
  });

  it('refuses a file over maxBytes, naming the limit in MB', async () => {
    const bytes = await writeCustomerSheet(ROWS);
    const message = await invalidMessage(readCustomerSheet(bytes, { maxRows: 10, maxBytes: bytes.length - 1 }));
    expect(message).toMatch(/^the file is larger than [\d.]+ MB/);
    expect(await invalidMessage(readCustomerSheet(Buffer.alloc(3 * 1_048_576 + 1), { maxRows: 10, maxBytes: 3 * 1_048_576 }))).toContain('larger than 3 MB');
  });

  it('refuses an archive that expands past the limit before decompressing it', async () => {
    const bomb = zipOf({ 'xl/workbook.xml': '<workbook/>', 'xl/worksheets/sheet1.xml': Buffer.alloc(65 * 1_048_576, 0x20) });
    expect(bomb.length).toBeLessThan(1_048_576);
    const message = await invalidMessage(readCustomerSheet(bomb, { maxRows: 10, maxBytes: 1_048_576 }));
    expect(message).toBe("the file's contents expand to more than 64 MB; split it into smaller files");
  });
});

describe('writeImportTemplate', () => {
  for (const locale of ['en', 'zh'] as const) {
    it(`(${locale}) has the import headers, two valid examples, checks and instructions`, async () => {
      const zh = locale === 'zh';
      const bytes = await writeImportTemplate({ locale });
      const workbook = await workbookOf(bytes);
      expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(zh ? ['客户导入', '填写说明'] : ['Customers', 'Instructions']);
      const sheet = workbook.worksheets[0];
      expect(sheet.getRow(1).values).toEqual([undefined, ...IMPORT_COLUMNS.map((column) => (zh ? column.headerZh : column.header))]);
      expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });

      const rows = await readCustomerSheet(bytes, LIMITS);
      expect(rows.map((row) => row.rowNumber)).toEqual([2, 3]);
      for (const { cells } of rows) {
        for (const column of IMPORT_COLUMNS.filter((c) => c.required)) expect(cells[column.key]).toBeTruthy();
        // Valid under the rules the help texts describe.
        parseCustomerCode(cells.customerCode ?? '');
        expect(parseCustomerType(cells.customerType ?? '')).not.toBe('');
        parseIndustry(cells.industry ?? '');
        parseAddress(cells.address ?? '');
        parseTaxNumber(cells.taxNumber ?? '');
        parseCountry(cells.country ?? '');
        parseRegion(cells.region ?? '');
        parsePaymentTerms(Number(cells.paymentTermsDays));
        if (cells.rating !== undefined) parseStars('rating', Number(cells.rating));
        expect(new Decimal(cells.creditLimit ?? 'NaN').gte(0)).toBe(true);
        expect(cells.email).toMatch(/^[^@\s]+@[^@\s]+\.[a-z]+$/);
        expect(cells.isActive).toBe('true');
      }
      expect(rows.map((row) => parseCustomerType(row.cells.customerType ?? ''))).toEqual(['enterprise', 'individual']);
      expect(rows.map((row) => [row.cells.country, row.cells.region])).toEqual([['CN', zh ? '北京市' : 'Beijing'], [undefined, undefined]]);

      const letter = (key: string) => sheet.getColumn(IMPORT_COLUMNS.findIndex((column) => column.key === key) + 1).letter;
      const type = sheet.getCell(`${letter('customerType')}2`).dataValidation;
      const typeNames = zh ? CUSTOMER_TYPES.map((t) => CUSTOMER_TYPE_NAMES_ZH[t]) : CUSTOMER_TYPES;
      expect(type).toMatchObject({ type: 'list', formulae: [`"${typeNames.join(',')}"`], showErrorMessage: true });
      expect(type.error).toBeTruthy();
      expect(sheet.getCell(`${letter('customerType')}1001`).dataValidation).toEqual(type);
      expect(sheet.getCell(`${letter('customerType')}1002`).dataValidation).toBeUndefined();
      expect(sheet.getCell(`${letter('customerType')}1`).dataValidation).toBeUndefined();
      expect(sheet.getCell(`${letter('rating')}500`).dataValidation).toMatchObject({ type: 'whole', operator: 'between', formulae: [1, 5] });
      expect(sheet.getCell(`${letter('isActive')}2`).dataValidation).toMatchObject({ type: 'list', formulae: ['"TRUE,FALSE"'] });
      expect(sheet.getCell(`${letter('paymentTermsDays')}2`).dataValidation).toMatchObject({ type: 'whole', formulae: [0, MAX_PAYMENT_TERMS_DAYS] });
      expect(sheet.getCell(`${letter('creditLimit')}2`).dataValidation).toMatchObject({ type: 'decimal', operator: 'greaterThanOrEqual', formulae: [0] });
      for (const key of ['rating', 'isActive', 'paymentTermsDays', 'creditLimit']) expect(sheet.getCell(`${letter(key)}2`).dataValidation.error).toBeTruthy();
      expect(sheet.getCell(`${letter('name')}2`).dataValidation).toBeUndefined();

      const instructions = workbook.worksheets[1];
      IMPORT_COLUMNS.forEach((column, index) => {
        const required = column.required ? (zh ? '是' : 'yes') : zh ? '否' : 'no';
        expect(instructions.getRow(index + 2).values).toEqual([undefined, column.header, column.headerZh, required, column.help]);
      });
      for (const column of EXPORT_ONLY_COLUMNS) {
        expect(sheet.getRow(1).values).not.toContain(column.header);
        expect(sheet.getRow(1).values).not.toContain(column.headerZh);
      }
    });
  }
});

describe('readCustomerJson', () => {
  it('matches camelCase, snake_case and header keys and converts values', () => {
    const text = JSON.stringify([
      { customer_code: ' C1 ', Name: 'Acme', 客户类型: '企业', creditLimit: 1234.5, is_active: false, RATING: 4, notes: null, phone: '  ', favourite: 'x', balance: '10.00' },
      { customerCode: 'C2', name: 'Bee', paymentTermsDays: 30, isActive: true, creditLimit: '0.10' },
    ]);
    expect(readCustomerJson(text, LIMITS)).toEqual([
      { rowNumber: 1, cells: { customerCode: 'C1', name: 'Acme', customerType: '企业', creditLimit: '1234.5', isActive: 'false', rating: '4' } },
      { rowNumber: 2, cells: { customerCode: 'C2', name: 'Bee', paymentTermsDays: '30', isActive: 'true', creditLimit: '0.10' } },
    ]);
  });

  it('reports rows that are not objects and fields of the wrong type as row problems', () => {
    const text = JSON.stringify([1, null, ['C1'], 'C1', { customerCode: 'C5', name: { first: 'a' } }, { customerCode: 'C6', notes: [1] }, { customerCode: 'A', customer_code: 'B' }, { customerCode: 'ok', name: 'fine' }]);
    expect(readCustomerJson(text, LIMITS)).toEqual([
      { rowNumber: 1, cells: {}, problem: 'row 1 is not an object' },
      { rowNumber: 2, cells: {}, problem: 'row 2 is not an object' },
      { rowNumber: 3, cells: {}, problem: 'row 3 is not an object' },
      { rowNumber: 4, cells: {}, problem: 'row 4 is not an object' },
      { rowNumber: 5, cells: {}, problem: 'field "name" must be a string, number or boolean' },
      { rowNumber: 6, cells: {}, problem: 'field "notes" must be a string, number or boolean' },
      { rowNumber: 7, cells: {}, problem: 'fields "customerCode" and "customer_code" both name the column "customerCode"; keep only one of them' },
      { rowNumber: 8, cells: { customerCode: 'ok', name: 'fine' } },
    ]);
  });

  it('ignores a byte-order mark', () => {
    expect(readCustomerJson('\uFEFF[{"customerCode":"A"}]', LIMITS)).toEqual([{ rowNumber: 1, cells: { customerCode: 'A' } }]);
  });

  it('refuses JSON that is not an array', () => {
    for (const text of ['{"customers": []}', '"x"', 'null', '42']) {
      expect(syncInvalidMessage(() => readCustomerJson(text, LIMITS))).toMatch(/^the import must be a JSON array of customer objects, not (an object|a string|null|a number)$/);
    }
  });

  it('refuses text that is not JSON, with the position of the error', () => {
    expect(syncInvalidMessage(() => readCustomerJson('[{"customerCode": tru}]', LIMITS))).toBe(
      'the import is not valid JSON (a JSON array of customer objects is expected): unexpected "t" where a value was expected at line 1, column 19 (position 18)',
    );
    expect(syncInvalidMessage(() => readCustomerJson('[\n  {"customerCode": "A"},\n  ,\n]', LIMITS))).toContain('unexpected "," where a value was expected at line 3, column 3 (position 29)');
    expect(syncInvalidMessage(() => readCustomerJson('', LIMITS))).toContain('the text ends before the JSON is complete at line 1, column 1 (position 0)');
    expect(syncInvalidMessage(() => readCustomerJson('[{"a": "x\ny"}]', LIMITS))).toContain('control character');
  });

  it('refuses more than maxRows elements or maxBytes characters', () => {
    const two = JSON.stringify([{ customerCode: 'A' }, { customerCode: 'B' }]);
    expect(readCustomerJson(two, { maxRows: 2, maxBytes: two.length })).toHaveLength(2);
    expect(syncInvalidMessage(() => readCustomerJson(two, { maxRows: 1, maxBytes: 1_000 }))).toBe('the import has more than 1 customer rows; split it into imports of at most 1 rows');
    expect(syncInvalidMessage(() => readCustomerJson(two, { maxRows: 10, maxBytes: two.length - 1 }))).toMatch(/^the import has more than \d+ characters \([\d.]+ MB\)/);
  });
});

describe('jsonSyntaxError', () => {
  it('agrees with JSON.parse on what is valid, and with V8 on the position where V8 gives one', () => {
    const samples = ['[]', '{}', ' [1, -2.5e+3, "a\\u00e9\\n", true, false, null, {"a": [{}]}] ', '[1,]', '[1 2]', '{"a":1,}', '', '[', '[01]', '[1]x', '["a\nb"]', '{"a" 1}', '{1: 2}', '[-]', '[-a]', '[1.]', '[1.e5]', '[1e]', '[1e+]', '["\\x"]', '["\\u12"]', '"abc', 'nul', '[[[[[[]]]]]]', '[[[[[[]]]]]', '\u00a0[1]'];
    for (const text of samples) {
      let v8Position: number | null | undefined;
      try {
        JSON.parse(text);
      } catch (error) {
        const match = /at position (\d+)/.exec(error instanceof Error ? error.message : '');
        v8Position = match === null ? null : Number(match[1]);
      }
      const found = jsonSyntaxError(text);
      expect(found === null, text).toBe(v8Position === undefined);
      if (typeof v8Position === 'number') expect(found?.position, text).toBe(v8Position);
    }
  });

  it('copes with deep nesting', () => {
    expect(jsonSyntaxError(`${'['.repeat(100_000)}${']'.repeat(100_000)}`)).toBeNull();
    expect(jsonSyntaxError(`${'['.repeat(100_000)}`)?.position).toBe(100_000);
  });
});

describe('10,000 customers', () => {
  it('round-trips an export of 10,000 rows', async () => {
    const rows = Array.from({ length: 10_000 }, (_, index) =>
      exportRow({
        customerCode: `C${String(index).padStart(6, '0')}`,
        name: `客户 ${index} Customer`,
        customerType: CUSTOMER_TYPES[index % 4],
        industry: index % 3 === 0 ? null : 'Retail',
        contactPerson: `Contact ${index}`,
        phone: `+86 138 ${String(index).padStart(8, '0')}`,
        email: `c${index}@example.com`,
        address: `${index} Road`,
        creditLimit: `${index}.${String(index % 100).padStart(2, '0')}`,
        paymentTermsDays: index % 90,
        rating: (index % 5) + 1,
        notes: index % 7 === 0 ? '=HYPERLINK("x")' : null,
        isActive: index % 2 === 0,
        balance: `-${index}.05`,
        totalOrders: index,
        createdAt: '2024-01-01T00:00:00Z',
      }),
    );
    const started = performance.now();
    const bytes = await writeCustomerSheet(rows);
    const written = performance.now();
    const read = await readCustomerSheet(bytes, { maxRows: 10_000, maxBytes: 10 * 1_048_576 });
    const done = performance.now();
    console.info(`10,000 rows: write ${Math.round(written - started)} ms, read ${Math.round(done - written)} ms, ${(bytes.length / 1_048_576).toFixed(2)} MB`);
    expect(read).toHaveLength(10_000);
    read.forEach((row, index) => {
      expect(row.rowNumber).toBe(index + 2);
      expectSameCells(row.cells, rows[index]);
    });
    await expect(readCustomerSheet(bytes, { maxRows: 9_999, maxBytes: 10 * 1_048_576 })).rejects.toThrow('more than 9999 customer rows');
  });
});
