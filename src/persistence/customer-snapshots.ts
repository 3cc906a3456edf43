/**
 * Customer actor snapshots over the `customers` table (ARCHITECTURE.md: the persisted snapshot of
 * an actor is its row, fenced by `version`). A command's snapshot write, its audit row, its
 * attachments (a self-registration's user) and its recorded outcome are one transaction; the
 * snapshot write is `UPDATE … WHERE id = $1 AND version = $expected`, so a writer holding a stale
 * state updates nothing and learns it (a conflict), instead of overwriting a newer state.
 */
import { ForeignKeyConstraintViolationException, UniqueConstraintViolationException, type EntityManager, type MikroORM } from '@mikro-orm/postgresql';
import type { CustomerReply } from '../actors/messages.ts';
import type { CommitResult, CustomerSnapshotStore, SnapshotWrite } from '../actors/snapshot-store.ts';
import { recordAudit } from '../application/audit.ts';
import type { CustomerState } from '../domain/customers/customer.ts';
import { CUSTOMER_TYPES, type CustomerType } from '../domain/crm/profile.ts';
import type { Stars } from '../domain/crm/rating.ts';
import { alreadyExists, DomainError, invalid, refused } from '../domain/errors.ts';
import { moneyOf } from '../domain/money.ts';
import { rfc3339 } from '../lib/time.ts';
import { CustomerCommand } from './entities/customer-commands.ts';
import { CustomerUser } from './entities/customer-users.ts';
import { Customer } from './entities/customers.ts';
import { VerificationCode } from './entities/verification-codes.ts';

/** The columns of a snapshot, as a write's `returning` (and the account store's load) lists them. */
export const CUSTOMER_COLUMNS = `id, name, contact_person, email, phone, company, notes, balance::text as balance, credit_limit::text as credit_limit,
  is_active, can_create_api_keys, customer_code, customer_type, industry, address, payment_terms_days, tax_number, rating, rating_notes, deleted_at,
  version, created_at, updated_at`;

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

/** A stored manual rating. */
function starsOf(value: number | null): Stars | null {
  return value === 1 || value === 2 || value === 3 || value === 4 || value === 5 ? value : null;
}

/** A customer's state from its row as MikroORM loads it (GetCustomer, ListCustomers, the actors' load). */
export function customerStateOf(row: Customer): CustomerState {
  return {
    id: row.id,
    name: row.name,
    contactPerson: row.contactPerson,
    email: row.email,
    phone: row.phone,
    company: row.company,
    notes: row.notes,
    balance: moneyOf(row.balance),
    creditLimit: moneyOf(row.creditLimit),
    isActive: row.isActive,
    canCreateApiKeys: row.canCreateApiKeys,
    customerCode: row.customerCode,
    customerType: typeOf(row.customerType),
    industry: row.industry,
    address: row.address,
    paymentTermsDays: row.paymentTermsDays ?? null,
    taxNumber: row.taxNumber,
    rating: starsOf(row.rating ?? null),
    ratingNotes: row.ratingNotes,
    deletedAt: row.deletedAt ? rfc3339(row.deletedAt) : null,
    version: row.version,
    createdAt: rfc3339(row.createdAt),
    updatedAt: rfc3339(row.updatedAt),
  };
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
    rating: starsOf(row.rating),
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

/** See the file comment. */
export class PgCustomerSnapshotStore implements CustomerSnapshotStore {
  private readonly orm: MikroORM;
  constructor(orm: MikroORM) {
    this.orm = orm;
  }

  /** @see CustomerSnapshotStore.load */
  async load(customerId: string): Promise<CustomerState | null> {
    const row = await this.orm.em.fork().findOne(Customer, { id: customerId });
    return row ? customerStateOf(row) : null;
  }

  /** @see CustomerSnapshotStore.recordedOutcome */
  async recordedOutcome(customerId: string, idempotencyKey: string): Promise<CustomerReply | null> {
    const row = await this.orm.em.fork().findOne(CustomerCommand, { customerId, idempotencyKey });
    return row ? (row.outcome as unknown as CustomerReply) : null;
  }

  /** @see CustomerSnapshotStore.commit */
  async commit(write: SnapshotWrite): Promise<CommitResult> {
    try {
      const state = await this.orm.em.fork().transactional((tx) => this.write(tx, write));
      return { ok: true, state };
    } catch (error) {
      if (error instanceof Conflict) return { ok: false, conflict: true };
      if (error instanceof Refusal) return { ok: false, conflict: false, error: error.error };
      if (error instanceof UniqueConstraintViolationException) {
        // The customer id itself (a create racing another writer) is a conflict; anything else
        // (an e-mail address, a username) a refusal.
        if (/customers_pkey/.test(error.message)) return { ok: false, conflict: true };
        if (/customers_customer_code_lower_unique/.test(error.message)) {
          return { ok: false, conflict: false, error: alreadyExists(`customer code "${write.next?.customerCode ?? ''}" is already used by another customer`) };
        }
        return { ok: false, conflict: false, error: alreadyExists('this e-mail address or username is already used by another customer or user') };
      }
      if (error instanceof ForeignKeyConstraintViolationException) {
        return { ok: false, conflict: false, error: refused('the customer still has orders, instances, invoices, payments or ledger entries; deactivate it instead') };
      }
      throw error;
    }
  }

  private async write(tx: EntityManager, write: SnapshotWrite): Promise<CustomerState | null> {
    const { next } = write;
    if (write.attachments?.uniqueName && next) await this.refuseTakenName(tx, next);
    if (next && next.customerCode !== '' && write.change !== 'delete') await this.refuseTakenCode(tx, next);
    let state: CustomerState | null = null;
    switch (write.change) {
      case 'insert': {
        if (!next) throw new Error('an insert needs the new state');
        const rows = await tx.execute<SnapshotRow[]>(
          `insert into customers (id, name, contact_person, email, phone, company, notes, credit_limit, is_active, can_create_api_keys,
             customer_code, customer_type, industry, address, payment_terms_days, tax_number, rating, rating_notes, version, created_at, updated_at)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, now(), now())
           returning ${CUSTOMER_COLUMNS}`,
          [next.id, next.name, next.contactPerson, next.email, next.phone, next.company, next.notes, next.creditLimit, next.isActive, next.canCreateApiKeys,
            next.customerCode, next.customerType, next.industry, next.address, next.paymentTermsDays, next.taxNumber, next.rating, next.ratingNotes],
        );
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
          await tx.execute('update customer_users set is_active = false, updated_at = now() where customer_id = ? and is_active', [write.customerId]);
          await tx.execute('update api_keys set enabled = false, revoked_at = now() where customer_id = ? and revoked_at is null', [write.customerId]);
          break;
        }
        const deleted = await tx.execute<Array<{ id: string }>>('delete from customers where id = ? and version = ? returning id', [write.customerId, write.expectedVersion]);
        if (!deleted[0]) throw new Conflict();
        break;
      }
      case 'none':
        return write.next;
    }
    if (write.attachments?.registration) await this.openRegistration(tx, write.customerId, write.attachments.registration);
    if (write.audit) recordAudit(tx, write.audit.origin, { action: write.audit.action, targetType: 'customer', targetId: write.customerId, details: write.audit.details });
    tx.create(CustomerCommand, {
      customerId: write.customerId,
      idempotencyKey: write.idempotencyKey,
      commandType: write.commandType,
      outcome: { ...write.outcome, state } as unknown as Record<string, unknown>,
    });
    await tx.flush();
    return state;
  }

  /** Another customer with the same name (trimmed, case-insensitive)? Serialized by a lock on the name. */
  private async refuseTakenName(tx: EntityManager, next: CustomerState): Promise<void> {
    await tx.execute('select pg_advisory_xact_lock(?, hashtext(lower(?)))', [0x4355, next.name]);
    const taken = await tx.execute<Array<{ id: string }>>('select id from customers where lower(btrim(name)) = lower(btrim(?)) and id <> ? limit 1', [next.name, next.id]);
    if (taken[0]) throw new Refusal(alreadyExists(`a customer named "${next.name}" already exists (${taken[0].id})`));
  }

  /** The fenced update of a snapshot row to `next`. @throws Conflict when the version moved on */
  private async updateRow(tx: EntityManager, customerId: string, expectedVersion: number | null, next: CustomerState): Promise<CustomerState> {
    const rows = await tx.execute<SnapshotRow[]>(
      `update customers set name = ?, contact_person = ?, email = ?, phone = ?, company = ?, notes = ?, credit_limit = ?,
         is_active = ?, can_create_api_keys = ?, customer_code = ?, customer_type = ?, industry = ?, address = ?, payment_terms_days = ?,
         tax_number = ?, rating = ?, rating_notes = ?, deleted_at = ?, version = version + 1, updated_at = now()
       where id = ? and version = ? returning ${CUSTOMER_COLUMNS}`,
      [next.name, next.contactPerson, next.email, next.phone, next.company, next.notes, next.creditLimit, next.isActive, next.canCreateApiKeys,
        next.customerCode, next.customerType, next.industry, next.address, next.paymentTermsDays, next.taxNumber, next.rating, next.ratingNotes,
        next.deletedAt, customerId, expectedVersion],
    );
    if (!rows[0]) throw new Conflict();
    return stateOf(rows[0]);
  }

  /** Another customer with the same code (any case, deleted customers included)? */
  private async refuseTakenCode(tx: EntityManager, next: CustomerState): Promise<void> {
    const taken = await tx.execute<Array<{ id: string }>>('select id from customers where lower(customer_code) = lower(?) and id <> ? limit 1', [next.customerCode, next.id]);
    if (taken[0]) throw new Refusal(alreadyExists(`customer code "${next.customerCode}" is already used by customer ${taken[0].id}`));
  }

  /**
   * A customer is deleted only when nothing of it is still going on: no unfinished order, no
   * instance that is not terminated, no invoice left to pay.
   */
  private async refuseWhileOpen(tx: EntityManager, customerId: string): Promise<void> {
    const rows = await tx.execute<Array<{ one: string; many: string; n: string }>>(
      `select 'unfinished order' as one, 'unfinished orders' as many, count(*)::text as n from orders
         where customer_id = ? and status in ('pending', 'paid', 'provisioning', 'active', 'suspended')
       union all select 'instance not terminated', 'instances not terminated', count(*)::text from instances where customer_id = ? and status <> 'terminated'
       union all select 'unpaid invoice', 'unpaid invoices', count(*)::text from invoices where customer_id = ? and status in ('issued', 'overdue')`,
      [customerId, customerId, customerId],
    );
    const open = rows.filter((row) => row.n !== '0').map((row) => `${row.n} ${row.n === '1' ? row.one : row.many}`);
    if (open.length > 0) throw new Refusal(refused(`the customer still has ${open.join(', ')}; finish, cancel or terminate them first, or deactivate the customer instead`));
  }

  /** Whether orders, invoices, payments or ledger entries name the customer (then its row is kept: soft deletion). */
  private async hasHistory(tx: EntityManager, customerId: string): Promise<boolean> {
    const rows = await tx.execute<Array<{ found: boolean }>>(
      `select exists (select 1 from orders where customer_id = ?) or exists (select 1 from invoices where customer_id = ?)
           or exists (select 1 from payments where customer_id = ?) or exists (select 1 from balance_transactions where customer_id = ?)
           or exists (select 1 from instances where customer_id = ?) as found`,
      [customerId, customerId, customerId, customerId, customerId],
    );
    return rows[0]?.found === true;
  }

  private async openRegistration(tx: EntityManager, customerId: string, registration: NonNullable<SnapshotWrite['attachments']>['registration'] & object): Promise<void> {
    const consumed = await tx.nativeUpdate(VerificationCode, { id: registration.verificationCodeId, consumedAt: null }, { consumedAt: new Date() });
    if (consumed === 0) throw new Refusal(invalid('the verification code was already used; request a new one'));
    tx.create(CustomerUser, { ...registration.user, customerId, emailVerifiedAt: new Date() });
  }
}
