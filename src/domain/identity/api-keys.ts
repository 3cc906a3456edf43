/**
 * The rules of downstream API keys (ApiKeyService; handbook: ApiKeyService, API Key 使用方式,
 * 权限对照). Pure apart from {@link generateApiKey}, which draws from the operating system's
 * cryptographic random source: the application service loads the facts, these rules decide.
 *
 * - A key is `rk_live_` followed by 43 base62 characters (256 random bits). Only its SHA-256
 *   (`tokenHash`, what the authenticator looks up) is stored, with the first
 *   {@link API_KEY_PREFIX_LENGTH} characters kept to identify the key in lists.
 * - Who manages keys: admins (admin or operator) any customer's; a customer user its own
 *   customer's, while that customer's `can_create_api_keys` is true; an API key none (a leaked key
 *   must not be able to mint successors that outlive its revocation).
 */
import { randomBytes } from 'node:crypto';
import { DomainError, forbidden } from '../errors.ts';
import { tokenHash } from './secrets.ts';
import type { Caller } from './principal.ts';

/** What every API key starts with (the authenticator tells keys from JWTs by shape). */
export const API_KEY_PREFIX = 'rk_live_';
/** Random characters after {@link API_KEY_PREFIX}: 43 base62 characters hold 256 bits. */
export const API_KEY_BODY_LENGTH = 43;
/** Characters of the key kept for display (`key_prefix`), e.g. `rk_live_a1b2c3`. */
export const API_KEY_PREFIX_LENGTH = 14;
/** Longest key name, in characters (the column is varchar(255)). */
export const API_KEY_NAME_MAX_CHARS = 255;
/** Most keys one customer may hold that are not revoked; revoke one to create another. */
export const MAX_ACTIVE_KEYS_PER_CUSTOMER = 50;
/**
 * Most keys ListApiKeys returns (the request has no pagination): every key not revoked (at most
 * {@link MAX_ACTIVE_KEYS_PER_CUSTOMER}) first, then the most recently created revoked ones.
 */
export const MAX_LISTED_KEYS = 200;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Bytes at or above this would bias `byte % 62`; they are drawn again. */
const UNBIASED_LIMIT = 256 - (256 % BASE62.length);

/** A new key: the secret (shown once), what is stored of it, and what identifies it. */
export interface GeneratedApiKey {
  /** The full key, returned once by CreateApiKey and never stored. */
  key: string;
  /** The first {@link API_KEY_PREFIX_LENGTH} characters, stored and listed. */
  prefix: string;
  /** SHA-256 hex of the key, stored and looked up by the authenticator. */
  hash: string;
}

/**
 * `length` characters drawn uniformly from base62 by `random` (rejection sampling: no character
 * is likelier than another).
 * @param random returns `n` random bytes (default: node:crypto randomBytes)
 */
export function randomBase62(length: number, random: (n: number) => Uint8Array = randomBytes): string {
  let out = '';
  while (out.length < length) {
    for (const byte of random(length * 2)) {
      if (byte >= UNBIASED_LIMIT) continue;
      out += BASE62.charAt(byte % BASE62.length);
      if (out.length === length) break;
    }
  }
  return out;
}

/** A new API key (see {@link GeneratedApiKey}). */
export function generateApiKey(random?: (n: number) => Uint8Array): GeneratedApiKey {
  const key = `${API_KEY_PREFIX}${randomBase62(API_KEY_BODY_LENGTH, random)}`;
  return { key, prefix: key.slice(0, API_KEY_PREFIX_LENGTH), hash: tokenHash(key) };
}

/**
 * The problem with a key name (CreateApiKey `name`), or null: required after trimming, at most
 * {@link API_KEY_NAME_MAX_CHARS} characters, no control characters.
 */
export function apiKeyNameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed === '') return 'name is required: say what the key is for, e.g. "billing sync"';
  if (trimmed.length > API_KEY_NAME_MAX_CHARS) return `name must be at most ${API_KEY_NAME_MAX_CHARS} characters long`;
  if (/\p{Cc}/u.test(trimmed)) return 'name must not contain control characters (line breaks, tabs, …)';
  return null;
}

/**
 * Why `caller` may not manage the API keys of a customer whose `can_create_api_keys` is
 * `canCreateApiKeys`, or null when it may. `caller` is already known to act on that customer
 * (an admin on any, a customer user on its own).
 */
export function keyManagementRefusal(caller: Caller, canCreateApiKeys: boolean): DomainError | null {
  switch (caller.kind) {
    case 'admin':
      return null;
    case 'customer':
      return canCreateApiKeys
        ? null
        : forbidden('your customer account may not manage API keys: an administrator must allow it first (can_create_api_keys)');
    case 'apikey':
      return forbidden('an API key cannot manage API keys: log in as a user of the customer account');
    case 'anonymous':
      return new DomainError('unauthenticated', 'managing API keys requires you to log in');
  }
}

/**
 * Why a customer holding `activeKeys` keys that are not revoked may not get another, or null.
 */
export function activeKeyLimitRefusal(activeKeys: number): DomainError | null {
  if (activeKeys < MAX_ACTIVE_KEYS_PER_CUSTOMER) return null;
  return new DomainError(
    'failed_precondition',
    `the customer already holds ${MAX_ACTIVE_KEYS_PER_CUSTOMER} API keys that are not revoked: revoke one it no longer uses first`,
    'api_key_limit',
  );
}

/** Whether a stored key authenticates by its state (ApiKeyInfo `enabled`): enabled and not revoked. Expiry is shown apart, in `expires_at`. */
export function apiKeyEnabled(key: { enabled: boolean; revokedAt?: Date | null }): boolean {
  return key.enabled && (key.revokedAt === null || key.revokedAt === undefined);
}
