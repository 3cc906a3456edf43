import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt, jsonColumn, optionalTime, updatedAt, uuidPrimaryKey } from './columns.ts';
import { Customer } from './customers.ts';

/**
 * Table `api_keys`: downstream API keys (`ApiKeyInfo`). Customer-owned (`customerId` NOT NULL,
 * ON DELETE CASCADE).
 *
 * - `keyHash` is the SHA-256 (hex) of the full key, unique: authentication hashes the presented
 *   key and looks it up. The full key is returned once by `CreateApiKey` and never stored.
 * - `keyPrefix` (e.g. `rk_live_a1b2c3`) is shown to identify the key; not unique.
 * - `permissions` is a JSON array of permission strings (`DownstreamUser.permissions`).
 * - A key authenticates while `enabled` is true, `revokedAt` is null and `expiresAt` (if set) is
 *   in the future.
 */
export const ApiKey = defineEntity({
  name: 'ApiKey',
  tableName: 'api_keys',
  properties: {
    customerId: p.manyToOne(Customer).mapToPk().fieldName('customer_id').deleteRule('cascade').primary(),
    id: uuidPrimaryKey(),
    name: p.string().length(255),
    keyPrefix: p.string().length(32),
    keyHash: p.string().length(128),
    permissions: jsonColumn<string[]>(() => []),
    enabled: p.boolean().default(true),
    lastUsedAt: optionalTime(),
    expiresAt: optionalTime(),
    revokedAt: optionalTime(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  primaryKeys: ['customerId', 'id'],
  // Unique per customer (Citus); a SHA-256 of 256 random bits does not repeat across customers.
  uniques: [{ name: 'api_keys_key_hash_unique', properties: ['customerId', 'keyHash'] }],
  indexes: [
    { name: 'api_keys_id_index', properties: ['id'] },
    { name: 'api_keys_key_hash_index', properties: ['keyHash'] },
    { name: 'api_keys_customer_id_index', properties: ['customerId'] },
    { name: 'api_keys_key_prefix_index', properties: ['keyPrefix'] },
  ],
});
/** A row of `api_keys`. */
export type ApiKey = InferEntity<typeof ApiKey>;
