/**
 * Whether a NodeBill server is using a database right now — `db restore` refuses to replace the
 * data under a running server (its actors hold customers' balances in memory; operations manual
 * §4.3: stop the service, then restore).
 *
 * Two signs, both read from PostgreSQL itself, so they see servers on any machine:
 * 1. a connection with `application_name` `nodebill-invalidations`: the LISTEN connection that
 *    every running node's primary process holds for its whole life
 *    (src/cluster/node-invalidations.ts);
 * 2. a live lease in `leader_role` (a holder whose heartbeat is younger than its `ttl_secs`):
 *    a node running a periodic job now (src/jobs/periodic-jobs.ts).
 * The CLI's own connections (`nodebill-cli`) and other tools are not counted.
 */
import { LISTENER_APPLICATION_NAME } from '../cluster/node-invalidations.ts';
import type pg from 'pg';

/** `application_name` of a running node's LISTEN connection (src/cluster/node-invalidations.ts). */
export const SERVER_LISTENER_APPLICATION_NAME = LISTENER_APPLICATION_NAME;

/** What {@link detectRunningServer} found. */
export interface ServerPresence {
  /** Listening connections of running nodes: backend pid, client address (null for a Unix socket), connected since (RFC3339). */
  listeners: Array<{ pid: number; clientAddress: string | null; since: string }>;
  /** Live `leader_role` leases: the role and its holder. */
  leases: Array<{ role: string; holder: string }>;
}

/** True when {@link ServerPresence} shows a running server. Pure. */
export function serverIsRunning(presence: ServerPresence): boolean {
  return presence.listeners.length > 0 || presence.leases.length > 0;
}

/** One line per sign of a running server, for messages. Pure. */
export function describePresence(presence: ServerPresence): string[] {
  return [
    ...presence.listeners.map((listener) => `NodeBill node connected from ${listener.clientAddress ?? 'a local socket'} since ${listener.since} (PostgreSQL backend pid ${listener.pid})`),
    ...presence.leases.map((lease) => `lease "${lease.role}" held by ${lease.holder}`),
  ];
}

/**
 * Looks for running NodeBill servers on the database `pool` connects to (see the file comment).
 * A database without the `leader_role` table (empty, or not NodeBill's) has no leases.
 */
export async function detectRunningServer(pool: pg.Pool): Promise<ServerPresence> {
  const listeners = await pool.query<{ pid: number; client_addr: string | null; since: string }>(
    `select pid, host(client_addr) as client_addr, to_char(backend_start at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as since
       from pg_stat_activity
      where datname = current_database() and application_name = $1 and pid <> pg_backend_pid()
      order by backend_start`,
    [SERVER_LISTENER_APPLICATION_NAME],
  );
  const exists = await pool.query<{ found: boolean }>(`select to_regclass('leader_role') is not null as found`);
  const leases = exists.rows[0]?.found
    ? (await pool.query<{ role: string; holder: string }>(
        `select role, holder from leader_role where holder is not null and heartbeat_at > now() - make_interval(secs => ttl_secs) order by role`,
      )).rows
    : [];
  return { listeners: listeners.rows.map((row) => ({ pid: row.pid, clientAddress: row.client_addr, since: row.since })), leases };
}
