import { v7 as uuidv7, validate, version } from 'uuid';

/** A new UUID v7 (time-ordered) as a lowercase string; the id format of every NodeBill row and request. */
export function newId(): string {
  return uuidv7();
}

/** True when `value` is a syntactically valid UUID (any version); ids from clients are checked with this before any query. */
export function isUuid(value: string): boolean {
  return validate(value);
}

/** True when `value` is a UUID of version 7. */
export function isUuidV7(value: string): boolean {
  return validate(value) && version(value) === 7;
}
