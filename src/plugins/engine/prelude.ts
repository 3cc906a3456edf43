/**
 * JavaScript evaluated in every sandbox context before the plugin script. It builds the
 * script-visible `rustbill_host` object around the raw host functions (host-bindings.ts), which
 * only ever receive strings (and ArrayBuffers for bytes): objects are turned into JSON here, inside
 * the VM, so the host never runs script code (a `toJSON` or getter) from a synchronous FFI call. It
 * also defines `__rustbill`, the engine's entry points (calling a function with the protocol
 * below, listing functions, describing errors); both globals are read-only and non-configurable,
 * and the original builtins they use are captured before the script can replace them.
 *
 * The code is kept compact on purpose: the asyncify build of QuickJS compiles about 30 µs per
 * function, and the prelude is compiled for every call; the host methods therefore share one
 * dispatcher, and the function listing used only by inspection is a separate snippet
 * ({@link INSPECT_SOURCE}).
 *
 * Text crossing the VM boundary must not contain U+0000: quickjs-emscripten passes strings as C
 * strings and would cut them there. Text arguments with a NUL are refused with a TypeError (and
 * host results with one with a HostError); binary data travels as bytes or base64.
 *
 * Protocol: `__rustbill.call(name, argJson)` returns (or resolves to) the JSON text
 * `{"ok":true,"v":<result>}` or `{"ok":false,"e":{"name","message","line"}}`; only an uncatchable
 * error (interrupt, out of memory while failing) can escape it.
 *
 * `http_post_bytes(url, body[, content_type[, headers]])`: `body` is either a base64 string of
 * the bytes to send or a Uint8Array/ArrayBuffer/array of byte numbers; the content type defaults
 * to `application/grpc-web+proto`; the result is the response body as base64. Use
 * `base64_decode_bytes` to get a Uint8Array back, `base64_encode`/`base64_decode` for UTF-8 text.
 * `http_request_bytes(method, url, body, content_type, headers)` (a NodeBill addition) takes the
 * same body forms and returns `'{"status":200,"headers":{…},"body_base64":"…"}'`, for gRPC-Web
 * errors whose status is only in the response headers.
 */
export const PRELUDE_SOURCE = String.raw`(function () {
  'use strict';
  const raw = globalThis.__rustbill_raw;
  delete globalThis.__rustbill_raw;
  const StringCtor = String, PromiseCtor = Promise, ErrorCtor = Error, TypeErrorCtor = TypeError;
  const U8 = Uint8Array, AB = ArrayBuffer, stringify = JSON.stringify, parse = JSON.parse;
  const freeze = Object.freeze, defineProperty = Object.defineProperty, isArray = Array.isArray;
  const apply = Reflect.apply, promiseThen = PromiseCtor.prototype.then, globalEval = eval;
  const encodeComponent = encodeURIComponent, fromCharCode = StringCtor.fromCharCode;

  function text(v) {
    const out = v === undefined || v === null ? '' : typeof v === 'string' ? v : StringCtor(v);
    if (out.indexOf('\u0000') >= 0) throw new TypeErrorCtor('text passed to rustbill_host must not contain NUL characters; pass binary data as bytes (Uint8Array) or base64');
    return out;
  }
  function json(v) {
    if (typeof v === 'string') return v;
    const out = stringify(v === undefined ? null : v);
    return out === undefined ? 'null' : out;
  }
  function base64Of(v) {
    if (typeof v === 'string') return raw.base64_text(text(v));
    let buffer;
    if (v instanceof AB) buffer = v;
    else if (AB.isView(v)) buffer = v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength);
    else if (isArray(v)) buffer = new U8(v).buffer;
    else throw new TypeErrorCtor('expected a string, Uint8Array, ArrayBuffer or array of byte values');
    return raw.base64_bytes(buffer);
  }
  function dispatch(name, a) {
    switch (name) {
      case 'log_info': case 'log_warn': case 'log_error': raw.log(name.slice(4), text(a[0])); return undefined;
      case 'http_get': return raw.http('GET', text(a[0]), '', '', '', '{}', '', 'body');
      case 'http_post': return raw.http('POST', text(a[0]), text(a[1]), '', text(a[2]), '{}', '', 'body');
      case 'http_post_bytes':
        return raw.http('POST', text(a[0]), '', typeof a[1] === 'string' ? text(a[1]) : base64Of(a[1]),
          a[2] === undefined || a[2] === null ? 'application/grpc-web+proto' : text(a[2]), a[3] === undefined ? '{}' : json(a[3]), '', 'bytes');
      case 'http_request_bytes':
        return raw.http(text(a[0]) || 'POST', text(a[1]), '', typeof a[2] === 'string' ? text(a[2]) : base64Of(a[2]),
          a[3] === undefined || a[3] === null ? 'application/grpc-web+proto' : text(a[3]), a[4] === undefined ? '{}' : json(a[4]), '', 'bytes-full');
      case 'http_post_with_headers': return raw.http('POST', text(a[0]), text(a[1]), '', text(a[2]), a[3] === undefined ? '{}' : json(a[3]), '', 'body');
      case 'http_request_with_cert': return raw.http(text(a[0]) || 'GET', text(a[1]), text(a[2]), '', text(a[3]), '{}', json(a[4]), 'full');
      case 'md5_hex': return raw.hash('md5', text(a[0]));
      case 'sha256_hex': return raw.hash('sha256', text(a[0]));
      case 'hmac_sha256_hex': return raw.hmac_sha256(text(a[0]), text(a[1]));
      case 'smtp_send': raw.smtp_send(json(a[0]), json(a[1])); return undefined;
      case 'state_get': return raw.state_get(text(a[0]));
      case 'state_set': raw.state_set(text(a[0]), a[1] !== null && typeof a[1] === 'object' ? json(a[1]) : text(a[1])); return undefined;
      case 'json_get': return raw.json_get(json(a[0]), text(a[1]));
      case 'json_array_len': return raw.json_array_len(json(a[0]), text(a[1]));
      case 'json_stringify': { const out = stringify(a[0]); return out === undefined ? 'null' : out; }
      case 'base64_encode': return base64Of(a[0]);
      case 'base64_decode': return raw.base64_decode_text(text(a[0]));
      case 'base64_decode_bytes': return new U8(raw.base64_decode_bytes(text(a[0])));
      case 'url_encode': return encodeComponent(text(a[0]));
    }
  }
  const host = {};
  const names = ['log_info', 'log_warn', 'log_error', 'http_get', 'http_post', 'http_post_bytes', 'http_request_bytes', 'http_post_with_headers',
    'http_request_with_cert', 'md5_hex', 'sha256_hex', 'hmac_sha256_hex', 'smtp_send', 'state_get', 'state_set', 'json_get',
    'json_array_len', 'json_stringify', 'base64_encode', 'base64_decode', 'base64_decode_bytes', 'url_encode'];
  for (let i = 0; i < names.length; i++) {
    const name = names[i];
    const method = function () { return dispatch(name, arguments); };
    defineProperty(method, 'name', { value: name });
    host[name] = freeze(method);
  }
  defineProperty(globalThis, 'rustbill_host', { value: freeze(host), writable: false, enumerable: false, configurable: false });
  defineProperty(globalThis, '__rustbill_slot', { value: undefined, writable: true, enumerable: false, configurable: false });

  function describe(e) {
    const d = { name: 'Error', message: '', line: 0 };
    try {
      if (e === null || (typeof e !== 'object' && typeof e !== 'function')) { d.message = text(e); return d; }
      try { d.name = text(e.name) || 'Error'; } catch (x) {}
      try { d.message = text(e.message); } catch (x) {}
      try { if (typeof e.lineNumber === 'number') d.line = e.lineNumber; } catch (x) {}
      if (d.message === '' && !(e instanceof ErrorCtor)) d.message = text(e);
    } catch (x) {
      d.message = d.message || 'an error that cannot be printed';
    }
    return d;
  }
  function failure(e) { return stringify({ ok: false, e: describe(e) }); }
  function success(v) {
    try {
      const out = stringify({ ok: true, v: v === undefined ? null : v });
      if (out !== undefined) return out;
      throw new TypeErrorCtor('not serializable');
    } catch (e) {
      const d = describe(e);
      d.message = 'the result cannot be converted to JSON: ' + d.message;
      return stringify({ ok: false, e: d });
    }
  }
  function lookup(name) {
    try { return globalEval('typeof ' + name + " === 'function' ? " + name + ' : undefined'); } catch (e) { return undefined; }
  }
  defineProperty(globalThis, '__rustbill', { value: freeze({
    call(name, argJson) {
      const fn = lookup(name);
      if (fn === undefined) return stringify({ ok: false, e: { name: '__RustbillMissingFunction', message: name, line: 0 } });
      let result;
      try { result = fn(parse(argJson), undefined); } catch (e) { return failure(e); }
      return result instanceof PromiseCtor ? apply(promiseThen, result, [success, failure]) : success(result);
    },
    describeSlot() {
      const e = globalThis.__rustbill_slot;
      globalThis.__rustbill_slot = undefined;
      return stringify(describe(e));
    },
    lookup: lookup,
    baseline: freeze(Object.getOwnPropertyNames(globalThis)),
  }), writable: false, enumerable: false, configurable: false });
})();
`;

/**
 * Evaluated in inspection sessions after the script: `__rustbill_functions(candidatesJson)` lists
 * the global functions the script added (not in the prelude's baseline) plus those candidate
 * names that resolve to functions (script-level `const f = …` is not a global property).
 */
export const INSPECT_SOURCE = String.raw`(function (candidatesJson) {
  const baseline = __rustbill.baseline, out = [];
  const names = Object.getOwnPropertyNames(globalThis);
  for (let i = 0; i < names.length; i++) {
    if (baseline.indexOf(names[i]) >= 0 || names[i] === '__rustbill') continue;
    try { if (typeof globalThis[names[i]] === 'function') out.push(names[i]); } catch (e) {}
  }
  const candidates = JSON.parse(candidatesJson);
  for (let i = 0; i < candidates.length; i++) {
    if (out.indexOf(candidates[i]) < 0 && __rustbill.lookup(candidates[i]) !== undefined) out.push(candidates[i]);
  }
  return JSON.stringify(out);
})`;
