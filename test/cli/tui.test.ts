/**
 * `npm run cli -- tui` (issue 14, operations manual §5.2) driven in a real pseudo-terminal: tmux
 * runs `node src/cli/main.ts tui` in a 120×40 pane against a migrated test database holding a few
 * rows; the test types with `tmux send-keys` and reads the screen with `tmux capture-pane -p`,
 * polling until the expected text shows (no fixed sleeps).
 *
 * The pane's command is a shell line that runs the TUI, then prints its exit code and the terminal
 * settings (`stty -a`) and a closing marker, then waits: after the TUI exits the screen shows whether the terminal was
 * given back (normal screen, cursor visible, canonical mode and echo on).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Key } from 'ink';
import { presses } from '../../src/cli/tui/app.ts';
import { clampIndex, columnWidths, fit, windowStart } from '../../src/cli/tui/layout.ts';
import { migratedTestDatabase, queryRows, type MigratedTestDatabase } from '../support/db.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(ROOT, 'src/cli/main.ts');
/** One tmux server of our own (its own socket), so nothing else's sessions are touched. */
const SOCKET = `nodebill-tui-${process.pid}-${randomBytes(3).toString('hex')}`;

const ID = {
  alice: '01900000-0000-7000-8000-00000000a001',
  bob: '01900000-0000-7000-8000-00000000a002',
  acme: '01900000-0000-7000-8000-00000000c001',
  carol: '01900000-0000-7000-8000-00000000c002',
  gateway: '01900000-0000-7000-8000-00000000b001',
  product: '01900000-0000-7000-8000-00000000d001',
  instance: '01900000-0000-7000-8000-00000000e001',
};

let db: MigratedTestDatabase;

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Printed after `stty -a` once the TUI has exited: waiting for it (not for the exit code line) makes
 * sure the terminal settings are on the screen before they are checked.
 */
const SETTINGS_END = 'end of terminal settings';

/** Starts the TUI in a new session; returns its name. */
function startTui(): string {
  const session = `tui-${randomBytes(4).toString('hex')}`;
  const command = `${process.execPath} --disable-warning=ExperimentalWarning ${MAIN} tui; echo "tui exit code: $?"; stty -a; echo "${SETTINGS_END}"; exec sleep 600`;
  tmux('new-session', '-d', '-x', '120', '-y', '40', '-s', session, '-c', ROOT, '-e', `DATABASE_URL=${db.url}`, '-e', 'TERM=screen-256color',
    // CI runners set CI=true, which makes ink hold every frame back until exit: the TUI must draw anyway.
    '-e', 'CI=true', command);
  tmux('set-option', '-t', session, 'remain-on-exit', 'on');
  return session;
}

function screen(session: string): string {
  return tmux('capture-pane', '-p', '-t', session);
}

/** Polls the screen until `probe` accepts it (returns it), or fails after 20 s showing the last screen. */
async function waitForScreen(session: string, probe: (text: string) => boolean, what: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  let last = '';
  for (;;) {
    last = screen(session);
    if (probe(last)) return last;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen was:\n${last}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const shows = (session: string, text: string | RegExp): Promise<string> =>
  waitForScreen(session, (screenText) => (typeof text === 'string' ? screenText.includes(text) : text.test(screenText)), `"${String(text)}"`);

/** The first line below the title, tab bar and rule containing `text` (the selected row starts with `›`). */
function lineWith(screenText: string, text: string): string {
  return screenText.split('\n').slice(3).find((line) => line.includes(text)) ?? '';
}

function keys(session: string, ...names: string[]): void {
  for (const name of names) tmux('send-keys', '-t', session, name);
}

function stopSession(session: string): void {
  try {
    tmux('kill-session', '-t', session);
  } catch {
    // Already gone.
  }
}

beforeAll(async () => {
  db = await migratedTestDatabase();
  const sql = (text: string, params: unknown[] = []): Promise<unknown[]> => queryRows(db.url, text, params);
  await sql(`insert into admin_users (id, username, email, password_hash, role) values
    ($1, 'alice', 'alice@example.com', 'x', 'admin'), ($2, 'bob', 'bob@example.com', 'x', 'operator')`, [ID.alice, ID.bob]);
  await sql(`insert into sessions (id, admin_user_id, token_hash, expires_at) values ($1, $2, 'hash-of-bob', now() + interval '1 day')`,
    ['01900000-0000-7000-8000-00000000a0f1', ID.bob]);
  await sql(`insert into customers (id, name, email, balance, credit_limit) values ($1, 'Acme Ltd', 'ops@acme.example', '125.50', '10.00')`, [ID.acme]);
  await sql(`insert into customer_users (id, customer_id, username, email, password_hash) values ($1, $2, 'carol', 'carol@acme.example', 'x')`, [ID.carol, ID.acme]);
  await sql(`insert into plugin_interfaces (id, plugin_type, plugin_id, display_name, enabled, config, config_schema, plugin_version)
    values ($1, 'gateway', 'banktransfer', 'Bank Transfer Main', false, '{"account": "DE00 1234"}', '{"type": "object", "properties": {"account": {"type": "string"}}, "required": ["account"]}', '1.2.0')`, [ID.gateway]);
  await sql(`insert into products (id, name, price_per_month, cost_price, specs) values ($1, 'VPS Small', '9.90', '4.00', '{"cpu_cores": 1}')`, [ID.product]);
  await sql(`insert into instances (id, customer_id, product_id, product_name, status, ip_address) values ($1, $2, $3, 'VPS Small', 'running', '203.0.113.7')`,
    [ID.instance, ID.acme, ID.product]);
});

afterAll(async () => {
  try {
    tmux('kill-server');
  } catch {
    // No server was started.
  }
  await db?.drop();
});

describe('npm run cli -- tui', () => {
  it('refuses to start without a terminal (exit code 2, a message on stderr)', () => {
    const run = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', MAIN, 'tui'], {
      cwd: ROOT, env: { ...process.env, DATABASE_URL: db.url }, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'],
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('the TUI needs a terminal');
    expect(run.stdout).toBe('');
  });

  it('shows every tab, navigates, opens details, asks before changes, refreshes, and gives the terminal back on q', async () => {
    const s = startTui();
    try {
      // Dashboard (tab 1) first.
      let text = await shows(s, 'Customer balances, total');
      expect(text).toContain('[1 Dashboard]');
      expect(lineWith(text, 'Customers ')).toContain('1 (1 active)');
      expect(lineWith(text, 'Customer balances')).toContain('125.50');
      expect(lineWith(text, 'Admin users')).toContain('2 (2 active)');
      expect(lineWith(text, 'Instances')).toContain('running 1');

      // 2: Admin Users, j/k move the selection.
      keys(s, '2');
      text = await shows(s, 'bob@example.com');
      expect(text).toContain('[2 Admin Users]');
      expect(lineWith(text, 'alice')).toMatch(/^› alice\s+admin\s+active/);
      expect(lineWith(text, 'bob')).toMatch(/^ {2}bob\s+operator\s+active/);
      keys(s, 'j');
      text = await waitForScreen(s, (t) => lineWith(t, 'bob').startsWith('› bob'), 'bob selected');
      expect(lineWith(text, 'alice').startsWith('  alice')).toBe(true);
      keys(s, 'k');
      await waitForScreen(s, (t) => lineWith(t, 'alice').startsWith('› alice'), 'alice selected again');
      keys(s, 'Down');
      await waitForScreen(s, (t) => lineWith(t, 'bob').startsWith('› bob'), 'bob selected by the arrow key');

      // Enter: bob's details (one live session); Backspace: back to the list.
      // The title shows at once with "loading…"; wait for the record's own lines.
      keys(s, 'Enter');
      text = await waitForScreen(s, (t) => t.includes('Admin Users › bob') && lineWith(t, 'live_sessions') !== '', "bob's details");
      expect(lineWith(text, 'id ')).toContain(ID.bob);
      expect(lineWith(text, 'live_sessions')).toContain('1');
      expect(text).not.toContain('password');
      keys(s, 'BSpace');
      text = await waitForScreen(s, (t) => !t.includes('Admin Users › bob') && t.includes('bob@example.com'), 'the list again');

      // d answered n: nothing changes.
      keys(s, 'd');
      await shows(s, 'Disable admin user "bob"? (y/n)');
      keys(s, 'n');
      await shows(s, 'cancelled: nothing changed');
      const [afterNo] = await queryRows<{ is_active: boolean }>(db.url, 'select is_active from admin_users where id = $1', [ID.bob]);
      expect(afterNo?.is_active).toBe(true);
      expect(await queryRows(db.url, `select 1 from operation_logs`)).toHaveLength(0);

      // d answered y: bob is disabled, his session revoked, the change audited.
      keys(s, 'd');
      await shows(s, 'Disable admin user "bob"? (y/n)');
      keys(s, 'y');
      text = await shows(s, 'disabled admin user bob (1 session(s) ended)');
      expect(lineWith(text, 'bob@example.com')).toMatch(/bob\s+operator\s+disabled/);
      const [bob] = await queryRows<{ is_active: boolean }>(db.url, 'select is_active from admin_users where id = $1', [ID.bob]);
      expect(bob?.is_active).toBe(false);
      expect(await queryRows(db.url, 'select 1 from sessions where admin_user_id = $1 and revoked_at is null', [ID.bob])).toHaveLength(0);
      const audit = await queryRows<{ admin_username: string; action: string; target_type: string; target_id: string; details: { caller: string; changes: unknown } }>(
        db.url, 'select admin_username, action, target_type, target_id, details from operation_logs');
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ admin_username: 'cli', action: 'user.update', target_type: 'admin_user', target_id: ID.bob });
      expect(audit[0]?.details).toMatchObject({ caller: 'cli', changes: { isActive: { from: true, to: false } } });

      // The last active admin is not disabled: refused on the status line, nothing changes.
      keys(s, 'k');
      await waitForScreen(s, (t) => lineWith(t, 'alice').startsWith('› alice'), 'alice selected');
      keys(s, 'd');
      await shows(s, 'Disable admin user "alice"? (y/n)');
      keys(s, 'y');
      await shows(s, 'the last active admin cannot be disabled');
      const [alice] = await queryRows<{ is_active: boolean }>(db.url, 'select is_active from admin_users where id = $1', [ID.alice]);
      expect(alice?.is_active).toBe(true);

      // Tab: Cust Users.
      keys(s, 'Tab');
      text = await shows(s, 'carol@acme.example');
      expect(text).toContain('[3 Cust Users]');
      expect(lineWith(text, 'carol')).toMatch(/carol\s+Acme Ltd\s+carol@acme\.example\s+active/);

      // Tab: Customers, with money as decimal strings.
      keys(s, 'Tab');
      text = await shows(s, 'ops@acme.example');
      expect(text).toContain('[4 Customers]');
      expect(lineWith(text, 'Acme Ltd')).toMatch(/Acme Ltd\s+ops@acme\.example\s+125\.50\s+10\.00\s+active\s+1/);
      // d on a customer is not offered (customers change through their account).
      keys(s, 'd');
      await shows(s, 'customers change only through their account');
      expect(screen(s)).not.toContain('(y/n)');

      // r picks up a customer inserted behind the TUI's back.
      await queryRows(db.url, `insert into customers (id, name, email) values ('01900000-0000-7000-8000-00000000c0ff', 'Zenith GmbH', 'hi@zenith.example')`);
      expect(screen(s)).not.toContain('Zenith GmbH');
      // The status line changes after the list is read again, so waiting for it sees the new list.
      keys(s, 'r');
      text = await shows(s, 'refreshed: 2 row(s)');
      expect(text).toContain('Zenith GmbH');

      // 5: Products; 6: Plugins; 7: Instances; 8: DB Status.
      keys(s, '5');
      text = await shows(s, 'VPS Small');
      expect(text).toContain('[5 Products]');
      expect(lineWith(text, 'VPS Small')).toMatch(/VPS Small\s+9\.90\s+4\.00\s+active/);

      keys(s, '6');
      text = await shows(s, 'Bank Transfer Main');
      expect(text).toContain('[6 Plugins]');
      expect(lineWith(text, 'Bank Transfer Main')).toMatch(/Bank Transfer Main\s+gateway\s+banktransfer\s+1\.2\.0\s+no\s+unchecked/);
      // Details show the config's keys, never its values.
      keys(s, 'Enter');
      text = await waitForScreen(s, (t) => t.includes('Plugins › Bank Transfer Main') && lineWith(t, 'config_keys') !== '', 'the plugin details');
      expect(lineWith(text, 'config_keys')).toContain('account');
      expect(text).not.toContain('DE00 1234');
      keys(s, 'BSpace');
      await waitForScreen(s, (t) => !t.includes('Plugins ›') && t.includes('Bank Transfer Main'), 'the plugin list again');
      // e enables (after y), x disables (after y).
      keys(s, 'e');
      await shows(s, 'Enable plugin interface "Bank Transfer Main"? (y/n)');
      keys(s, 'y');
      text = await shows(s, 'enabled plugin interface gateway/banktransfer');
      expect(lineWith(text, 'Bank Transfer Main')).toMatch(/1\.2\.0\s+yes/);
      expect(await queryRows(db.url, 'select 1 from plugin_interfaces where id = $1 and enabled', [ID.gateway])).toHaveLength(1);
      keys(s, 'x');
      await shows(s, 'Disable plugin interface "Bank Transfer Main"? (y/n)');
      keys(s, 'y');
      await shows(s, 'disabled plugin interface gateway/banktransfer');
      expect(await queryRows(db.url, 'select 1 from plugin_interfaces where id = $1 and not enabled', [ID.gateway])).toHaveLength(1);
      expect((await queryRows<{ action: string }>(db.url, `select action from operation_logs where target_id = $1 order by created_at, id`, [ID.gateway])).map((r) => r.action))
        .toEqual(['plugin_interface.enable', 'plugin_interface.disable']);

      keys(s, '7');
      text = await shows(s, '203.0.113.7');
      expect(text).toContain('[7 Instances]');
      expect(lineWith(text, '203.0.113.7')).toMatch(/Acme Ltd\s+VPS Small\s+running\s+203\.0\.113\.7/);

      keys(s, '8');
      text = await shows(s, 'Migrations applied');
      expect(text).toContain('[8 DB Status]');
      expect(lineWith(text, 'Server ')).toContain('PostgreSQL');
      expect(lineWith(text, 'Database')).toContain(db.name);

      // Shift+Tab goes back one tab, Tab from the last wraps to the first.
      keys(s, 'BTab');
      await shows(s, '[7 Instances]');
      keys(s, 'Tab');
      await shows(s, '[8 DB Status]');
      keys(s, 'Tab');
      await shows(s, '[1 Dashboard]');

      // Products: delete after y, gone from the list and the database.
      keys(s, '5');
      await shows(s, 'VPS Small');
      keys(s, 'd');
      await shows(s, 'Delete product "VPS Small"? (y/n)');
      keys(s, 'y');
      text = await shows(s, 'deleted product VPS Small');
      expect(text).toContain('(no rows)');
      expect(await queryRows(db.url, 'select 1 from products where id = $1', [ID.product])).toHaveLength(0);

      // q: the TUI ends with code 0 and the terminal is back to normal.
      keys(s, 'q');
      text = await shows(s, SETTINGS_END);
      expect(text).toContain('tui exit code: 0');
      expect(text).not.toContain('RustBill TUI');
      expect(text).toMatch(/(^|\s)icanon(\s|$)/m);
      expect(text).toMatch(/(^|\s)echo(\s|$)/m);
      expect(tmux('display-message', '-p', '-t', s, '#{alternate_on} #{cursor_flag}').trim()).toBe('0 1');
    } finally {
      stopSession(s);
    }
  });

  it('Esc and Ctrl+C quit, and SIGTERM ends it, each with the terminal given back', async () => {
    const first = startTui();
    try {
      await shows(first, '[1 Dashboard]');
      keys(first, 'Escape');
      const text = await shows(first, SETTINGS_END);
      expect(text).toContain('tui exit code: 0');
      expect(text).toMatch(/(^|\s)icanon(\s|$)/m);
    } finally {
      stopSession(first);
    }

    const interrupted = startTui();
    try {
      await shows(interrupted, '[1 Dashboard]');
      keys(interrupted, 'C-c');
      const text = await shows(interrupted, SETTINGS_END);
      expect(text).toContain('tui exit code: 130');
      expect(text).toMatch(/(^|\s)icanon(\s|$)/m);
      expect(tmux('display-message', '-p', '-t', interrupted, '#{alternate_on} #{cursor_flag}').trim()).toBe('0 1');
    } finally {
      stopSession(interrupted);
    }

    const second = startTui();
    try {
      await shows(second, '[1 Dashboard]');
      // The pane runs a shell whose child is the TUI's node process.
      const shellPid = tmux('display-message', '-p', '-t', second, '#{pane_pid}').trim();
      const children = readFileSync(`/proc/${shellPid}/task/${shellPid}/children`, 'utf8').trim().split(/\s+/).filter((pid) => pid !== '');
      expect(children).toHaveLength(1);
      process.kill(Number(children[0]), 'SIGTERM');
      const text = await shows(second, SETTINGS_END);
      expect(text).toContain('tui exit code: 143');
      expect(text).not.toContain('RustBill TUI');
      expect(text).toMatch(/(^|\s)icanon(\s|$)/m);
      expect(text).toMatch(/(^|\s)echo(\s|$)/m);
      expect(tmux('display-message', '-p', '-t', second, '#{alternate_on} #{cursor_flag}').trim()).toBe('0 1');
    } finally {
      stopSession(second);
    }
  });
});

describe('TUI layout and key reading (pure)', () => {
  const noKey: Key = {
    upArrow: false, downArrow: false, leftArrow: false, rightArrow: false, pageDown: false, pageUp: false, home: false, end: false, return: false,
    escape: false, ctrl: false, shift: false, tab: false, backspace: false, delete: false, meta: false, super: false, hyper: false, capsLock: false,
    numLock: false,
  };

  it('fits cells: cut with an ellipsis, padded to the width', () => {
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('ab', 4)).toBe('ab  ');
    expect(fit('a\nb', 3, false)).toBe('a b');
  });

  it('shrinks the widest columns until the table fits, gaps included', () => {
    expect(columnWidths(['Name', 'Id'], [['Acme', '1']], 80)).toEqual([4, 2]);
    const widths = columnWidths(['Name', 'Email'], [['a'.repeat(30), 'b'.repeat(30)]], 40);
    expect(widths.reduce((a, b) => a + b, 0) + 2).toBeLessThanOrEqual(40);
    expect(widths).toEqual([19, 19]);
  });

  it('keeps the selected row in the window, moving it only when the cursor leaves', () => {
    expect(windowStart(0, 100, 10, 0)).toBe(0);
    expect(windowStart(10, 100, 10, 0)).toBe(1);
    expect(windowStart(5, 100, 10, 3)).toBe(3);
    expect(windowStart(2, 100, 10, 3)).toBe(2);
    expect(windowStart(3, 5, 10, 7)).toBe(0);
    expect(clampIndex(7, 3)).toBe(2);
    expect(clampIndex(-1, 3)).toBe(0);
  });

  it('splits a run of characters read at once into single presses', () => {
    const read = presses('jd\ry\x7f\t', noKey);
    expect(read.map((p) => (p.enter ? 'ENTER' : p.back ? 'BACK' : p.tab ? 'TAB' : p.input))).toEqual(['j', 'd', 'ENTER', 'y', 'BACK', 'TAB']);
    expect(presses('', { ...noKey, tab: true, shift: true })).toMatchObject([{ tab: true, shift: true }]);
    expect(presses('c', { ...noKey, ctrl: true })).toMatchObject([{ input: 'c', ctrl: true }]);
  });
});
