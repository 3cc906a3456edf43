import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt, lockVersion, money, updatedAt, uuidPrimaryKey } from './columns.ts';

/**
 * Table `customers`: a billing account (`CustomerInfo`), the root of all customer-owned data and
 * the persisted snapshot of the customer's actor. Its `id` is the `customer_id` every
 * customer-owned table carries (and the Citus distribution key).
 *
 * Money (decimal strings, 2 places):
 * - `balance`: prepaid balance; may go negative down to `-creditLimit` (enforced by the customer
 *   actor, not by a CHECK, so that an admin may lower a credit limit below existing debt).
 * - `creditLimit`: `>= 0` (CHECK).
 *
 * `version` is the optimistic lock of the actor snapshot (see `lockVersion`): a stale write throws
 * `OptimisticLockError` (ORM) or updates 0 rows (raw `UPDATE … WHERE version = $expected`).
 *
 * `email` is unique case-insensitively when not empty (registration's "email already registered").
 * Names are not unique in the database; `CreateCustomer`'s AlreadyExists check is the handler's.
 *
 * The CRM extension's fields (`customerCode` unique when set, `customerType`, `industry`, `address`,
 * `paymentTermsDays` >= 0, `taxNumber`, `rating` 1..5, `ratingNotes`) have neutral defaults, so
 * code that ignores them is unaffected.
 *
 * Deleting a customer cascades to its users, their refresh tokens, its API keys and its tickets,
 * but is refused (foreign-key violation, SQLSTATE 23503, `ForeignKeyConstraintViolationException`)
 * while orders, instances, invoices, payments or ledger rows exist: money history is never deleted
 * implicitly — deactivate the customer instead.
 */
export const Customer = defineEntity({
  name: 'Customer',
  tableName: 'customers',
  properties: {
    id: uuidPrimaryKey(),
    name: p.string().length(255),
    contactPerson: p.string().length(255).default(''),
    email: p.string().length(255).default(''),
    phone: p.string().length(64).default(''),
    company: p.string().length(255).default(''),
    notes: p.text().default(''),
    balance: money().default('0.00'),
    creditLimit: money().default('0.00'),
    isActive: p.boolean().default(true),
    canCreateApiKeys: p.boolean().default(false),
    customerCode: p.string().length(50).nullable().unique('customers_customer_code_unique'),
    customerType: p.string().length(32).default(''),
    industry: p.string().length(100).default(''),
    address: p.text().default(''),
    paymentTermsDays: p.integer().default(30),
    taxNumber: p.string().length(64).default(''),
    rating: p.smallint().default(3),
    ratingNotes: p.text().default(''),
    version: lockVersion(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  uniques: [
    {
      name: 'customers_email_lower_unique',
      expression: "create unique index customers_email_lower_unique on customers (lower(email)) where email <> ''",
    },
  ],
  indexes: [
    { name: 'customers_created_at_index', properties: ['createdAt'] },
    // CreateCustomer's name check: "another customer with this name, trimmed, in any case".
    { name: 'customers_name_lower_index', expression: 'create index customers_name_lower_index on customers (lower(btrim(name)))' },
  ],
  checks: [
    { name: 'customers_credit_limit_check', expression: 'credit_limit >= 0' },
    { name: 'customers_payment_terms_days_check', expression: 'payment_terms_days >= 0' },
    { name: 'customers_rating_check', expression: 'rating >= 1 and rating <= 5' },
  ],
});
/** A row of `customers`. */
export type Customer = InferEntity<typeof Customer>;
