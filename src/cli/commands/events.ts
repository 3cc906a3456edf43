/**
 * `events failed | retry`: the dead letters of the event queue (src/jobs/dead-letters.ts).
 */
import { listFailedEvents, retryFailedEvent } from '../../jobs/dead-letters.ts';
import { EXIT, err, noPositionals, onePositional, out, parse, withPool, wholeNumber, type CommandGroup } from '../context.ts';

const HELP = `npm run cli -- events COMMAND

  events failed [--limit N]   the dead letters (id, type, order, attempts, last error), oldest failure first (default 100)
  events retry ID             sends one failed event back to pending with its attempts reset

Exit codes: 0 done, 1 refused (unknown id, or the event is not failed), 2 bad arguments.
`;

async function failed(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { limit: { type: 'string', default: '100' } });
  noPositionals(positionals, 'npm run cli -- events failed [--limit N]');
  const limit = wholeNumber(values.limit, '--limit');
  return withPool(async (pool) => {
    const events = await listFailedEvents(pool, limit);
    if (events.length === 0) {
      out('no failed events');
      return EXIT.ok;
    }
    for (const event of events) {
      const error = (event.lastError ?? '').replace(/\s+/g, ' ');
      out(`${event.id}  ${event.eventType.padEnd(20)} order ${event.orderId ?? '-'}  attempts ${event.attempts}  failed ${event.failedAt ?? '-'}  ${error}`);
    }
    return EXIT.ok;
  });
}

async function retry(args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  const id = onePositional(positionals, 'ID', 'npm run cli -- events retry ID');
  return withPool(async (pool) => {
    const outcome = await retryFailedEvent(pool, id);
    switch (outcome.kind) {
      case 'retried':
        out(`event ${id} is pending again (attempts reset); a worker runs it within [jobs] poll_interval_ms`);
        return EXIT.ok;
      case 'not_found':
        err(`no event with id "${id}" (see: npm run cli -- events failed)`);
        return EXIT.failed;
      case 'not_failed':
        err(`event ${id} is ${outcome.status}, not failed: only failed events can be retried`);
        return EXIT.failed;
    }
  });
}

/** The `events` command group. */
export const eventsGroup: CommandGroup = {
  name: 'events',
  summary: 'failed events of the event queue: list them, send one back (events failed | retry)',
  help: HELP,
  commands: ['failed', 'retry'],
  run: (command, args) => (command === 'failed' ? failed(args) : retry(args)),
};
