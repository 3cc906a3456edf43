/**
 * A local Incus API server: HTTPS that REQUIRES a client certificate signed by the given CA (any
 * other client fails the TLS handshake), speaking the subset of the Incus REST API the
 * provider-incus plugin uses — `GET /1.0`, `POST /1.0/instances` (async, honours `start`),
 * `GET /1.0/operations/{id}/wait`, `GET|PUT /1.0/instances/{name}/state`, `DELETE /1.0/instances/{name}`,
 * `PATCH /1.0/instances/{name}` (merges `config` into the instance's, as a resize sends it; sync)
 * — with Incus's response envelopes (`sync`, `async` with an operation, `error`). Tests read what
 * happened from `instances` (each one's current `config`) and `requests` (every call, e.g. the
 * PATCH calls and their bodies).
 */
import { randomUUID } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** An instance the server holds. */
export interface IncusInstance {
  name: string;
  type: string;
  status: 'Running' | 'Stopped' | 'Frozen';
  config: Record<string, string>;
  devices: Record<string, Record<string, string>>;
  source: Record<string, string>;
  ipv4: string;
}

/** One request the server answered. */
export interface IncusRequestLog {
  method: string;
  path: string;
  body: unknown;
  /** Common name of the client certificate. */
  clientCn: string;
}

interface Operation {
  id: string;
  description: string;
  status: 'Running' | 'Success' | 'Failure';
  err: string;
  resources: Record<string, string[]>;
  done: Promise<void>;
}

/** A running Incus counterpart. */
export interface IncusServer {
  url: string;
  instances: Map<string, IncusInstance>;
  requests: IncusRequestLog[];
  /** Image aliases that exist; creating from another fails in the operation, as Incus does. */
  images: Set<string>;
  close(): Promise<void>;
}

type Envelope = Record<string, unknown>;

function sync(metadata: unknown, statusCode = 200): Envelope {
  return { type: 'sync', status: 'Success', status_code: statusCode, operation: '', error_code: 0, error: '', metadata };
}

function failure(code: number, message: string): Envelope {
  return { type: 'error', status: '', status_code: 0, operation: '', error_code: code, error: message, metadata: null };
}

function operationMetadata(operation: Operation): Envelope {
  return {
    id: operation.id,
    class: 'task',
    description: operation.description,
    created_at: new Date().toISOString(),
    updated_at: new Date().toISOString(),
    status: operation.status,
    status_code: operation.status === 'Running' ? 103 : operation.status === 'Success' ? 200 : 400,
    resources: operation.resources,
    metadata: null,
    may_cancel: false,
    err: operation.err,
    location: 'none',
  };
}

/**
 * Starts the server on 127.0.0.1 (random port).
 * @param options.operationDelayMs how long each operation runs before it completes (default 50)
 */
export async function startIncusServer(options: { caCert: string; serverCert: string; serverKey: string; operationDelayMs?: number }): Promise<IncusServer> {
  const delay = options.operationDelayMs ?? 50;
  const instances = new Map<string, IncusInstance>();
  const operations = new Map<string, Operation>();
  const requests: IncusRequestLog[] = [];
  const images = new Set(['debian/12', 'ubuntu/24.04', 'rockylinux/9', 'alpine/3.20']);
  let addressCounter = 10;

  // Starts an operation whose work runs after `delay`; `work` returns an error text or ''.
  const startOperation = (description: string, resources: Record<string, string[]>, work: () => string): Operation => {
    const operation: Operation = { id: randomUUID(), description, status: 'Running', err: '', resources, done: Promise.resolve() };
    operation.done = new Promise<void>((resolve) => {
      setTimeout(() => {
        const error = work();
        operation.status = error === '' ? 'Success' : 'Failure';
        operation.err = error;
        resolve();
      }, delay);
    });
    operations.set(operation.id, operation);
    return operation;
  };
  const asyncAnswer = (operation: Operation): Envelope => ({
    type: 'async', status: 'Operation created', status_code: 100, operation: `/1.0/operations/${operation.id}`, error_code: 0, error: '',
    metadata: operationMetadata(operation),
  });

  const handle = async (method: string, url: URL, body: unknown): Promise<[number, Envelope]> => {
    const path = url.pathname;
    if (method === 'GET' && (path === '/1.0' || path === '/1.0/')) {
      return [200, sync({
        api_extensions: ['instances', 'operations'], api_status: 'stable', api_version: '1.0', auth: 'trusted', public: false,
        auth_methods: ['tls'], environment: { server: 'incus', server_name: 'counterpart', server_version: '6.0.0' },
      })];
    }
    if (method === 'POST' && path === '/1.0/instances') {
      const request = (body ?? {}) as { name?: unknown; type?: unknown; source?: Record<string, string>; config?: Record<string, string>; devices?: Record<string, Record<string, string>>; start?: unknown };
      const name = typeof request.name === 'string' ? request.name : '';
      if (!/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/.test(name)) return [400, failure(400, `Invalid instance name "${name}"`)];
      if (instances.has(name)) return [409, failure(409, `Instance "${name}" already exists`)];
      const source = request.source ?? {};
      if (source.type !== 'image' || typeof source.alias !== 'string') return [400, failure(400, 'Invalid source: an image alias is required')];
      const instance: IncusInstance = {
        name,
        type: typeof request.type === 'string' ? request.type : 'container',
        status: 'Stopped',
        config: request.config ?? {},
        devices: request.devices ?? {},
        source,
        ipv4: `10.10.0.${addressCounter++}`,
      };
      const operation = startOperation('Creating instance', { instances: [`/1.0/instances/${name}`] }, () => {
        if (!images.has(source.alias ?? '')) return `Failed getting remote image info: Image "${source.alias}" not found`;
        instance.status = request.start === true ? 'Running' : 'Stopped';
        instances.set(name, instance);
        return '';
      });
      return [202, asyncAnswer(operation)];
    }
    const waitMatch = /^\/1\.0\/operations\/([0-9a-f-]+)\/wait$/.exec(path);
    if (method === 'GET' && waitMatch?.[1]) {
      const operation = operations.get(waitMatch[1]);
      if (!operation) return [404, failure(404, 'Operation not found')];
      const timeoutSecs = Number(url.searchParams.get('timeout') ?? '-1');
      const limit = timeoutSecs < 0 ? 3_600_000 : timeoutSecs * 1000;
      await Promise.race([operation.done, new Promise((resolve) => setTimeout(resolve, limit))]);
      return [200, sync(operationMetadata(operation))];
    }
    const stateMatch = /^\/1\.0\/instances\/([^/]+)\/state$/.exec(path);
    if (stateMatch?.[1]) {
      const name = decodeURIComponent(stateMatch[1]);
      const instance = instances.get(name);
      if (!instance) return [404, failure(404, 'Instance not found')];
      if (method === 'GET') {
        const running = instance.status === 'Running';
        return [200, sync({
          status: instance.status,
          status_code: running ? 103 : instance.status === 'Frozen' ? 110 : 102,
          pid: running ? 4242 : 0,
          processes: running ? 12 : 0,
          network: running ? {
            lo: { addresses: [{ family: 'inet', address: '127.0.0.1', netmask: '8', scope: 'local' }], state: 'up', type: 'loopback' },
            eth0: {
              addresses: [
                { family: 'inet6', address: 'fe80::216:3eff:fe00:1', netmask: '64', scope: 'link' },
                { family: 'inet', address: instance.ipv4, netmask: '24', scope: 'global' },
              ],
              state: 'up', type: 'broadcast',
            },
          } : null,
        })];
      }
      if (method === 'PUT') {
        const request = (body ?? {}) as { action?: unknown; force?: unknown };
        const action = typeof request.action === 'string' ? request.action : '';
        const next: Record<string, IncusInstance['status']> = { start: 'Running', stop: 'Stopped', restart: 'Running', freeze: 'Frozen', unfreeze: 'Running' };
        const target = next[action];
        if (target === undefined) return [400, failure(400, `Unknown action "${action}"`)];
        if (action === 'start' && instance.status === 'Running') return [400, failure(400, 'The instance is already running')];
        if ((action === 'stop' || action === 'restart' || action === 'freeze') && instance.status === 'Stopped') {
          return [400, failure(400, 'The instance is already stopped')];
        }
        const operation = startOperation(`${action[0]?.toUpperCase()}${action.slice(1)}ing instance`, { instances: [`/1.0/instances/${name}`] }, () => {
          instance.status = target;
          return '';
        });
        return [202, asyncAnswer(operation)];
      }
    }
    const instanceMatch = /^\/1\.0\/instances\/([^/]+)$/.exec(path);
    if (instanceMatch?.[1] && method === 'PATCH') {
      // Incus merges the given config keys into the instance's (the others stay) and answers sync.
      const name = decodeURIComponent(instanceMatch[1]);
      const instance = instances.get(name);
      if (!instance) return [404, failure(404, 'Instance not found')];
      const request = (body ?? {}) as { config?: unknown };
      if (request.config !== undefined) {
        const config = request.config;
        if (config === null || typeof config !== 'object' || Array.isArray(config)) return [400, failure(400, 'Invalid config: must be an object')];
        const entries = Object.entries(config as Record<string, unknown>);
        const bad = entries.find(([, value]) => typeof value !== 'string');
        if (bad) return [400, failure(400, `Invalid config: value of "${bad[0]}" must be a string`)];
        // (An instance a test put in without a config gets one.)
        instance.config = { ...(instance.config as Record<string, string> | undefined), ...Object.fromEntries(entries as Array<[string, string]>) };
      }
      return [200, sync({})];
    }
    if (instanceMatch?.[1] && method === 'DELETE') {
      const name = decodeURIComponent(instanceMatch[1]);
      const instance = instances.get(name);
      if (!instance) return [404, failure(404, 'Instance not found')];
      if (instance.status !== 'Stopped') return [400, failure(400, 'Instance is running')];
      const operation = startOperation('Deleting instance', { instances: [`/1.0/instances/${name}`] }, () => {
        instances.delete(name);
        return '';
      });
      return [202, asyncAnswer(operation)];
    }
    return [404, failure(404, 'not found')];
  };

  const server = https.createServer(
    { key: options.serverKey, cert: options.serverCert, ca: options.caCert, requestCert: true, rejectUnauthorized: true },
    (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        void (async () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = null;
          if (text !== '') {
            try {
              body = JSON.parse(text);
            } catch {
              response.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify(failure(400, 'invalid JSON body')));
              return;
            }
          }
          const url = new URL(request.url ?? '/', 'https://127.0.0.1');
          const peer = (request.socket as TLSSocket).getPeerCertificate();
          const clientCn = typeof peer.subject?.CN === 'string' ? peer.subject.CN : '';
          requests.push({ method: request.method ?? '', path: url.pathname, body, clientCn });
          const [status, envelope] = await handle(request.method ?? 'GET', url, body);
          response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(envelope));
        })();
      });
    },
  );
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    instances,
    requests,
    images,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
