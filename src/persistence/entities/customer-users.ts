import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt, optionalTime, updatedAt, uuidPrimaryKey } from './columns.ts';
import { Customer } from './customers.ts';

/**
 * Table `customer_users`: logins of a customer (`UserInfo` with `user_type = "customer"`); a
 * customer may have several. Customer-owned: `customerId` NOT NULL, ON DELETE CASCADE.
 *
 * - Primary key `(customer_id, id)` (Citus: distributed by `customer_id`), plain index on `id`.
 * - `username` is unique (exact match); `email` is unique case-insensitively when not empty —
 *   registration's "email already registered". Both across all customers, enforced through
 *   `global_unique_keys` by a trigger (migration 0015), which raises `unique_violation` naming
 *   `customer_users_username_unique` / `customer_users_email_lower_unique`.
 * - `passwordHash` is a bcrypt hash. `emailVerifiedAt` is set when a verification code was
 *   consumed for the address.
 */
export const CustomerUser = defineEntity({
  name: 'CustomerUser',
  tableName: 'customer_users',
  properties: {
    customerId: p.manyToOne(Customer).mapToPk().fieldName('customer_id').deleteRule('cascade').primary(),
    id: uuidPrimaryKey(),
    username: p.string().length(64),
    email: p.string().length(255).default(''),
    displayName: p.string().length(255).default(''),
    passwordHash: p.string().length(255),
    isActive: p.boolean().default(true),
    emailVerifiedAt: optionalTime(),
    lastLoginAt: optionalTime(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  primaryKeys: ['customerId', 'id'],
  indexes: [
    { name: 'customer_users_customer_id_index', properties: ['customerId'] },
    { name: 'customer_users_id_index', properties: ['id'] },
    { name: 'customer_users_username_index', properties: ['username'] },
    { name: 'customer_users_email_lower_index', expression: 'create index customer_users_email_lower_index on customer_users (lower(email))' },
  ],
});
/** A row of `customer_users`. */
export type CustomerUser = InferEntity<typeof CustomerUser>;

/**
 * Table `refresh_tokens`: one row per issued customer refresh token (a JWT), for rotation with
 * reuse detection.
 *
 * - `jti` (primary key) is the token's `jti` claim (a UUID v7 chosen by the issuer).
 * - `familyId` groups the chain of tokens rotated from one login; presenting a token whose
 *   `usedAt` or `revokedAt` is set means reuse: revoke the whole family.
 * - `usedAt` is set when the token was exchanged, `replacedBy` then holds the new token's jti.
 * - `expiresAt` is absolute. Customer-owned (`customerId` NOT NULL); rows are deleted with their
 *   user or customer (ON DELETE CASCADE). Primary key `(customer_id, jti)`, plain index on `jti`;
 *   the user's foreign key is `(customer_id, customer_user_id)` (migration 0015).
 */
export const RefreshToken = defineEntity({
  name: 'RefreshToken',
  tableName: 'refresh_tokens',
  properties: {
    customerId: p.manyToOne(Customer).mapToPk().fieldName('customer_id').deleteRule('cascade').primary(),
    jti: p.uuid().primary(),
    customerUserId: p.uuid(),
    familyId: p.uuid(),
    createdAt: createdAt(),
    expiresAt: p.datetime(),
    usedAt: optionalTime(),
    revokedAt: optionalTime(),
    replacedBy: p.uuid().nullable(),
    /** The composite foreign key `(customer_id, customer_user_id)`; never loaded: read `customerUserId`. */
    customerUser: p
      .manyToOne(CustomerUser)
      .joinColumns('customer_id', 'customer_user_id')
      .foreignKeyName('refresh_tokens_customer_user_id_foreign')
      .deleteRule('cascade')
      .updateRule('no action')
      .nullable(),
  },
  primaryKeys: ['customerId', 'jti'],
  indexes: [
    { name: 'refresh_tokens_jti_index', properties: ['jti'] },
    { name: 'refresh_tokens_family_id_index', properties: ['familyId'] },
    { name: 'refresh_tokens_customer_user_id_index', properties: ['customerUserId'] },
    { name: 'refresh_tokens_customer_id_index', properties: ['customerId'] },
    { name: 'refresh_tokens_expires_at_index', properties: ['expiresAt'] },
  ],
});
/** A row of `refresh_tokens`. */
export type RefreshToken = InferEntity<typeof RefreshToken>;
