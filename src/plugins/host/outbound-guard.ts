/**
 * Applies the outbound policy (outbound-policy.ts) where connections are made, so that no plugin
 * connection can reach an address the policy refuses:
 * - a `lookup` hook for `net`/`tls` connections: it resolves the name with `dns.lookup`, judges
 *   every address, and hands the socket only the allowed ones (none allowed → the connection fails
 *   with {@link OutboundPolicyError}). The socket connects to exactly the addresses judged, so a DNS
 *   answer that changes between two lookups (rebinding) gains nothing;
 * - a check of IP-literal hosts (`127.0.0.1`, `[::ffff:127.0.0.1]`, `0.0.0.0`; URL parsing has
 *   already turned `127.1` and `2130706433` into `127.0.0.1`), which Node connects to without any
 *   lookup;
 * - HTTP(S) agents doing both for every socket they open (tls-agents.ts builds all its agents from
 *   them), and a guarded TCP connect for SMTP (nodemailer's `getSocket`, smtp.ts).
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { judgeAddress, type AllowList } from './outbound-policy.ts';

/** The error code of {@link OutboundPolicyError}. */
export const OUTBOUND_POLICY_CODE = 'EOUTBOUNDPOLICY';

/** A connection the outbound policy refused; nothing was sent to the address. */
export class OutboundPolicyError extends Error {
  readonly code = OUTBOUND_POLICY_CODE;
  /** The host as the request named it (a name or an IP literal). */
  readonly host: string;
  /** The refused address (an IPv4-mapped address as IPv4). */
  readonly address: string;
  /** The refusing rule, e.g. `loopback`, `private`, `link-local`. */
  readonly range: string;
  constructor(host: string, address: string, range: string) {
    const target = host === address ? address : `${host} (resolved to ${address})`;
    super(
      `outbound policy: ${target} is a ${range} address, which plugins may not reach; ` +
        `an admin can allow it with [plugins] outbound_allow = ["${address}"] (or the host name or a CIDR range)`,
    );
    this.name = 'OutboundPolicyError';
    this.host = host;
    this.address = address;
    this.range = range;
  }
}

/** A DNS resolver in `dns.lookup`'s `all: true` form (injectable for tests of the guard itself). */
export type Resolver = (hostname: string, options: dns.LookupAllOptions) => Promise<dns.LookupAddress[]>;

const systemResolver: Resolver = (hostname, options) => dns.promises.lookup(hostname, options);

/** The policy applied to connections; see the module comment. */
export interface OutboundGuard {
  /** The allow-list in force. */
  readonly allow: AllowList;
  /** A `lookup` for `net.connect`/`tls.connect`/agents: resolves, then keeps only allowed addresses. */
  readonly lookup: net.LookupFunction;
  /**
   * The refusal for an IP-literal host (brackets allowed), or undefined when `host` is a name (the
   * lookup judges it) or an allowed address.
   */
  literalRefusal(host: string): OutboundPolicyError | undefined;
  /**
   * Opens a plain TCP connection to `host:port` under the policy (for SMTP).
   * @param timeoutMs limit of resolving and connecting, in ms
   * @throws OutboundPolicyError when the policy refuses every address of `host`
   * @throws Error with Node's code (`ECONNREFUSED`, `ENOTFOUND`, …; `ETIMEDOUT` after `timeoutMs`)
   */
  connect(host: string, port: number, timeoutMs: number): Promise<net.Socket>;
}

function unbracketed(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** Creates the guard of `allow` (DNS through `resolver`, default `dns.lookup`). */
export function createOutboundGuard(allow: AllowList, resolver: Resolver = systemResolver): OutboundGuard {
  function literalRefusal(host: string): OutboundPolicyError | undefined {
    const literal = unbracketed(host);
    if (net.isIP(literal) === 0) return undefined;
    const verdict = judgeAddress(literal, allow);
    return verdict.allowed ? undefined : new OutboundPolicyError(literal, verdict.address, verdict.range);
  }

  const lookup: net.LookupFunction = (hostname, options, callback) => {
    const literal = literalRefusal(hostname);
    if (literal !== undefined) {
      process.nextTick(callback, literal, '', 0);
      return;
    }
    const { family, hints, order } = options;
    resolver(hostname, { all: true, ...(family === undefined ? {} : { family }), ...(hints === undefined ? {} : { hints }), ...(order === undefined ? {} : { order }) }).then(
      addresses => {
        let refusal: OutboundPolicyError | undefined;
        const allowed = addresses.filter(entry => {
          const verdict = judgeAddress(entry.address, allow, hostname);
          if (!verdict.allowed) refusal ??= new OutboundPolicyError(hostname, verdict.address, verdict.range);
          return verdict.allowed;
        });
        const [first] = allowed;
        if (first === undefined) {
          const error: NodeJS.ErrnoException = refusal ?? Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
          callback(error, options.all === true ? [] : '', 0);
        } else if (options.all === true) {
          callback(null, allowed);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, options.all === true ? [] : '', 0),
    );
  };

  return {
    allow,
    lookup,
    literalRefusal,
    connect(host, port, timeoutMs) {
      return new Promise((resolve, reject) => {
        const refusal = literalRefusal(host);
        if (refusal !== undefined) {
          reject(refusal);
          return;
        }
        const socket = net.connect({ host: unbracketed(host), port, lookup });
        const timer = setTimeout(() => {
          socket.destroy();
          reject(Object.assign(new Error(`connecting to ${host}:${port} timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }));
        }, timeoutMs);
        const onError = (error: Error): void => {
          clearTimeout(timer);
          reject(error);
        };
        socket.once('connect', () => {
          clearTimeout(timer);
          socket.off('error', onError);
          // Until the caller attaches its own handler, an error must not go unhandled (it would
          // crash the process); the caller learns of it from its own handler or the closed socket.
          socket.on('error', () => undefined);
          resolve(socket);
        });
        socket.once('error', onError);
      });
    },
  };
}

type ConnectCallback = (error: Error | null, stream: Duplex) => void;

/** Refuses an IP-literal host before connecting; a name goes to the agent with the guard's lookup. */
function guardedConnection(
  guard: OutboundGuard,
  host: string | null | undefined,
  callback: ConnectCallback | undefined,
  connect: () => Duplex | null | undefined,
): Duplex | null | undefined {
  const refusal = guard.literalRefusal(host ?? 'localhost');
  if (refusal === undefined) return connect();
  // The agent's asynchronous createConnection contract: no socket returned, the error through the callback.
  process.nextTick(() => (callback as ((error: Error) => void) | undefined)?.(refusal));
  return undefined;
}

/** A keep-alive `http.Agent` whose every connection obeys `guard`. */
export class GuardedHttpAgent extends http.Agent {
  readonly guard: OutboundGuard;
  constructor(guard: OutboundGuard, options: http.AgentOptions = {}) {
    super({ ...options, lookup: guard.lookup });
    this.guard = guard;
  }
  override createConnection(options: http.ClientRequestArgs, callback?: ConnectCallback): Duplex | null | undefined {
    return guardedConnection(this.guard, options.host, callback, () => super.createConnection(options, callback));
  }
}

/** A keep-alive `https.Agent` (optionally with a client certificate) whose every connection obeys `guard`. */
export class GuardedHttpsAgent extends https.Agent {
  readonly guard: OutboundGuard;
  constructor(guard: OutboundGuard, options: https.AgentOptions = {}) {
    super({ ...options, lookup: guard.lookup });
    this.guard = guard;
  }
  override createConnection(options: https.RequestOptions, callback?: ConnectCallback): Duplex | null | undefined {
    return guardedConnection(this.guard, options.host, callback, () => super.createConnection(options, callback));
  }
}
