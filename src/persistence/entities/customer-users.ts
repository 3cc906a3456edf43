import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt, optionalTime, updatedAt, uuidPrimaryKey } from './columns.ts';
import { Customer } from './customers.ts';

/**
 * Table `customer_users`: logins of a customer (`UserInfo` with `user_type = "customer"`); a
 * customer may have several. Customer-owned: `customerId` NOT NULL, ON DELETE CASCADE.
 *
 * - `username` is unique (exact match); `email` is unique case-insensitively when not empty
 *   (`lower(email)` index) — registration's "email already registered".
 * - `passwordHash` is a bcrypt hash. `emailVerifiedAt` is set when a verification code was
 *   consumed for the address.
 */
export const CustomerUser = defineEntity({
  name: 'CustomerUser',
  tableName: 'customer_users',
  properties: {
    id: uuidPrimaryKey(),
    customerId: p.manyToOne(Customer).mapToPk().fieldName('customer_id').deleteRule('cascade'),
    username: p.string().length(64).unique('customer_users_username_unique'),
    email: p.string().length(255).default(''),
    displayName: p.string().length(255).default(''),
    passwordHash: p.string().length(255),
    isActive: p.boolean().default(true),
    emailVerifiedAt: optionalTime(),
    lastLoginAt: optionalTime(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  uniques: [
    {
      name: 'customer_users_email_lower_unique',
      expression:
        "create unique index customer_users_email_lower_unique on customer_users (lower(email)) where email <> ''",
    },
  ],
  indexes: [{ name: 'customer_users_customer_id_index', properties: ['customerId'] }],
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
 *   user or customer (ON DELETE CASCADE).
 */
export const RefreshToken = defineEntity({
  name: 'RefreshToken',
  tableName: 'refresh_tokens',
  properties: {
    jti: p.uuid().primary(),
    customerUserId: p.manyToOne(CustomerUser).mapToPk().fieldName('customer_user_id').deleteRule('cascade'),
    customerId: p.manyToOne(Customer).mapToPk().fieldName('customer_id').deleteRule('cascade'),
    familyId: p.uuid(),
    createdAt: createdAt(),
    expiresAt: p.datetime(),
    usedAt: optionalTime(),
    revokedAt: optionalTime(),
    replacedBy: p.uuid().nullable(),
  },
  indexes: [
    { name: 'refresh_tokens_family_id_index', properties: ['familyId'] },
    { name: 'refresh_tokens_customer_user_id_index', properties: ['customerUserId'] },
    { name: 'refresh_tokens_customer_id_index', properties: ['customerId'] },
    { name: 'refresh_tokens_expires_at_index', properties: ['expiresAt'] },
  ],
});
/** A row of `refresh_tokens`. */
export type RefreshToken = InferEntity<typeof RefreshToken>;
