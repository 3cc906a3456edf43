import {
  CheckConstraintViolationException,
  ForeignKeyConstraintViolationException,
  NotNullConstraintViolationException,
  OptimisticLockError,
  UniqueConstraintViolationException,
  type MikroORM,
  type QueryResult,
} from '@mikro-orm/postgresql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, isUuidV7 } from '../../src/lib/ids.ts';
import {
  ApiKey,
  BalanceTransaction,
  Customer,
  Invoice,
  Order,
  Payment,
  PluginInterface,
  Ticket,
  TicketReply,
} from '../../src/persistence/entities/index.ts';
import { createOrm } from '../../src/persistence/orm.ts';
import { migratedTestDatabase, type MigratedTestDatabase } from '../support/db.ts';

/** SQLSTATE codes of raw-SQL failures (raw `execute` errors are pg's `DatabaseError`, not converted). */
const NOT_NULL_VIOLATION = '23502';
const CHECK_VIOLATION = '23514';

describe('schema constraints', () => {
  let database: MigratedTestDatabase;
  let orm: MikroORM;

  beforeAll(async () => {
    database = await migratedTestDatabase();
    orm = await createOrm({ url: database.url, poolMin: 0, poolMax: 4 });
  });
  afterAll(async () => {
    await orm?.close();
    await database?.drop();
  });

  async function newCustomer(fields: Partial<Pick<Customer, 'balance' | 'creditLimit' | 'email'>> = {}): Promise<Customer> {
    const em = orm.em.fork();
    const customer = em.create(Customer, { name: `customer ${newId()}`, ...fields });
    await em.flush();
    return customer;
  }

  async function newOrder(customerId: string): Promise<Order> {
    const em = orm.em.fork();
    const order = em.create(Order, { customerId, amount: '29.00', productName: 'VPS-1C2G' });
    await em.flush();
    return order;
  }

  it('gives new rows UUID v7 ids before the flush', () => {
    const customer = orm.em.fork().create(Customer, { name: 'not flushed' });
    expect(isUuidV7(customer.id)).toBe(true);
  });

  it('stores JSON columns left to their default as objects and arrays, not JSON strings', async () => {
    const customer = await newCustomer();
    const em = orm.em.fork();
    const order = em.create(Order, { customerId: customer.id, amount: '1.00' });
    const key = em.create(ApiKey, { customerId: customer.id, name: 'ci', keyPrefix: 'rk_live_x', keyHash: newId() });
    expect(order.serverSpec).toEqual({});
    expect(key.permissions).toEqual([]);
    await em.flush();
    const types = await orm.em
      .getConnection()
      .execute<{ spec: string; permissions: string }[]>(
        `select jsonb_typeof(o.server_spec) as spec, jsonb_typeof(k.permissions) as permissions
           from orders o, api_keys k where o.id = ? and k.id = ?`,
        [order.id, key.id],
      );
    expect(types).toEqual([{ spec: 'object', permissions: 'array' }]);
    // The SQL defaults agree (rows inserted by raw SQL).
    await orm.em
      .getConnection()
      .execute(`insert into event_queue (id, event_type) values (?, 'test')`, [newId()], 'run');
    const raw = await orm.em
      .getConnection()
      .execute<{ payload: unknown }[]>(`select payload from event_queue where event_type = 'test'`);
    expect(raw).toEqual([{ payload: {} }]);
  });

  describe('money', () => {
    it("round-trips '10.50' as the string '10.50'", async () => {
      const created = await newCustomer({ balance: '10.50', creditLimit: '100.00' });
      const loaded = await orm.em.fork().findOneOrFail(Customer, { id: created.id });
      expect(loaded.balance).toBe('10.50');
      expect(typeof loaded.balance).toBe('string');
      expect(loaded.creditLimit).toBe('100.00');
    });

    it('keeps two decimals, also for whole, large and negative amounts', async () => {
      const created = await newCustomer({ balance: '-42', creditLimit: '9999999999.99' });
      const loaded = await orm.em.fork().findOneOrFail(Customer, { id: created.id });
      expect(loaded.balance).toBe('-42.00');
      expect(loaded.creditLimit).toBe('9999999999.99');
      const raw = await orm.em.getConnection().execute<{ balance: unknown }[]>('select balance from customers where id = ?', [
        created.id,
      ]);
      expect(raw[0]?.balance).toBe('-42.00');
    });

    it('rejects amounts beyond NUMERIC(12,2)', async () => {
      await expect(newCustomer({ creditLimit: '10000000000.00' })).rejects.toThrow(/numeric field overflow/);
    });

    it('rejects a negative credit limit and a ledger row that does not add up', async () => {
      await expect(newCustomer({ creditLimit: '-1.00' })).rejects.toBeInstanceOf(CheckConstraintViolationException);
      const customer = await newCustomer();
      const em = orm.em.fork();
      em.create(BalanceTransaction, {
        customerId: customer.id,
        transactionType: 'recharge',
        amount: '10.00',
        balanceBefore: '0.00',
        balanceAfter: '10.01',
      });
      await expect(em.flush()).rejects.toBeInstanceOf(CheckConstraintViolationException);
    });
  });

  describe('optimistic lock (version)', () => {
    it('starts at 1 and counts flushed updates', async () => {
      const customer = await newCustomer();
      expect(customer.version).toBe(1);
      const em = orm.em.fork();
      const loaded = await em.findOneOrFail(Customer, { id: customer.id });
      loaded.notes = 'changed';
      await em.flush();
      expect(loaded.version).toBe(2);
    });

    it('rejects a stale ORM update with OptimisticLockError', async () => {
      const customer = await newCustomer({ balance: '100.00' });
      const first = orm.em.fork();
      const second = orm.em.fork();
      const a = await first.findOneOrFail(Customer, { id: customer.id });
      const b = await second.findOneOrFail(Customer, { id: customer.id });
      a.balance = '90.00';
      await first.flush();
      b.balance = '80.00';
      await expect(second.flush()).rejects.toBeInstanceOf(OptimisticLockError);
      const reloaded = await orm.em.fork().findOneOrFail(Customer, { id: customer.id });
      expect(reloaded.balance).toBe('90.00');
      expect(reloaded.version).toBe(2);
    });

    it('updates 0 rows for a raw UPDATE … WHERE version = $expected with a stale version', async () => {
      const customer = await newCustomer();
      const order = await newOrder(customer.id);
      const connection = orm.em.getConnection();
      const update = (expected: number) =>
        connection.execute<QueryResult>(
          `update orders set status = 'paid', version = version + 1, updated_at = now() where id = ? and version = ?`,
          [order.id, expected],
          'run',
        );
      expect((await update(1)).affectedRows).toBe(1);
      expect((await update(1)).affectedRows).toBe(0);
      const reloaded = await orm.em.fork().findOneOrFail(Order, { id: order.id });
      expect(reloaded.version).toBe(2);
      expect(reloaded.status).toBe('paid');
    });
  });

  describe('customer ownership', () => {
    it('enforces NOT NULL customer_id', async () => {
      const connection = orm.em.getConnection();
      // Raw SQL fails with SQLSTATE 23502 (not_null_violation) ...
      await expect(
        connection.execute(`insert into orders (id, amount) values (?, '1.00')`, [newId()], 'run'),
      ).rejects.toMatchObject({ code: NOT_NULL_VIOLATION, column: 'customer_id' });
      await expect(
        connection.execute(
          `insert into payments (id, kind, amount) values (?, 'recharge', '1.00')`,
          [newId()],
          'run',
        ),
      ).rejects.toMatchObject({ code: NOT_NULL_VIOLATION, column: 'customer_id' });
      // ... which MikroORM reports as NotNullConstraintViolationException (for an entity it already
      // refuses to flush a missing customerId before sending SQL).
      await expect(
        orm.em.fork().insert(Order, { id: newId(), customerId: null as unknown as string, amount: '1.00' }),
      ).rejects.toBeInstanceOf(NotNullConstraintViolationException);
      const em = orm.em.fork();
      em.create(Order, { customerId: null as unknown as string, amount: '1.00' });
      await expect(em.flush()).rejects.toThrow(/customerId/);
    });

    it('rejects a customer_id that names no customer', async () => {
      const em = orm.em.fork();
      em.create(Order, { customerId: newId(), amount: '1.00' });
      await expect(em.flush()).rejects.toBeInstanceOf(ForeignKeyConstraintViolationException);
    });

    it('refuses to delete a customer with money history, but cascades its tickets', async () => {
      const withOrder = await newCustomer();
      await newOrder(withOrder.id);
      await expect(orm.em.fork().nativeDelete(Customer, { id: withOrder.id })).rejects.toBeInstanceOf(
        ForeignKeyConstraintViolationException,
      );

      const withTicket = await newCustomer();
      const em = orm.em.fork();
      const ticket = em.create(Ticket, { customerId: withTicket.id, title: 'cannot ssh' });
      em.create(TicketReply, { ticketId: ticket.id, customerId: withTicket.id, authorType: 'customer', content: 'help' });
      await em.flush();
      expect(await orm.em.fork().nativeDelete(Customer, { id: withTicket.id })).toBe(1);
      expect(await orm.em.fork().count(TicketReply, { customerId: withTicket.id })).toBe(0);
    });

    it('lets only admins write internal ticket notes', async () => {
      const customer = await newCustomer();
      const em = orm.em.fork();
      const ticket = em.create(Ticket, { customerId: customer.id, title: 'billing question' });
      em.create(TicketReply, {
        ticketId: ticket.id,
        customerId: customer.id,
        authorType: 'customer',
        content: 'secret',
        isInternal: true,
      });
      await expect(em.flush()).rejects.toBeInstanceOf(CheckConstraintViolationException);
    });
  });

  describe('status columns', () => {
    it('accept the state-machine values and reject others', async () => {
      const customer = await newCustomer();
      const order = await newOrder(customer.id);
      const connection = orm.em.getConnection();
      for (const status of ['paid', 'provisioning', 'active', 'suspended', 'completed', 'refunded', 'cancelled']) {
        await connection.execute(`update orders set status = ? where id = ?`, [status, order.id], 'run');
      }
      await expect(
        connection.execute(`update orders set status = 'terminated' where id = ?`, [order.id], 'run'),
      ).rejects.toMatchObject({ code: CHECK_VIOLATION, constraint: 'orders_status_check' });
      await expect(
        connection.execute(
          `insert into instances (id, customer_id, status) values (?, ?, 'deleted')`,
          [newId(), customer.id],
          'run',
        ),
      ).rejects.toMatchObject({ code: CHECK_VIOLATION, constraint: 'instances_status_check' });
      await expect(
        connection.execute(
          `insert into admin_users (id, username, password_hash, role) values (?, ?, 'x', 'root')`,
          [newId(), `u${Date.now()}`],
          'run',
        ),
      ).rejects.toMatchObject({ code: CHECK_VIOLATION, constraint: 'admin_users_role_check' });
    });

    it('require a payment to reference what it pays for', async () => {
      const customer = await newCustomer();
      const em = orm.em.fork();
      em.create(Payment, { customerId: customer.id, kind: 'order', amount: '5.00' });
      await expect(em.flush()).rejects.toBeInstanceOf(CheckConstraintViolationException);
      const ok = orm.em.fork();
      ok.create(Payment, { customerId: customer.id, kind: 'recharge', amount: '5.00' });
      await ok.flush();
    });
  });

  describe('uniqueness', () => {
    it('holds UNIQUE(plugin_type, plugin_id, display_name) on plugin_interfaces', async () => {
      const em = orm.em.fork();
      em.create(PluginInterface, { pluginType: 'gateway', pluginId: 'yipay', displayName: 'Main site' });
      await em.flush();

      const other = orm.em.fork();
      other.create(PluginInterface, { pluginType: 'gateway', pluginId: 'yipay', displayName: 'Backup' });
      other.create(PluginInterface, { pluginType: 'notifier', pluginId: 'yipay', displayName: 'Main site' });
      await other.flush();

      const duplicate = orm.em.fork();
      duplicate.create(PluginInterface, { pluginType: 'gateway', pluginId: 'yipay', displayName: 'Main site' });
      await expect(duplicate.flush()).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    });

    it('makes customer e-mail addresses unique regardless of case', async () => {
      const suffix = newId();
      await newCustomer({ email: `Owner-${suffix}@Example.com` });
      await expect(newCustomer({ email: `owner-${suffix}@example.com` })).rejects.toBeInstanceOf(
        UniqueConstraintViolationException,
      );
      // '' means "no address" and may repeat.
      await newCustomer({ email: '' });
      await newCustomer({ email: '' });
    });

    it('credits a recharge payment to the ledger only once', async () => {
      const customer = await newCustomer();
      const payment = newId();
      const row = { customerId: customer.id, transactionType: 'recharge' as const, referenceId: payment };
      const em = orm.em.fork();
      em.create(BalanceTransaction, { ...row, amount: '10.00', balanceBefore: '0.00', balanceAfter: '10.00' });
      await em.flush();
      const again = orm.em.fork();
      again.create(BalanceTransaction, { ...row, amount: '10.00', balanceBefore: '10.00', balanceAfter: '20.00' });
      await expect(again.flush()).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    });

    it('bills a customer period once per billing run', async () => {
      const customer = await newCustomer();
      const invoice = (source: 'manual' | 'generated') => ({
        invoiceNumber: `INV-${newId()}`,
        customerId: customer.id,
        billingPeriodStart: '2026-10-01',
        billingPeriodEnd: '2026-10-31',
        amount: '100.00',
        taxAmount: '13.00',
        totalAmount: '113.00',
        source,
      });
      const em = orm.em.fork();
      em.create(Invoice, invoice('generated'));
      em.create(Invoice, invoice('manual'));
      await em.flush();
      const loaded = await orm.em.fork().findOneOrFail(Invoice, { customerId: customer.id, source: 'generated' });
      expect(loaded.billingPeriodStart).toBe('2026-10-01');
      expect(loaded.totalAmount).toBe('113.00');

      const again = orm.em.fork();
      again.create(Invoice, invoice('generated'));
      await expect(again.flush()).rejects.toBeInstanceOf(UniqueConstraintViolationException);
    });
  });
});
