/**
 * The CRM's batch operations through a real cluster (issue 10, "Batch"): a 10,000-row .xlsx file
 * imported (progress reported while it runs), exported and compared cell by cell, imported again
 * unchanged; per-row errors that change nothing else (duplicate codes, bad money, unknown types, a
 * new customer without a name, never half a row); malformed files and missing columns refused
 * whole; the JSON import; and the same files over HTTP on the same port (multipart upload,
 * download, admin session or bearer token only).
 */
import { Code } from '@connectrpc/connect';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomerService } from '../../src/gen/rustbill/customer_pb.ts';
import { IdentityService } from '../../src/gen/rustbill/identity_pb.ts';
import { IMPORT_COLUMNS } from '../../src/domain/crm/customer-sheet.ts';
import { newId } from '../../src/lib/ids.ts';
import { bearer, grpcClient } from '../support/clients.ts';
import { registerCustomer } from '../support/customers.ts';
import { createTestDatabase, queryRows, type TestDatabase } from '../support/db.ts';
import { expectCode } from '../support/expect-code.ts';
import { startServer, TEST_ADMIN_PASSWORD, type RunningServer } from '../support/server.ts';

let server: RunningServer;
let db: TestDatabase;
let adminToken: string;
let crm: ReturnType<typeof grpcClient<typeof CustomerService>>;

beforeAll(async () => {
  db = await createTestDatabase();
  server = await startServer({ databaseUrl: db.url, workers: 2 });
  adminToken = (await grpcClient(IdentityService, server.url).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' })).accessToken;
  crm = grpcClient(CustomerService, server.url, bearer(adminToken));
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await db?.drop();
});

const HEADERS = IMPORT_COLUMNS.map((column) => column.header);
const TYPES = ['enterprise', 'individual', 'distributor', 'retail', ''];
const INDUSTRIES = ['hosting', '餐饮', 'retail', 'wholesale', ''];
const COUNTRIES = ['CN', 'DE', 'US', ''];

/** One generated row of the big file, by column key; money as decimal strings, blanks as ''. */
function bigRow(n: number): Record<string, string | number | boolean> {
  return {
    customerCode: `BIG-${String(n).padStart(5, '0')}`, name: `Customer ${n} 有限公司`, customerType: TYPES[n % TYPES.length] ?? '',
    industry: INDUSTRIES[n % INDUSTRIES.length] ?? '', contactPerson: n % 3 === 0 ? '' : `Contact ${n}`, phone: `+86 138 ${String(n).padStart(8, '0')}`,
    email: n % 4 === 0 ? '' : `c${n}@big.example`, company: `Company ${n}`, address: n % 2 === 0 ? `${n} Nanjing Road, Shanghai` : '',
    creditLimit: `${n * 10}.${String(n % 100).padStart(2, '0')}`, paymentTermsDays: n % 5 === 0 ? '' : (n % 60) + 1, taxNumber: n % 7 === 0 ? '' : `9131${String(n).padStart(10, '0')}`,
    country: COUNTRIES[n % COUNTRIES.length] ?? '', region: n % 3 === 0 ? '' : `Region ${n % 50}`,
    rating: n % 6 === 0 ? '' : (n % 5) + 1, ratingNotes: n % 6 === 0 ? '' : `note ${n}`, notes: n % 9 === 0 ? `VIP客户 ${n}` : '', isActive: n % 10 !== 0,
  };
}

/** An .xlsx of `rows` under the template's English headers, money as number cells (as a person types them). */
async function workbook(rows: ReadonlyArray<Record<string, string | number | boolean>>, headers: readonly string[] = HEADERS): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('Customers');
  sheet.addRow([...headers]);
  for (const row of rows) {
    sheet.addRow(IMPORT_COLUMNS.filter((column) => headers.includes(column.header)).map((column) => {
      const value = row[column.key] ?? '';
      if (value === '') return null;
      return column.kind === 'money' && typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value;
    }));
  }
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** The importable columns of an exported file's rows, as text (money with two places), by code. */
async function exportedRows(bytes: Uint8Array): Promise<Map<string, Record<string, string>>> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(new Uint8Array(bytes).buffer);
  const sheet = book.worksheets[0];
  if (!sheet) throw new Error('no worksheet');
  const header = (sheet.getRow(1).values as unknown[]).slice(1).map(String);
  const out = new Map<string, Record<string, string>>();
  sheet.eachRow((row, number) => {
    if (number === 1) return;
    const cells: Record<string, string> = {};
    IMPORT_COLUMNS.forEach((column) => {
      const index = header.indexOf(column.header);
      const value = index < 0 ? null : row.getCell(index + 1).value;
      cells[column.key] = value === null || value === undefined ? '' : column.kind === 'money' ? Number(value).toFixed(2) : String(value);
    });
    out.set(cells['customerCode'] ?? '', cells);
  });
  return out;
}

/** What an exported row must hold for a generated row. */
function expectedCells(row: Record<string, string | number | boolean>): Record<string, string> {
  return Object.fromEntries(IMPORT_COLUMNS.map((column) => {
    const value = row[column.key];
    if (column.key === 'isActive') return [column.key, String(value)];
    return [column.key, value === '' || value === undefined ? '' : String(value)];
  }));
}

async function customerCount(): Promise<number> {
  const [row] = await queryRows<{ n: string }>(db.url, 'select count(*)::text as n from customers');
  return Number(row?.n ?? 0);
}

describe('a 10,000-row spreadsheet', () => {
  const rows = Array.from({ length: 10_000 }, (_, index) => bigRow(index + 1));
  let exported: Uint8Array;

  it('is imported one row at a time, reporting progress while it runs', async () => {
    const started = Date.now();
    const { id, status, totalRows } = await crm.importCustomers({ file: await workbook(rows), fileName: 'big.xlsx' });
    expect({ status, totalRows }).toEqual({ status: 'running', totalRows: 10_000 });
    const seen: number[] = [];
    let done = await crm.getCustomerImport({ id });
    while (done.status === 'running') {
      seen.push(done.processedRows);
      await new Promise((resolve) => setTimeout(resolve, 250));
      done = await crm.getCustomerImport({ id });
    }
    console.info(`crm import: 10,000 rows in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(done).toMatchObject({ status: 'completed', totalRows: 10_000, processedRows: 10_000, created: 10_000, updated: 0, unchanged: 0, failed: 0, error: '' });
    expect(seen.some((processed) => processed > 0 && processed < 10_000), `progress seen while running: ${seen.join(', ')}`).toBe(true);
    expect(done.rows).toHaveLength(10_000);
    expect(done.rows[0]).toMatchObject({ rowNumber: 2, result: 'created', customerCode: 'BIG-00001' });
    expect(await customerCount()).toBe(10_000);
    // One row is one command of its customer's actor: its outcome is recorded under the row's key.
    const [recorded] = await queryRows<{ n: string }>(db.url, `select count(*)::text as n from customer_commands where idempotency_key like $1`, [`nb:import:${id}:%`]);
    expect(recorded?.n).toBe('10000');
  }, 300_000);

  it('is exported with every importable cell as it was imported', async () => {
    const file = await crm.exportCustomers({});
    expect(file).toMatchObject({ rows: 10_000, contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
    expect(file.fileName).toMatch(/^customers-\d{8}-\d{6}\.xlsx$/);
    exported = file.file;
    const cells = await exportedRows(exported);
    expect(cells.size).toBe(10_000);
    const differences = rows.flatMap((row) => {
      const got = cells.get(String(row['customerCode']));
      const want = expectedCells(row);
      return JSON.stringify(got) === JSON.stringify(want) ? [] : [{ want, got }];
    });
    expect(differences.slice(0, 3)).toEqual([]);
  }, 120_000);

  it('imports its own export again without changing anything', async () => {
    const again = await crm.importCustomers({ file: exported, fileName: 'export.xlsx', wait: true });
    expect(again).toMatchObject({ status: 'completed', totalRows: 10_000, created: 0, updated: 0, unchanged: 10_000, failed: 0 });
    expect(await customerCount()).toBe(10_000);
  }, 300_000);
});

describe('per-row results', () => {
  it('imports the valid rows and reports each bad one with its row and field, changing nothing of it', async () => {
    const existing = await crm.createCustomer({ name: 'Keeper Ltd', contactPerson: '', email: '', phone: '', company: '', notes: 'kept', creditLimit: '100.00', customerCode: 'ROW-KEEP' });
    const before = await customerCount();
    const file = await workbook([
      { customerCode: 'ROW-1', name: 'Row One', customerType: '企业', creditLimit: '1000', isActive: 'no' },
      { customerCode: 'ROW-2', name: 'Row Two', creditLimit: '12.345' },
      { customerCode: 'row-1', name: 'Row One Again' },
      { customerCode: 'ROW-3', name: 'Row Three', customerType: 'government' },
      { customerCode: 'ROW-4' },
      // An existing customer: a bad money value in the same row leaves every field of it as it was.
      { customerCode: 'ROW-KEEP', name: 'Renamed Keeper', creditLimit: '-5' },
      { customerCode: 'ROW-5', name: 'Row Five', email: 'not-an-address' },
      { customerCode: 'ROW-6', name: 'Keeper Ltd' },
      { customerCode: 'ROW-7', name: 'Row Seven', country: 'China' },
      { customerCode: 'ROW-8', name: 'Row Eight', country: 'cn', region: 'r'.repeat(65) },
    ]);
    const result = await crm.importCustomers({ file, fileName: 'rows.xlsx', wait: true });
    expect(result).toMatchObject({ status: 'completed', totalRows: 10, created: 1, updated: 0, unchanged: 0, failed: 9 });
    expect(result.rows.map((row) => [row.rowNumber, row.result, row.field])).toEqual([
      [2, 'created', ''], [3, 'error', 'credit_limit'], [4, 'error', 'customer_code'], [5, 'error', 'customer_type'], [6, 'error', 'name'],
      [7, 'error', 'credit_limit'], [8, 'error', 'email'], [9, 'error', 'name'], [10, 'error', 'country'], [11, 'error', 'region'],
    ]);
    expect(result.rows[8]?.message).toMatch(/^Country \(country\): country must be a two-letter ISO 3166-1 country code/);
    expect(result.rows[9]?.message).toMatch(/^Region \(region\): region must be at most 64 characters, got 65/);
    expect(result.rows[1]?.message).toMatch(/Credit limit \(credit_limit\): credit_limit must be a decimal amount with at most 2 decimal places/);
    expect(result.rows[2]?.message).toMatch(/appears in row 2 already/);
    expect(result.rows[7]?.message).toMatch(/a customer named "Keeper Ltd" already exists/);
    expect(await customerCount()).toBe(before + 1);
    const created = await crm.listCustomers({ search: 'Row One', pagination: { page: 1, pageSize: 10 } });
    expect(created.customers.map((customer) => [customer.customerCode, customer.customerType, customer.creditLimit, customer.isActive])).toEqual([['ROW-1', 'enterprise', '1000.00', false]]);
    expect((await crm.getCustomer({ id: existing.customer?.id ?? '' })).customer).toMatchObject({ name: 'Keeper Ltd', creditLimit: '100.00', notes: 'kept' });
  }, 60_000);

  it('updates only the cells that differ of an existing customer, in one audited command', async () => {
    const { customer } = await crm.createCustomer({ name: 'Updatable', contactPerson: 'Ann', email: '', phone: '', company: '', notes: '', creditLimit: '10.00', customerCode: 'UPD-1', industry: 'hosting' });
    const result = await crm.importCustomersJson({
      json: JSON.stringify([{ customer_code: 'upd-1', creditLimit: 25, industry: 'hosting', rating: 5, country: 'de', Region: ' Bavaria ' }]), wait: true,
    });
    expect(result).toMatchObject({ status: 'completed', source: 'json', updated: 1, failed: 0 });
    expect(result.rows[0]).toMatchObject({ rowNumber: 1, result: 'updated', customerId: customer?.id });
    expect((await crm.getCustomer({ id: customer?.id ?? '' })).customer).toMatchObject({
      customerCode: 'UPD-1', creditLimit: '25.00', rating: 5, ratingSource: 'manual', contactPerson: 'Ann', country: 'DE', region: 'Bavaria',
    });
    const audit = await queryRows<{ details: { changes: Record<string, unknown> } }>(db.url, "select details from operation_logs where action = 'customer.update' and target_id = $1", [customer?.id]);
    expect(audit.map((row) => Object.keys(row.details.changes).sort())).toEqual([['country', 'creditLimit', 'rating', 'region']]);
    expect(audit[0]?.details.changes['country']).toEqual({ from: '', to: 'DE' });
  });

  it('refuses a file it cannot read, or one missing required columns, whole and with nothing changed', async () => {
    const before = await customerCount();
    await expectCode(crm.importCustomers({ file: Buffer.from('name,code\nA,B\n'), fileName: 'a.csv' }), Code.InvalidArgument, /not an Excel workbook/);
    await expectCode(crm.importCustomers({ file: new Uint8Array(), fileName: '' }), Code.InvalidArgument, /file is required/);
    await expectCode(crm.importCustomers({ file: await workbook([{ name: 'No Code' }], ['Name', 'Industry']), fileName: 'x.xlsx' }), Code.InvalidArgument, /no "Customer code" \(客户代码\) column/);
    await expectCode(crm.importCustomersJson({ json: '{"customerCode": "X"}' }), Code.InvalidArgument, /JSON array/);
    await expectCode(crm.importCustomersJson({ json: '[{"customerCode": ' }), Code.InvalidArgument, /JSON/);
    await expectCode(crm.getCustomerImport({ id: newId() }), Code.NotFound);
    expect(await customerCount()).toBe(before);
  });
});

describe('files over HTTP on the same port', () => {
  it('downloads the template and an export, for admins only', async () => {
    const template = await fetch(`${server.url}/crm/customers/import-template.xlsx?locale=zh`, { headers: bearer(adminToken) });
    expect(template.status).toBe(200);
    expect(template.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(template.headers.get('content-disposition')).toContain(`filename*=UTF-8''${encodeURIComponent('客户导入模板.xlsx')}`);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(await template.arrayBuffer());
    expect((book.worksheets[0]?.getRow(1).values as unknown[]).slice(1)).toEqual(IMPORT_COLUMNS.map((column) => column.headerZh));

    const filtered = await fetch(`${server.url}/crm/customers/export.xlsx?customer_type=retail&industry=wholesale`, { headers: bearer(adminToken) });
    expect(filtered.status).toBe(200);
    const cells = await exportedRows(new Uint8Array(await filtered.arrayBuffer()));
    expect(filtered.headers.get('x-customer-rows')).toBe(String(cells.size));
    expect(cells.size).toBeGreaterThan(0);
    expect([...cells.values()].every((row) => row['customerType'] === 'retail' && row['industry'] === 'wholesale')).toBe(true);

    expect((await fetch(`${server.url}/crm/customers/export.xlsx`)).status).toBe(401);
    // The admin session cookie works as well as the bearer token.
    const seen: { headers?: Headers } = {};
    await grpcClient(IdentityService, server.url, {}, seen).login({ username: 'admin', password: TEST_ADMIN_PASSWORD, userType: 'admin' });
    const cookie = (seen.headers?.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^rustbill_session=/);
    const viaCookie = await fetch(`${server.url}/crm/customers/import-template.xlsx`, { headers: { cookie } });
    expect(viaCookie.status).toBe(200);
    const customer = await registerCustomer(server, { prefix: 'files' });
    const refused = await fetch(`${server.url}/crm/customers/export.xlsx`, { headers: bearer(customer.accessToken) });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'permission_denied' } });
    const bad = await fetch(`${server.url}/crm/customers/export.xlsx?risk_level=purple`, { headers: bearer(adminToken) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_argument', message: expect.stringMatching(/risk_level must be one of/) } });
  });

  it('imports a multipart upload, answers 202 with where to follow it, and reports the result there', async () => {
    const form = new FormData();
    form.append('file', new Blob([await workbook([{ customerCode: 'HTTP-1', name: 'Over HTTP' }, { customerCode: 'HTTP-2', name: 'Over HTTP Too', creditLimit: 'lots' }])]), 'upload.xlsx');
    const posted = await fetch(`${server.url}/crm/customers/import`, { method: 'POST', headers: bearer(adminToken), body: form });
    expect(posted.status).toBe(202);
    const body = await posted.json() as { id: string; status: string; fileName: string; totalRows: number };
    expect(body).toMatchObject({ status: 'running', fileName: 'upload.xlsx', totalRows: 2 });
    expect(posted.headers.get('location')).toBe(`/crm/customers/imports/${body.id}`);
    let report: { status: string; created?: number; failed?: number; rows?: Array<{ rowNumber: number; result: string; field?: string }> } = { status: 'running' };
    for (let attempt = 0; attempt < 100 && report.status === 'running'; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      report = await (await fetch(`${server.url}${posted.headers.get('location') ?? ''}`, { headers: bearer(adminToken) })).json() as typeof report;
    }
    expect(report).toMatchObject({ status: 'completed', created: 1, failed: 1 });
    expect(report.rows?.map((row) => [row.rowNumber, row.result, row.field ?? ''])).toEqual([[2, 'created', ''], [3, 'error', 'credit_limit']]);

    const json = await fetch(`${server.url}/crm/customers/import?wait=true`, {
      method: 'POST', headers: { ...bearer(adminToken), 'content-type': 'application/json' }, body: JSON.stringify([{ customerCode: 'HTTP-3', name: 'JSON over HTTP' }]),
    });
    expect(json.status).toBe(200);
    expect(await json.json()).toMatchObject({ status: 'completed', source: 'json', created: 1 });
    const wrongType = await fetch(`${server.url}/crm/customers/import`, { method: 'POST', headers: { ...bearer(adminToken), 'content-type': 'text/csv' }, body: 'a,b' });
    expect(wrongType.status).toBe(400);
  });
});
