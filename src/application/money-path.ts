/**
 * The money path's application services (issue 8), built once per worker: orders, payments,
 * balances and their reads, all over the customers' actors (AccountCommands) and one PostgreSQL
 * pool of their own.
 */
import type pg from 'pg';
import { AccountCommands } from './accounts/account-commands.ts';
import { Balances } from './balance/balances.ts';
import type { CustomerActors } from './customers/customer-accounts.ts';
import { MoneyReads } from './money-reads.ts';
import { Orders, type OrderPricing } from './orders/orders.ts';
import type { PaymentGateways } from './payments/gateway-port.ts';
import { Payments } from './payments/payments.ts';

/** See the file comment. */
export interface MoneyPath {
  accounts: AccountCommands;
  orders: Orders;
  payments: Payments;
  balances: Balances;
  reads: MoneyReads;
}

/** Builds the money path over the actors, the gateways and `pool`. */
export function createMoneyPath(deps: { pool: pg.Pool; actors: CustomerActors; gateways: PaymentGateways; pricing?: OrderPricing }): MoneyPath {
  const { pool, gateways } = deps;
  const accounts = new AccountCommands(deps.actors);
  const reads = new MoneyReads(pool);
  const orders = new Orders({ pool, accounts, gateways, reads, ...(deps.pricing ? { pricing: deps.pricing } : {}) });
  return {
    accounts,
    orders,
    payments: new Payments({ pool, accounts, gateways, reads, orders }),
    balances: new Balances({ accounts, gateways }),
    reads,
  };
}
