/**
 * Property builders shared by every NodeBill entity, so that the same kind of column is declared
 * the same way everywhere (and matches the hand-written migrations).
 *
 * Each function returns a fresh builder: builders accumulate options, so one instance must never be
 * shared between two properties.
 */
import { p } from '@mikro-orm/postgresql';
import { newId } from '../../lib/ids.ts';

/**
 * `id uuid PRIMARY KEY`, filled with a new UUID v7 by `em.create()` (MikroORM runs `onCreate` hooks
 * early), so the id is known before the flush — e.g. to reference it from an outbox event written
 * in the same transaction. Raw SQL inserts must supply the id themselves (no database default:
 * PostgreSQL 15 has no UUID v7 function).
 */
export function uuidPrimaryKey() {
  return p.uuid().primary().onCreate(() => newId());
}

/**
 * A money amount: `NUMERIC(12,2)`, read and written as a decimal string such as `'10.50'`
 * (MikroORM's decimal type in string mode). Never convert it to a JavaScript `number`; use
 * `decimal.js` for arithmetic.
 */
export function money() {
  return p.decimal('string').precision(12).scale(2);
}

/** `created_at timestamptz NOT NULL DEFAULT now()`, set by `em.create()` as well so the entity has it before the flush. */
export function createdAt() {
  return p.datetime().defaultRaw('now()').onCreate(() => new Date());
}

/**
 * `updated_at timestamptz NOT NULL DEFAULT now()`, set on create and refreshed by MikroORM on every
 * flushed update. Raw SQL `UPDATE`s must set `updated_at = now()` themselves (there is no trigger).
 */
export function updatedAt() {
  return p
    .datetime()
    .defaultRaw('now()')
    .onCreate(() => new Date())
    .onUpdate(() => new Date());
}

/** An optional point in time (`timestamptz NULL`), e.g. `paid_at`, `revoked_at`. */
export function optionalTime() {
  return p.datetime().nullable();
}

/**
 * Optimistic-lock counter: `version integer NOT NULL DEFAULT 1`. MikroORM starts it at 1, adds
 * `WHERE version = <loaded>` to every update it flushes and increments it; a stale update throws
 * `OptimisticLockError`. Raw snapshot writes use `UPDATE … SET version = version + 1 WHERE id = $1
 * AND version = $expected` and treat 0 affected rows as a conflict.
 */
export function lockVersion() {
  return p.integer().version().default(1);
}

/**
 * A `jsonb NOT NULL` column whose default is `initial()` — `'{}'` or `'[]'` in the DDL, and a fresh
 * `initial()` value on entities created without it. (A plain `.default('{}')` would be stored as
 * the JSON *string* `"{}"`.) The value is a JSON-compatible JS value of type `T`.
 */
export function jsonColumn<T>(initial: () => T) {
  return p
    .json<T>()
    .defaultRaw(`'${JSON.stringify(initial())}'`)
    .onCreate(() => initial());
}
