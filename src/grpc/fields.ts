/**
 * Reading request fields at the edge, one rule per kind of field, so every handler refuses the
 * same malformed input with the same InvalidArgument message (naming the protobuf field).
 */
import { invalid } from '../domain/errors.ts';
import { clip } from '../domain/input-limits.ts';
import { isUuid } from '../lib/ids.ts';

/**
 * A required UUID field.
 * @throws DomainError invalid_argument when empty or not a UUID
 */
export function uuidField(field: string, value: string): string {
  if (value === '') throw invalid(`${field} is required`);
  if (!isUuid(value)) throw invalid(`${field} "${clip(value)}" is not a UUID`);
  return value.toLowerCase();
}

/** An optional UUID field: `undefined` or `''` mean "not set". @throws DomainError invalid_argument when set and not a UUID */
export function optionalUuidField(field: string, value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : uuidField(field, value);
}

/**
 * A field that must be one of `allowed` (`''`/`undefined` mean "not set" when `optional`).
 * @throws DomainError invalid_argument listing the allowed values
 */
export function oneOf<T extends string>(field: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined || value === '') return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw invalid(`${field} must be one of ${allowed.map((entry) => `"${entry}"`).join(', ')}, got "${clip(value, 40)}"`);
}

/**
 * A required list of UUIDs (batch operations): at least one, each a UUID; duplicates are dropped
 * (first occurrence kept), ids lowercased.
 * @throws DomainError invalid_argument naming the field, or the item (`product_ids[2]`) that is not a UUID
 */
export function uuidListField(field: string, values: readonly string[]): string[] {
  if (values.length === 0) throw invalid(`${field} is required: send at least one id`);
  const ids = values.map((value, index) => uuidField(`${field}[${index}]`, value));
  return [...new Set(ids)];
}
