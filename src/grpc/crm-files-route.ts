/**
 * The CRM's files over plain HTTP on the shared port (beside /health, /callback, /invoices;
 * src/grpc/http.ts), for browsers and scripts that upload and download files rather than bytes
 * fields (crm-customer-controller.md 6.1-6.4; the same use cases as CustomerService's
 * ImportCustomers, ImportCustomersJson, GetCustomerImport, ExportCustomers and GetImportTemplate):
 *
 * - `GET /crm/customers/export.xlsx?<filters>` — the filtered customer list; the filters are
 *   ListCustomers' (`is_active`, `search`, `customer_type`, `industry`, `rating`, `risk_level`,
 *   `rfm_segment`, `include_deleted`, `sort_by`, `sort_order`), plus `locale=zh` for Chinese headers.
 * - `GET /crm/customers/import-template.xlsx[?locale=zh]` — the import template.
 * - `POST /crm/customers/import[?wait=true]` — an import: `multipart/form-data` with the file in
 *   the field `file`, or the .xlsx bytes as the body (`application/vnd.openxmlformats-…` or
 *   `application/octet-stream`, name in `?file_name=`), or a JSON array (`application/json`).
 *   Answers 202 with the import (JSON, as grpcurl prints CustomerImportResponse) and its
 *   `Location`, or 200 with the finished import when `wait=true`.
 * - `GET /crm/customers/imports/{id}` — an import's progress and, once finished, its rows.
 *
 * Credentials as for gRPC: the admin session cookie or `authorization: Bearer <token>`; admins and
 * operators only (401 without credentials, 403 for customers and API keys). Refusals are JSON
 * `{"error": {"code": "invalid_argument", "message": "…"}}` with 400 / 404 / 409 / 413 / 503;
 * internal errors are 500 `internal error`, reported through `onError`, never sent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { create, toJson } from '@bufbuild/protobuf';
import busboy from 'busboy';
import type { CustomerFile, FileLocale } from '../application/crm/customer-export.ts';
import type { ImportSummary, StartedImport } from '../application/crm/customer-import.ts';
import { DomainError, invalid, type DomainErrorKind } from '../domain/errors.ts';
import type { Caller } from '../domain/identity/principal.ts';
import type { Origin } from '../domain/origin.ts';
import { CustomerImportResponseSchema } from '../gen/rustbill/customer_pb.ts';
import { isUuid } from '../lib/ids.ts';
import { headersOf, readBody } from './http-request.ts';
import { importResponse, queryOf, type FilterFields } from './services/customer-mapping.ts';

/** The path prefix of the routes. */
export const CRM_FILES_PREFIX = '/crm/customers/';

/** What the route calls (wired in the worker from the identity module and the CRM services). */
export interface CustomerFiles {
  /** Resolves the caller of a request (the gRPC authenticator). */
  authenticate(headers: Headers, clientAddress: string): Promise<{ caller: Caller; problem?: string }>;
  export(query: ReturnType<typeof queryOf>, locale: FileLocale): Promise<CustomerFile>;
  template(locale: FileLocale): Promise<CustomerFile>;
  startXlsx(origin: Origin, bytes: Uint8Array, fileName: string): Promise<StartedImport>;
  startJson(origin: Origin, text: string): Promise<StartedImport>;
  getImport(importId: string): Promise<ImportSummary>;
  /** `[crm] import_max_bytes`: the largest file (a multipart body may be 64 KiB more). */
  maxBytes: number;
}

const XLSX_TYPES = ['application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 'application/octet-stream'];
const STATUS: Readonly<Record<DomainErrorKind, number>> = {
  invalid_argument: 400, not_found: 404, already_exists: 409, failed_precondition: 409, permission_denied: 403, unauthenticated: 401,
  resource_exhausted: 429, unavailable: 503,
};

/** Whether `path` (without the query string) belongs to these routes. */
export function isCrmFilesPath(path: string): boolean {
  return path.startsWith(CRM_FILES_PREFIX);
}

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': String(Buffer.byteLength(text)), ...headers }).end(text);
}

function refusal(response: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  json(response, status, { error: { code, message } }, headers);
}

function file(response: ServerResponse, request: IncomingMessage, found: CustomerFile): void {
  response.writeHead(200, {
    'content-type': found.contentType,
    'content-length': String(found.bytes.length),
    // RFC 6266: an ASCII fallback and the UTF-8 name (Chinese file names).
    'content-disposition': `attachment; filename="${found.fileName.replace(/[^\x20-\x7e]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(found.fileName)}`,
    'cache-control': 'private, no-store',
    'x-customer-rows': String(found.rows),
  });
  response.end(request.method === 'HEAD' ? undefined : found.bytes);
}

function importJson(summary: ImportSummary): unknown {
  return toJson(CustomerImportResponseSchema, create(CustomerImportResponseSchema, importResponse(summary)));
}

function localeOf(params: URLSearchParams): FileLocale {
  const locale = params.get('locale') ?? 'en';
  if (locale !== 'en' && locale !== 'zh') throw invalid(`locale must be "en" or "zh", got "${locale.slice(0, 20)}"`);
  return locale;
}

function booleanParam(params: URLSearchParams, name: string): boolean | undefined {
  const value = params.get(name);
  if (value === null || value === '') return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw invalid(`${name} must be true or false, got "${value.slice(0, 20)}"`);
}

/** ListCustomers' filters from a query string (snake_case names, as in the proto). */
export function filtersOf(params: URLSearchParams): FilterFields {
  const rating = params.get('rating');
  if (rating !== null && rating !== '' && !/^\d$/.test(rating)) throw invalid(`rating must be a whole number of stars from 1 to 5, got "${rating.slice(0, 20)}"`);
  const text = (name: string): string | undefined => params.get(name) ?? undefined;
  return {
    isActive: booleanParam(params, 'is_active'), search: text('search'), customerType: text('customer_type'), industry: text('industry'),
    rating: rating === null || rating === '' ? undefined : Number(rating), riskLevel: text('risk_level'), rfmSegment: text('rfm_segment'),
    includeDeleted: booleanParam(params, 'include_deleted'), sortBy: text('sort_by'), sortOrder: text('sort_order'),
  };
}

/** The file of a multipart body's `file` field, or null when it has none. @throws DomainError invalid_argument for a malformed body */
function multipartFile(headers: IncomingMessage['headers'], body: Buffer): Promise<{ bytes: Buffer; fileName: string } | null> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers, limits: { files: 1, fields: 20 } });
    } catch {
      reject(invalid('the multipart/form-data body has no boundary; send the file in a form field named "file"'));
      return;
    }
    let found: { bytes: Buffer; fileName: string } | null = null;
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (name === 'file') found = { bytes: Buffer.concat(chunks), fileName: info.filename ?? '' };
      });
    });
    parser.on('error', () => reject(invalid('the multipart/form-data body could not be read; send the file in a form field named "file"')));
    parser.on('close', () => resolve(found));
    parser.end(body);
  });
}

/** Serves one request whose path {@link isCrmFilesPath} (see the file comment). */
export function serveCrmFiles(request: IncomingMessage, response: ServerResponse, files: CustomerFiles, onError: (route: string, error: unknown) => void): void {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const path = url.pathname;
  void (async () => {
    const { caller, problem } = await files.authenticate(headersOf(request), request.socket.remoteAddress ?? '');
    if (caller.kind === 'anonymous') {
      refusal(response, 401, 'unauthenticated', problem ?? 'log in: send "authorization: Bearer <token>" or the admin session cookie', { 'www-authenticate': 'Bearer' });
      return;
    }
    if (caller.kind !== 'admin') {
      refusal(response, 403, 'permission_denied', 'customer files are for administrators and operators only');
      return;
    }
    const origin: Origin = { caller, clientAddress: request.socket.remoteAddress ?? '', requestId: String(response.getHeader('x-request-id') ?? '') };
    const method = request.method ?? 'GET';
    const read = method === 'GET' || method === 'HEAD';
    if (path === `${CRM_FILES_PREFIX}export.xlsx` && read) {
      file(response, request, await files.export(queryOf(filtersOf(url.searchParams)), localeOf(url.searchParams)));
    } else if (path === `${CRM_FILES_PREFIX}import-template.xlsx` && read) {
      file(response, request, await files.template(localeOf(url.searchParams)));
    } else if (path === `${CRM_FILES_PREFIX}import` && method === 'POST') {
      await startImport(request, response, files, origin, url.searchParams);
    } else if (path.startsWith(`${CRM_FILES_PREFIX}imports/`) && read) {
      const id = path.slice(`${CRM_FILES_PREFIX}imports/`.length);
      if (!isUuid(id)) {
        refusal(response, 404, 'not_found', `customer import ${id.slice(0, 40)} does not exist`);
        return;
      }
      json(response, 200, importJson(await files.getImport(id.toLowerCase())));
    } else {
      refusal(response, 404, 'not_found', `no route ${method} ${path}; see the README's "Customer relationship management" for the file routes`);
    }
  })().catch((error: unknown) => {
    if (error instanceof DomainError) {
      if (!response.headersSent) refusal(response, STATUS[error.kind], error.kind, error.message);
      return;
    }
    onError('/crm/customers/*', error);
    if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('internal error');
    else response.destroy();
  });
}

async function startImport(request: IncomingMessage, response: ServerResponse, files: CustomerFiles, origin: Origin, params: URLSearchParams): Promise<void> {
  const wait = booleanParam(params, 'wait') === true;
  const body = await readBody(request, files.maxBytes + 64 * 1024);
  if (body === 'too_large') {
    refusal(response, 413, 'invalid_argument', `the upload is larger than ${Math.floor(files.maxBytes / (1024 * 1024))} MB ([crm] import_max_bytes)`, { connection: 'close' });
    return;
  }
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  let started: StartedImport;
  if (type === 'multipart/form-data') {
    const upload = await multipartFile(request.headers, body);
    if (upload === null) throw invalid('the form has no file field named "file"');
    started = await files.startXlsx(origin, upload.bytes, upload.fileName);
  } else if (type === 'application/json') {
    started = await files.startJson(origin, body.toString('utf8'));
  } else if (XLSX_TYPES.includes(type)) {
    started = await files.startXlsx(origin, body, params.get('file_name') ?? '');
  } else {
    throw invalid(`send the file as multipart/form-data (field "file"), as ${XLSX_TYPES[0]}, or a JSON array as application/json (got content-type "${type.slice(0, 60)}")`);
  }
  const location = `${CRM_FILES_PREFIX}imports/${started.summary.id}`;
  if (!wait) {
    json(response, 202, importJson(started.summary), { location });
    return;
  }
  await started.finished;
  json(response, 200, importJson(await files.getImport(started.summary.id)), { location });
}
