import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UniqueConstraintViolationException } from '@mikro-orm/postgresql';
import pg from 'pg';
import { loadConfig } from '../../cluster.config.ts';
import { hashPassword } from '../domain/identity/passwords.ts';
import { emailProblem, normalizeEmail, passwordProblem, usernameProblem } from '../domain/identity/validation.ts';
import { ADMIN_ROLES, type AdminRole } from '../domain/identity/principal.ts';
import { AdminUser } from '../persistence/entities/admin-users.ts';
import { createOrm } from '../persistence/orm.ts';
import { rfc3339 } from '../lib/time.ts';
import { listFailedEvents, retryFailedEvent } from '../jobs/dead-letters.ts';

const USAGE = `NodeBill administration (the RustBill CLI's user commands)

  npm run cli -- user create --username NAME --password PASS [--role admin|operator] [--email ADDR]
  npm run cli -- user list
  npm run cli -- events failed [--limit N]
  npm run cli -- events retry ID

The database is [db] url / DATABASE_URL, or the running embedded PostgreSQL under data_dir.
`;

/** The database URL: configured, or that of the embedded PostgreSQL the server is running now. */
function databaseUrl(): string {
  const config = loadConfig();
  if (config.db.url !== '') return config.db.url;
  const pidFile = path.join(config.data_dir, 'pg', 'postmaster.pid');
  const secretsFile = path.join(config.data_dir, 'secrets.json');
  let port: string | undefined;
  let password: string | undefined;
  try {
    port = readFileSync(pidFile, 'utf8').split('\n')[3]?.trim();
    password = (JSON.parse(readFileSync(secretsFile, 'utf8')) as { database_password?: string }).database_password;
  } catch {
    // Reported below.
  }
  if (!port || !password) {
    throw new Error(`no database configured and no running embedded PostgreSQL found in ${config.data_dir}; start the server (npm start) or set DATABASE_URL`);
  }
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/nodebill`;
}

/**
 * `events failed`: the dead letters (id, type, order, attempts, last error), oldest failure first;
 * `events retry ID`: sends one back to pending with attempts reset. Exit code 0, or 1 when the id
 * is refused (unknown, or not failed), 2 for bad arguments.
 */
async function eventsCommand(command: string | undefined, rest: string[]): Promise<number> {
  if (command !== 'failed' && command !== 'retry') {
    process.stdout.write(USAGE);
    return 2;
  }
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { limit: { type: 'string', default: '100' } } });
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) {
    process.stderr.write('--limit must be a whole number of at least 1\n');
    return 2;
  }
  const pool = new pg.Pool({ connectionString: databaseUrl(), max: 1 });
  try {
    if (command === 'failed') {
      const failed = await listFailedEvents(pool, limit);
      if (failed.length === 0) {
        process.stdout.write('no failed events\n');
        return 0;
      }
      for (const event of failed) {
        const error = (event.lastError ?? '').replace(/\s+/g, ' ');
        process.stdout.write(`${event.id}  ${event.eventType.padEnd(20)} order ${event.orderId ?? '-'}  attempts ${event.attempts}  failed ${event.failedAt ?? '-'}  ${error}\n`);
      }
      return 0;
    }
    const [id, extra] = positionals;
    if (id === undefined || extra !== undefined) {
      process.stderr.write('usage: npm run cli -- events retry ID\n');
      return 2;
    }
    const outcome = await retryFailedEvent(pool, id);
    switch (outcome.kind) {
      case 'retried':
        process.stdout.write(`event ${id} is pending again (attempts reset); a worker runs it within [jobs] poll_interval_ms\n`);
        return 0;
      case 'not_found':
        process.stderr.write(`no event with id "${id}" (see: npm run cli -- events failed)\n`);
        return 1;
      case 'not_failed':
        process.stderr.write(`event ${id} is ${outcome.status}, not failed: only failed events can be retried\n`);
        return 1;
    }
  } finally {
    await pool.end();
  }
}

async function main(argv: string[]): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === 'events') return eventsCommand(command, rest);
  if (group !== 'user' || (command !== 'create' && command !== 'list')) {
    process.stdout.write(USAGE);
    return group === undefined || group === 'help' || group === '--help' ? 0 : 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: { username: { type: 'string' }, password: { type: 'string' }, role: { type: 'string', default: 'operator' }, email: { type: 'string', default: '' } },
  });
  const orm = await createOrm({ url: databaseUrl(), poolMin: 0, poolMax: 1 });
  try {
    const em = orm.em.fork();
    if (command === 'list') {
      for (const user of await em.find(AdminUser, {}, { orderBy: { createdAt: 'asc' } })) {
        process.stdout.write(`${user.id}  ${user.username.padEnd(20)} ${user.role.padEnd(9)} ${user.isActive ? 'active  ' : 'disabled'} ${rfc3339(user.createdAt)}\n`);
      }
      return 0;
    }
    const username = values.username ?? '';
    const password = values.password ?? '';
    const role = values.role as AdminRole;
    const problems = [usernameProblem(username), passwordProblem(password), values.email ? emailProblem(values.email) : null].filter((p) => p !== null);
    if (!ADMIN_ROLES.includes(role)) problems.push('role must be "admin" or "operator"');
    if (problems.length > 0) {
      process.stderr.write(`${problems.join('\n')}\n`);
      return 2;
    }
    const user = em.create(AdminUser, { username, passwordHash: await hashPassword(password), role, email: normalizeEmail(values.email ?? ''), displayName: username });
    try {
      await em.flush();
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) {
        process.stderr.write(`an admin user named "${username}" (or with that e-mail address) already exists\n`);
        return 1;
      }
      throw error;
    }
    process.stdout.write(`created ${role} ${username} (${user.id})\n`);
    return 0;
  } finally {
    await orm.close(true);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
