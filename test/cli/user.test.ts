/**
 * `npm run cli -- user …` against a fresh database: admin and customer users created, listed,
 * given a new password, disabled and enabled — checked in the rows, the revoked sessions and
 * token families, and the audit trail.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/domain/identity/passwords.ts';
import { newId } from '../../src/lib/ids.ts';
import { migratedTestDatabase, queryRows, type MigratedTestDatabase } from '../support/db.ts';
import { runCli } from './support.ts';

describe('npm run cli -- user', () => {
  let database: MigratedTestDatabase;
  const cli = (...args: string[]) => runCli(database.url, args);

  beforeAll(async () => {
    database = await migratedTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  async function adminRow(username: string) {
    const [row] = await queryRows<{ id: string; role: string; is_active: boolean; password_hash: string; email: string }>(
      database.url, 'select id, role, is_active, password_hash, email from admin_users where username = $1', [username]);
    return row;
  }

  async function audit(targetId: string) {
    return queryRows<{ action: string; admin_user_id: string | null; admin_username: string; target_type: string; details: Record<string, unknown> }>(
      database.url, 'select action, admin_user_id, admin_username, target_type, details from operation_logs where target_id = $1 order by created_at, id', [targetId]);
  }

  it('creates admin users with hashed passwords, validates input, refuses duplicates and lists them', async () => {
    const created = await cli('user', 'create', '--username', 'root1', '--password', 'Root-Passw0rd', '--role', 'admin', '--email', 'Root@Example.com');
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const root = await adminRow('root1');
    expect(created.stdout).toBe(`created admin root1 (${root!.id})\n`);
    expect(root).toMatchObject({ role: 'admin', is_active: true, email: 'root@example.com' });
    expect(await verifyPassword('Root-Passw0rd', root!.password_hash)).toBe(true);
    expect(await audit(root!.id)).toEqual([
      expect.objectContaining({ action: 'user.create', admin_user_id: null, admin_username: 'cli', target_type: 'admin_user', details: expect.objectContaining({ caller: 'cli' }) }),
    ]);

    expect(await cli('user', 'create', '--username', 'oper1', '--password', 'Oper-Passw0rd')).toMatchObject({ code: 0 });
    expect(await adminRow('oper1')).toMatchObject({ role: 'operator' });

    const weak = await cli('user', 'create', '--username', 'weak1', '--password', 'short');
    expect(weak.code).toBe(2);
    expect(weak.stderr).toContain('password must be at least 8 characters long');
    expect((await cli('user', 'create', '--username', 'x', '--password', 'Good-Passw0rd')).stderr).toContain('username must be 3-32 characters');
    expect((await cli('user', 'create', '--username', 'role1', '--password', 'Good-Passw0rd', '--role', 'boss')).stderr).toContain('role must be one of admin, operator');
    expect((await cli('user', 'create', '--username', 'what1', '--password', 'Good-Passw0rd', '--colour', 'red')).code).toBe(2);
    expect(await adminRow('weak1')).toBeUndefined();

    const duplicate = await cli('user', 'create', '--username', 'root1', '--password', 'Other-Passw0rd');
    expect(duplicate).toMatchObject({ code: 1, stderr: 'an admin user named "root1" already exists\n' });

    const listed = await cli('user', 'list');
    expect(listed.code).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+USERNAME\s+ROLE\s+STATUS\s+CREATED$/);
    expect(lines.slice(1).map((line) => line.split(/\s+/).slice(0, 4))).toEqual([
      [root!.id, 'root1', 'admin', 'active'],
      [(await adminRow('oper1'))!.id, 'oper1', 'operator', 'active'],
    ]);
  });

  it('changes an admin password by name, ending its sessions; reads it from stdin too', async () => {
    const oper = (await adminRow('oper1'))!;
    const sessions = [newId(), newId()];
    for (const [index, id] of sessions.entries()) {
      await queryRows(database.url, `insert into sessions (id, admin_user_id, token_hash, expires_at) values ($1, $2, $3, now() + interval '1 day')`, [id, oper.id, `hash-${index}-${id}`]);
    }
    const changed = await cli('user', 'passwd', 'oper1', '--new-password', 'Fresh-Passw0rd');
    expect(changed).toMatchObject({ code: 0, stdout: `password of admin user oper1 (${oper.id}) changed; 2 session(s) ended\n` });
    expect(await verifyPassword('Fresh-Passw0rd', (await adminRow('oper1'))!.password_hash)).toBe(true);
    const open = await queryRows<{ id: string }>(database.url, 'select id from sessions where admin_user_id = $1 and revoked_at is null', [oper.id]);
    expect(open).toEqual([]);
    expect((await audit(oper.id)).map((row) => row.action)).toEqual(['user.create', 'user.reset_password']);

    const piped = await runCli(database.url, ['user', 'passwd', oper.id, '--password-stdin'], { input: 'Piped-Passw0rd\n' });
    expect(piped).toMatchObject({ code: 0, stdout: `password of admin user oper1 (${oper.id}) changed; it had no open sessions\n` });
    expect(await verifyPassword('Piped-Passw0rd', (await adminRow('oper1'))!.password_hash)).toBe(true);

    expect((await cli('user', 'passwd', 'oper1', '--new-password', 'nodigits')).code).toBe(2);
    expect((await cli('user', 'passwd', 'oper1')).code).toBe(2);
    expect(await cli('user', 'passwd', 'nobody', '--new-password', 'Fresh-Passw0rd')).toMatchObject({ code: 1, stderr: 'no admin user "nobody" (see: npm run cli -- user list)\n' });
  });

  it('disables an admin (ending its sessions), refuses to disable the last active admin, enables again', async () => {
    const oper = (await adminRow('oper1'))!;
    const root = (await adminRow('root1'))!;
    await queryRows(database.url, `insert into sessions (id, admin_user_id, token_hash, expires_at) values ($1, $2, $3, now() + interval '1 day')`, [newId(), oper.id, `hash-${newId()}`]);

    const disabled = await cli('user', 'disable', 'oper1');
    expect(disabled).toMatchObject({ code: 0, stdout: `admin user oper1 (${oper.id}) disabled; 1 session(s) ended\n` });
    expect((await adminRow('oper1'))!.is_active).toBe(false);
    expect(await queryRows(database.url, 'select id from sessions where admin_user_id = $1 and revoked_at is null', [oper.id])).toEqual([]);
    expect((await audit(oper.id)).at(-1)).toMatchObject({ action: 'user.update', admin_username: 'cli', details: expect.objectContaining({ changes: { isActive: { from: true, to: false } } }) });
    expect((await cli('user', 'disable', 'oper1')).stdout).toContain('is already disabled; nothing changed');
    expect((await cli('user', 'list')).stdout).toMatch(new RegExp(`${oper.id}\\s+oper1\\s+operator\\s+disabled`));

    const lastAdmin = await cli('user', 'disable', 'root1');
    expect(lastAdmin.code).toBe(1);
    expect(lastAdmin.stderr).toContain('the last active admin cannot be disabled');
    expect((await adminRow('root1'))!.is_active).toBe(true);
    expect((await audit(root.id)).map((row) => row.action)).toEqual(['user.create']);

    expect(await cli('user', 'enable', 'oper1')).toMatchObject({ code: 0, stdout: `admin user oper1 (${oper.id}) enabled\n` });
    expect((await adminRow('oper1'))!.is_active).toBe(true);
  });

  it('manages customer users: create for a customer, list, new password and disable revoke their token families', async () => {
    const customerId = newId();
    await queryRows(database.url, `insert into customers (id, name, email) values ($1, 'Acme Ltd', 'billing@acme.test')`, [customerId]);

    const noCustomer = await cli('user', 'create', '--type', 'customer', '--username', 'acme1', '--password', 'Acme-Passw0rd', '--email', 'a@acme.test');
    expect(noCustomer.code).toBe(2);
    expect(noCustomer.stderr).toContain('--customer ID is required');
    const unknown = newId();
    expect(await cli('user', 'create', '--type', 'customer', '--customer', unknown, '--username', 'acme1', '--password', 'Acme-Passw0rd', '--email', 'a@acme.test'))
      .toMatchObject({ code: 1, stderr: `no customer ${unknown} (see: npm run cli -- customer list)\n` });

    const created = await cli('user', 'create', '--type', 'customer', '--customer', customerId, '--username', 'acme1', '--password', 'Acme-Passw0rd', '--email', 'A@Acme.test');
    expect(created.code).toBe(0);
    const [user] = await queryRows<{ id: string; customer_id: string; email: string; is_active: boolean; password_hash: string }>(
      database.url, `select id, customer_id, email, is_active, password_hash from customer_users where username = 'acme1'`);
    expect(created.stdout).toBe(`created customer user acme1 (${user!.id}) for customer ${customerId}\n`);
    expect(user).toMatchObject({ customer_id: customerId, email: 'a@acme.test', is_active: true });
    expect(await verifyPassword('Acme-Passw0rd', user!.password_hash)).toBe(true);
    expect((await audit(user!.id))[0]).toMatchObject({ action: 'user.create', target_type: 'customer_user', admin_username: 'cli' });
    expect((await cli('user', 'create', '--type', 'customer', '--customer', customerId, '--username', 'acme2', '--password', 'Acme-Passw0rd', '--email', 'a@acme.test')))
      .toMatchObject({ code: 1, stderr: 'the e-mail address a@acme.test is already registered (customer user "acme1")\n' });

    const listed = await cli('user', 'list', '--type', 'customer', '--customer', customerId);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${user!.id}\\s+acme1\\s+${customerId}\\s+a@acme.test\\s+active`));
    expect((await cli('user', 'list')).stdout).not.toContain('acme1');

    const families = [newId(), newId()];
    for (const family of families) {
      await queryRows(database.url, `insert into refresh_tokens (jti, customer_user_id, customer_id, family_id, expires_at) values ($1, $2, $3, $4, now() + interval '7 days')`,
        [newId(), user!.id, customerId, family]);
    }
    expect(await cli('user', 'passwd', 'acme1', '--new-password', 'Other-Passw0rd')).toMatchObject({ code: 1 });
    const changed = await cli('user', 'passwd', 'acme1', '--type', 'customer', '--new-password', 'Other-Passw0rd');
    expect(changed).toMatchObject({ code: 0, stdout: `password of customer user acme1 (${user!.id}) changed; 2 login(s) (token families) revoked\n` });
    expect(await queryRows(database.url, 'select jti from refresh_tokens where customer_user_id = $1 and revoked_at is null', [user!.id])).toEqual([]);

    await queryRows(database.url, `insert into refresh_tokens (jti, customer_user_id, customer_id, family_id, expires_at) values ($1, $2, $3, $4, now() + interval '7 days')`,
      [newId(), user!.id, customerId, newId()]);
    expect(await cli('user', 'disable', 'acme1', '--type', 'customer')).toMatchObject({ code: 0, stdout: `customer user acme1 (${user!.id}) disabled; 1 login(s) (token families) revoked\n` });
    const [after] = await queryRows<{ is_active: boolean }>(database.url, 'select is_active from customer_users where id = $1', [user!.id]);
    expect(after!.is_active).toBe(false);
    expect(await queryRows(database.url, 'select jti from refresh_tokens where customer_user_id = $1 and revoked_at is null', [user!.id])).toEqual([]);
    expect((await audit(user!.id)).map((row) => row.action)).toEqual(['user.create', 'user.reset_password', 'user.update']);
  });
});
