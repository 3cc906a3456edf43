/**
 * `user list | create | passwd | disable | enable` (operations manual §5.1, deployment guide
 * "修改 bootstrap 密码": `user passwd admin --new-password "…"`), for admin users and customer users,
 * straight on the database.
 *
 * The rules are the server's: names, e-mail addresses and passwords are validated by
 * src/domain/identity/validation.ts, passwords hashed by src/domain/identity/passwords.ts. A
 * password change or a deactivation ends the user's admin sessions or revokes its customer token
 * families, as IdentityService AdminResetPassword / UpdateUser do (src/identity/sessions.ts,
 * customer-tokens.ts); running servers drop their cached copies through the database's
 * invalidation triggers. The last active admin cannot be disabled. Every change is one
 * transaction with its audit row (actor `cli`, src/cli/audit.ts).
 */
import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { pino } from 'pino';
import { createInterface } from 'node:readline';
import { hashPassword } from '../../domain/identity/passwords.ts';
import { isAdminRole, ADMIN_ROLES, type AdminRole } from '../../domain/identity/principal.ts';
import { adminChangeRefusal, removesActiveAdmin } from '../../domain/identity/user-policy.ts';
import { displayNameProblem, emailProblem, normalizeEmail, passwordProblem, usernameProblem, type UserType } from '../../domain/identity/validation.ts';
import { createIdentity, type Identity } from '../../identity/module.ts';
import { rfc3339 } from '../../lib/time.ts';
import { AdminUser } from '../../persistence/entities/admin-users.ts';
import { CustomerUser } from '../../persistence/entities/customer-users.ts';
import { Customer } from '../../persistence/entities/customers.ts';
import { recordCliAudit } from '../audit.ts';
import {
  CommandError, EXIT, UsageError, cliConfig, looksLikeUuid, noPositionals, onePositional, out, parse, requireUuid, table, withOrm, type CommandGroup,
} from '../context.ts';

const HELP = `npm run cli -- user COMMAND   (admin users by default; --type customer for customer users)

  user list [--type admin|customer] [--customer ID]
      id, username, role (admin users) or customer (customer users), active/disabled, created

  user create --username NAME --password PASS [--role admin|operator] [--email ADDR] [--display-name TEXT]
      creates an admin user (role default: operator; e-mail optional)
  user create --type customer --customer ID --username NAME --password PASS --email ADDR [--display-name TEXT]
      creates a login for an existing customer (e-mail required, as at registration)

  user passwd USER --new-password PASS [--type admin|customer]
  user passwd USER --password-stdin   [--type admin|customer]
      sets the password (read from the first line of stdin with --password-stdin) and ends the
      user's sessions (admin) or token families (customer)

  user disable USER [--type admin|customer]   deactivates the user and ends its sessions / tokens
  user enable USER [--type admin|customer]    activates it again

USER is a username or a user id. Usernames: 3-32 letters, digits, "_", "." or "-"; passwords: 8-72
bytes with a letter and a digit or symbol. Changes are audited in operation_logs as actor "cli".

Exit codes: 0 done, 1 refused (unknown user or customer, name or e-mail taken, last active admin),
2 bad arguments (including a weak password or an invalid name).
`;

/** A user row of either table. */
type FoundUser = { type: 'admin'; user: AdminUser } | { type: 'customer'; user: CustomerUser };

function userType(value: string | undefined): UserType {
  if (value === undefined || value === 'admin') return 'admin';
  if (value === 'customer') return 'customer';
  throw new UsageError(`--type must be "admin" or "customer" (got "${value}")`);
}

/** The validation messages as one UsageError, or nothing. */
function requireValid(problems: ReadonlyArray<string | null>): void {
  const found = problems.filter((problem): problem is string => problem !== null);
  if (found.length > 0) throw new UsageError(found.join('\n'));
}

/** Identity components for revocations; their log goes to stderr (warnings only). */
function cliIdentity(orm: Parameters<typeof createIdentity>[0]['orm']): Identity {
  return createIdentity({ orm, config: cliConfig(), redis: null, log: pino({ level: 'warn' }, pino.destination(2)) });
}

async function findUser(em: EntityManager, type: UserType, key: string): Promise<FoundUser> {
  const where = looksLikeUuid(key) ? { id: key.toLowerCase() } : { username: key };
  if (type === 'admin') {
    const user = await em.findOne(AdminUser, where);
    if (user) return { type, user };
  } else {
    const user = await em.findOne(CustomerUser, where);
    if (user) return { type, user };
  }
  throw new CommandError(`no ${type} user "${key}" (see: npm run cli -- user list${type === 'customer' ? ' --type customer' : ''})`);
}

async function list(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { type: { type: 'string' }, customer: { type: 'string' } });
  noPositionals(positionals, 'npm run cli -- user list [--type admin|customer] [--customer ID]');
  const type = userType(values.type);
  if (values.customer !== undefined && type !== 'customer') throw new UsageError('--customer lists customer users only (add --type customer)');
  const customerId = values.customer === undefined ? undefined : requireUuid(values.customer, '--customer');
  return withOrm(async (orm) => {
    const em = orm.em.fork();
    const status = (active: boolean): string => (active ? 'active' : 'disabled');
    if (type === 'admin') {
      const users = await em.find(AdminUser, {}, { orderBy: { createdAt: 'asc', id: 'asc' } });
      out(table(['ID', 'USERNAME', 'ROLE', 'STATUS', 'CREATED'], users.map((user) => [user.id, user.username, user.role, status(user.isActive), rfc3339(user.createdAt)])));
      return EXIT.ok;
    }
    const users = await em.find(CustomerUser, customerId ? { customerId } : {}, { orderBy: { createdAt: 'asc', id: 'asc' } });
    out(table(['ID', 'USERNAME', 'CUSTOMER', 'EMAIL', 'STATUS', 'CREATED'], users.map((user) => [user.id, user.username, user.customerId, user.email, status(user.isActive), rfc3339(user.createdAt)])));
    return EXIT.ok;
  });
}

async function create(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, {
    type: { type: 'string' }, username: { type: 'string' }, password: { type: 'string' }, role: { type: 'string' },
    email: { type: 'string' }, 'display-name': { type: 'string' }, customer: { type: 'string' },
  });
  noPositionals(positionals, 'npm run cli -- user create --username NAME --password PASS …');
  const type = userType(values.type);
  const username = (values.username ?? '').trim();
  const password = values.password ?? '';
  const email = normalizeEmail(values.email ?? '');
  const displayName = (values['display-name'] ?? username).trim();
  if (type === 'admin') {
    if (values.customer !== undefined) throw new UsageError('--customer applies to customer users only (add --type customer)');
    const role = values.role ?? 'operator';
    requireValid([
      usernameProblem(username), passwordProblem(password), email === '' ? null : emailProblem(email), displayNameProblem(displayName),
      isAdminRole(role) ? null : `role must be one of ${ADMIN_ROLES.join(', ')} (got "${role}")`,
    ]);
    return createAdmin({ username, password, email, displayName, role: role as AdminRole });
  }
  if (values.role !== undefined) throw new UsageError('--role applies to admin users only');
  if (values.customer === undefined) throw new UsageError('--customer ID is required for customer users (the customer the login belongs to)');
  const customerId = requireUuid(values.customer, '--customer');
  requireValid([usernameProblem(username), passwordProblem(password), emailProblem(email), displayNameProblem(displayName)]);
  return createCustomerUser({ username, password, email, displayName, customerId });
}

async function createAdmin(input: { username: string; password: string; email: string; displayName: string; role: AdminRole }): Promise<number> {
  const passwordHash = await hashPassword(input.password);
  return withOrm(async (orm) => {
    try {
      const user = await orm.em.fork().transactional(async (tx) => {
        const taken = await tx.findOne(AdminUser, input.email === '' ? { username: input.username } : { $or: [{ username: input.username }, { email: input.email }] });
        if (taken) throw new CommandError(taken.username === input.username ? `an admin user named "${input.username}" already exists` : `the e-mail address ${input.email} belongs to admin user "${taken.username}"`);
        const created = tx.create(AdminUser, { username: input.username, email: input.email, displayName: input.displayName, role: input.role, passwordHash, isActive: true });
        recordCliAudit(tx, {
          action: 'user.create', targetType: 'admin_user', targetId: created.id,
          details: { after: { username: input.username, email: input.email, displayName: input.displayName, role: input.role } },
        });
        return created;
      });
      out(`created ${input.role} ${input.username} (${user.id})`);
      return EXIT.ok;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw new CommandError(`an admin user named "${input.username}" (or with that e-mail address) already exists`);
      throw error;
    }
  });
}

async function createCustomerUser(input: { username: string; password: string; email: string; displayName: string; customerId: string }): Promise<number> {
  const passwordHash = await hashPassword(input.password);
  return withOrm(async (orm) => {
    try {
      const user = await orm.em.fork().transactional(async (tx) => {
        const customer = await tx.findOne(Customer, { id: input.customerId }, { fields: ['id', 'name', 'deletedAt'] });
        if (!customer || customer.deletedAt) throw new CommandError(`no customer ${input.customerId} (see: npm run cli -- customer list)`);
        const taken = await tx.findOne(CustomerUser, { $or: [{ username: input.username }, { email: input.email }] });
        if (taken) throw new CommandError(taken.username === input.username ? `a customer user named "${input.username}" already exists` : `the e-mail address ${input.email} is already registered (customer user "${taken.username}")`);
        const created = tx.create(CustomerUser, { customerId: input.customerId, username: input.username, email: input.email, displayName: input.displayName, passwordHash, isActive: true });
        recordCliAudit(tx, {
          action: 'user.create', targetType: 'customer_user', targetId: created.id,
          details: { after: { username: input.username, email: input.email, displayName: input.displayName, customerId: input.customerId } },
        });
        return created;
      });
      out(`created customer user ${input.username} (${user.id}) for customer ${input.customerId}`);
      return EXIT.ok;
    } catch (error) {
      if (error instanceof UniqueConstraintViolationException) throw new CommandError(`a customer user named "${input.username}" (or with that e-mail address) already exists`);
      throw error;
    }
  });
}

/** The first line of stdin (a password piped in), without its line ending. */
async function firstLineOfStdin(): Promise<string> {
  const lines = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of lines) return line;
    return '';
  } finally {
    lines.close();
  }
}

async function passwd(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { type: { type: 'string' }, 'new-password': { type: 'string' }, 'password-stdin': { type: 'boolean', default: false } });
  const usage = 'npm run cli -- user passwd USER --new-password PASS [--type admin|customer]';
  const key = onePositional(positionals, 'USER', usage);
  const type = userType(values.type);
  if (values['new-password'] !== undefined && values['password-stdin']) throw new UsageError('give either --new-password or --password-stdin, not both');
  if (values['new-password'] === undefined && !values['password-stdin']) throw new UsageError(`--new-password PASS (or --password-stdin) is required; usage: ${usage}`);
  const password = values['new-password'] ?? (await firstLineOfStdin());
  requireValid([passwordProblem(password)]);
  const passwordHash = await hashPassword(password);
  return withOrm(async (orm) => {
    const identity = cliIdentity(orm);
    const { found, revoked } = await orm.em.fork().transactional(async (tx) => {
      const target = await findUser(tx, type, key);
      target.user.passwordHash = passwordHash;
      const revocation = target.type === 'admin' ? await identity.sessions.revokeAllWithin(tx, target.user.id) : await identity.tokens.revokeAllWithin(tx, target.user.id);
      recordCliAudit(tx, { action: 'user.reset_password', targetType: `${target.type}_user`, targetId: target.user.id });
      return { found: target, revoked: revocation };
    });
    out(`password of ${found.type} user ${found.user.username} (${found.user.id}) changed; ${revokedText(found.type, revoked)}`);
    return EXIT.ok;
  });
}

function revokedText(type: UserType, revoked: Awaited<ReturnType<Identity['sessions']['revokeAllWithin']>>): string {
  if (revoked === null) return type === 'admin' ? 'it had no open sessions' : 'it had no active logins';
  const count = revoked.kind === 'sessions' ? revoked.sessionIds.length : revoked.kind === 'token_families' ? revoked.familyIds.length : 0;
  return type === 'admin' ? `${count} session(s) ended` : `${count} login(s) (token families) revoked`;
}

async function setActive(args: string[], active: boolean): Promise<number> {
  const { values, positionals } = parse(args, { type: { type: 'string' } });
  const key = onePositional(positionals, 'USER', `npm run cli -- user ${active ? 'enable' : 'disable'} USER [--type admin|customer]`);
  const type = userType(values.type);
  return withOrm(async (orm) => {
    const identity = cliIdentity(orm);
    const outcome = await orm.em.fork().transactional(async (tx) => {
      const target = await findUser(tx, type, key);
      if (target.user.isActive === active) return { found: target, changed: false, revoked: null };
      if (target.type === 'admin') {
        const admin = { id: target.user.id, role: target.user.role, isActive: target.user.isActive };
        const change = { isActive: active };
        const activeAdmins = removesActiveAdmin(admin, change) ? await lockActiveAdmins(tx) : 0;
        // The CLI acts with every right; only the rules about the target itself remain.
        const refusal = adminChangeRefusal({ userId: '', role: 'admin' }, admin, change, activeAdmins);
        if (refusal) throw new CommandError(`${refusal.message}; create or enable another admin first (npm run cli -- user create --role admin …)`);
      }
      target.user.isActive = active;
      const revoked = active ? null : target.type === 'admin' ? await identity.sessions.revokeAllWithin(tx, target.user.id) : await identity.tokens.revokeAllWithin(tx, target.user.id);
      recordCliAudit(tx, {
        action: 'user.update', targetType: `${target.type}_user`, targetId: target.user.id,
        details: { changes: { isActive: { from: !active, to: active } } },
      });
      return { found: target, changed: true, revoked };
    });
    const { found } = outcome;
    const name = `${found.type} user ${found.user.username} (${found.user.id})`;
    if (!outcome.changed) out(`${name} is already ${active ? 'active' : 'disabled'}; nothing changed`);
    else out(active ? `${name} enabled` : `${name} disabled; ${revokedText(found.type, outcome.revoked)}`);
    return EXIT.ok;
  });
}

/** Locks the active admins' rows (two deactivations cannot both pass the last-admin rule) and counts them. */
async function lockActiveAdmins(tx: EntityManager): Promise<number> {
  const rows = await tx.getConnection().execute<Array<{ id: string }>>("select id from admin_users where role = 'admin' and is_active for update", [], 'all', tx.getTransactionContext());
  return rows.length;
}

/** The `user` command group. */
export const userGroup: CommandGroup = {
  name: 'user',
  summary: 'admin and customer users (user list | create | passwd | disable | enable)',
  help: HELP,
  commands: ['list', 'create', 'passwd', 'disable', 'enable'],
  run(command, args) {
    switch (command) {
      case 'list':
        return list(args);
      case 'create':
        return create(args);
      case 'passwd':
        return passwd(args);
      case 'disable':
        return setActive(args, false);
      default:
        return setActive(args, true);
    }
  },
};
