import { describe, expect, it } from 'vitest';
import { refusal } from '../support/refusal.ts';
import {
  CUSTOMER_TYPES,
  CUSTOMER_TYPE_NAMES_ZH,
  DEFAULT_STARS,
  MAX_ADDRESS_CHARS,
  MAX_CODE_CHARS,
  MAX_INDUSTRY_CHARS,
  MAX_PAYMENT_TERMS_DAYS,
  MAX_RATING_NOTES_CHARS,
  MAX_REGION_CHARS,
  MAX_TAX_NUMBER_CHARS,
  parseAddress,
  parseCountry,
  parseCustomerCode,
  parseCustomerType,
  parseIndustry,
  parseManualRating,
  parsePaymentTerms,
  parseRatingNotes,
  parseRegion,
  parseTaxNumber,
  ratingInForce,
  requireCustomerType,
} from '../../src/domain/crm/profile.ts';
import { EXPORT_COLUMNS, EXPORT_ONLY_COLUMNS, IMPORT_COLUMNS, columnOfHeader, normaliseHeader, type SheetColumn } from '../../src/domain/crm/customer-sheet.ts';

/** The invalid_argument message `run` throws (fails when it throws anything else or nothing). */
function invalidMessage(run: () => unknown): string {
  const error = refusal(run);
  expect(error.kind).toBe('invalid_argument');
  return error.message;
}

const TYPE_CHOICES = 'enterprise, individual, distributor, retail (or 企业, 个人, 经销商, 零售)';

describe('profile constants', () => {
  it('are the document’s types, Chinese names and limits', () => {
    expect(CUSTOMER_TYPES).toEqual(['enterprise', 'individual', 'distributor', 'retail']);
    expect(CUSTOMER_TYPE_NAMES_ZH).toEqual({ enterprise: '企业', individual: '个人', distributor: '经销商', retail: '零售' });
    expect([MAX_CODE_CHARS, MAX_INDUSTRY_CHARS, MAX_ADDRESS_CHARS, MAX_TAX_NUMBER_CHARS, MAX_RATING_NOTES_CHARS, MAX_PAYMENT_TERMS_DAYS]).toEqual([50, 100, 500, 64, 1000, 3650]);
    expect(DEFAULT_STARS).toBe(3);
  });
});

describe('parseCustomerCode', () => {
  it('returns the code trimmed', () => {
    expect(parseCustomerCode('  C000001 \t')).toBe('C000001');
  });

  it('folds full-width forms typed with an input method (NFKC), so they are the same code', () => {
    expect(parseCustomerCode('Ｃ０００００１')).toBe('C000001');
    expect(parseCustomerCode('ＡＢ－１')).toBe('AB-1');
    expect(invalidMessage(() => parseCustomerCode('C½'))).toMatch(/^customer_code "C1⁄2" may hold letters, digits and - _ \. \/ only/);
  });

  it('accepts letters of any script, digits and - _ . / after a first letter or digit', () => {
    for (const code of ['C000001', 'acme-01_eu.west/2', '1abc', 'x', '客户01', 'Kunde-Ä', '٣٤']) {
      expect(parseCustomerCode(code)).toBe(code);
    }
  });

  it('accepts exactly 50 characters and refuses 51 with the count', () => {
    expect(parseCustomerCode('a'.repeat(50))).toBe('a'.repeat(50));
    expect(invalidMessage(() => parseCustomerCode('a'.repeat(51)))).toBe('customer_code must be at most 50 characters, got 51');
    // The length is taken after trimming: 50 characters with spaces around are fine.
    expect(parseCustomerCode(`  ${'b'.repeat(50)}  `)).toBe('b'.repeat(50));
  });

  it('refuses an empty or blank code as required', () => {
    expect(invalidMessage(() => parseCustomerCode(''))).toBe('customer_code is required');
    expect(invalidMessage(() => parseCustomerCode('   '))).toBe('customer_code is required');
  });

  it('refuses spaces, other punctuation and a leading separator, quoting the code', () => {
    const rule = 'may hold letters, digits and - _ . / only, and must start with a letter or digit';
    expect(invalidMessage(() => parseCustomerCode('C 01'))).toBe(`customer_code "C 01" ${rule}`);
    for (const code of ['-C01', '_C01', '.C01', '/C01', 'C#01', 'C@01', 'C01!', 'C\t01', 'C,01']) {
      expect(invalidMessage(() => parseCustomerCode(code))).toContain(rule);
    }
  });

  it('quotes a control character as ? in its message', () => {
    expect(invalidMessage(() => parseCustomerCode('C\u000101'))).toBe('customer_code "C?01" may hold letters, digits and - _ . / only, and must start with a letter or digit');
  });
});

describe('parseCustomerType', () => {
  it('is "" (not set) for an empty or blank value', () => {
    expect(parseCustomerType('')).toBe('');
    expect(parseCustomerType('   ')).toBe('');
  });

  it('accepts each English key in any case, trimmed', () => {
    for (const type of CUSTOMER_TYPES) {
      expect(parseCustomerType(type)).toBe(type);
      expect(parseCustomerType(type.toUpperCase())).toBe(type);
      expect(parseCustomerType(` ${type[0].toUpperCase()}${type.slice(1)} `)).toBe(type);
    }
  });

  it('accepts the document’s Chinese names and stores the English key', () => {
    expect(parseCustomerType('企业')).toBe('enterprise');
    expect(parseCustomerType('个人')).toBe('individual');
    expect(parseCustomerType('经销商')).toBe('distributor');
    expect(parseCustomerType(' 零售 ')).toBe('retail');
  });

  it('refuses anything else, listing the choices', () => {
    expect(invalidMessage(() => parseCustomerType('vip'))).toBe(`customer_type "vip" is not one of ${TYPE_CHOICES}`);
    expect(invalidMessage(() => parseCustomerType('企 业'))).toBe(`customer_type "企 业" is not one of ${TYPE_CHOICES}`);
    expect(invalidMessage(() => parseCustomerType('enterprises'))).toBe(`customer_type "enterprises" is not one of ${TYPE_CHOICES}`);
    expect(invalidMessage(() => parseCustomerType('经销'))).toBe(`customer_type "经销" is not one of ${TYPE_CHOICES}`);
  });
});

describe('requireCustomerType', () => {
  it('refuses "" and returns a given type', () => {
    expect(invalidMessage(() => requireCustomerType(''))).toBe('customer_type is required: one of enterprise, individual, distributor, retail');
    expect(invalidMessage(() => requireCustomerType('  '))).toBe('customer_type is required: one of enterprise, individual, distributor, retail');
    expect(requireCustomerType('个人')).toBe('individual');
    expect(requireCustomerType('Distributor')).toBe('distributor');
  });
  it('still refuses an unknown type with the parse message', () => {
    expect(invalidMessage(() => requireCustomerType('x'))).toBe(`customer_type "x" is not one of ${TYPE_CHOICES}`);
  });
});

describe('parseIndustry and parseAddress', () => {
  it('trim and keep the text', () => {
    expect(parseIndustry('  Cloud hosting ')).toBe('Cloud hosting');
    expect(parseIndustry('   ')).toBe('');
    expect(parseAddress(' 上海市浦东新区 1 号 ')).toBe('上海市浦东新区 1 号');
  });

  it('accept the longest value and refuse one character more, counted after trimming', () => {
    expect(parseIndustry(` ${'i'.repeat(100)} `)).toBe('i'.repeat(100));
    expect(invalidMessage(() => parseIndustry('i'.repeat(101)))).toBe('industry must be at most 100 characters, got 101');
    expect(parseAddress('a'.repeat(500))).toBe('a'.repeat(500));
    expect(invalidMessage(() => parseAddress('a'.repeat(501)))).toBe('address must be at most 500 characters, got 501');
  });

  it('refuse control characters inside the text', () => {
    expect(invalidMessage(() => parseIndustry('cloud\u0000hosting'))).toBe('industry must not contain control characters');
    expect(invalidMessage(() => parseAddress('line 1\nline 2'))).toBe('address must not contain control characters');
    expect(invalidMessage(() => parseAddress('a\u007fb'))).toBe('address must not contain control characters');
    // At the ends they are whitespace and trimmed away.
    expect(parseAddress('\n1 Road\t')).toBe('1 Road');
  });
});

describe('parseTaxNumber', () => {
  it('is "" when not set and the trimmed number otherwise', () => {
    expect(parseTaxNumber('')).toBe('');
    expect(parseTaxNumber('  ')).toBe('');
    expect(parseTaxNumber(' 9131 0000-X.1 ')).toBe('9131 0000-X.1');
    expect(parseTaxNumber('DE123456789')).toBe('DE123456789');
  });

  it('refuses other characters and a leading separator', () => {
    const rule = 'may hold letters, digits, - . and spaces only';
    expect(invalidMessage(() => parseTaxNumber('AB#12'))).toBe(`tax_number "AB#12" ${rule}`);
    for (const value of ['-123', '.123', 'AB_12', 'AB/12', '税号123', 'ＡＢ12']) {
      expect(invalidMessage(() => parseTaxNumber(value))).toBe(`tax_number "${value}" ${rule}`);
    }
  });

  it('accepts 64 characters and refuses 65', () => {
    expect(parseTaxNumber('1'.repeat(64))).toBe('1'.repeat(64));
    expect(invalidMessage(() => parseTaxNumber('1'.repeat(65)))).toBe('tax_number must be at most 64 characters, got 65');
  });
});

describe('parseCountry', () => {
  it('is "" when unknown and the ISO 3166-1 alpha-2 code upper-cased otherwise', () => {
    expect(parseCountry('')).toBe('');
    expect(parseCountry('   ')).toBe('');
    expect(parseCountry('cn')).toBe('CN');
    expect(parseCountry(' de ')).toBe('DE');
    expect(parseCountry('Us')).toBe('US');
  });

  it('refuses anything but two letters, naming country', () => {
    const rule = (got: string): string => `country must be a two-letter ISO 3166-1 country code such as "DE" (got "${got}")`;
    for (const value of ['China', 'C1', 'C', 'CHN', '12', 'C-', 'ÄB', 'ＣＮ']) {
      expect(invalidMessage(() => parseCountry(value))).toBe(rule(value));
    }
  });
});

describe('parseRegion', () => {
  it('is "" when none and the trimmed text otherwise', () => {
    expect(MAX_REGION_CHARS).toBe(64);
    expect(parseRegion('')).toBe('');
    expect(parseRegion(' \t ')).toBe('');
    expect(parseRegion('  Bavaria ')).toBe('Bavaria');
    expect(parseRegion(' 上海市 ')).toBe('上海市');
  });

  it('accepts 64 characters (after trimming) and refuses 65, naming region', () => {
    expect(parseRegion(` ${'r'.repeat(64)} `)).toBe('r'.repeat(64));
    expect(parseRegion('省'.repeat(64))).toBe('省'.repeat(64));
    expect(invalidMessage(() => parseRegion('r'.repeat(65)))).toBe('region must be at most 64 characters, got 65');
    // Characters as the column counts them: 64 astral characters fit, 65 do not.
    expect(parseRegion('𠀀'.repeat(64))).toBe('𠀀'.repeat(64));
    expect(invalidMessage(() => parseRegion('𠀀'.repeat(65)))).toBe('region must be at most 64 characters, got 65');
  });

  it('refuses control characters inside', () => {
    expect(invalidMessage(() => parseRegion('North\nRhine'))).toBe('region must not contain control characters');
  });
});

describe('parsePaymentTerms', () => {
  it('accepts whole days 0 to 3650', () => {
    expect(parsePaymentTerms(0)).toBe(0);
    expect(parsePaymentTerms(30)).toBe(30);
    expect(parsePaymentTerms(3650)).toBe(3650);
  });

  it('refuses negative, too large, fractional and non-finite values', () => {
    const message = (got: string): string => `payment_terms_days must be a whole number of days from 0 to 3650 (got ${got})`;
    expect(invalidMessage(() => parsePaymentTerms(-1))).toBe(message('-1'));
    expect(invalidMessage(() => parsePaymentTerms(3651))).toBe(message('3651'));
    expect(invalidMessage(() => parsePaymentTerms(1.5))).toBe(message('1.5'));
    expect(invalidMessage(() => parsePaymentTerms(Number.NaN))).toBe(message('NaN'));
    expect(invalidMessage(() => parsePaymentTerms(Number.POSITIVE_INFINITY))).toBe(message('Infinity'));
  });
});

describe('parseManualRating', () => {
  it('0 clears the manual rating (null)', () => {
    expect(parseManualRating(0)).toBeNull();
  });

  it('accepts 1 to 5 stars', () => {
    for (const stars of [1, 2, 3, 4, 5]) expect(parseManualRating(stars)).toBe(stars);
  });

  it('refuses anything else, saying that 0 clears it', () => {
    expect(invalidMessage(() => parseManualRating(6))).toBe('rating (0 clears it) must be a whole number of stars from 1 to 5 (got 6)');
    expect(invalidMessage(() => parseManualRating(-1))).toBe('rating (0 clears it) must be a whole number of stars from 1 to 5 (got -1)');
    expect(invalidMessage(() => parseManualRating(2.5))).toBe('rating (0 clears it) must be a whole number of stars from 1 to 5 (got 2.5)');
    expect(invalidMessage(() => parseManualRating(Number.NaN))).toBe('rating (0 clears it) must be a whole number of stars from 1 to 5 (got NaN)');
  });
});

describe('parseRatingNotes', () => {
  it('trims and accepts 1000 characters, refusing 1001', () => {
    expect(parseRatingNotes('  pays late in December \n')).toBe('pays late in December');
    expect(parseRatingNotes(` ${'n'.repeat(1000)} `)).toBe('n'.repeat(1000));
    expect(invalidMessage(() => parseRatingNotes('n'.repeat(1001)))).toBe('rating_notes must be at most 1000 characters, got 1001');
  });
  it('keeps line breaks inside (notes are multi-line text)', () => {
    expect(parseRatingNotes('line 1\nline 2')).toBe('line 1\nline 2');
  });
});

describe('ratingInForce', () => {
  it('is the manual rating while one is set, whatever the computed one', () => {
    expect(ratingInForce(1, 5)).toEqual({ stars: 1, source: 'manual' });
    expect(ratingInForce(5, null)).toEqual({ stars: 5, source: 'manual' });
  });
  it('is the computed rating without a manual one', () => {
    expect(ratingInForce(null, 4)).toEqual({ stars: 4, source: 'computed' });
    expect(ratingInForce(null, 1)).toEqual({ stars: 1, source: 'computed' });
  });
  it('is the default 3 stars without either', () => {
    expect(ratingInForce(null, null)).toEqual({ stars: 3, source: 'default' });
  });
});

describe('normaliseHeader', () => {
  it('trims, lower-cases and collapses inner whitespace', () => {
    expect(normaliseHeader('  Customer   Code ')).toBe('customer code');
    expect(normaliseHeader('Payment\tterms  (days)')).toBe('payment terms (days)');
  });
  it('drops one trailing "*" of a required column, with the spaces before it', () => {
    expect(normaliseHeader('Name *')).toBe('name');
    expect(normaliseHeader('Name*  ')).toBe('name');
    expect(normaliseHeader('客户代码*')).toBe('客户代码');
    expect(normaliseHeader('Name**')).toBe('name*');
    expect(normaliseHeader('*Name')).toBe('*name');
  });
  it('folds full-width forms (NFKC) before matching', () => {
    expect(normaliseHeader('Ｃｕｓｔｏｍｅｒ　ｃｏｄｅ＊')).toBe('customer code');
    expect(normaliseHeader('付款期限（天）')).toBe('付款期限(天)');
  });
});

describe('columnOfHeader', () => {
  /** The key of the column `text` names, or undefined. */
  const keyOf = (text: string): string | undefined => columnOfHeader(text)?.key;
  const snake = (key: string): string => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

  it('finds every column by its English and Chinese headers and its camelCase and snake_case keys', () => {
    for (const column of EXPORT_COLUMNS as readonly SheetColumn[]) {
      for (const name of [column.header, column.headerZh, column.key, snake(column.key)]) {
        expect({ name, key: keyOf(name) }).toEqual({ name, key: column.key });
      }
    }
  });

  it('matches whatever the case, spacing, full-width forms and a required "*"', () => {
    expect(keyOf('CUSTOMER CODE')).toBe('customerCode');
    expect(keyOf('CUSTOMER_CODE')).toBe('customerCode');
    expect(keyOf('CustomerCode')).toBe('customerCode');
    expect(keyOf('customercode')).toBe('customerCode');
    expect(keyOf(' Customer code * ')).toBe('customerCode');
    expect(keyOf('客户代码 *')).toBe('customerCode');
    expect(keyOf('Ｎａｍｅ＊')).toBe('name');
    expect(keyOf('客户名称*')).toBe('name');
    expect(keyOf('payment  TERMS (days)')).toBe('paymentTermsDays');
    expect(keyOf('payment_terms_days')).toBe('paymentTermsDays');
    expect(keyOf('PaymentTermsDays')).toBe('paymentTermsDays');
    expect(keyOf('付款期限')).toBe('paymentTermsDays');
    expect(keyOf('E-MAIL')).toBe('email');
    expect(keyOf('邮箱')).toBe('email');
    expect(keyOf('is_active')).toBe('isActive');
    expect(keyOf('Active')).toBe('isActive');
    expect(keyOf('是否启用')).toBe('isActive');
    expect(keyOf('Tax Number')).toBe('taxNumber');
    expect(keyOf('税号')).toBe('taxNumber');
    expect(keyOf('COUNTRY')).toBe('country');
    expect(keyOf('国家代码')).toBe('country');
    expect(keyOf(' region ')).toBe('region');
    expect(keyOf('地区')).toBe('region');
    expect(keyOf('Type')).toBe('customerType');
    expect(keyOf('customer_type')).toBe('customerType');
    expect(keyOf('客户类型')).toBe('customerType');
    expect(keyOf('rating_notes')).toBe('ratingNotes');
    expect(keyOf('评级')).toBe('rating');
  });

  it('recognises the export’s read-only columns as not importable', () => {
    expect(columnOfHeader('Available credit')).toMatchObject({ key: 'availableCredit', importable: false });
    expect(columnOfHeader('可用额度')).toMatchObject({ key: 'availableCredit', importable: false });
    expect(columnOfHeader('rating_in_force')).toMatchObject({ key: 'ratingInForce', importable: false });
    expect(columnOfHeader('当前评级')).toMatchObject({ key: 'ratingInForce', importable: false });
    expect(columnOfHeader('RFM segment')).toMatchObject({ key: 'rfmSegment', importable: false });
    expect(columnOfHeader('Balance')).toMatchObject({ key: 'balance', importable: false });
    expect(columnOfHeader('Credit limit')).toMatchObject({ key: 'creditLimit', importable: true, kind: 'money' });
  });

  it('finds nothing for unknown or mangled headers', () => {
    for (const text of ['', '   ', 'customer-code', 'Customer codes', 'Name**', '*Name', 'code', 'Payment terms', 'Rating  in', '付款期限（天）', 'balance due']) {
      expect({ text, key: keyOf(text) }).toEqual({ text, key: undefined });
    }
  });

  it('has the template’s importable columns first, then the read-only ones', () => {
    expect(IMPORT_COLUMNS.map((column) => column.key)).toEqual([
      'customerCode', 'name', 'customerType', 'industry', 'contactPerson', 'phone', 'email', 'company', 'address', 'creditLimit', 'paymentTermsDays', 'taxNumber', 'country',
      'region', 'rating', 'ratingNotes', 'notes', 'isActive',
    ]);
    expect(IMPORT_COLUMNS.every((column) => column.importable)).toBe(true);
    expect(EXPORT_ONLY_COLUMNS.every((column) => !column.importable)).toBe(true);
    expect(IMPORT_COLUMNS.filter((column) => column.required).map((column) => column.key)).toEqual(['customerCode', 'name']);
  });
});
