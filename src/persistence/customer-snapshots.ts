/**
 * Customer actor snapshots over the `customers` table (ARCHITECTURE.md: the persisted snapshot of
 * an actor is its row, fenced by `version`). A command's snapshot write, its audit row, its
 * attachments (a self-registration's user) and its recorded outcome are one transaction; the
 * snapshot write is `UPDATE … WHERE id = $1 AND version = $expected`, so a writer holding a stale
 * state updates nothing and learns it (a conflict), instead of overwriting a newer state.
 *
 * Raw SQL on a `pg` pool of its own, with prepared statements: a customer import applies thousands
 * of these commands one transaction each, and an ORM unit of work per command cost more than the
 * database did.
 */
import type pg from 'pg';
import type { CustomerReply } from '../actors/messages.ts';
import { leaseLost, type CommitResult, type CustomerSnapshotStore, type FenceOf, type SnapshotWrite } from '../actors/snapshot-store.ts';
import { metrics } from '../metrics/metrics.ts';
import { auditColumns } from '../application/audit.ts';
import { newId } from '../lib/ids.ts';
import type { CustomerState } from '../domain/customers/customer.ts';
import { CUSTOMER_TYPES, type CustomerType } from '../domain/crm/profile.ts';
import { starsOrNull } from '../domain/crm/rating.ts';
import { alreadyExists, DomainError, invalid, refused } from '../domain/errors.ts';
import { moneyOf } from '../domain/money.ts';
import { rfc3339 } from '../lib/time.ts';
import { leaseCurrentSql } from './shard-leases.ts';

/** The columns of a snapshot, as a write's `returning` (and the account store's load) lists them. */
export const CUSTOMER_COLUMNS = `id, name, contact_person, email, phone, company, notes, balance::text as balance, credit_limit::text as credit_limit,
  is_active, can_create_api_keys, customer_code, customer_type, industry, address, payment_terms_days, tax_number, country, region, rating, rating_notes,
  deleted_at, version, created_at, updated_at`;

/** A `customers` row as `pg` returns {@link CUSTOMER_COLUMNS} (snake_case). */
export interface SnapshotRow {
  id: string;
  name: string;
  contact_person: string;
  email: string;
  phone: string;
  company: string;
  notes: string;
  balance: string;
  credit_limit: string;
  is_active: boolean;
  can_create_api_keys: boolean;
  customer_code: string;
  customer_type: string;
  industry: string;
  address: string;
  payment_terms_days: number | null;
  tax_number: string;
  country: string;
  region: string;
  rating: number | null;
  rating_notes: string;
  deleted_at: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

/** A stored customer type (the CHECK-free column holds what the domain validated). */
function typeOf(value: string): CustomerType {
  return (CUSTOMER_TYPES as readonly string[]).includes(value) ? (value as CustomerType) : '';
}



/** A customer's state from a row of {@link CUSTOMER_COLUMNS} (snake_case columns). */
export function stateOf(row: SnapshotRow): CustomerState {
  return {
    id: row.id,
    name: row.name,
    contactPerson: row.contact_person,
    email: row.email,
    phone: row.phone,
    company: row.company,
    notes: row.notes,
    balance: moneyOf(row.balance),
    creditLimit: moneyOf(row.credit_limit),
    isActive: row.is_active,
    canCreateApiKeys: row.can_create_api_keys,
    customerCode: row.customer_code,
    customerType: typeOf(row.customer_type),
    industry: row.industry,
    address: row.address,
    paymentTermsDays: row.payment_terms_days,
    taxNumber: row.tax_number,
    country: row.country,
    region: row.region,
    rating: starsOrNull(row.rating),
    ratingNotes: row.rating_notes,
    deletedAt: row.deleted_at ? rfc3339(new Date(row.deleted_at)) : null,
    version: row.version,
    createdAt: rfc3339(new Date(row.created_at)),
    updatedAt: rfc3339(new Date(row.updated_at)),
  };
}

/** Thrown inside the transaction to end it with a refusal (rolled back, answered to the caller). */
class Refusal extends Error {
  readonly error: DomainError;
  constructor(error: DomainError) {
    super(error.message);
    this.error = error;
  }
}

/** Thrown inside the transaction when the version fence did not match (rolled back). */
class Conflict extends Error {}

/** PostgreSQL error codes the commit turns into answers. */
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

const INSERT_SQL = `insert into customers (id, name, contact_person, email, phone, company, notes, credit_limit, is_active, can_create_api_keys,
     customer_code, customer_type, industry, address, payment_terms_days, tax_number, rating, rating_notes, country, region, version, created_at, updated_at)
   values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, 1, now(), now())
   returning ${CUSTOMER_COLUMNS}`;

/**
 * A new customer whose code is known, its audit row and its recorded outcome in ONE statement (an
 * import creates thousands): the row is written with the decision's own times, so the state the
 * actor decided is exactly the row stored and can be recorded without reading it back.
 */
const INSERT_AND_RECORD_SQL = `with inserted as (
     insert into customers (id, name, contact_person, email, phone, company, notes, credit_limit, is_active, can_create_api_keys,
       customer_code, customer_type, industry, address, payment_terms_days, tax_number, rating, rating_notes, country, region, version, created_at, updated_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, 1, $21::timestamptz, $21::timestamptz)
     returning id
   ),
   audit as (
     insert into operation_logs (id, admin_user_id, admin_username, action, target_type, target_id, details, client_address, request_id)
     select $22, $23, $24, $25, $26, $27, $28::jsonb, $29, $30 from inserted where $31::boolean
   )
   insert into customer_commands (customer_id, idempotency_key, command_type, outcome) select $32, $33, $34, $35::jsonb from inserted`;

const UPDATE_SQL = `update customers set name = $1, contact_person = $2, email = $3, phone = $4, company = $5, notes = $6, credit_limit = $7,
     is_active = $8, can_create_api_keys = $9, customer_code = $10, customer_type = $11, industry = $12, address = $13, payment_terms_days = $14,
     tax_number = $15, rating = $16, rating_notes = $17, deleted_at = $18, country = $19, region = $20, version = version + 1, updated_at = now()
   where id = $21 and version = $22 returning ${CUSTOMER_COLUMNS}`;

const RECORD_SQL = `with audit as (
     insert into operation_logs (id, admin_user_id, admin_username, action, target_type, target_id, details, client_address, request_id)
     select $1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9 where $10::boolean
   )
   insert into customer_commands (customer_id, idempotency_key, command_type, outcome) values ($11, $12, $13, $14::jsonb)`;

const TAKEN_SQL = `select case when $1::boolean then pg_advisory_xact_lock(17237, hashtext(lower($2))) end as locked,
     case when $1::boolean then (select id from customers where lower(btrim(name)) = lower(btrim($2)) and id <> $3 limit 1) end as by_name,
     case when $4::boolean then (select id from customers where lower(customer_code) = lower($5) and id <> $3 limit 1) end as by_code`;

/** See the file comment. */
export class PgCustomerSnapshotStore implements CustomerSnapshotStore {
  private readonly pool: pg.Pool;
  private readonly fenceOf: FenceOf | null;

  /**
   * @param pool a pool of its own (customer commands, imports included, do not queue behind other work)
   * @param options.fenceOf the shard lease each customer's writes are made under (issue 15; absent:
   *   not lease-fenced). The transaction first share-locks that lease row, current and unexpired,
   *   so no other node can take the shard before it commits; otherwise nothing is written and the
   *   commit answers `unavailable` with reason `shard_moved`.
   */
  constructor(pool: pg.Pool, options: { fenceOf?: FenceOf } = {}) {
    this.pool = pool;
    this.fenceOf = options.fenceOf ?? null;
  }

  /** @see CustomerSnapshotStore.load */
  async load(customerId: string): Promise<CustomerState | null> {
    const { rows } = await this.pool.query<SnapshotRow>({ name: 'nb_customer_load', text: `select ${CUSTOMER_COLUMNS} from customers where id = $1`, values: [customerId] });
    return rows[0] ? stateOf(rows[0]) : null;
  }

  /** @see CustomerSnapshotStore.recordedOutcome */
  async recordedOutcome(customerId: string, idempotencyKey: string): Promise<CustomerReply | null> {
    const { rows } = await this.pool.query<{ outcome: CustomerReply }>({
      name: 'nb_customer_outcome', text: 'select outcome from customer_commands where customer_id = $1 and idempotency_key = $2', values: [customerId, idempotencyKey],
    });
    return rows[0]?.outcome ?? null;
  }

  /** @see CustomerSnapshotStore.commit */
  async commit(write: SnapshotWrite): Promise<CommitResult> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('begin');
      try {
        await this.checkLease(client, write.customerId);
        const state = await this.write(client, write);
        await client.query('commit');
        return { ok: true, state };
      } catch (error) {
        await client.query('rollback').catch(() => { broken = true; });
        throw error;
      }
    } catch (error) {
      if (error instanceof Conflict) return { ok: false, conflict: true };
      if (error instanceof Refusal) return { ok: false, conflict: false, error: error.error };
      const code = (error as { code?: string }).code;
      const constraint = (error as { constraint?: string }).constraint ?? '';
      if (code === UNIQUE_VIOLATION) {
        // The customer id itself (a create racing another writer) is a conflict; anything else
        // (a code, an e-mail address, a username) a refusal.
        if (constraint === 'customers_pkey' || constraint === 'customer_commands_pkey') return { ok: false, conflict: true };
        if (constraint === 'customers_customer_code_lower_unique') {
          return { ok: false, conflict: false, error: alreadyExists(`customer code "${write.next?.customerCode ?? ''}" is already used by another customer`) };
        }
        return { ok: false, conflict: false, error: alreadyExists('this e-mail address or username is already used by another customer or user') };
      }
      if (code === FOREIGN_KEY_VIOLATION) {
        return { ok: false, conflict: false, error: refused('the customer still has orders, instances, invoices, payments or ledger entries; deactivate it instead') };
      }
      broken ||= code === undefined;
      throw error;
    } finally {
      client.release(broken);
    }
  }

  /** The lease fence (see the constructor). @throws Refusal when the lease is not current */
  private async checkLease(tx: pg.PoolClient, customerId: string): Promise<void> {
    if (!this.fenceOf) return;
    const fence = this.fenceOf(customerId);
    const { rows } = await tx.query({
      name: 'nb_customer_lease', values: [fence.shard, fence.node, fence.epoch],
      text: `select 1 from shard_leases l where ${leaseCurrentSql('l', '$1', '$2', '$3')} for share`,
    });
    if (rows.length > 0) return;
    metrics.fencedWrites.inc({ kind: 'customer' });
    throw new Refusal(leaseLost(customerId));
  }

  private async write(tx: pg.PoolClient, write: SnapshotWrite): Promise<CustomerState | null> {
    const { next } = write;
    if (next && write.change !== 'delete') await this.refuseTaken(tx, next, { name: write.attachments?.uniqueName === true, code: write.attachments?.uniqueCode === true });
    let state: CustomerState | null = null;
    switch (write.change) {
      case 'insert': {
        if (!next) throw new Error('an insert needs the new state');
        if (next.customerCode !== '' && !write.attachments?.registration) {
          await this.insertAndRecord(tx, write, next);
          return next;
        }
        const { rows } = await tx.query<SnapshotRow>({
          name: 'nb_customer_insert', text: INSERT_SQL,
          values: [next.id, next.name, next.contactPerson, next.email, next.phone, next.company, next.notes, next.creditLimit, next.isActive, next.canCreateApiKeys,
            next.customerCode, next.customerType, next.industry, next.address, next.paymentTermsDays, next.taxNumber, next.rating, next.ratingNotes,
            next.country, next.region],
        });
        state = rows[0] ? stateOf(rows[0]) : null;
        break;
      }
      case 'update': {
        if (!next) throw new Error('an update needs the new state');
        state = await this.updateRow(tx, write.customerId, write.expectedVersion, next);
        break;
      }
      case 'delete': {
        await this.refuseWhileOpen(tx, write.customerId);
        if (await this.hasHistory(tx, write.customerId)) {
          // Soft deletion: the row stays with its ledger, orders and invoices; nobody logs in for it any more.
          if (!next) throw new Error('a soft deletion needs the state it keeps');
          state = await this.updateRow(tx, write.customerId, write.expectedVersion, next);
          await tx.query('update customer_users set is_active = false, updated_at = now() where customer_id = $1 and is_active', [write.customerId]);
          await tx.query('update api_keys set enabled = false, revoked_at = now() where customer_id = $1 and revoked_at is null', [write.customerId]);
          break;
        }
        const deleted = await tx.query<{ id: string }>('delete from customers where id = $1 and version = $2 returning id', [write.customerId, write.expectedVersion]);
        if (!deleted.rows[0]) throw new Conflict();
        break;
      }
      case 'none':
        return write.next;
    }
    if (write.attachments?.registration) await this.openRegistration(tx, write.customerId, write.attachments.registration);
    await this.record(tx, write, state);
    return state;
  }

  /** See {@link INSERT_AND_RECORD_SQL}. */
  private async insertAndRecord(tx: pg.PoolClient, write: SnapshotWrite, next: CustomerState): Promise<void> {
    const audit = this.auditOf(write);
    await tx.query({
      name: 'nb_customer_insert_record', text: INSERT_AND_RECORD_SQL,
      values: [
        next.id, next.name, next.contactPerson, next.email, next.phone, next.company, next.notes, next.creditLimit, next.isActive, next.canCreateApiKeys,
        next.customerCode, next.customerType, next.industry, next.address, next.paymentTermsDays, next.taxNumber, next.rating, next.ratingNotes, next.country, next.region,
        next.createdAt,
        ...audit, write.customerId, write.idempotencyKey, write.commandType, JSON.stringify({ ...write.outcome, state: next }),
      ],
    });
  }

  /** The audit row's values ($1-$10 of its insert): id, columns, details as JSON, and whether there is one. */
  private auditOf(write: SnapshotWrite): unknown[] {
    const audit = write.audit ? auditColumns(write.audit.origin, { action: write.audit.action, targetType: 'customer', targetId: write.customerId, details: write.audit.details }) : null;
    return [
      newId(), audit?.adminUserId ?? null, audit?.adminUsername ?? '', audit?.action ?? '', audit?.targetType ?? '', audit?.targetId ?? null,
      JSON.stringify(audit?.details ?? {}), audit?.clientAddress ?? null, audit?.requestId ?? null, audit !== null,
    ];
  }

  /** The audit row (when there is one) and the recorded outcome, in one statement. */
  private async record(tx: pg.PoolClient, write: SnapshotWrite, state: CustomerState | null): Promise<void> {
    await tx.query({
      name: 'nb_customer_record', text: RECORD_SQL,
      values: [...this.auditOf(write), write.customerId, write.idempotencyKey, write.commandType, JSON.stringify({ ...write.outcome, state })],
    });
  }

  /** The fenced update of a snapshot row to `next`. @throws Conflict when the version moved on */
  private async updateRow(tx: pg.PoolClient, customerId: string, expectedVersion: number | null, next: CustomerState): Promise<CustomerState> {
    const { rows } = await tx.query<SnapshotRow>({
      name: 'nb_customer_update', text: UPDATE_SQL,
      values: [next.name, next.contactPerson, next.email, next.phone, next.company, next.notes, next.creditLimit, next.isActive, next.canCreateApiKeys,
        next.customerCode, next.customerType, next.industry, next.address, next.paymentTermsDays, next.taxNumber, next.rating, next.ratingNotes,
        next.deletedAt, next.country, next.region, customerId, expectedVersion],
    });
    if (!rows[0]) throw new Conflict();
    return stateOf(rows[0]);
  }

  /**
   * Another customer with the same name (trimmed, case-insensitive; serialized by a lock on the
   * name) or the same code (any case, deleted customers included)? One statement for both.
   */
  private async refuseTaken(tx: pg.PoolClient, next: CustomerState, check: { name: boolean; code: boolean }): Promise<void> {
    const code = check.code && next.customerCode !== '';
    if (!check.name && !code) return;
    const { rows } = await tx.query<{ by_name: string | null; by_code: string | null }>({
      name: 'nb_customer_taken', text: TAKEN_SQL, values: [check.name, next.name, next.id, code, next.customerCode],
    });
    const taken = rows[0];
    if (taken?.by_name) throw new Refusal(alreadyExists(`a customer named "${next.name}" already exists (${taken.by_name})`));
    if (taken?.by_code) throw new Refusal(alreadyExists(`customer code "${next.customerCode}" is already used by customer ${taken.by_code}`));
  }

  /**
   * A customer is deleted only when nothing of it is still going on: no unfinished order, no
   * instance that is not terminated, no invoice left to pay.
   */
  private async refuseWhileOpen(tx: pg.PoolClient, customerId: string): Promise<void> {
    const { rows } = await tx.query<{ one: string; many: string; n: string }>(
      `select 'unfinished order' as one, 'unfinished orders' as many, count(*)::text as n from orders
         where customer_id = $1 and status in ('pending', 'paid', 'provisioning', 'active', 'suspended')
       union all select 'instance not terminated', 'instances not terminated', count(*)::text from instances where customer_id = $1 and status <> 'terminated'
       union all select 'unpaid invoice', 'unpaid invoices', count(*)::text from invoices where customer_id = $1 and status in ('issued', 'overdue')`,
      [customerId],
    );
    const open = rows.filter((row) => row.n !== '0').map((row) => `${row.n} ${row.n === '1' ? row.one : row.many}`);
    if (open.length > 0) throw new Refusal(refused(`the customer still has ${open.join(', ')}; finish, cancel or terminate them first, or deactivate the customer instead`));
  }

  /** Whether orders, invoices, payments, ledger entries or instances name the customer (then its row is kept: soft deletion). */
  private async hasHistory(tx: pg.PoolClient, customerId: string): Promise<boolean> {
    const { rows } = await tx.query<{ found: boolean }>(
      `select exists (select 1 from orders where customer_id = $1) or exists (select 1 from invoices where customer_id = $1)
           or exists (select 1 from payments where customer_id = $1) or exists (select 1 from balance_transactions where customer_id = $1)
           or exists (select 1 from instances where customer_id = $1) as found`,
      [customerId],
    );
    return rows[0]?.found === true;
  }

  private async openRegistration(tx: pg.PoolClient, customerId: string, registration: NonNullable<SnapshotWrite['attachments']>['registration'] & object): Promise<void> {
    const consumed = await tx.query('update verification_codes set consumed_at = now() where id = $1 and consumed_at is null', [registration.verificationCodeId]);
    if (consumed.rowCount === 0) throw new Refusal(invalid('the verification code was already used; request a new one'));
    const user = registration.user;
    await tx.query(
      `insert into customer_users (id, customer_id, username, email, display_name, password_hash, is_active, email_verified_at, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, true, now(), now(), now())`,
      [user.id, customerId, user.username, user.email, user.displayName, user.passwordHash],
    );
  }
}
