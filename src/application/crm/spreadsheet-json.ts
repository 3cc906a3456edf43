/**
 * The pieces of the JSON import (spreadsheet.ts `readCustomerJson` puts them together): one array
 * element as a raw row, and where a JSON text first breaks the JSON grammar (RFC 8259), for the
 * error message.
 *
 * `JSON.parse` says where only for some errors: V8's "Unexpected token 'x', "…" is not valid JSON"
 * has no position, and quotes a piece of the customer data over several lines. This scanner reads
 * the text again after `JSON.parse` has refused it and reports the first offending character.
 * Iterative (no recursion, so deep nesting cannot overflow the stack); O(length). Pure.
 */
import { columnOfHeader, type ImportKey, type RawImportRow } from '../../domain/crm/customer-sheet.ts';
import { isImportKey } from './spreadsheet-cells.ts';

/** What a JSON value is, for messages. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The text of a JSON value ('' for null or blank), or undefined for a type no cell holds (object, array). */
function jsonText(value: unknown): string | undefined {
  if (value === null) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return undefined;
}

/** One element of a JSON import as a raw row. */
export function jsonRow(element: unknown, rowNumber: number): RawImportRow {
  const problem = (text: string): RawImportRow => ({ rowNumber, cells: {}, problem: text });
  if (typeof element !== 'object' || element === null || Array.isArray(element)) return problem(`row ${rowNumber} is not an object`);
  const cells: Partial<Record<ImportKey, string>> = {};
  const fieldOfKey = new Map<ImportKey, string>();
  const fields: [string, unknown][] = Object.entries(element);
  for (const [field, value] of fields) {
    const column = columnOfHeader(field);
    if (column === undefined || !column.importable || !isImportKey(column.key)) continue;
    const earlier = fieldOfKey.get(column.key);
    if (earlier !== undefined) return problem(`fields "${earlier}" and "${field}" both name the column "${column.key}"; keep only one of them`);
    fieldOfKey.set(column.key, field);
    const text = jsonText(value);
    if (text === undefined) return problem(`field "${field}" must be a string, number or boolean`);
    if (text !== '') cells[column.key] = text;
  }
  return { rowNumber, cells };
}

/** The first syntax error of a JSON text. */
export interface JsonSyntaxError {
  /** Offset of the offending character (the text's length at an unexpected end), UTF-16 units. */
  position: number;
  /** 1-based line and column of `position`. */
  line: number;
  column: number;
  /** What is wrong, e.g. `unexpected "}" where a value was expected`. */
  problem: string;
}

type Expecting = 'value' | 'valueOrClose' | 'key' | 'keyOrClose' | 'colon' | 'commaOrClose' | 'end';

const LITERALS = ['true', 'false', 'null'] as const;
const ESCAPES = '"\\/bfnrt';
const HEX = /^[0-9a-fA-F]$/;

function describe(char: string): string {
  return JSON.stringify(char);
}

/** The end of the string literal opening at `start`, or the offset and reason of its error. */
function scanString(text: string, start: number): number | { at: number; problem: string } {
  for (let at = start + 1; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === 0x22) return at + 1;
    if (code < 0x20) return { at, problem: 'a control character (such as a line break) inside a string; write it as an escape (\\n)' };
    if (code === 0x5c) {
      const next = text[at + 1] ?? '';
      if (next === 'u') {
        for (let digit = at + 2; digit < at + 6; digit++) {
          if (!HEX.test(text[digit] ?? '')) return { at: digit, problem: 'a \\u escape without 4 hexadecimal digits' };
        }
        at += 5;
      } else if (next !== '' && ESCAPES.includes(next)) {
        at += 1;
      } else {
        return { at: at + 1, problem: `the invalid escape "\\${next}" in a string` };
      }
    }
  }
  return { at: text.length, problem: 'a string that is never closed' };
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= '0' && char <= '9';
}

/** The end of the number starting at `start` (`-` or a digit), or the offset and reason of its error. */
function scanNumber(text: string, start: number): number | { at: number; problem: string } {
  let at = start;
  if (text[at] === '-') at += 1;
  if (!isDigit(text[at])) return { at, problem: 'a minus sign without a number after it' };
  if (text[at] === '0') at += 1;
  else while (isDigit(text[at])) at += 1;
  if (text[at] === '.') {
    at += 1;
    if (!isDigit(text[at])) return { at, problem: 'a decimal point without digits after it' };
    while (isDigit(text[at])) at += 1;
  }
  if (text[at] === 'e' || text[at] === 'E') {
    at += 1;
    if (text[at] === '+' || text[at] === '-') at += 1;
    if (!isDigit(text[at])) return { at, problem: 'an exponent without digits' };
    while (isDigit(text[at])) at += 1;
  }
  return at;
}

/** The position and line/column of `position` in `text`. */
function at(text: string, position: number, problem: string): JsonSyntaxError {
  let line = 1;
  let lineStart = 0;
  for (let index = text.indexOf('\n'); index !== -1 && index < position; index = text.indexOf('\n', index + 1)) {
    line += 1;
    lineStart = index + 1;
  }
  return { position, line, column: position - lineStart + 1, problem };
}

/** The first syntax error of `text`, or null when it is valid JSON. */
export function jsonSyntaxError(text: string): JsonSyntaxError | null {
  const open: ('[' | '{')[] = [];
  let expecting: Expecting = 'value';
  let index = 0;
  const afterValue = (): Expecting => (open.length === 0 ? 'end' : 'commaOrClose');
  for (;;) {
    while (index < text.length && ' \t\n\r'.includes(text[index])) index += 1;
    if (index >= text.length) return expecting === 'end' ? null : at(text, index, 'the text ends before the JSON is complete');
    const char = text[index];
    switch (expecting) {
      case 'end':
        return at(text, index, `unexpected ${describe(char)} after the end of the JSON value`);
      case 'colon':
        if (char !== ':') return at(text, index, `unexpected ${describe(char)} where ":" was expected`);
        index += 1;
        expecting = 'value';
        continue;
      case 'commaOrClose': {
        const close = open[open.length - 1] === '[' ? ']' : '}';
        if (char === ',') {
          index += 1;
          expecting = close === ']' ? 'value' : 'key';
        } else if (char === close) {
          open.pop();
          index += 1;
          expecting = afterValue();
        } else {
          return at(text, index, `unexpected ${describe(char)} where "," or "${close}" was expected`);
        }
        continue;
      }
      case 'key':
      case 'keyOrClose': {
        if (expecting === 'keyOrClose' && char === '}') {
          open.pop();
          index += 1;
          expecting = afterValue();
          continue;
        }
        if (char !== '"') return at(text, index, `unexpected ${describe(char)} where a property name in double quotes was expected`);
        const end = scanString(text, index);
        if (typeof end !== 'number') return at(text, end.at, end.problem);
        index = end;
        expecting = 'colon';
        continue;
      }
      case 'value':
      case 'valueOrClose': {
        if (expecting === 'valueOrClose' && char === ']') {
          open.pop();
          index += 1;
          expecting = afterValue();
          continue;
        }
        if (char === '[' || char === '{') {
          open.push(char);
          index += 1;
          expecting = char === '[' ? 'valueOrClose' : 'keyOrClose';
          continue;
        }
        if (char === '"') {
          const end = scanString(text, index);
          if (typeof end !== 'number') return at(text, end.at, end.problem);
          index = end;
        } else if (char === '-' || (char >= '0' && char <= '9')) {
          const end = scanNumber(text, index);
          if (typeof end !== 'number') return at(text, end.at, end.problem);
          index = end;
        } else {
          const literal = LITERALS.find((word) => text.startsWith(word, index));
          if (literal === undefined) return at(text, index, `unexpected ${describe(char)} where a value was expected`);
          index += literal.length;
        }
        expecting = afterValue();
        continue;
      }
    }
  }
}
