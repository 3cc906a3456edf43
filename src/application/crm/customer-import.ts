/**
 * Customer imports from an .xlsx file or a JSON array (crm-customer-controller.md 6.1, 6.4; issue
 * 10 "Batch"). The file is read and every row checked before anything is written — a file that
 * cannot be read (not a workbook, no header, missing required columns, too big) is refused whole
 * with InvalidArgument and changes nothing. Then each valid row is ONE command to its customer's
 * actor (create, or update of the fields that differ; a row that matches is "unchanged"), so a
 * row is applied whole or not at all, and a row refused there (a name or e-mail taken) is an
 * error naming its row and field while the others go on. Rows run `[crm] import_concurrency` at a
 * time; progress is written to `customer_imports` twice a second and the per-row results once
 * finished, so any worker can answer GetCustomerImport. Each row's command carries the
 * idempotency key `nb:import:<import id>:<row>`. When the rows are done every customer's scores are
 * recomputed once.
 *
 * An import whose worker stopped mid-way stays `running` without progress; GetCustomerImport
 * reports it `failed` ("interrupted") once it has not moved for {@link STALE_MS}. Importing the
 * file again is safe: the rows already applied come back "unchanged".
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { recordAudit } from '../audit.ts';
import { DomainError, notFound } from '../../domain/errors.ts';
import type { RawImportRow } from '../../domain/crm/customer-sheet.ts';
import { parseImportRow, planRow, refuseDuplicateCodes, type ParsedRow, type RowError, type RowPlan } from '../../domain/crm/import-row.ts';
import type { CustomerState, NewCustomerInput } from '../../domain/customers/customer.ts';
import type { Origin } from '../../domain/origin.ts';
import { newId } from '../../lib/ids.ts';
import { rfc3339 } from '../../lib/time.ts';
import { CUSTOMER_COLUMNS, stateOf, type SnapshotRow } from '../../persistence/customer-snapshots.ts';
import { CustomerImport } from '../../persistence/entities/crm.ts';
import { SERVER_KEY_PREFIX, type CustomerAccounts } from '../customers/customer-accounts.ts';
import type { CustomerScores } from './customer-scores.ts';
import { readCustomerJson, readCustomerSheet, type SheetLimits } from './spreadsheet.ts';

/** A running import that has not moved for this long is reported failed (its worker stopped). */
export const STALE_MS = 60_000;
/** How often progress is written while rows run. */
const PROGRESS_EVERY_MS = 500;

/** What one row came to. */
export interface ImportRowResult {
  rowNumber: number;
  result: 'created' | 'updated' | 'unchanged' | 'error';
  customerCode: string;
  customerId: string;
  field: string;
  message: string;
}

/** An import as GetCustomerImport shows it. */
export interface ImportSummary {
  id: string;
  status: 'running' | 'completed' | 'failed';
  source: 'xlsx' | 'json';
  fileName: string;
  totalRows: number;
  processedRows: number;
  created: number;
  updated: number;
  unchanged: number;
  failed: number;
  /** Per-row results, in row order, once finished (empty while running). */
  rows: ImportRowResult[];
  error: string;
  createdAt: string;
  finishedAt: string;
}

/** The `[crm]` import settings. */
export interface ImportLimits extends SheetLimits {
  /** Rows applied at once. */
  concurrency: number;
}

/** A started import and the promise of its end (resolves when every row is done; never rejects). */
export interface StartedImport {
  summary: ImportSummary;
  finished: Promise<void>;
}

type Counts = Pick<ImportSummary, 'processedRows' | 'created' | 'updated' | 'unchanged' | 'failed'>;

function summaryOf(row: CustomerImport, now: number): ImportSummary {
  const stale = row.status === 'running' && now - row.updatedAt.getTime() > STALE_MS;
  return {
    id: row.id,
    status: stale ? 'failed' : (row.status as ImportSummary['status']),
    source: row.source as ImportSummary['source'],
    fileName: row.fileName,
    totalRows: row.totalRows,
    processedRows: row.processedRows,
    created: row.createdCount,
    updated: row.updatedCount,
    unchanged: row.unchangedCount,
    failed: row.failedCount,
    rows: row.rows as unknown as ImportRowResult[],
    error: stale ? `interrupted: the import made no progress for ${STALE_MS / 1000} s (its server process stopped); import the file again — rows already applied come back "unchanged"` : row.error,
    createdAt: rfc3339(row.createdAt),
    finishedAt: row.finishedAt ? rfc3339(row.finishedAt) : '',
  };
}

/** The field a command's refusal is about, from its kind and message. */
function fieldOfRefusal(error: DomainError): string {
  const leading = /^([a-z_]+) /.exec(error.message)?.[1];
  if (error.kind === 'invalid_argument' && leading !== undefined) return leading;
  if (/customer code/.test(error.message)) return 'customer_code';
  if (/named/.test(error.message)) return 'name';
  if (/e-mail/.test(error.message)) return 'email';
  if (/deleted/.test(error.message)) return 'customer_code';
  return '';
}

/** The create command's input of a planned row. */
function newCustomerOf(fields: Extract<RowPlan, { kind: 'create' }>['fields']): NewCustomerInput {
  return {
    name: fields.name, customerCode: fields.customerCode, contactPerson: fields.contactPerson ?? '', email: fields.email ?? '', phone: fields.phone ?? '',
    company: fields.company ?? '', notes: fields.notes ?? '', creditLimit: fields.creditLimit ?? '', customerType: fields.customerType ?? '',
    industry: fields.industry ?? '', address: fields.address ?? '', paymentTermsDays: fields.paymentTermsDays ?? null, taxNumber: fields.taxNumber ?? '',
    country: fields.country ?? '', region: fields.region ?? '', rating: fields.rating ?? null, ratingNotes: fields.ratingNotes ?? '', ...(fields.isActive === false ? { isActive: false } : {}),
  };
}

/** See the file comment. */
export class CustomerImports {
  private readonly orm: MikroORM;
  private readonly accounts: CustomerAccounts;
  private readonly scores: CustomerScores;
  private readonly limits: ImportLimits;
  private readonly log: Pick<Logger, 'warn' | 'info'>;

  constructor(deps: { orm: MikroORM; accounts: CustomerAccounts; scores: CustomerScores; limits: ImportLimits; log: Pick<Logger, 'warn' | 'info'> }) {
    this.orm = deps.orm;
    this.accounts = deps.accounts;
    this.scores = deps.scores;
    this.limits = deps.limits;
    this.log = deps.log;
  }

  /**
   * Starts an .xlsx import (ImportCustomers, `POST /crm/customers/import`).
   * @throws DomainError invalid_argument when the file cannot be read (nothing is recorded or changed)
   */
  async startXlsx(origin: Origin, bytes: Uint8Array, fileName: string): Promise<StartedImport> {
    const rows = await readCustomerSheet(bytes, this.limits);
    return this.start(origin, 'xlsx', fileName, rows);
  }

  /**
   * Starts a JSON import (ImportCustomersJson, `POST /crm/customers/import` with a JSON body).
   * @throws DomainError invalid_argument when the text is not a JSON array of objects within the limits
   */
  async startJson(origin: Origin, text: string): Promise<StartedImport> {
    const rows = readCustomerJson(text, this.limits);
    return this.start(origin, 'json', '', rows);
  }

  /** GetCustomerImport. @throws DomainError not_found */
  async get(importId: string): Promise<ImportSummary> {
    const row = await this.orm.em.fork().findOne(CustomerImport, { id: importId });
    if (!row) throw notFound(`customer import ${importId} does not exist`);
    return summaryOf(row, Date.now());
  }

  private async start(origin: Origin, source: 'xlsx' | 'json', fileName: string, raw: readonly RawImportRow[]): Promise<StartedImport> {
    const caller = origin.caller;
    const em = this.orm.em.fork();
    const record = em.create(CustomerImport, {
      id: newId(), source, fileName: fileName.slice(0, 255), status: 'running', totalRows: raw.length,
      adminUserId: caller.kind === 'admin' ? caller.userId : null, adminUsername: caller.kind === 'admin' ? caller.username : '',
    });
    await em.flush();
    const summary = summaryOf(record, Date.now());
    const finished = this.run(origin, record.id, raw).catch((error: unknown) => this.fail(record.id, error));
    return { summary, finished };
  }

  private async run(origin: Origin, importId: string, raw: readonly RawImportRow[]): Promise<void> {
    const parsed = refuseDuplicateCodes(raw.map(parseImportRow));
    const existing = await this.existing(parsed.flatMap((row) => ('fields' in row ? [row.customerCode] : [])));
    const results: ImportRowResult[] = new Array<ImportRowResult>(parsed.length);
    const counts: Counts = { processedRows: 0, created: 0, updated: 0, unchanged: 0, failed: 0 };
    let written = -1;
    const progress = setInterval(() => {
      if (counts.processedRows === written) return;
      written = counts.processedRows;
      void this.writeProgress(importId, counts).catch((error: unknown) => this.log.warn({ err: error, importId }, 'import progress could not be written'));
    }, PROGRESS_EVERY_MS);
    try {
      let next = 0;
      const lane = async (): Promise<void> => {
        for (let index = next++; index < parsed.length; index = next++) {
          const row = parsed[index] as ParsedRow | RowError;
          const result = await this.apply(origin, importId, row, existing);
          results[index] = result;
          counts.processedRows += 1;
          if (result.result === 'error') counts.failed += 1;
          else counts[result.result] += 1;
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, Math.min(this.limits.concurrency, parsed.length)) }, lane));
    } finally {
      clearInterval(progress);
    }
    const em = this.orm.em.fork();
    await em.transactional(async (tx) => {
      await tx.nativeUpdate(CustomerImport, { id: importId }, {
        status: 'completed', processedRows: counts.processedRows, createdCount: counts.created, updatedCount: counts.updated, unchangedCount: counts.unchanged,
        failedCount: counts.failed, rows: results as unknown as Array<Record<string, unknown>>, finishedAt: new Date(), updatedAt: new Date(),
      });
      recordAudit(tx, origin, { action: 'customer.import', targetType: 'customer_import', targetId: importId, details: { ...counts, totalRows: results.length } });
    });
    this.log.info({ importId, ...counts }, 'customer import finished');
    await this.scores.recompute().catch((error: unknown) => this.log.warn({ err: error, importId }, 'customer scores could not be recomputed after the import; the next scoring run will'));
  }

  /** One row: its command through the customer's actor, or its error. Never throws a DomainError. */
  private async apply(origin: Origin, importId: string, row: ParsedRow | RowError, existing: ReadonlyMap<string, CustomerState>): Promise<ImportRowResult> {
    if (!('fields' in row)) return { ...row, result: 'error', customerId: '' };
    const current = existing.get(row.customerCode.toLowerCase()) ?? null;
    const plan = planRow(row, current);
    if (!('kind' in plan)) return { ...plan, result: 'error', customerId: '' };
    const key = `${SERVER_KEY_PREFIX}import:${importId}:${row.rowNumber}`;
    const base = { rowNumber: row.rowNumber, customerCode: row.customerCode, field: '', message: '' };
    try {
      switch (plan.kind) {
        case 'unchanged':
          return { ...base, result: 'unchanged', customerId: current?.id ?? '' };
        case 'create': {
          const created = await this.accounts.create(origin, newCustomerOf(plan.fields), null, { serverKey: key });
          return { ...base, result: 'created', customerId: created.id };
        }
        case 'update': {
          const id = current?.id ?? '';
          await this.accounts.update(origin, id, plan.changes, null, { serverKey: key });
          return { ...base, result: 'updated', customerId: id };
        }
      }
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return { ...base, result: 'error', customerId: current?.id ?? '', field: fieldOfRefusal(error), message: error.message };
    }
  }

  /** The customers with the given codes, by lower-cased code. */
  private async existing(codes: readonly string[]): Promise<Map<string, CustomerState>> {
    if (codes.length === 0) return new Map();
    const rows = await this.orm.em.fork().getConnection().execute<SnapshotRow[]>(
      `select ${CUSTOMER_COLUMNS} from customers where lower(customer_code) in (select lower(code) from jsonb_array_elements_text(?::jsonb) as code)`,
      [JSON.stringify(codes)],
    );
    return new Map(rows.map((row) => [row.customer_code.toLowerCase(), stateOf(row)]));
  }

  private async writeProgress(importId: string, counts: Counts): Promise<void> {
    await this.orm.em.fork().nativeUpdate(CustomerImport, { id: importId, status: 'running' }, {
      processedRows: counts.processedRows, createdCount: counts.created, updatedCount: counts.updated, unchangedCount: counts.unchanged,
      failedCount: counts.failed, updatedAt: new Date(),
    });
  }

  private async fail(importId: string, error: unknown): Promise<void> {
    this.log.warn({ err: error, importId }, 'customer import failed');
    await this.orm.em.fork().nativeUpdate(CustomerImport, { id: importId }, {
      status: 'failed', error: 'the import stopped on an internal error; the rows applied so far stay applied — import the file again to finish it', finishedAt: new Date(), updatedAt: new Date(),
    }).catch(() => undefined);
  }
}
