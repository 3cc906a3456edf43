import { createTestDatabase } from '../../support/db.ts';
import { migrateWithLock } from '../../../src/persistence/migrate.ts';
import { createOrm } from '../../../src/persistence/orm.ts';
import { Customer, Order, ApiKey } from '../../../src/persistence/entities/index.ts';
const db = await createTestDatabase();
try {
  await migrateWithLock(db.url);
  const orm = await createOrm({ url: db.url });
  const em = orm.em.fork();
  const c = em.create(Customer, { name: 'x' });
  const o = em.create(Order, { customerId: c.id, amount: '1.00' });
  const k = em.create(ApiKey, { customerId: c.id, name: 'k', keyPrefix: 'p', keyHash: 'h' });
  console.log('before flush', typeof o.serverSpec, o.serverSpec, k.permissions);
  await em.flush();
  console.log(await orm.em.getConnection().execute("select server_spec, jsonb_typeof(server_spec) t from orders"));
  console.log(await orm.em.getConnection().execute("select permissions, jsonb_typeof(permissions) t from api_keys"));
  const o2 = await orm.em.fork().findOneOrFail(Order, { id: o.id });
  console.log(typeof o2.serverSpec, o2.serverSpec);
  await orm.close();
} finally { await db.drop(); }
