/**
 * Runs the CLI (`node src/cli/main.ts …`) as a child process against a test database, as an
 * operator runs `npm run cli -- …`.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT } from '../support/server.ts';

/** What one CLI run printed and how it ended. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `npm run cli -- ...args` with DATABASE_URL `databaseUrl` and the suites' server.toml,
 * stdin from `input` (closed at once when none), and resolves when it exits.
 */
export async function runCli(databaseUrl: string, args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<CliRun> {
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(REPO_ROOT, 'src', 'cli', 'main.ts'), ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: databaseUrl, CONFIG_FILE: path.join(REPO_ROOT, 'test', 'support', 'server.toml'), ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdin.end(options.input ?? '');
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exit) => resolve(exit ?? -1));
  });
  return { code, stdout, stderr };
}
