/**
 * Connection pools (node:http/https agents) for outbound plugin requests: one shared keep-alive
 * agent per protocol, plus one agent per mTLS client certificate, cached by a SHA-256 hash of
 * certificate + key (+ CA) so repeated `http_request_with_cert` calls reuse their TLS connections
 * instead of handshaking every time (the guide's "mTLS 证书缓存"). Every agent is a guarded agent
 * (outbound-guard.ts): each connection it opens obeys the outbound policy.
 */
import { createHash } from 'node:crypto';
import type http from 'node:http';
import tls from 'node:tls';
import { GuardedHttpAgent, GuardedHttpsAgent, type OutboundGuard } from './outbound-guard.ts';

/** PEM client certificate and key, and optionally the CA (PEM) to trust for the server instead of the system store. */
export interface ClientCertificate {
  cert: string;
  key: string;
  ca?: string;
}

/** The agents of one host-services instance. */
export interface TlsAgents {
  /**
   * The agent for a request: the shared agent of `protocol` without a client certificate, or the
   * cached mTLS agent of `clientCert` (created on first use).
   *
   * @throws Error when `clientCert` is given for `http:` or its PEM text is invalid (or the key
   *   does not match the certificate). The message never contains the PEM text.
   */
  agentFor(protocol: 'http:' | 'https:', clientCert?: ClientCertificate): http.Agent;
  /** Number of cached mTLS agents. */
  readonly cachedClientCertificates: number;
  /** Destroys every agent and its sockets. */
  destroy(): void;
}

/** Options of {@link createTlsAgents}. */
export interface TlsAgentsOptions {
  /** The outbound policy every connection of every agent obeys. */
  guard: OutboundGuard;
  /** Most mTLS agents kept; the least recently used one is destroyed beyond it (default 64). */
  maxClientCertificates?: number;
}

/** The cache key of a client certificate: SHA-256 (hex) over cert, key and CA, each length-prefixed. */
export function clientCertificateHash(clientCert: ClientCertificate): string {
  const hash = createHash('sha256');
  for (const part of [clientCert.cert, clientCert.key, clientCert.ca ?? '']) {
    hash.update(`${part.length}:`);
    hash.update(part);
  }
  hash.update(clientCert.ca === undefined ? 'no-ca' : 'ca');
  return hash.digest('hex');
}

function validateClientCertificate(clientCert: ClientCertificate): void {
  try {
    tls.createSecureContext({ cert: clientCert.cert, key: clientCert.key, ca: clientCert.ca });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`invalid client certificate, key or CA: ${reason}`);
  }
}

/** Creates the agents; all keep connections alive between requests. */
export function createTlsAgents(options: TlsAgentsOptions): TlsAgents {
  const { guard } = options;
  const maxCached = options.maxClientCertificates ?? 64;
  const plainHttp = new GuardedHttpAgent(guard, { keepAlive: true });
  const plainHttps = new GuardedHttpsAgent(guard, { keepAlive: true });
  /** Insertion order is use order: a hit is moved to the end. */
  const byCertificate = new Map<string, GuardedHttpsAgent>();

  return {
    agentFor(protocol, clientCert) {
      if (clientCert === undefined) return protocol === 'https:' ? plainHttps : plainHttp;
      if (protocol !== 'https:') throw new Error('a client certificate needs an https:// URL');
      const key = clientCertificateHash(clientCert);
      const cached = byCertificate.get(key);
      if (cached !== undefined) {
        byCertificate.delete(key);
        byCertificate.set(key, cached);
        return cached;
      }
      validateClientCertificate(clientCert);
      const agent = new GuardedHttpsAgent(guard, { keepAlive: true, cert: clientCert.cert, key: clientCert.key, ca: clientCert.ca });
      byCertificate.set(key, agent);
      if (byCertificate.size > maxCached) {
        const [oldestKey, oldest] = byCertificate.entries().next().value ?? [];
        if (oldestKey !== undefined && oldest !== undefined) {
          byCertificate.delete(oldestKey);
          oldest.destroy();
        }
      }
      return agent;
    },
    get cachedClientCertificates() {
      return byCertificate.size;
    },
    destroy() {
      plainHttp.destroy();
      plainHttps.destroy();
      for (const agent of byCertificate.values()) agent.destroy();
      byCertificate.clear();
    },
  };
}
