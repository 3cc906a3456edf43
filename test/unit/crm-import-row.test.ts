import { describe, expect, it } from 'vitest';
import { parseImportRow, planRow, refuseDuplicateCodes, type ParsedRow, type RowError } from '../../src/domain/crm/import-row.ts';
import type { ImportKey, RawImportRow } from '../../src/domain/crm/customer-sheet.ts';
import type { CustomerState } from '../../src/domain/customers/customer.ts';

/** A data row numbered 2 (the first under the header) with `cells`. */
function row(cells: Partial<Record<ImportKey, string>>, rowNumber = 2): RawImportRow {
  return { rowNumber, cells };
}

/** The parsed row of `raw`; fails when it is an error. */
function parsed(raw: RawImportRow): ParsedRow {
  const result = parseImportRow(raw);
  if (!('fields' in result)) throw new Error(`expected a valid row, got: ${result.message}`);
  return result;
}

/** The error of `raw`; fails when the row is valid. */
function rowError(raw: RawImportRow): RowError {
  const result = parseImportRow(raw);
  if ('fields' in result) throw new Error(`expected a row error, got fields ${JSON.stringify(result.fields)}`);
  return result;
}

/** The fields (without the code) a row with `cells` and the code C1 gives. */
function fieldsOf(cells: Partial<Record<ImportKey, string>>): Record<string, unknown> {
  const { customerCode, ...rest } = parsed(row({ customerCode: 'C1', ...cells })).fields;
  expect(customerCode).toBe('C1');
  return rest;
}

const EARLIER = '2026-11-01T00:00:00Z';

function customer(overrides: Partial<CustomerState> = {}): CustomerState {
  return {
    id: 'c1', name: 'ACME', contactPerson: 'Li Lei', email: 'ops@acme.example', phone: '+86 10 1234', company: 'ACME Ltd', notes: 'key account', balance: '50.00',
    creditLimit: '1000.00', isActive: true, canCreateApiKeys: false, customerCode: 'C000001', customerType: 'enterprise', industry: 'Hosting', address: '1 Road',
    paymentTermsDays: 30, taxNumber: '9131-X', country: 'CN', region: 'Shanghai', rating: 4, ratingNotes: 'pays on time', deletedAt: null, version: 7, createdAt: EARLIER, updatedAt: EARLIER, ...overrides,
  };
}

/** Cells that say exactly what `customer()` holds, in the spellings a spreadsheet may use. */
const SAME_CELLS: Partial<Record<ImportKey, string>> = {
  customerCode: 'c000001', name: ' ACME ', customerType: '企业', industry: 'Hosting', contactPerson: 'Li Lei', phone: '+86 10 1234', email: 'OPS@ACME.example',
  company: 'ACME Ltd', address: '1 Road', creditLimit: '1000', paymentTermsDays: '30.0', taxNumber: '9131-X', country: 'cn', region: ' Shanghai ', rating: '4', ratingNotes: 'pays on time',
  notes: 'key account', isActive: 'TRUE',
};

describe('parseImportRow: the customer code', () => {
  it('is required, trimmed, and the only field of a row that gives nothing else', () => {
    expect(parseImportRow(row({ customerCode: ' C-001 ' }))).toEqual({ rowNumber: 2, customerCode: 'C-001', fields: { customerCode: 'C-001' } });
  });

  it('missing or blank: a row error on customer_code', () => {
    expect(parseImportRow(row({ name: 'ACME' }, 7))).toEqual({ rowNumber: 7, customerCode: '', field: 'customer_code', message: 'Customer code (customer_code): customer_code is required' });
    // The code as written is kept in the error.
    expect(parseImportRow(row({ customerCode: '   ', name: 'ACME' }, 8))).toEqual({ rowNumber: 8, customerCode: '   ', field: 'customer_code', message: 'Customer code (customer_code): customer_code is required' });
  });

  it('malformed or too long: a row error quoting the code', () => {
    expect(parseImportRow(row({ customerCode: 'C 01' }))).toEqual({
      rowNumber: 2, customerCode: 'C 01', field: 'customer_code',
      message: 'Customer code (customer_code): customer_code "C 01" may hold letters, digits and - _ . / only, and must start with a letter or digit',
    });
    expect(rowError(row({ customerCode: 'x'.repeat(51) })).message).toBe('Customer code (customer_code): customer_code must be at most 50 characters, got 51');
  });

  it('may be in any script', () => {
    expect(parsed(row({ customerCode: '客户-01' })).customerCode).toBe('客户-01');
  });
});

describe('parseImportRow: each field', () => {
  it('a full row, normalised as stored', () => {
    const result = parseImportRow(row({
      customerCode: 'ACME-01', name: ' ACME Ltd ', customerType: '经销商', industry: ' Hosting ', contactPerson: 'Li Lei', phone: '+86 (10) 1234-5678', email: ' Ops@ACME.Example ',
      company: 'ACME', address: '1 Road', creditLimit: '10000', paymentTermsDays: '45', taxNumber: '91310000-X', country: 'de', region: ' Bavaria ', rating: '4', ratingNotes: 'reliable', notes: 'n',
      isActive: '是',
    }, 3));
    expect(result).toEqual({
      rowNumber: 3,
      customerCode: 'ACME-01',
      fields: {
        customerCode: 'ACME-01', name: 'ACME Ltd', customerType: 'distributor', industry: 'Hosting', contactPerson: 'Li Lei', phone: '+86 (10) 1234-5678', email: 'ops@acme.example',
        company: 'ACME', address: '1 Road', creditLimit: '10000.00', paymentTermsDays: 45, taxNumber: '91310000-X', country: 'DE', region: 'Bavaria', rating: 4, ratingNotes: 'reliable', notes: 'n',
        isActive: true,
      },
    });
  });

  it('leaves blank cells out (not given)', () => {
    expect(fieldsOf({ name: '   ', email: '', creditLimit: ' ', isActive: '' })).toEqual({});
  });

  describe('credit limit (money)', () => {
    it('accepts whole and decimal amounts up to two places, shown with two', () => {
      expect(fieldsOf({ creditLimit: '10000' })).toEqual({ creditLimit: '10000.00' });
      expect(fieldsOf({ creditLimit: '0.5' })).toEqual({ creditLimit: '0.50' });
      expect(fieldsOf({ creditLimit: '0' })).toEqual({ creditLimit: '0.00' });
      expect(fieldsOf({ creditLimit: ' 1234.56 ' })).toEqual({ creditLimit: '1234.56' });
      expect(fieldsOf({ creditLimit: '9999999999.99' })).toEqual({ creditLimit: '9999999999.99' });
    });
    it('refuses negative amounts, three places, exponents and thousands separators', () => {
      const error = (creditLimit: string): RowError => rowError(row({ customerCode: 'C1', creditLimit }, 5));
      expect(error('-1')).toEqual({ rowNumber: 5, customerCode: 'C1', field: 'credit_limit', message: 'Credit limit (credit_limit): credit_limit must not be negative (got "-1")' });
      const places = 'must be a decimal amount with at most 2 decimal places, such as "10.50"';
      expect(error('1.234').message).toBe(`Credit limit (credit_limit): credit_limit ${places} (got "1.234")`);
      expect(error('1e3').message).toBe(`Credit limit (credit_limit): credit_limit ${places} (got "1e3")`);
      expect(error('1,000').message).toBe(`Credit limit (credit_limit): credit_limit ${places} (got "1,000")`);
      expect(error('10000000000').message).toBe(`Credit limit (credit_limit): credit_limit ${places} (got "10000000000")`);
      expect(error('abc').field).toBe('credit_limit');
    });
  });

  describe('payment terms (whole days)', () => {
    it('accepts 0 to 3650, written as whole numbers (a trailing .0 too)', () => {
      expect(fieldsOf({ paymentTermsDays: '0' })).toEqual({ paymentTermsDays: 0 });
      expect(fieldsOf({ paymentTermsDays: '3650' })).toEqual({ paymentTermsDays: 3650 });
      expect(fieldsOf({ paymentTermsDays: '30.0' })).toEqual({ paymentTermsDays: 30 });
      expect(fieldsOf({ paymentTermsDays: '030' })).toEqual({ paymentTermsDays: 30 });
    });
    it('refuses fractions and words as not whole, and out-of-range days', () => {
      const message = (paymentTermsDays: string): string => rowError(row({ customerCode: 'C1', paymentTermsDays })).message;
      expect(message('7.5')).toBe('Payment terms (days) (payment_terms_days): payment_terms_days must be a whole number (got "7.5")');
      expect(message('ten')).toBe('Payment terms (days) (payment_terms_days): payment_terms_days must be a whole number (got "ten")');
      expect(message('3651')).toBe('Payment terms (days) (payment_terms_days): payment_terms_days must be a whole number of days from 0 to 3650 (got 3651)');
      expect(message('-1')).toBe('Payment terms (days) (payment_terms_days): payment_terms_days must be a whole number of days from 0 to 3650 (got -1)');
      expect(rowError(row({ customerCode: 'C1', paymentTermsDays: '7.5' })).field).toBe('payment_terms_days');
    });
  });

  describe('rating (whole stars 1-5)', () => {
    it('accepts 1 to 5', () => {
      for (const stars of [1, 2, 3, 4, 5]) expect(fieldsOf({ rating: String(stars) })).toEqual({ rating: stars });
      expect(fieldsOf({ rating: '5.0' })).toEqual({ rating: 5 });
    });
    it('refuses 0, 6 and fractions (a blank cell, not 0, leaves the rating alone)', () => {
      const error = (rating: string): RowError => rowError(row({ customerCode: 'C1', rating }));
      expect(error('0')).toEqual({ rowNumber: 2, customerCode: 'C1', field: 'rating', message: 'Rating (rating): rating must be a whole number of stars from 1 to 5 (got 0)' });
      expect(error('6').message).toBe('Rating (rating): rating must be a whole number of stars from 1 to 5 (got 6)');
      expect(error('4.5').message).toBe('Rating (rating): rating must be a whole number (got "4.5")');
      expect(error('★★★').message).toBe('Rating (rating): rating must be a whole number (got "★★★")');
    });
  });

  describe('active (boolean)', () => {
    it('reads TRUE / yes / y / 1 / 是 / on in any case as true', () => {
      for (const word of ['TRUE', 'true', 'True', 'yes', 'YES', 'y', '1', '是', 'on', 'ON']) expect({ word, fields: fieldsOf({ isActive: word }) }).toEqual({ word, fields: { isActive: true } });
    });
    it('reads FALSE / no / n / 0 / 否 / off in any case as false', () => {
      for (const word of ['FALSE', 'false', 'No', 'n', '0', '否', 'off', 'OFF']) expect({ word, fields: fieldsOf({ isActive: word }) }).toEqual({ word, fields: { isActive: false } });
    });
    it('refuses anything else', () => {
      expect(rowError(row({ customerCode: 'C1', isActive: 'maybe' }))).toEqual({ rowNumber: 2, customerCode: 'C1', field: 'is_active', message: 'Active (is_active): is_active must be TRUE or FALSE (got "maybe")' });
      for (const word of ['2', 'yes!', '真', 't', 'ja']) expect(rowError(row({ customerCode: 'C1', isActive: word })).field).toBe('is_active');
    });
  });

  describe('type', () => {
    it('accepts keys in any case and the Chinese names, stored as keys', () => {
      expect(fieldsOf({ customerType: 'ENTERPRISE' })).toEqual({ customerType: 'enterprise' });
      expect(fieldsOf({ customerType: '个人' })).toEqual({ customerType: 'individual' });
      expect(fieldsOf({ customerType: '零售' })).toEqual({ customerType: 'retail' });
    });
    it('refuses an unknown type', () => {
      expect(rowError(row({ customerCode: 'C1', customerType: 'wholesale' }))).toEqual({
        rowNumber: 2, customerCode: 'C1', field: 'customer_type',
        message: 'Type (customer_type): customer_type "wholesale" is not one of enterprise, individual, distributor, retail (or 企业, 个人, 经销商, 零售)',
      });
    });
  });

  describe('text fields', () => {
    const error = (cells: Partial<Record<ImportKey, string>>): RowError => rowError(row({ customerCode: 'C1', ...cells }));

    it('name: at most 255 characters', () => {
      expect(fieldsOf({ name: 'n'.repeat(255) })).toEqual({ name: 'n'.repeat(255) });
      expect(error({ name: 'n'.repeat(256) })).toEqual({ rowNumber: 2, customerCode: 'C1', field: 'name', message: 'Name (name): name must be at most 255 characters, got 256' });
    });
    it('contact person and company: at most 255 characters', () => {
      expect(error({ contactPerson: 'p'.repeat(256) })).toMatchObject({ field: 'contact_person', message: 'Contact person (contact_person): contact_person must be at most 255 characters, got 256' });
      expect(error({ company: 'c'.repeat(256) })).toMatchObject({ field: 'company', message: 'Company (company): company must be at most 255 characters, got 256' });
    });
    it('phone: digits, spaces and + ( ) - . only', () => {
      expect(error({ phone: '010-1234 ext 5' })).toMatchObject({ field: 'phone', message: 'Phone (phone): phone may hold digits, spaces and + ( ) - . only, at most 32 characters' });
      expect(error({ phone: '1'.repeat(33) }).field).toBe('phone');
    });
    it('e-mail: a valid address, lower-cased', () => {
      expect(fieldsOf({ email: 'Li.Lei@Example.CN' })).toEqual({ email: 'li.lei@example.cn' });
      expect(error({ email: 'not-an-address' })).toMatchObject({ field: 'email', message: 'E-mail (email): email "not-an-address" is not a valid e-mail address' });
    });
    it('industry and address: length and control characters', () => {
      expect(error({ industry: 'i'.repeat(101) })).toMatchObject({ field: 'industry', message: 'Industry (industry): industry must be at most 100 characters, got 101' });
      expect(error({ industry: 'cloud\u0001hosting' })).toMatchObject({ field: 'industry', message: 'Industry (industry): industry must not contain control characters' });
      expect(error({ address: 'a'.repeat(501) })).toMatchObject({ field: 'address', message: 'Address (address): address must be at most 500 characters, got 501' });
    });
    it('tax number: letters, digits, - . and spaces, at most 64', () => {
      expect(error({ taxNumber: 'AB#12' })).toMatchObject({ field: 'tax_number', message: 'Tax number (tax_number): tax_number "AB#12" may hold letters, digits, - . and spaces only' });
      expect(error({ taxNumber: '1'.repeat(65) })).toMatchObject({ field: 'tax_number', message: 'Tax number (tax_number): tax_number must be at most 64 characters, got 65' });
    });
    it('country: two letters, upper-cased; region: trimmed, at most 64', () => {
      expect(fieldsOf({ country: ' cn ', region: ' Shanghai ' })).toEqual({ country: 'CN', region: 'Shanghai' });
      expect(error({ country: 'China' })).toMatchObject({ field: 'country', message: 'Country (country): country must be a two-letter ISO 3166-1 country code such as "DE" (got "China")' });
      expect(error({ country: 'C1' }).field).toBe('country');
      expect(error({ region: 'r'.repeat(65) })).toMatchObject({ field: 'region', message: 'Region (region): region must be at most 64 characters, got 65' });
    });
    it('rating notes: at most 1000; notes: at most 10000, line breaks allowed', () => {
      expect(error({ ratingNotes: 'r'.repeat(1001) })).toMatchObject({ field: 'rating_notes', message: 'Rating notes (rating_notes): rating_notes must be at most 1000 characters, got 1001' });
      expect(error({ notes: 'n'.repeat(10_001) })).toMatchObject({ field: 'notes', message: 'Notes (notes): notes must be at most 10000 characters, got 10001' });
      expect(fieldsOf({ notes: 'line 1\nline 2', ratingNotes: 'a\nb' })).toEqual({ notes: 'line 1\nline 2', ratingNotes: 'a\nb' });
    });
  });
});

describe('parseImportRow: which error a row reports', () => {
  it('the first bad field in the template’s column order, whatever the order of the cells', () => {
    // Columns: name (2nd) < email (7th) < credit limit (10th) < active (18th).
    const cells: Partial<Record<ImportKey, string>> = { isActive: 'maybe', creditLimit: '-1', email: 'bad', name: 'n'.repeat(256), customerCode: 'C1' };
    expect(rowError(row(cells)).field).toBe('name');
    expect(rowError(row({ ...cells, name: 'ACME' })).field).toBe('email');
    expect(rowError(row({ ...cells, name: 'ACME', email: 'a@b.example' })).field).toBe('credit_limit');
    expect(rowError(row({ ...cells, name: 'ACME', email: 'a@b.example', creditLimit: '1' })).field).toBe('is_active');
  });

  it('a bad code before any other field', () => {
    expect(rowError(row({ name: 'n'.repeat(256), customerCode: 'bad code' })).field).toBe('customer_code');
  });

  it('the code as written, not trimmed, in a field error', () => {
    expect(rowError(row({ customerCode: ' C1 ', email: 'bad' }, 9))).toMatchObject({ rowNumber: 9, customerCode: ' C1 ', field: 'email' });
  });

  it('a row that cannot be read at all: its problem, no field', () => {
    expect(parseImportRow({ rowNumber: 4, cells: {}, problem: 'element 4 is not an object' })).toEqual({ rowNumber: 4, customerCode: '', field: '', message: 'element 4 is not an object' });
  });
});

describe('refuseDuplicateCodes', () => {
  it('keeps first occurrences and makes later ones (whatever their case) errors naming the first row', () => {
    const first = parsed(row({ customerCode: 'C1', name: 'A' }, 2));
    const again = parsed(row({ customerCode: 'c1', name: 'B' }, 3));
    const other = parsed(row({ customerCode: 'C2' }, 4));
    const third = parsed(row({ customerCode: ' C1 ' }, 5));
    const bad = rowError(row({ customerCode: 'C3', email: 'x' }, 6));
    const result = refuseDuplicateCodes([first, again, other, third, bad]);
    expect(result).toEqual([
      first,
      { rowNumber: 3, customerCode: 'c1', field: 'customer_code', message: 'Customer code (customer_code): "c1" appears in row 2 already; each customer may appear once per file' },
      other,
      { rowNumber: 5, customerCode: 'C1', field: 'customer_code', message: 'Customer code (customer_code): "C1" appears in row 2 already; each customer may appear once per file' },
      bad,
    ]);
    expect(result[0]).toBe(first);
    expect(result[4]).toBe(bad);
  });

  it('lets a row refused for another field claim its code: the later row of that code is an error too', () => {
    const refused = rowError(row({ customerCode: 'C9', email: 'not-an-address' }, 2));
    const later = parsed(row({ customerCode: 'c9', name: 'Fixed' }, 3));
    expect(refuseDuplicateCodes([refused, later])).toEqual([
      refused,
      { rowNumber: 3, customerCode: 'c9', field: 'customer_code', message: 'Customer code (customer_code): "c9" appears in row 2 already; each customer may appear once per file' },
    ]);
  });

  it('leaves rows with distinct codes alone and an empty list empty', () => {
    const rows = [parsed(row({ customerCode: 'A' }, 2)), parsed(row({ customerCode: 'AB' }, 3)), parsed(row({ customerCode: 'A-' }, 4))];
    expect(refuseDuplicateCodes(rows)).toEqual(rows);
    expect(refuseDuplicateCodes([])).toEqual([]);
  });

  it('does not change the list it is given', () => {
    const rows = [parsed(row({ customerCode: 'A' }, 2)), parsed(row({ customerCode: 'a' }, 3))];
    const copy = structuredClone(rows);
    refuseDuplicateCodes(rows);
    expect(rows).toEqual(copy);
  });
});

describe('planRow: a new customer', () => {
  it('needs a name', () => {
    expect(planRow(parsed(row({ customerCode: 'C9', email: 'a@b.example' }, 6)), null)).toEqual({
      rowNumber: 6, customerCode: 'C9', field: 'name', message: 'Name (name): name is required for a new customer',
    });
  });

  it('is created with the fields given and its code', () => {
    expect(planRow(parsed(row({ customerCode: ' C9 ', name: 'New Co', creditLimit: '500', isActive: 'no' })), null)).toEqual({
      kind: 'create', fields: { customerCode: 'C9', name: 'New Co', creditLimit: '500.00', isActive: false },
    });
  });
});

describe('planRow: an existing customer', () => {
  it('is unchanged when every given cell says what it holds (compared by value, code case ignored)', () => {
    expect(planRow(parsed(row(SAME_CELLS)), customer())).toEqual({ kind: 'unchanged' });
    expect(planRow(parsed(row({ customerCode: 'C000001' })), customer())).toEqual({ kind: 'unchanged' });
    expect(planRow(parsed(row({ customerCode: 'C000001', creditLimit: '1000.0', rating: '4.0', isActive: 'yes', paymentTermsDays: '30' })), customer())).toEqual({ kind: 'unchanged' });
  });

  it('updates only the fields that differ', () => {
    const plan = planRow(parsed(row({ ...SAME_CELLS, name: 'ACME Group', industry: 'Hosting', creditLimit: '1000.01' })), customer());
    expect(plan).toEqual({ kind: 'update', changes: { name: 'ACME Group', creditLimit: '1000.01' } });
  });

  it('never renames the code, even when its case differs', () => {
    expect(planRow(parsed(row({ customerCode: 'c000001', name: 'Renamed' })), customer())).toEqual({ kind: 'update', changes: { name: 'Renamed' } });
  });

  it('sets a rating, payment terms and the active flag where they differ by value', () => {
    const none = customer({ rating: null, paymentTermsDays: null });
    expect(planRow(parsed(row({ customerCode: 'C000001', rating: '4', paymentTermsDays: '30', isActive: '0' })), none)).toEqual({
      kind: 'update', changes: { rating: 4, paymentTermsDays: 30, isActive: false },
    });
    expect(planRow(parsed(row({ customerCode: 'C000001', rating: '5' })), customer())).toEqual({ kind: 'update', changes: { rating: 5 } });
    expect(planRow(parsed(row({ customerCode: 'C000001', isActive: 'TRUE' })), customer({ isActive: false }))).toEqual({ kind: 'update', changes: { isActive: true } });
    expect(planRow(parsed(row({ customerCode: 'C000001', paymentTermsDays: '0' })), customer())).toEqual({ kind: 'update', changes: { paymentTermsDays: 0 } });
    expect(planRow(parsed(row({ customerCode: 'C000001', creditLimit: '0' })), customer())).toEqual({ kind: 'update', changes: { creditLimit: '0.00' } });
  });

  it('compares the type by its stored key and the e-mail lower-cased', () => {
    expect(planRow(parsed(row({ customerCode: 'C000001', customerType: '零售', email: 'Ops@Acme.Example' })), customer())).toEqual({ kind: 'update', changes: { customerType: 'retail' } });
  });

  it('compares the country upper-cased and the region trimmed', () => {
    expect(planRow(parsed(row({ customerCode: 'C000001', country: 'cn', region: 'Shanghai ' })), customer())).toEqual({ kind: 'unchanged' });
    expect(planRow(parsed(row({ customerCode: 'C000001', country: 'de', region: 'Bavaria' })), customer())).toEqual({ kind: 'update', changes: { country: 'DE', region: 'Bavaria' } });
  });

  it('does not need a name', () => {
    expect(planRow(parsed(row({ customerCode: 'C000001', industry: 'Telecom' })), customer())).toEqual({ kind: 'update', changes: { industry: 'Telecom' } });
  });
});
