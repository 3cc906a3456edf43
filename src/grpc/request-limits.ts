/**
 * Applies the API's input limits (src/domain/input-limits.ts) to a decoded request message, by its
 * descriptor: every string field (also inside nested messages, lists and maps), the number of items
 * of lists and maps. Runs in the call pipeline before authentication, so nothing oversized or
 * containing NUL reaches the database, a plugin or a log line.
 */
import { ScalarType, type DescField, type DescMessage } from '@bufbuild/protobuf';
import {
  MAP_KEY_MAX_CHARS, MAP_VALUE_MAX_CHARS, MAX_LIST_ITEMS, MAX_MAP_ENTRIES, maxCharsOf, stringProblem,
} from '../domain/input-limits.ts';
import { invalidArgument } from './errors.ts';

/** A field worth visiting, with what to check. */
type Check =
  | { kind: 'string'; field: DescField; max: number }
  | { kind: 'string_list'; field: DescField; max: number }
  | { kind: 'message'; field: DescField; message: DescMessage }
  | { kind: 'message_list'; field: DescField; message: DescMessage }
  | { kind: 'list'; field: DescField }
  | { kind: 'map'; field: DescField; stringKeys: boolean; stringValues: boolean; message: DescMessage | undefined };

/** Checks per message type, computed once (most messages have only a few string fields). */
const plans = new WeakMap<DescMessage, readonly Check[]>();

function planOf(desc: DescMessage): readonly Check[] {
  const known = plans.get(desc);
  if (known) return known;
  const checks: Check[] = [];
  plans.set(desc, checks); // set first: recursive message types refer to themselves
  for (const field of desc.fields) {
    switch (field.fieldKind) {
      case 'scalar':
        if (field.scalar === ScalarType.STRING) checks.push({ kind: 'string', field, max: maxCharsOf(field.name) });
        break;
      case 'message':
        checks.push({ kind: 'message', field, message: field.message });
        break;
      case 'list':
        if (field.listKind === 'scalar' && field.scalar === ScalarType.STRING) checks.push({ kind: 'string_list', field, max: maxCharsOf(field.name) });
        else if (field.listKind === 'message') checks.push({ kind: 'message_list', field, message: field.message });
        else checks.push({ kind: 'list', field });
        break;
      case 'map':
        checks.push({
          kind: 'map',
          field,
          stringKeys: field.mapKey === ScalarType.STRING,
          stringValues: field.mapKind === 'scalar' && field.scalar === ScalarType.STRING,
          message: field.mapKind === 'message' ? field.message : undefined,
        });
        break;
      case 'enum':
        break;
    }
  }
  return checks;
}

function fail(problem: string | null): void {
  if (problem !== null) throw invalidArgument(problem);
}

function checkMessage(desc: DescMessage, message: Record<string, unknown>, prefix: string, depth: number): void {
  if (depth > 32) throw invalidArgument(`${prefix || 'the request'} is nested too deeply`);
  for (const check of planOf(desc)) {
    const value = message[check.field.localName];
    if (value === undefined || value === null) continue;
    const path = `${prefix}${check.field.name}`;
    switch (check.kind) {
      case 'string':
        if (typeof value === 'string') fail(stringProblem(path, value, check.max));
        break;
      case 'message':
        checkMessage(check.message, value as Record<string, unknown>, `${path}.`, depth + 1);
        break;
      case 'string_list':
      case 'message_list':
      case 'list': {
        const items = value as unknown[];
        if (items.length > MAX_LIST_ITEMS) fail(`${path} has too many items: at most ${MAX_LIST_ITEMS}, got ${items.length}`);
        if (check.kind === 'string_list') items.forEach((item, index) => fail(stringProblem(`${path}[${index}]`, String(item), check.max)));
        if (check.kind === 'message_list') items.forEach((item, index) => checkMessage(check.message, item as Record<string, unknown>, `${path}[${index}].`, depth + 1));
        break;
      }
      case 'map': {
        const entries = Object.entries(value as Record<string, unknown>);
        if (entries.length > MAX_MAP_ENTRIES) fail(`${path} has too many entries: at most ${MAX_MAP_ENTRIES}, got ${entries.length}`);
        for (const [key, entry] of entries) {
          if (check.stringKeys) fail(stringProblem(`${path} key`, key, MAP_KEY_MAX_CHARS));
          const where = `${path}[${JSON.stringify(key.slice(0, 40))}]`;
          if (check.stringValues && typeof entry === 'string') fail(stringProblem(where, entry, MAP_VALUE_MAX_CHARS));
          if (check.message) checkMessage(check.message, entry as Record<string, unknown>, `${where}.`, depth + 1);
        }
        break;
      }
    }
  }
}

/**
 * Checks a decoded request of type `desc` against the input limits.
 * @throws ConnectError InvalidArgument naming the field (protobuf name, dotted path) and the limit,
 *   never quoting the value
 */
export function checkRequestLimits(desc: DescMessage, request: object): void {
  checkMessage(desc, request as Record<string, unknown>, '', 0);
}
