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
 * Since migration 0015 (Citus: `customers` is distributed by `id`) the e-mail and customer-code
 * uniqueness is kept in the reference table `global_unique_keys` by a row trigger, which raises
 * `unique_violation` naming `customers_email_lower_unique` / `customers_customer_code_lower_unique`
 * as the unique indexes did; plain `lower(…)` indexes serve the look-ups.
 *
 * The CRM extension's fields (migrations 0001 and 0011; README "Customer relationship management"):
 * - `customerCode`: required, unique whatever its case (`customers_customer_code_lower_unique`);
 *   inserted empty, the trigger `customers_assign_code` gives it the next free `C000001`, ….
 * - `customerType` ('' or enterprise / individual / distributor / retail), `industry`, `address`,
 *   `taxNumber`: '' when not set.
 * - `country` (ISO 3166-1 alpha-2, '' = unknown) and `region`: where tax rules apply (issue 11).
 * - `paymentTermsDays`: 0..3650 days, null = the `[billing] due_days` default.
 * - `rating`: the *manual* rating, 1..5 stars, null when none is set (the computed rating in
 *   `customer_scores` applies, else 3); `ratingNotes` says why.
 * - `deletedAt`: soft deletion: a deleted customer vanishes from lists and cannot order or log in,
 *   but keeps its ledger, orders and invoices.
 *
 * Deleting the row itself (a customer that never had orders, invoices, payments or ledger entries)
 * cascades to its users, their refresh tokens, its API keys and its tickets; it is refused
 * (foreign-key violation, SQLSTATE 23503) while money history exists, which is never deleted.
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
    customerCode: p.string().length(50).default(''),
    customerType: p.string().length(32).default(''),
    industry: p.string().length(100).default(''),
    address: p.text().default(''),
    paymentTermsDays: p.integer().nullable(),
    taxNumber: p.string().length(64).default(''),
    country: p.string().length(2).default(''),
    region: p.string().length(64).default(''),
    rating: p.smallint().nullable(),
    ratingNotes: p.text().default(''),
    deletedAt: p.datetime().nullable(),
    version: lockVersion(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  indexes: [
    // Unique across customers through global_unique_keys (migration 0015); these serve look-ups.
    { name: 'customers_email_lower_index', expression: 'create index customers_email_lower_index on customers (lower(email))' },
    { name: 'customers_customer_code_lower_index', expression: 'create index customers_customer_code_lower_index on customers (lower(customer_code))' },
    { name: 'customers_created_at_index', properties: ['createdAt'] },
    // CreateCustomer's name check: "another customer with this name, trimmed, in any case".
    { name: 'customers_name_lower_index', expression: 'create index customers_name_lower_index on customers (lower(btrim(name)))' },
    { name: 'customers_customer_type_index', properties: ['customerType'] },
    { name: 'customers_industry_lower_index', expression: 'create index customers_industry_lower_index on customers (lower(industry))' },
  ],
  checks: [
    { name: 'customers_credit_limit_check', expression: 'credit_limit >= 0' },
    { name: 'customers_customer_code_check', expression: "btrim(customer_code) <> ''" },
    { name: 'customers_payment_terms_days_check', expression: 'payment_terms_days >= 0 and payment_terms_days <= 3650' },
    { name: 'customers_rating_check', expression: 'rating >= 1 and rating <= 5' },
    { name: 'customers_country_check', expression: "country = '' or country ~ '^[A-Z]{2}$'" },
  ],
});
/** A row of `customers`. */
export type Customer = InferEntity<typeof Customer>;
