import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt, money, uuidPrimaryKey } from './columns.ts';
import { Customer } from './customers.ts';

/** Kinds of balance change (`BalanceTransactionInfo.transaction_type`). */
export const BALANCE_TRANSACTION_TYPES = ['recharge', 'payment', 'refund', 'adjustment'] as const;
/** One of {@link BALANCE_TRANSACTION_TYPES}. */
export type BalanceTransactionType = (typeof BALANCE_TRANSACTION_TYPES)[number];

/**
 * Table `balance_transactions` (`BalanceTransactionInfo`): the append-only ledger of a customer's
 * balance. Customer-owned (`customerId` NOT NULL; deleting the customer is refused while it has
 * ledger rows).
 *
 * Money (decimal strings): `amount` is signed (+ credit, − debit, never 0); `balanceBefore` and
 * `balanceAfter` bracket it, CHECK `balance_after = balance_before + amount`.
 *
 * - `referenceId` is the order, payment or operation-log entry behind the change.
 * - A recharge is credited once: `(customer_id, reference_id)` is unique for
 *   `transaction_type = 'recharge'` (partial unique index; `referenceId` = the recharge payment).
 * - Primary key `(customer_id, id)` (Citus: distributed by `customer_id`), plain index on `id`.
 */
export const BalanceTransaction = defineEntity({
  name: 'BalanceTransaction',
  tableName: 'balance_transactions',
  properties: {
    customerId: p.manyToOne(Customer).mapToPk().fieldName('customer_id').deleteRule('no action').primary(),
    id: uuidPrimaryKey(),
    transactionType: p.enum(BALANCE_TRANSACTION_TYPES),
    amount: money(),
    balanceBefore: money(),
    balanceAfter: money(),
    referenceId: p.uuid().nullable(),
    description: p.text().default(''),
    createdAt: createdAt(),
  },
  primaryKeys: ['customerId', 'id'],
  uniques: [
    {
      name: 'balance_transactions_recharge_once_unique',
      properties: ['customerId', 'referenceId'],
      where: "transaction_type = 'recharge'",
    },
  ],
  indexes: [
    { name: 'balance_transactions_id_index', properties: ['id'] },
    { name: 'balance_transactions_customer_id_created_at_index', properties: ['customerId', 'createdAt'] },
    { name: 'balance_transactions_reference_id_index', properties: ['referenceId'] },
  ],
  checks: [
    { name: 'balance_transactions_amount_check', expression: 'amount <> 0' },
    { name: 'balance_transactions_balance_check', expression: 'balance_after = balance_before + amount' },
  ],
});
/** A row of `balance_transactions`. */
export type BalanceTransaction = InferEntity<typeof BalanceTransaction>;
