import cluster from 'node:cluster';
import { runPrimary } from './cluster/primary.ts';
import { runWorker } from './cluster/worker.ts';

/**
 * NodeBill's entry point (`npm start`): the primary resolves configuration, migrates and forks the
 * workers; each worker serves the API. A startup failure is printed without a stack trace and exits 1.
 */
const run = cluster.isPrimary ? runPrimary : runWorker;
run().catch((error: unknown) => {
  process.stderr.write(`NodeBill failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
