/**
 * Downstream API keys (ApiKeyService: CreateApiKey, ListApiKeys, RevokeApiKey). The rules are in
 * src/domain/identity/api-keys.ts; this service loads the facts they need and writes each change
 * in one transaction with its `operation_logs` row. A revocation is published to every worker's
 * principal cache once it committed, before the call answers (src/identity/principal-cache.ts);
 * the `api_keys` trigger of migration 0005 announces it to the other nodes as well.
 *
 * `api_keys` rows are not part of a customer's actor state (no money, no orders), so they are
 * written here directly; the customer row is only read (`can_create_api_keys`).
 */
import { QueryOrder, type EntityManager, type MikroORM } from '@mikro-orm/postgresql';
import { forbidden, invalid, notFound } from '../../domain/errors.ts';
import {
  activeKeyLimitRefusal, apiKeyNameProblem, generateApiKey, keyManagementRefusal, MAX_LISTED_KEYS,
} from '../../domain/identity/api-keys.ts';
import type { Caller } from '../../domain/identity/principal.ts';
import type { Origin } from '../../domain/origin.ts';
import type { InvalidationPublisher } from '../../identity/profiles.ts';
import { ApiKey } from '../../persistence/entities/api-keys.ts';
import { Customer } from '../../persistence/entities/customers.ts';
import { recordAudit } from '../audit.ts';

/** A key just created: the secret is in `key`, here and nowhere else. */
export interface CreatedApiKey {
  id: string;
  key: string;
  prefix: string;
}

/** A stored key as ListApiKeys shows it (never the secret, nor its hash). */
export interface ApiKeySummary {
  id: string;
  customerId: string;
  prefix: string;
  name: string;
  enabled: boolean;
  revokedAt: Date | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
}

function summaryOf(row: ApiKey): ApiKeySummary {
  return {
    id: row.id,
    customerId: row.customerId,
    prefix: row.keyPrefix,
    name: row.name,
    enabled: row.enabled,
    revokedAt: row.revokedAt ?? null,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt ?? null,
    expiresAt: row.expiresAt ?? null,
  };
}

/** The audit details naming who acted when it was not an admin (the admin is in the row's own columns). */
function actorDetails(caller: Caller): Record<string, unknown> {
  return caller.kind === 'customer' ? { customerUserId: caller.userId } : {};
}

/** See the file comment. Methods throw DomainError for refused requests; a refused request changes nothing. */
export class ApiKeys {
  private readonly orm: MikroORM;
  private readonly invalidations: InvalidationPublisher;

  constructor(deps: { orm: MikroORM; invalidations: InvalidationPublisher }) {
    this.orm = deps.orm;
    this.invalidations = deps.invalidations;
  }

  /**
   * Creates a key for `customerId` (admins must name it; a customer user gets its own customer's).
   * @throws DomainError invalid_argument (name, missing customer_id), not_found (customer),
   *   permission_denied (not allowed to manage keys), failed_precondition (too many keys)
   */
  async create(origin: Origin, input: { name: string; customerId: string | undefined }): Promise<CreatedApiKey> {
    const customerId = this.targetCustomer(origin.caller, input.customerId, 'CreateApiKey');
    const nameProblem = apiKeyNameProblem(input.name);
    if (nameProblem !== null) throw invalid(nameProblem);
    const name = input.name.trim();
    const generated = generateApiKey();
    const id = await this.orm.em.fork().transactional(async (tx) => {
      await this.requireManageable(tx, origin.caller, customerId);
      const active = await tx.count(ApiKey, { customerId, revokedAt: null });
      const limit = activeKeyLimitRefusal(active);
      if (limit) throw limit;
      const row = tx.create(ApiKey, { customerId, name, keyPrefix: generated.prefix, keyHash: generated.hash, permissions: [] });
      recordAudit(tx, origin, {
        action: 'api_key.create', targetType: 'api_key', targetId: row.id,
        details: { customerId, name, keyPrefix: generated.prefix, ...actorDetails(origin.caller) },
      });
      return row.id;
    });
    return { id, key: generated.key, prefix: generated.prefix };
  }

  /**
   * The keys of `customerId` (admins must name it; a customer user gets its own customer's): those
   * not revoked first, newest first, at most {@link MAX_LISTED_KEYS}.
   * @throws DomainError invalid_argument (missing customer_id), not_found (customer), permission_denied
   */
  async list(origin: Origin, requestedCustomerId: string | undefined): Promise<ApiKeySummary[]> {
    const customerId = this.targetCustomer(origin.caller, requestedCustomerId, 'ListApiKeys');
    const em = this.orm.em.fork();
    await this.requireManageable(em, origin.caller, customerId);
    const rows = await em.find(
      ApiKey,
      { customerId },
      { orderBy: { revokedAt: QueryOrder.ASC_NULLS_FIRST, createdAt: QueryOrder.DESC, id: QueryOrder.DESC }, limit: MAX_LISTED_KEYS },
    );
    return rows.map(summaryOf);
  }

  /**
   * Revokes key `keyId` (`enabled` false, `revoked_at` set); revoking a revoked key again changes
   * nothing and succeeds. Another customer's key is NotFound, exactly as a missing one.
   * @throws DomainError not_found, permission_denied
   */
  async revoke(origin: Origin, keyId: string): Promise<void> {
    const caller = origin.caller;
    const revokedHash = await this.orm.em.fork().transactional(async (tx) => {
      const scope = caller.kind === 'customer' || caller.kind === 'apikey' ? caller.customerId : undefined;
      // A customer is refused for lack of the permission before anything is said about the key.
      if (scope !== undefined) await this.requireManageable(tx, caller, scope);
      else if (caller.kind !== 'admin') throw forbidden('RevokeApiKey requires you to log in');
      const row = await tx.findOne(ApiKey, { id: keyId, ...(scope !== undefined ? { customerId: scope } : {}) });
      if (!row) throw notFound(`API key ${keyId} does not exist`);
      if (row.revokedAt !== null && row.revokedAt !== undefined && !row.enabled) return null;
      row.enabled = false;
      row.revokedAt ??= new Date();
      recordAudit(tx, origin, {
        action: 'api_key.revoke', targetType: 'api_key', targetId: row.id,
        details: { customerId: row.customerId, name: row.name, keyPrefix: row.keyPrefix, ...actorDetails(caller) },
      });
      return row.keyHash;
    });
    if (revokedHash !== null) await this.invalidations.publish({ kind: 'api_key', keyHash: revokedHash });
  }

  /**
   * The customer a call works on: a customer user's or API key's own (another one named is
   * PermissionDenied — authorization refused it already; this holds without it too); the one an
   * admin named, which it must.
   */
  private targetCustomer(caller: Caller, requested: string | undefined, method: string): string {
    if (caller.kind === 'customer' || caller.kind === 'apikey') {
      if (requested !== undefined && requested !== caller.customerId) throw forbidden(`${method}: you may only access your own customer account`);
      return caller.customerId;
    }
    if (caller.kind !== 'admin') throw forbidden(`${method} requires you to log in`);
    if (requested === undefined) throw invalid('customer_id is required: name the customer whose API keys to manage');
    return requested;
  }

  /** Refuses unless `caller` may manage the keys of `customerId`, which must exist. */
  private async requireManageable(em: EntityManager, caller: Caller, customerId: string): Promise<void> {
    const customer = await em.findOne(Customer, { id: customerId }, { fields: ['id', 'canCreateApiKeys'] });
    if (!customer) throw notFound(`customer ${customerId} does not exist`);
    const refusal = keyManagementRefusal(caller, customer.canCreateApiKeys);
    if (refusal) throw refusal;
  }
}
