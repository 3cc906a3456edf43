/**
 * Test bed of the engine suites: the real host services (src/plugins/host: HTTP with breakers,
 * nodemailer SMTP, PostgreSQL state) over a migrated test database, a local `node:http` server the
 * scripts talk to, a local SMTP server, and `createPluginEngine` on top (its sandbox threads are
 * terminated by `close()`). Plugin interfaces are real
 * rows (`plugins` / `plugin_interfaces`), so state is stored in `plugin_state` per interface.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MikroORM } from '@mikro-orm/postgresql';
import pino from 'pino';
import { Registry } from 'prom-client';
import { SMTPServer } from 'smtp-server';
import { AppConfigSchema, type AppConfig } from '../../../cluster.config.ts';
import { createPluginEngine, type PluginEngineOptions, type SandboxedPluginEngine } from '../../../src/plugins/engine/index.ts';
import { createHostServices, type HostServicesHandle } from '../../../src/plugins/host/index.ts';
import { PluginError, type HostServices, type OutboundRequest, type PluginErrorKind, type PluginTarget, type PluginType } from '../../../src/plugins/types.ts';
import { Plugin, PluginInterface } from '../../../src/persistence/entities/plugins.ts';
import { createOrm } from '../../../src/persistence/orm.ts';
import { newId } from '../../../src/lib/ids.ts';
import { migratedTestDatabase } from '../../support/db.ts';
import { listen, readBody, type TestServer } from '../host/support.ts';

/** One JSON log line of the bed's logger. */
export type LogLine = Record<string, unknown> & { msg?: string };

/** A request as the local HTTP server saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Set when the client closed the connection before the server answered (only `/hang` keeps it open). */
  cutOff: boolean;
  /** Requests the server was handling when this one arrived, itself included. */
  inFlight: number;
}

/** A message as the local SMTP server received it. */
export interface SeenMail {
  from: string;
  to: string[];
  raw: string;
}

/**
 * The local HTTP server's routes:
 * - `/echo…` answers `{"method","path","contentType","headers","body"}` (JSON)
 * - `/slow?ms=N&tag=T` answers `slow:T` after N ms
 * - `/bytes` answers the bytes 00 01 02 ff (`application/grpc-web+proto`, header `grpc-status: 0`);
 *   a request body is appended after them
 * - `/status/NNN` answers NNN with body `status NNN`
 * - `/hang` never answers (until the server closes); the request is marked `cutOff` when the
 *   client closes the connection
 */
async function startScriptServer(seen: SeenRequest[]): Promise<TestServer> {
  let active = 0;
  const server = http.createServer((request, response) => {
    active += 1;
    response.on('close', () => {
      active -= 1;
    });
    void (async () => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const inFlight = active;
      const body = await readBody(request);
      const entry: SeenRequest = { method: request.method ?? '', path: url.pathname + url.search, headers: request.headers, body, cutOff: false, inFlight };
      seen.push(entry);
      response.on('close', () => {
        if (!response.writableFinished) entry.cutOff = true;
      });
      if (url.pathname.startsWith('/echo')) {
        response.setHeader('content-type', 'application/json');
        response.end(
          JSON.stringify({
            method: request.method,
            path: url.pathname + url.search,
            contentType: request.headers['content-type'] ?? '',
            headers: request.headers,
            body: body.toString('utf8'),
          }),
        );
      } else if (url.pathname === '/slow') {
        await new Promise(resolve => setTimeout(resolve, Number(url.searchParams.get('ms') ?? '50')));
        response.end(`slow:${url.searchParams.get('tag') ?? ''}`);
      } else if (url.pathname === '/bytes') {
        response.setHeader('content-type', 'application/grpc-web+proto');
        response.setHeader('grpc-status', '0');
        response.end(Buffer.concat([Buffer.from([0, 1, 2, 255]), body]));
      } else if (url.pathname.startsWith('/status/')) {
        const status = Number(url.pathname.slice('/status/'.length));
        response.statusCode = status;
        response.end(`status ${status}`);
      } else if (url.pathname === '/hang') {
        // never answers
      } else {
        response.statusCode = 404;
        response.end('no route');
      }
    })();
  });
  return listen(server, 'http');
}

async function startSmtpServer(received: SeenMail[]): Promise<{ port: number; close(): Promise<void> }> {
  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map(rcpt => rcpt.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, close: () => new Promise<void>(resolve => server.close(() => resolve())) };
}

/** Everything an engine suite uses; `close()` releases it all. */
export interface EngineBed {
  engine: SandboxedPluginEngine;
  host: HostServicesHandle;
  /** Every request the engine handed to `host.http`, as it was handed over (with its abort signal). */
  outbound: OutboundRequest[];
  orm: MikroORM;
  lines: LogLine[];
  /** Base URL of the local HTTP server, e.g. `http://127.0.0.1:41234`. */
  url: string;
  requests: SeenRequest[];
  smtpPort: number;
  mails: SeenMail[];
  /** Creates a plugin definition (if needed) and an interface row; returns the interface id. */
  newInterface(pluginType: PluginType, pluginId: string): Promise<string>;
  /** A call target on a new interface row. */
  target(source: string, config?: Record<string, unknown>, pluginType?: PluginType, pluginId?: string): Promise<PluginTarget>;
  close(): Promise<void>;
}

/** Engine settings of a bed (defaults: 3 s calls, 32 MiB, 8 concurrent calls, the engine's grace and idle times). */
export type BedOptions = Partial<Pick<PluginEngineOptions, 'callTimeoutMs' | 'memoryLimitMb' | 'maxStackKb' | 'maxConcurrentCalls' | 'terminateGraceMs' | 'idleThreadMs'>> & {
  plugins?: Partial<AppConfig['plugins']>;
};

/** Builds the bed (see the file comment). */
export async function engineBed(options: BedOptions = {}): Promise<EngineBed> {
  const database = await migratedTestDatabase();
  const orm = await createOrm({ url: database.url, poolMin: 0, poolMax: 8 });
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  const config: AppConfig['plugins'] = { ...AppConfigSchema.parse({}).plugins, http_retries: 0, http_timeout_ms: 10_000, outbound_allow: ['127.0.0.1'], ...options.plugins };
  const host = createHostServices({ orm, config, log, registry: new Registry() });
  const requests: SeenRequest[] = [];
  const server = await startScriptServer(requests);
  const mails: SeenMail[] = [];
  const smtp = await startSmtpServer(mails);
  // The real host services, with the requests the engine hands them recorded on the way.
  const outbound: OutboundRequest[] = [];
  const observedHost: HostServices = {
    log: (level, message, context) => host.log(level, message, context),
    http(request, context) {
      outbound.push(request);
      return host.http(request, context);
    },
    smtpSend: (smtpConfig, email, context) => host.smtpSend(smtpConfig, email, context),
    stateGet: (interfaceId, key) => host.stateGet(interfaceId, key),
    stateSet: (interfaceId, key, value) => host.stateSet(interfaceId, key, value),
  };
  const engine = await createPluginEngine({
    host: observedHost,
    log,
    callTimeoutMs: options.callTimeoutMs ?? 3000,
    memoryLimitMb: options.memoryLimitMb ?? 32,
    ...(options.maxStackKb === undefined ? {} : { maxStackKb: options.maxStackKb }),
    ...(options.maxConcurrentCalls === undefined ? {} : { maxConcurrentCalls: options.maxConcurrentCalls }),
    ...(options.terminateGraceMs === undefined ? {} : { terminateGraceMs: options.terminateGraceMs }),
    ...(options.idleThreadMs === undefined ? {} : { idleThreadMs: options.idleThreadMs }),
  });

  // Interface rows are created one at a time (concurrent tests would race on the plugin definition).
  let creating: Promise<unknown> = Promise.resolve();
  function newInterface(pluginType: PluginType, pluginId: string): Promise<string> {
    const created = creating.then(async () => {
      const em = orm.em.fork();
      let definition = await em.findOne(Plugin, { pluginType, pluginId });
      definition ??= em.create(Plugin, { id: newId(), pluginType, pluginId });
      const row = em.create(PluginInterface, { id: newId(), pluginDefId: definition.id, pluginType, pluginId, displayName: `test ${newId()}` });
      await em.flush();
      return row.id;
    });
    creating = created.catch(() => undefined);
    return created;
  }

  return {
    engine,
    host,
    outbound,
    orm,
    lines,
    url: server.url,
    requests,
    smtpPort: smtp.port,
    mails,
    newInterface,
    async target(source, config = {}, pluginType = 'gateway', pluginId = 'test') {
      return { interfaceId: await newInterface(pluginType, pluginId), pluginType, pluginId, source, config };
    },
    async close() {
      await engine.close();
      await host.close();
      await server.close();
      await smtp.close();
      await orm.close(true);
      await database.drop();
    },
  };
}

/** Functions every gateway script needs; tests append their own (a later declaration wins). */
export const GATEWAY_BASE = `
function config_schema(config) { return { type: 'object', properties: {} }; }
function initialize(config) { return 'OK'; }
function create_payment(merged) { return { gateway_payment_id: 'p' }; }
function query_payment(merged) { return { status: 'pending' }; }
function handle_callback(merged) { return { status: 'success' }; }
function refund(merged) { return { status: 'refunded' }; }
function health_check(merged) { return true; }
`;

/** A gateway script: {@link GATEWAY_BASE} plus `extra`. */
export function gateway(extra: string): string {
  return `${GATEWAY_BASE}\n${extra}\n`;
}

/** Awaits a promise that must fail with a {@link PluginError} of `kind`; returns the error. */
export async function pluginFailure(promise: Promise<unknown>, kind: PluginErrorKind): Promise<PluginError> {
  const outcome = await promise.then(
    value => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected a ${kind} failure, got ${JSON.stringify(outcome.value)}`);
  if (!(outcome.error instanceof PluginError)) throw outcome.error;
  if (outcome.error.kind !== kind) throw new Error(`expected a ${kind} failure, got ${outcome.error.kind}: ${outcome.error.message}`);
  return outcome.error;
}
