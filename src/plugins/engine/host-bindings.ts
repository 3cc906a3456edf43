/**
 * The raw host functions behind `rustbill_host` (prelude.ts wraps them): their arguments are
 * strings (ArrayBuffers for bytes), their results strings, numbers or ArrayBuffers. HTTP, SMTP and state go through
 * {@link HostServices} with the call's {@link PluginCallContext}; they are asyncified (the script
 * sees a synchronous call while the WebAssembly stack waits). A host failure is thrown into the
 * script as an error named `HostError` (catchable; uncaught it becomes PluginError `host_error`).
 * Asyncified implementations never reject: quickjs-emscripten 0.32 cannot resume a suspended
 * module after a rejected promise (it only logs "cannot handle error in suspended function"), so
 * every failure is returned as `{ error }`.
 */
import { createHash, createHmac } from 'node:crypto';
import type { QuickJSAsyncContext, QuickJSHandle, VmCallResult } from 'quickjs-emscripten';
import type { EmailMessage, HostServices, OutboundRequest, PluginCallContext, SmtpConfig } from '../types.ts';
import { jsonArrayLen, jsonGet } from './json-path.ts';

/** The error name the engine classifies as `host_error`. */
export const HOST_ERROR_NAME = 'HostError';

/** What the bindings need from the call they serve. */
export interface BindingScope {
  host: HostServices;
  context: PluginCallContext;
  /** Epoch ms at which the call's time limit ends; host waits are cut off there. */
  deadline(): number;
  /** False while inspecting a script (no interface, so no state namespace). */
  stateAvailable: boolean;
}

/** A host failure to show to the script (its message only; never a host stack). */
class HostFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = HOST_ERROR_NAME;
  }
}

/** A bad argument (e.g. invalid base64): thrown into the script as a TypeError, not a host failure. */
class ArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TypeError';
  }
}

const MAX_MESSAGE = 2000;

function messageOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
}

function stringArgs(vm: QuickJSAsyncContext, handles: QuickJSHandle[]): string[] {
  return handles.map(handle => (vm.typeof(handle) === 'string' ? vm.getString(handle) : ''));
}

function parseObject(jsonText: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(jsonText);
  } catch {
    throw new HostFailure(`${what} is not valid JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new HostFailure(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

function stringField(object: Record<string, unknown>, key: string): string | undefined {
  const value = object[key];
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

function requiredField(object: Record<string, unknown>, key: string, what: string): string {
  const value = stringField(object, key);
  if (value === undefined || value === '') throw new HostFailure(`${what} is missing "${key}"`);
  return value;
}

/** Waits for `work`, but not past the call's deadline. */
async function beforeDeadline<T>(work: Promise<T>, deadline: number, what: string): Promise<T> {
  const remaining = deadline - Date.now();
  work.catch(() => undefined);
  if (remaining <= 0) throw new HostFailure(`${what}: the plugin call's time limit is used up`);
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new HostFailure(`${what} did not finish within the plugin call's time limit`)), remaining);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Decodes standard or URL-safe base64 (padding optional, whitespace ignored).
 * @throws ArgumentError when `encoded` is not base64
 */
function decodeBase64(encoded: string, what: string): Buffer {
  const compact = encoded.replace(/\s+/g, '');
  if (!BASE64.test(compact) || compact.replace(/=+$/, '').length % 4 === 1) throw new ArgumentError(`${what}: invalid base64 input`);
  return Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
}

async function httpCall(scope: BindingScope, args: string[]): Promise<string> {
  const [method = 'GET', url = '', body = '', bodyBase64 = '', contentType = '', headersJson = '{}', certJson = '', mode = 'body'] = args;
  const fn =
    mode === 'bytes' ? 'http_post_bytes'
    : mode === 'bytes-full' ? 'http_request_bytes'
    : mode === 'full' ? 'http_request_with_cert'
    : method === 'GET' ? 'http_get'
    : 'http_post';
  const binary = mode === 'bytes' || mode === 'bytes-full';
  if (url === '') throw new HostFailure(`${fn}: url is empty`);
  const headers: Record<string, string> = {};
  if (contentType !== '') headers['content-type'] = contentType;
  for (const [name, value] of Object.entries(parseObject(headersJson, `${fn}: headers`))) {
    if (value === undefined || value === null) continue;
    const lower = name.toLowerCase();
    if (lower === 'content-type' && contentType !== '') continue;
    headers[lower] = typeof value === 'string' ? value : String(value);
  }
  const request: OutboundRequest = { method: method.toUpperCase(), url, headers };
  if (binary) request.body = decodeBase64(bodyBase64, `${fn} body`);
  else if (body !== '' || request.method !== 'GET') request.body = body;
  if (certJson !== '') {
    const cert = parseObject(certJson, `${fn}: cert_json`);
    const ca = stringField(cert, 'ca');
    request.clientCert = {
      cert: requiredField(cert, 'cert', `${fn}: cert_json`),
      key: requiredField(cert, 'key', `${fn}: cert_json`),
      ...(ca ? { ca } : {}),
    };
  }
  const deadline = scope.deadline();
  request.timeoutMs = Math.max(1, deadline - Date.now());
  const response = await beforeDeadline(scope.host.http(request, scope.context), deadline, `${fn} ${url}`);
  if (mode === 'bytes') return Buffer.from(response.bodyBytes).toString('base64');
  if (mode === 'bytes-full') {
    return JSON.stringify({ status: response.status, headers: response.headers, body_base64: Buffer.from(response.bodyBytes).toString('base64') });
  }
  if (mode === 'full') return JSON.stringify({ status: response.status, headers: response.headers, body: response.body });
  return response.body;
}

async function smtpCall(scope: BindingScope, args: string[]): Promise<void> {
  const [configJson = '', emailJson = ''] = args;
  const config = parseObject(configJson, 'smtp_send: config_json');
  const email = parseObject(emailJson, 'smtp_send: email_json');
  const smtp: SmtpConfig = {
    smtp_host: requiredField(config, 'smtp_host', 'smtp_send: config_json'),
    smtp_port: requiredField(config, 'smtp_port', 'smtp_send: config_json'),
    from: requiredField(config, 'from', 'smtp_send: config_json'),
  };
  for (const key of ['username', 'password', 'encryption'] as const) {
    const value = stringField(config, key);
    if (value !== undefined && value !== '') smtp[key] = value;
  }
  const verify = config.tls_reject_unauthorized;
  if (typeof verify === 'boolean' || (typeof verify === 'string' && verify !== '')) smtp.tls_reject_unauthorized = verify;
  const message: EmailMessage = {
    to: requiredField(email, 'to', 'smtp_send: email_json'),
    subject: stringField(email, 'subject') ?? '',
    body: stringField(email, 'body') ?? '',
  };
  const contentType = stringField(email, 'content_type');
  if (contentType) message.content_type = contentType;
  await beforeDeadline(scope.host.smtpSend(smtp, message, scope.context), scope.deadline(), `smtp_send to ${message.to}`);
}

function requireState(scope: BindingScope, fn: string): void {
  if (!scope.stateAvailable) throw new HostFailure(`${fn}: plugin state is only available in calls made for an interface`);
}

type SyncImpl = (args: string[]) => string | number | undefined;
type AsyncImpl = (args: string[]) => Promise<string | undefined>;

function toHandle(vm: QuickJSAsyncContext, value: string | number | undefined): QuickJSHandle {
  if (typeof value === 'string') {
    // Strings reach QuickJS as C strings: a NUL would silently cut the text there.
    if (value.includes('\u0000')) throw new HostFailure('the result contains NUL characters, which cannot be passed to a script as text (use the *_bytes functions for binary data)');
    return vm.newString(value);
  }
  if (typeof value === 'number') return vm.newNumber(value);
  return vm.undefined;
}

function hostError(vm: QuickJSAsyncContext, error: unknown): VmCallResult<QuickJSHandle> {
  const name = error instanceof ArgumentError ? error.name : HOST_ERROR_NAME;
  return { error: vm.newError({ name, message: messageOf(error) }) };
}

/**
 * Creates the raw functions object (`http`, `smtp_send`, `state_get`, `state_set`, `log`, `hash`,
 * `hmac_sha256`, `json_get`, `json_array_len`, `base64_text`, `base64_decode_text`, `base64_bytes`
 * (ArrayBuffer → base64), `base64_decode_bytes` (base64 → ArrayBuffer)) in `vm`. The caller owns the returned handle.
 */
export function createRawHostObject(vm: QuickJSAsyncContext, scope: BindingScope): QuickJSHandle {
  const raw = vm.newObject();
  const sync = (name: string, impl: SyncImpl): void => {
    const fn = vm.newFunction(name, (...handles) => {
      try {
        return toHandle(vm, impl(stringArgs(vm, handles)));
      } catch (error) {
        return hostError(vm, error);
      }
    });
    vm.setProp(raw, name, fn);
    fn.dispose();
  };
  const asyncified = (name: string, impl: AsyncImpl): void => {
    const fn = vm.newAsyncifiedFunction(name, async (...handles) => {
      const args = stringArgs(vm, handles);
      try {
        return toHandle(vm, await impl(args));
      } catch (error) {
        return hostError(vm, error);
      }
    });
    vm.setProp(raw, name, fn);
    fn.dispose();
  };

  sync('log', ([level = 'info', message = '']) => {
    scope.host.log(level === 'warn' || level === 'error' ? level : 'info', message, scope.context);
    return undefined;
  });
  sync('hash', ([algorithm = 'md5', input = '']) => createHash(algorithm === 'sha256' ? 'sha256' : 'md5').update(input, 'utf8').digest('hex'));
  sync('hmac_sha256', ([key = '', message = '']) => createHmac('sha256', key).update(message, 'utf8').digest('hex'));
  sync('json_get', ([document = '', path = '']) => jsonGet(document, path));
  sync('json_array_len', ([document = '', path = '']) => jsonArrayLen(document, path));
  sync('base64_text', ([input = '']) => Buffer.from(input, 'utf8').toString('base64'));
  sync('base64_decode_text', ([input = '']) => decodeBase64(input, 'base64_decode').toString('utf8'));
  const bytesToBase64 = vm.newFunction('base64_bytes', handle => {
    try {
      if (handle === undefined || vm.typeof(handle) !== 'object') throw new ArgumentError('base64_encode: expected bytes');
      const bytes = vm.getArrayBuffer(handle);
      try {
        return vm.newString(Buffer.from(bytes.value).toString('base64'));
      } finally {
        bytes.dispose();
      }
    } catch (error) {
      return hostError(vm, error);
    }
  });
  vm.setProp(raw, 'base64_bytes', bytesToBase64);
  bytesToBase64.dispose();
  const base64ToBytes = vm.newFunction('base64_decode_bytes', handle => {
    try {
      const decoded = decodeBase64(handle !== undefined && vm.typeof(handle) === 'string' ? vm.getString(handle) : '', 'base64_decode_bytes');
      return vm.newArrayBuffer(decoded.buffer.slice(decoded.byteOffset, decoded.byteOffset + decoded.byteLength));
    } catch (error) {
      return hostError(vm, error);
    }
  });
  vm.setProp(raw, 'base64_decode_bytes', base64ToBytes);
  base64ToBytes.dispose();
  asyncified('http', args => httpCall(scope, args));
  asyncified('smtp_send', async args => {
    await smtpCall(scope, args);
    return undefined;
  });
  asyncified('state_get', async ([key = '']) => {
    requireState(scope, 'state_get');
    return beforeDeadline(scope.host.stateGet(scope.context.interfaceId, key), scope.deadline(), `state_get ${key}`);
  });
  asyncified('state_set', async ([key = '', value = '']) => {
    requireState(scope, 'state_set');
    await beforeDeadline(scope.host.stateSet(scope.context.interfaceId, key, value), scope.deadline(), `state_set ${key}`);
    return undefined;
  });
  return raw;
}
