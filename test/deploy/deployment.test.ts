/**
 * The deployment files (issue 14; the RustBill deployment guide, operations manual §3.5–§4.3 and
 * HA guide §1.2/§9.4): deploy/systemd, deploy/caddy, the root Dockerfile and .dockerignore, and
 * deploy/cron — each checked with the real tool where this machine has it, else with a parse check
 * (test/deploy/parsers.ts), and exercised against a running NodeBill where that is possible.
 *
 * - systemd units: `systemd-analyze verify` on copies whose `/opt/nodebill` paths point at this
 *   checkout (verify insists that ExecStart's program exists); it must print nothing at all.
 * - Caddyfile: always the parse check; with `caddy` on PATH also `caddy validate`, and Caddy run on
 *   the file (TLS and the admin API off, h2c on its listener so a cleartext test client can speak
 *   native gRPC to it) in front of a running NodeBill and a dead node.
 * - Dockerfile: no Docker engine here, so a parse check, plus its HEALTHCHECK command run.
 * - Cron: the /etc/cron.d line parsed, then its command run the way cron runs it, against a test
 *   database, and the dump restored with the README's pg_restore command.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppConfigSchema, checkStartupRules, loadConfig } from '../../cluster.config.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { bearer, grpcClient, grpcWebClient } from '../support/clients.ts';
import { createTestDatabase, queryRows, type TestDatabase } from '../support/db.ts';
import { eventually } from '../support/eventually.ts';
import { freePort, REPO_ROOT, startServer, TEST_ADMIN_PASSWORD, type RunningServer } from '../support/server.ts';
import {
  caddyChildren,
  caddyNodes,
  cronShellCommand,
  dockerIgnored,
  dockerignorePatterns,
  parseCaddyfile,
  parseCronD,
  parseDockerfile,
  parseEnvFile,
  unitSection,
} from './parsers.ts';

const execFileAsync = promisify(execFile);
const DEPLOY = path.join(REPO_ROOT, 'deploy');
const read = (...parts: string[]): string => readFileSync(path.join(...parts), 'utf8');
const UNITS = ['nodebill.service', 'nodebill-healthcheck.service', 'nodebill-healthcheck.timer'] as const;
/** The installation directory the deployment files name; the tests put this checkout there. */
const INSTALL_DIR = '/opt/nodebill';

/** Runs a program; resolves with its exit code and output instead of throwing on failure. */
async function runProgram(
  file: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(file, [...args], { env: options.env ?? process.env, cwd: options.cwd, timeout: options.timeoutMs ?? 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number | string; stdout?: string; stderr?: string };
    return { code: typeof failure.code === 'number' ? failure.code : -1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? String(error) };
  }
}

/** Whether `program` is on PATH. */
function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => dir !== '' && existsSync(path.join(dir, program)));
}

const HAVE_CADDY = onPath('caddy');
const HAVE_SYSTEMD_ANALYZE = onPath('systemd-analyze');

let db: TestDatabase;
let server: RunningServer;
/** A port nothing listens on (taken and released). */
let closedPort: number;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: 1 });
  closedPort = await freePort();
});
afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

describe('systemd units (deploy/systemd)', () => {
  const unitText = (name: string): string => read(DEPLOY, 'systemd', name);

  it.runIf(HAVE_SYSTEMD_ANALYZE)('pass systemd-analyze verify without a word, /opt/nodebill pointed at this checkout', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nodebill-units-'));
    for (const name of UNITS) {
      const text = unitText(name);
      writeFileSync(path.join(dir, name), text.replaceAll(INSTALL_DIR, REPO_ROOT));
    }
    const verified = await runProgram('systemd-analyze', ['verify', ...UNITS.map((name) => path.join(dir, name))]);
    expect(verified.stderr).toBe('');
    expect(verified.stdout).toBe('');
    expect(verified.code).toBe(0);
    // The same check notices a missing program: the substitution above is what made it pass.
    const unchanged = path.join(dir, 'unchanged.service');
    writeFileSync(unchanged, unitText('nodebill.service'));
    const missing = await runProgram('systemd-analyze', ['verify', unchanged]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(`${INSTALL_DIR}/node_modules/.bin/node`);
  });

  it.runIf(HAVE_SYSTEMD_ANALYZE)("the timer's calendar expression is valid (every 5 minutes)", async () => {
    const timer = unitSection(unitText('nodebill-healthcheck.timer'), 'Timer');
    const calendar = timer.get('OnCalendar')?.[0] ?? '';
    const checked = await runProgram('systemd-analyze', ['calendar', '--iterations=2', calendar]);
    expect(checked.code).toBe(0);
    const times = [...checked.stdout.matchAll(/(\d\d):(\d\d):00/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
    expect(times).toHaveLength(2);
    expect(((times[1] as number) - (times[0] as number) + 1440) % 1440).toBe(5);
  });

  it("runs this checkout's Node on src/main.ts as the nodebill user, with the environment file, hardened", () => {
    const service = unitSection(unitText('nodebill.service'), 'Service');
    const [program, ...args] = (service.get('ExecStart')?.[0] ?? '').split(/\s+/);
    const workingDirectory = service.get('WorkingDirectory')?.[0] ?? '';
    expect(workingDirectory).toBe(INSTALL_DIR);
    expect(program).toBe(`${INSTALL_DIR}/node_modules/.bin/node`);
    expect(existsSync((program as string).replace(INSTALL_DIR, REPO_ROOT))).toBe(true);
    const script = args.find((arg) => !arg.startsWith('-')) ?? '';
    expect(script).toBe('src/main.ts');
    expect(existsSync(path.join(REPO_ROOT, script))).toBe(true);
    expect(service.get('User')).toEqual(['nodebill']);
    expect(service.get('EnvironmentFile')).toEqual(['/etc/nodebill/nodebill.env']);
    expect(service.get('Restart')).toEqual(['on-failure']);
    for (const [key, value] of [['NoNewPrivileges', 'yes'], ['ProtectSystem', 'strict'], ['ProtectHome', 'yes'], ['PrivateTmp', 'yes'], ['PrivateDevices', 'yes'], ['ProtectKernelTunables', 'yes'], ['ProtectKernelModules', 'yes'], ['ProtectControlGroups', 'yes']] as const) {
      expect(service.get(key), key).toEqual([value]);
    }
    // V8 needs writable executable memory for its JIT.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
  });

  it('stops gracefully: SIGTERM to the primary only, and time for the drain of [cluster] shutdown_grace_ms', () => {
    const service = unitSection(unitText('nodebill.service'), 'Service');
    expect(service.get('KillMode')).toEqual(['mixed']);
    expect(service.get('KillSignal')).toEqual(['SIGTERM']);
    const stopSecs = Number(/^(\d+)s?$/.exec(service.get('TimeoutStopSec')?.[0] ?? '')?.[1]);
    // The primary waits shutdown_grace_ms + 2 s per worker, then up to 2 s for sessions to close.
    const graceMs = AppConfigSchema.parse({}).cluster.shutdown_grace_ms;
    expect(stopSecs * 1000).toBeGreaterThanOrEqual(graceMs + 15_000);
  });

  it('writes only data_dir, and the environment file with the example config.toml is a valid configuration', async () => {
    const service = unitSection(unitText('nodebill.service'), 'Service');
    const envText = read(DEPLOY, 'systemd', 'nodebill.env');
    const env = parseEnvFile(envText);
    expect(env.CONFIG_FILE).toBe('/etc/nodebill/config.toml');
    const config = loadConfig({ env: { ...env, CONFIG_FILE: path.join(DEPLOY, 'systemd', 'config.example.toml') }, cwd: mkdtempSync(path.join(tmpdir(), 'nodebill-cwd-')) });
    expect(config.data_dir).toBe('/var/lib/nodebill');
    expect(service.get('StateDirectory')).toEqual(['nodebill']);
    expect(service.get('ReadWritePaths')).toEqual([config.data_dir]);
    expect(config.cluster.workers).toBe(2);
    expect(config.log.format).toBe('json');
    expect(config.server.port).toBe(50051);
    expect(config.server.trusted_proxies).toEqual(['127.0.0.1']);
    // Copied unedited, it is refused until the JWT secret and the first admin's password are set.
    expect(() => checkStartupRules(config, { adminExists: false })).toThrow(/\[jwt\] secret is empty[\s\S]*admin_password/);
    const filled = { ...config, jwt: { ...config.jwt, secret: 'x'.repeat(48) }, bootstrap: { ...config.bootstrap, admin_password: 'First-Admin-Pass1' } };
    expect(() => checkStartupRules(filled, { adminExists: false })).not.toThrow();
    // /bin/sh (the backup job sources the same file) reads the same values.
    const envFile = path.join(mkdtempSync(path.join(tmpdir(), 'nodebill-env-')), 'nodebill.env');
    writeFileSync(envFile, envText);
    const sourced = await runProgram('/bin/sh', ['-c', `set -a && . "${envFile}" && set +a && env`], { env: { PATH: '/usr/bin:/bin' } });
    expect(sourced.code).toBe(0);
    for (const [key, value] of Object.entries(env)) expect(sourced.stdout.split('\n'), key).toContain(`${key}=${value}`);
  });

  it('the health-check job succeeds against a running NodeBill and fails when nothing answers', async () => {
    const service = unitSection(unitText('nodebill-healthcheck.service'), 'Service');
    expect(service.get('Type')).toEqual(['oneshot']);
    const command = service.get('ExecStart')?.[0] ?? '';
    expect(command).toContain('http://127.0.0.1:50051/health');
    const run = (port: number): Promise<{ code: number }> => {
      const [program, ...args] = command.replace(':50051/', `:${port}/`).split(/\s+/);
      return runProgram(program as string, args);
    };
    expect((await run(server.port)).code).toBe(0);
    expect((await run(closedPort)).code).not.toBe(0);
    const timer = unitSection(unitText('nodebill-healthcheck.timer'), 'Install');
    expect(timer.get('WantedBy')).toEqual(['timers.target']);
  });
});

describe('Caddyfile (deploy/caddy)', () => {
  const caddyfile = read(DEPLOY, 'caddy', 'Caddyfile');
  const SITE_DIRECTIVES = new Set(['@grpc', 'handle', 'reverse_proxy', 'respond', 'log', 'encode', 'header', 'tls']);
  const PROXY_SUBDIRECTIVES = new Set([
    'to', 'lb_policy', 'lb_try_duration', 'lb_try_interval', 'health_uri', 'health_interval', 'health_timeout', 'health_status',
    'fail_duration', 'max_fails', 'unhealthy_status', 'flush_interval', 'transport', 'header_up', 'header_down',
  ]);

  /** The parse check: what deploy/caddy/Caddyfile must look like; throws naming the first problem. */
  function checkCaddyfile(text: string): void {
    const tree = parseCaddyfile(text);
    const [globals, site, ...rest] = tree;
    if (!globals || globals.words.length !== 0) throw new Error('the global options block must come first');
    if (!site?.block || rest.length > 0) throw new Error('exactly one site block must follow');
    for (const node of site.block) if (!SITE_DIRECTIVES.has(node.words[0] ?? '')) throw new Error(`line ${node.line}: unknown directive ${node.words[0] ?? ''}`);
    const proxies = caddyNodes(site.block).filter((node) => node.words[0] === 'reverse_proxy');
    if (proxies.length < 2) throw new Error('two reverse_proxy blocks expected (native gRPC over h2c, the rest over HTTP/1.1)');
    for (const proxy of proxies) {
      for (const option of proxy.block ?? []) if (!PROXY_SUBDIRECTIVES.has(option.words[0] ?? '')) throw new Error(`line ${option.line}: unknown reverse_proxy option ${option.words[0] ?? ''}`);
      if (caddyChildren(proxy.block, 'to').length !== 1) throw new Error(`line ${proxy.line}: reverse_proxy needs one "to" line`);
      if (caddyChildren(proxy.block, 'lb_policy').length !== 1) throw new Error(`line ${proxy.line}: reverse_proxy needs an lb_policy`);
    }
    const matcher = caddyChildren(site.block, '@grpc')[0];
    const conditions = (matcher?.block ?? []).map((node) => node.words.join(' '));
    if (!conditions.includes('header Content-Type application/grpc*') || !conditions.includes('not header Content-Type application/grpc-web*')) {
      throw new Error('@grpc must match native gRPC and not gRPC-Web');
    }
    const grpcHandle = caddyChildren(site.block, 'handle').find((node) => node.words[1] === '@grpc');
    const grpcProxy = caddyChildren(grpcHandle?.block, 'reverse_proxy')[0];
    const transport = caddyChildren(grpcProxy?.block, 'transport')[0];
    const versions = caddyChildren(transport?.block, 'versions')[0]?.words.slice(1) ?? [];
    if (transport?.words[1] !== 'http' || !versions.includes('h2c')) throw new Error('native gRPC must go upstream with transport http { versions h2c … }');
    const webHandle = caddyChildren(site.block, 'handle').find((node) => node.words.length === 1);
    const webProxy = caddyChildren(webHandle?.block, 'reverse_proxy')[0];
    if (caddyChildren(webProxy?.block, 'transport').length > 0) throw new Error('gRPC-Web and /health must stay on HTTP/1.1 (no h2c transport)');
    if (caddyChildren(webProxy?.block, 'health_uri')[0]?.words[1] !== '/health') throw new Error('the HTTP/1.1 upstreams need health_uri /health');
  }

  it('passes the parse check: one site, native gRPC over h2c, the rest over HTTP/1.1 with health checks on /health', () => {
    expect(() => checkCaddyfile(caddyfile)).not.toThrow();
    const upstreams = caddyNodes(parseCaddyfile(caddyfile)).filter((node) => node.words[0] === 'to').map((node) => node.words.slice(1));
    expect(upstreams).toEqual([['{$NODEBILL_UPSTREAMS:127.0.0.1:50051}'], ['{$NODEBILL_UPSTREAMS:127.0.0.1:50051}']]);
  });

  it('the parse check refuses broken variants', () => {
    const broken: Array<[string, string, RegExp]> = [
      ['a brace removed', caddyfile.replace(/\n\t}\n\n\t# Prometheus/, '\n\n\t# Prometheus'), /never closed|closes no block/],
      ['h2c removed', caddyfile.replace('versions h2c 2', 'versions 1.1'), /h2c/],
      ['no health_uri', caddyfile.replace('health_uri /health', 'health_uri /'), /health_uri \/health/],
      ['gRPC-Web sent to h2c', caddyfile.replace('\t\tnot header Content-Type application/grpc-web*\n', ''), /not gRPC-Web/],
      ['a misspelled option', caddyfile.replace('lb_policy least_conn', 'lb_polcy least_conn'), /unknown reverse_proxy option lb_polcy/],
    ];
    for (const [what, text, problem] of broken) {
      expect(text, what).not.toBe(caddyfile);
      expect(() => checkCaddyfile(text), what).toThrow(problem);
    }
  });

  it.runIf(HAVE_CADDY)('caddy validate accepts it, for one node and for several', async () => {
    const file = path.join(DEPLOY, 'caddy', 'Caddyfile');
    const single = await runProgram('caddy', ['validate', '--config', file, '--adapter', 'caddyfile']);
    expect(single.stdout + single.stderr).toContain('Valid configuration');
    expect(single.code).toBe(0);
    const env = { ...process.env, NODEBILL_UPSTREAMS: '10.0.0.11:50051 10.0.0.12:50051' };
    const adapted = await runProgram('caddy', ['adapt', '--config', file, '--adapter', 'caddyfile'], { env });
    expect(adapted.code).toBe(0);
    const dials = [...adapted.stdout.matchAll(/"dial":"([^"]+)"/g)].map((m) => m[1]);
    expect(dials).toEqual(['10.0.0.11:50051', '10.0.0.12:50051', '10.0.0.11:50051', '10.0.0.12:50051']);
    const multi = await runProgram('caddy', ['validate', '--config', file, '--adapter', 'caddyfile'], { env });
    expect(multi.code).toBe(0);
  });

  describe.runIf(HAVE_CADDY)('Caddy running the file in front of NodeBill and a dead node', () => {
    let caddy: ChildProcess | undefined;
    let caddyUrl = '';
    let caddyOutput = '';

    beforeAll(async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'nodebill-caddy-'));
      // Test-only changes: no TLS and no admin API, and h2c on Caddy's own listener so that a
      // cleartext client can speak native gRPC to it (the real file serves HTTPS with h2).
      const testFile = caddyfile
        .replace('{\n\tservers {', '{\n\tadmin off\n\tauto_https off\n\tservers {')
        .replace('protocols h1 h2 h3', 'protocols h1 h2 h2c')
        .replace('/var/log/caddy/nodebill.log', path.join(dir, 'access.log'));
      expect(testFile).toContain('protocols h1 h2 h2c');
      expect(testFile).toContain('admin off');
      writeFileSync(path.join(dir, 'Caddyfile'), testFile);
      const port = await freePort();
      caddyUrl = `http://127.0.0.1:${port}`;
      caddy = spawn('caddy', ['run', '--config', path.join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
        cwd: dir,
        env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, NODEBILL_SITE: caddyUrl, NODEBILL_UPSTREAMS: `127.0.0.1:${server.port} 127.0.0.1:${closedPort}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      caddy.stdout?.on('data', (chunk: Buffer) => (caddyOutput += chunk.toString()));
      caddy.stderr?.on('data', (chunk: Buffer) => (caddyOutput += chunk.toString()));
      await eventually(async () => {
        if (caddy?.exitCode !== null) throw new Error(`caddy exited:\n${caddyOutput}`);
        return fetch(`${caddyUrl}/health`).then((response) => (response.status === 200 ? true : undefined), () => undefined);
      }, 'Caddy to answer /health');
    });
    afterAll(() => {
      caddy?.kill('SIGTERM');
    });

    it('passes /health, the admin console and the portal through, and keeps /metrics to itself', async () => {
      for (let i = 0; i < 6; i++) {
        const health = await fetch(`${caddyUrl}/health`);
        expect(health.status).toBe(200);
        expect(await health.text()).toBe('OK');
      }
      const direct = await fetch(`${server.url}/admin`);
      const proxied = await fetch(`${caddyUrl}/admin`);
      expect(proxied.status).toBe(200);
      expect(await proxied.text()).toBe(await direct.text());
      expect((await fetch(`${caddyUrl}/`)).status).toBe(200);
      expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
      const metrics = await fetch(`${caddyUrl}/metrics`);
      expect(metrics.status).toBe(404);
    });

    it('carries gRPC-Web over HTTP/1.1 and native gRPC over h2c, trailers and errors included', async () => {
      const login = await grpcWebClient(IdentityService, caddyUrl).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' });
      expect(login.accessToken).not.toBe('');
      for (let i = 0; i < 4; i++) {
        const me = await grpcClient(IdentityService, caddyUrl, bearer(login.accessToken)).getMe({});
        expect(me.user?.username).toBe('admin');
      }
      const refused = await grpcClient(IdentityService, caddyUrl).getMe({}).then(() => undefined, (error: unknown) => ConnectError.from(error));
      expect(refused?.code).toBe(Code.Unauthenticated);
      const refusedWeb = await grpcWebClient(IdentityService, caddyUrl).getMe({}).then(() => undefined, (error: unknown) => ConnectError.from(error));
      expect(refusedWeb?.code).toBe(Code.Unauthenticated);
    });
  });
});

describe('container image (Dockerfile, .dockerignore)', () => {
  const dockerfile = read(REPO_ROOT, 'Dockerfile');
  const ignore = dockerignorePatterns(read(REPO_ROOT, '.dockerignore'));
  const scripts = (JSON.parse(read(REPO_ROOT, 'package.json')) as { scripts: Record<string, string> }).scripts;

  /** Instructions of each stage, in order. */
  function stages(text: string): ReturnType<typeof parseDockerfile>[] {
    const result: ReturnType<typeof parseDockerfile>[] = [];
    for (const instruction of parseDockerfile(text)) {
      if (instruction.keyword === 'FROM') result.push([]);
      else if (result.length === 0 && instruction.keyword !== 'ARG') throw new Error(`line ${instruction.line}: ${instruction.keyword} before the first FROM`);
      result[result.length - 1]?.push(instruction);
    }
    return result;
  }

  /** The exec-form (JSON array) arguments of an instruction's command. */
  const execForm = (args: string): string[] => JSON.parse(args.slice(args.indexOf('['))) as string[];

  /** The parse check; throws naming the first problem. */
  function checkDockerfile(text: string): void {
    const all = parseDockerfile(text);
    const first = all.find((instruction) => instruction.keyword !== 'ARG');
    if (first?.keyword !== 'FROM') throw new Error('the first instruction must be FROM');
    const froms = all.filter((instruction) => instruction.keyword === 'FROM');
    for (const from of froms) if (!/^node:24-slim(\s|$)/.test(from.args)) throw new Error(`line ${from.line}: base image must be node:24-slim, got ${from.args}`);
    const final = stages(text).at(-1) ?? [];
    const users = final.filter((instruction) => instruction.keyword === 'USER');
    const user = users.at(-1)?.args ?? 'root';
    if (/^(root|0)(:|$)/.test(user)) throw new Error('the final stage must switch to a non-root USER');
    const healthcheck = final.find((instruction) => instruction.keyword === 'HEALTHCHECK');
    if (!healthcheck || !healthcheck.args.includes('/health')) throw new Error('the final stage needs a HEALTHCHECK on /health');
    if (!final.some((instruction) => instruction.keyword === 'EXPOSE' && instruction.args.split(' ').includes('50051'))) throw new Error('EXPOSE 50051 missing');
    if (!final.some((instruction) => instruction.keyword === 'VOLUME')) throw new Error('a data VOLUME is missing');
    const cmd = final.find((instruction) => instruction.keyword === 'CMD');
    if (!cmd || !execForm(cmd.args).includes('src/main.ts')) throw new Error('CMD must run src/main.ts (exec form, so that node receives SIGTERM)');
    for (const run of all.filter((instruction) => instruction.keyword === 'RUN')) {
      for (const match of run.args.matchAll(/npm run (\S+)/g)) if (!(match[1] as string in scripts)) throw new Error(`line ${run.line}: npm script ${match[1] as string} does not exist`);
    }
    if (!all.some((instruction) => instruction.keyword === 'RUN' && /\bnpm (?:ci|install)\b/.test(instruction.args))) throw new Error('dependencies must be installed from package.json and its lock file (npm ci or npm install)');
    for (const copy of all.filter((instruction) => instruction.keyword === 'COPY' && !instruction.args.includes('--from='))) {
      const words = copy.args.split(' ').filter((word) => !word.startsWith('--'));
      for (const source of words.slice(0, -1)) {
        if (source === '.') continue;
        if (!existsSync(path.join(REPO_ROOT, source))) throw new Error(`line ${copy.line}: COPY source ${source} does not exist`);
        if (dockerIgnored(ignore, source)) throw new Error(`line ${copy.line}: COPY source ${source} is excluded by .dockerignore`);
      }
    }
  }

  it('passes the parse check: node:24-slim, npm install with the lock file, gen and build:web, non-root, HEALTHCHECK on /health, port 50051, a volume', () => {
    expect(() => checkDockerfile(dockerfile)).not.toThrow();
    const runs = parseDockerfile(dockerfile).filter((instruction) => instruction.keyword === 'RUN').map((instruction) => instruction.args).join(' ');
    expect(runs).toContain('npm run gen');
    expect(runs).toContain('npm run build:web');
  });

  it('the parse check refuses broken variants', () => {
    const broken: Array<[string, string, RegExp]> = [
      ['an unknown instruction', dockerfile.replace('WORKDIR /opt/nodebill\nCOPY package.json', 'WORKDIRR /opt/nodebill\nCOPY package.json'), /unknown instruction WORKDIRR/],
      ['runs as root', dockerfile.replace('USER nodebill', 'USER root'), /non-root/],
      ['no HEALTHCHECK', dockerfile.replace(/HEALTHCHECK[^\n]*\\\n[^\n]*\n/, ''), /HEALTHCHECK/],
      ['a missing npm script', dockerfile.replace('npm run build:web', 'npm run build:webapp'), /build:webapp does not exist/],
      ['a missing COPY source', dockerfile.replace('COPY package.json package-lock.json ./', 'COPY package.json yarn.lock ./'), /yarn.lock does not exist/],
      ['another base image', dockerfile.replace('FROM node:24-slim AS build', 'FROM node:20 AS build'), /node:24-slim/],
    ];
    for (const [what, text, problem] of broken) {
      expect(text, what).not.toBe(dockerfile);
      expect(() => checkDockerfile(text), what).toThrow(problem);
    }
  });

  it('.dockerignore keeps local state, secrets and build output out, and not what the build needs', () => {
    for (const kept of ['node_modules/pg/package.json', '.data/secrets.json', 'config.toml', 'config.local.toml', '.env', '.git/HEAD', 'src/gen/rustbill/identity_pb.ts', 'web/admin/dist/index.html', 'server.log']) {
      expect(dockerIgnored(ignore, kept), kept).toBe(true);
    }
    for (const needed of ['package.json', 'package-lock.json', 'buf.yaml', 'buf.gen.yaml', 'proto', 'src/main.ts', 'src/cli/main.ts', 'cluster.config.ts', 'tsconfig.json', 'plugins/provider-incus.js', 'web/admin/vite.config.ts', 'web/portal/index.html']) {
      expect(dockerIgnored(ignore, needed), needed).toBe(false);
    }
  });

  it('the HEALTHCHECK command succeeds against a running NodeBill and fails when nothing answers', async () => {
    const healthcheck = parseDockerfile(dockerfile).find((instruction) => instruction.keyword === 'HEALTHCHECK');
    const [program, ...args] = execForm(healthcheck?.args ?? '');
    expect(program).toBe('node');
    const run = (port: number) => runProgram(process.execPath, args, { env: { PATH: process.env.PATH ?? '', PORT: String(port) } });
    expect((await run(server.port)).code).toBe(0);
    expect((await run(closedPort)).code).not.toBe(0);
  });
});

describe('backup cron job (deploy/cron/nodebill-backup)', () => {
  const cronText = read(DEPLOY, 'cron', 'nodebill-backup');

  it('is an /etc/cron.d file: daily at 02:00 as nodebill, a custom-format dump, 30 days kept', async () => {
    const { env, jobs } = parseCronD(cronText);
    expect(env.SHELL).toBe('/bin/sh');
    expect(jobs).toHaveLength(1);
    const job = jobs[0];
    expect(job?.schedule).toEqual(['0', '2', '*', '*', '*']);
    expect(job?.user).toBe('nodebill');
    const command = cronShellCommand(job?.command ?? '');
    expect(command).toContain('npm run --silent cli -- db backup /var/backups/nodebill/nodebill-$(date +%F).dump');
    expect(command).toMatch(/find \/var\/backups\/nodebill -name 'nodebill-\*\.dump' -mtime \+30 -delete$/);
    const syntax = await runProgram('/bin/sh', ['-n', '-c', command]);
    expect(syntax.code).toBe(0);
    // The parser refuses what cron would misread.
    expect(() => parseCronD('0 2 * * nodebill true')).toThrow(/5 schedule fields/);
    expect(() => parseCronD('60 2 * * * nodebill true')).toThrow(/minute "60" is outside 0-59/);
    expect(() => cronShellCommand('pg_dump -f x-$(date +%F).dump')).toThrow(/unescaped "%"/);
  });

  it('names CLI commands that exist: the npm script cli and its db backup command', () => {
    const scripts = (JSON.parse(read(REPO_ROOT, 'package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.cli).toMatch(/src\/cli\/main\.ts/);
    const sources = readdirSync(path.join(REPO_ROOT, 'src', 'cli'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.ts'))
      .map((file) => read(REPO_ROOT, 'src', 'cli', file))
      .join('\n');
    expect(sources).toMatch(/['"]db['"]/);
    expect(sources).toMatch(/['"]backup['"]/);
  });

  it('run as cron runs it, writes a dump that the README restore restores, and deletes dumps past 30 days', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nodebill-backup-'));
    const backups = path.join(dir, 'backups');
    mkdirSync(backups);
    const envFile = path.join(dir, 'nodebill.env');
    writeFileSync(envFile, `CONFIG_FILE=${path.join(REPO_ROOT, 'test', 'support', 'server.toml')}\nDATABASE_URL=${db.url}\n`);
    const old = path.join(backups, 'nodebill-2000-01-01.dump');
    const unrelated = path.join(backups, 'notes.txt');
    const fortyDaysAgo = new Date(Date.now() - 40 * 86_400_000);
    for (const file of [old, unrelated]) {
      writeFileSync(file, 'old');
      utimesSync(file, fortyDaysAgo, fortyDaysAgo);
    }
    const { env, jobs } = parseCronD(cronText);
    const command = cronShellCommand(jobs[0]?.command ?? '')
      .replaceAll(INSTALL_DIR, REPO_ROOT)
      .replaceAll('/etc/nodebill/nodebill.env', envFile)
      .replaceAll('/var/backups/nodebill', backups);
    // The environment cron gives a job: its file's variables, HOME and LOGNAME, nothing else.
    const ran = await runProgram(env.SHELL ?? '/bin/sh', ['-c', command], { env: { PATH: env.PATH ?? '', HOME: dir, LOGNAME: 'nodebill' }, timeoutMs: 120_000 });
    expect(ran.stderr).not.toMatch(/error/i);
    expect(ran.code).toBe(0);

    const today = (await runProgram('date', ['+%F'])).stdout.trim();
    const dump = path.join(backups, `nodebill-${today}.dump`);
    expect(existsSync(dump)).toBe(true);
    expect(statSync(dump).size).toBeGreaterThan(0);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(unrelated)).toBe(true);

    // The README's restore (`npm run cli -- db restore FILE`, the service stopped), into an empty
    // database, and the manual's pg_restore line into another.
    const target = await createTestDatabase();
    const manual = await createTestDatabase();
    try {
      const restored = await runProgram('/bin/sh', ['-c', `cd "${REPO_ROOT}" && npm run --silent cli -- db restore "${dump}"`], {
        env: { PATH: env.PATH ?? '', HOME: dir, DATABASE_URL: target.url, CONFIG_FILE: path.join(REPO_ROOT, 'test', 'support', 'server.toml') },
        timeoutMs: 120_000,
      });
      expect(restored.code).toBe(0);
      expect(restored.stdout).toMatch(/restored .* 0 pending/);
      const byHand = await runProgram('pg_restore', ['--clean', '--if-exists', '--no-owner', '-d', manual.url, dump]);
      expect(byHand.stderr).toBe('');
      expect(byHand.code).toBe(0);
      const count = (url: string) => queryRows<{ tables: string; admins: string }>(url, "select (select count(*) from information_schema.tables where table_schema = 'public') as tables, (select count(*) from admin_users) as admins");
      const [source] = await count(db.url);
      const [copy] = await count(target.url);
      expect(Number(source?.tables)).toBeGreaterThan(10);
      expect(Number(source?.admins)).toBeGreaterThan(0);
      expect(copy).toEqual(source);
      const [copyByHand] = await count(manual.url);
      expect(copyByHand).toEqual(source);
    } finally {
      await target.drop();
      await manual.drop();
    }
  });
});
