/**
 * Rolling restart of the server (IntegrationService RestartServer): the primary replaces its
 * workers one by one (src/cluster). Audited as `server.restart` once the primary accepted it.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { DomainError } from '../../domain/errors.ts';
import { recordAudit } from '../audit.ts';
import type { Origin } from '../../domain/origin.ts';

/** The port to the cluster: what a worker may ask its primary for. */
export interface ClusterControl {
  /** Starts a rolling restart of all workers; resolves once the primary accepted it. */
  restartServer(requestedBy: string): Promise<{ alreadyRunning: boolean }>;
}

/** See the file comment. */
export class ServerRestart {
  private readonly orm: MikroORM;
  private readonly cluster: ClusterControl;
  private readonly log: Logger;

  constructor(deps: { orm: MikroORM; cluster: ClusterControl; log: Logger }) {
    this.orm = deps.orm;
    this.cluster = deps.cluster;
    this.log = deps.log;
  }

  /**
   * Asks for a rolling restart (one already running is not started twice) and records who asked.
   * @throws DomainError unavailable when the primary did not accept it
   */
  async restart(origin: Origin): Promise<{ alreadyRunning: boolean }> {
    const requestedBy = origin.caller.kind === 'admin' ? origin.caller.username : origin.caller.kind;
    let alreadyRunning: boolean;
    try {
      ({ alreadyRunning } = await this.cluster.restartServer(requestedBy));
    } catch (error) {
      throw new DomainError('unavailable', `the restart could not be started: ${error instanceof Error ? error.message : String(error)}; try again`);
    }
    this.log.warn({ requestedBy, alreadyRunning }, alreadyRunning ? 'restart requested while one is running' : 'rolling restart requested');
    await this.orm.em.fork().transactional(async (tx) => {
      recordAudit(tx, origin, { action: 'server.restart', targetType: 'server', targetId: '', details: { alreadyRunning } });
    });
    return { alreadyRunning };
  }
}
