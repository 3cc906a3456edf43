/**
 * The CRM's batch benchmark (`BENCH_ONLY=crm-import npm run bench`; issue 10: "a 10,000-row import
 * finishes in seconds"): per run, a fresh 2-worker cluster on a scratch database imports one
 * BENCH_IMPORT_ROWS-row .xlsx (default 10,000) through ImportCustomers — every row one command of
 * its customer's actor, one transaction — polling GetCustomerImport for progress; then it exports
 * every customer, imports that export again (every row "unchanged"), and recomputes every
 * customer's scores. Prints the median of BENCH_RUNS runs (default 3) of each: seconds and
 * rows/s. Figures are printed, never asserted.
 */
import ExcelJS from 'exceljs';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { CustomerService } from '../../src/gen/rustbill/customer_pb.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { IMPORT_COLUMNS } from '../../src/domain/crm/customer-sheet.ts';
import { createTestDatabase } from '../../test/support/db.ts';
import { startServer, TEST_ADMIN_PASSWORD } from '../../test/support/server.ts';

const ROWS = Number(process.env.BENCH_IMPORT_ROWS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);

/** One run's figures, seconds. */
interface ImportRun {
  importSeconds: number;
  exportSeconds: number;
  reimportSeconds: number;
  scoresSeconds: number;
  /** processed_rows values seen while the first import ran. */
  progress: number[];
}

/** The result printed. */
export interface ImportResult {
  rows: number;
  runs: ImportRun[];
}

async function workbook(): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Customers');
  sheet.addRow(IMPORT_COLUMNS.map((column) => column.header));
  const types = ['enterprise', 'individual', 'distributor', 'retail'];
  for (let n = 1; n <= ROWS; n += 1) {
    sheet.addRow([`B-${String(n).padStart(6, '0')}`, `Bench customer ${n}`, types[n % 4], n % 2 ? 'hosting' : '餐饮', `Contact ${n}`, '+86 138 0000 0000',
      `b${n}@bench.example`, `Company ${n}`, `${n} Bench Road`, n * 10, 30, '', (n % 5) + 1, '', '', true]);
  }
  return Buffer.from(await book.xlsx.writeBuffer());
}

function seconds(since: number): number {
  return (performance.now() - since) / 1000;
}

async function oneRun(file: Buffer): Promise<ImportRun> {
  const db = await createTestDatabase();
  const server = await startServer({ databaseUrl: db.url, workers: WORKERS });
  try {
    const transport = createGrpcTransport({ baseUrl: server.url });
    const token = (await createClient(IdentityService, transport).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
    const crm = createClient(CustomerService, createGrpcTransport({
      baseUrl: server.url,
      interceptors: [(next) => (request) => { request.header.set('authorization', `Bearer ${token}`); return next(request); }],
    }));
    let started = performance.now();
    const { id } = await crm.importCustomers({ file, fileName: 'bench.xlsx' });
    const progress: number[] = [];
    for (;;) {
      const state = await crm.getCustomerImport({ id });
      if (state.status !== 'running') {
        if (state.created !== ROWS) throw new Error(`the import created ${state.created} of ${ROWS} customers (${state.failed} failed): ${state.error}`);
        break;
      }
      progress.push(state.processedRows);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const importSeconds = seconds(started);
    started = performance.now();
    const exported = await crm.exportCustomers({});
    const exportSeconds = seconds(started);
    started = performance.now();
    const again = await crm.importCustomers({ file: exported.file, fileName: 'export.xlsx', wait: true });
    if (again.unchanged !== ROWS) throw new Error(`re-importing the export changed rows: ${JSON.stringify({ ...again, rows: [] })}`);
    const reimportSeconds = seconds(started);
    started = performance.now();
    await crm.recomputeCustomerScores({});
    return { importSeconds, exportSeconds, reimportSeconds, scoresSeconds: seconds(started), progress };
  } finally {
    await server.stop();
    await db.drop();
  }
}

/** Runs the benchmark (see the file comment). */
export async function runImportBenchmark(): Promise<ImportResult> {
  const file = await workbook();
  const runs: ImportRun[] = [];
  for (let run = 0; run < RUNS; run += 1) runs.push(await oneRun(file));
  return { rows: ROWS, runs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Prints the medians. */
export function printImportResult(result: ImportResult): void {
  const out = process.stdout;
  out.write(`\nCRM batch: ${result.rows.toLocaleString('en-US')} rows, ${WORKERS}-worker cluster, median of ${result.runs.length} runs\n`);
  out.write('step                                   seconds    rows/s\n');
  const rows: Array<[string, number[]]> = [
    ['import .xlsx (one actor command per row)', result.runs.map((run) => run.importSeconds)],
    ['export .xlsx', result.runs.map((run) => run.exportSeconds)],
    ['import the export again (unchanged)', result.runs.map((run) => run.reimportSeconds)],
    ['recompute every customer\'s scores', result.runs.map((run) => run.scoresSeconds)],
  ];
  for (const [step, values] of rows) {
    const m = median(values);
    out.write(`${step.padEnd(38)} ${m.toFixed(2).padStart(7)}  ${(result.rows / m).toFixed(0).padStart(8)}\n`);
  }
  out.write(`progress seen while the first run imported: ${result.runs[0]?.progress.filter((_, index) => index % 10 === 0).join(', ')}\n`);
}
