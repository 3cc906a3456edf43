import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratedTestDatabase } from '../support/db.ts';
import { REPO_ROOT } from '../support/server.ts';

const run = promisify(execFile);
let db: { url: string; drop(): Promise<void> };

beforeAll(async () => {
  db = await migratedTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, 'src', 'cli', 'main.ts'), ...args], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url, CONFIG_FILE: path.join(REPO_ROOT, 'test', 'support', 'server.toml') },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

describe('the admin CLI', () => {
  it('creates an operator with a bcrypt hash, lists it, and refuses duplicates and bad input', async () => {
    const created = await cli('user', 'create', '--username', 'ops1', '--password', 'Operator-Pass1', '--role', 'operator');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/created operator ops1/);
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query<{ role: string; password_hash: string }>("select role, password_hash from admin_users where username = 'ops1'");
    await client.end();
    expect(rows[0]?.role).toBe('operator');
    expect(rows[0]?.password_hash).toMatch(/^\$2[aby]\$/);
    expect((await cli('user', 'list')).stdout).toMatch(/ops1\s+operator\s+active/);
    const duplicate = await cli('user', 'create', '--username', 'ops1', '--password', 'Operator-Pass1');
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/already exists/);
    const weak = await cli('user', 'create', '--username', 'ops2', '--password', 'short', '--role', 'root');
    expect(weak.code).toBe(2);
    expect(weak.stderr).toMatch(/at least 8/);
    expect(weak.stderr).toMatch(/role must be/);
  });
});
