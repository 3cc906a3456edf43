/**
 * The host API's JSON path helpers (`rustbill_host.json_get` / `json_array_len`), with the guide's
 * path syntax: `key`, `parent.child`, `arr[0]`, `arr[0].name`, `a.b[1][2].c`. A path starting with
 * `/` is read as a JSON Pointer (`/arr/0/name`, `~1` and `~0` escapes), which is what RustBill
 * converts the dotted form into. A numeric dotted segment (`arr.0`) indexes arrays, as the pointer
 * `/arr/0` does.
 */

/** One step of a parsed path: an object key or an array index. */
export type JsonPathSegment = string | number;

const INDEX = /^(0|[1-9][0-9]*)$/;

function parsePointer(path: string): JsonPathSegment[] {
  return path
    .slice(1)
    .split('/')
    .map(token => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

/**
 * Parses a guide path into segments; `''` is the document itself.
 * @returns the segments, or null when the path is malformed (an unclosed or non-numeric `[…]`, an
 *   empty segment such as `a..b` or a trailing `.`).
 */
export function parseJsonPath(path: string): JsonPathSegment[] | null {
  const trimmed = path.trim();
  if (trimmed === '') return [];
  if (trimmed.startsWith('/')) return parsePointer(trimmed);
  const segments: JsonPathSegment[] = [];
  let i = 0;
  let expectName = true;
  while (i < trimmed.length) {
    const char = trimmed[i];
    if (char === '[') {
      const close = trimmed.indexOf(']', i);
      if (close < 0) return null;
      const inner = trimmed.slice(i + 1, close).trim();
      if (!INDEX.test(inner)) return null;
      segments.push(Number(inner));
      i = close + 1;
      expectName = false;
    } else if (char === '.') {
      if (expectName) return null; // `.a`, `a..b`
      i += 1;
      expectName = true;
      if (i >= trimmed.length) return null; // trailing `.`
    } else {
      if (!expectName) return null; // `a[0]b`
      let end = i;
      while (end < trimmed.length && trimmed[end] !== '.' && trimmed[end] !== '[') end += 1;
      segments.push(trimmed.slice(i, end));
      i = end;
      expectName = false;
    }
  }
  return segments;
}

/**
 * Walks `root` along `segments`.
 * @returns `{ found: true, value }`, or `{ found: false }` when a step does not exist.
 */
export function resolveJsonPath(root: unknown, segments: readonly JsonPathSegment[]): { found: true; value: unknown } | { found: false } {
  let current: unknown = root;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      const index = typeof segment === 'number' ? segment : INDEX.test(segment) ? Number(segment) : -1;
      if (index < 0 || index >= current.length) return { found: false };
      current = current[index];
    } else if (current !== null && typeof current === 'object') {
      const key = String(segment);
      if (!Object.hasOwn(current, key)) return { found: false };
      current = (current as Record<string, unknown>)[key];
    } else {
      return { found: false };
    }
  }
  return { found: true, value: current };
}

function parseDocument(jsonText: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(jsonText) };
  } catch {
    return { ok: false };
  }
}

/**
 * `json_get(json_str, path)`: the value at `path` of the JSON text `jsonText`.
 * @returns a string leaf as it is; any other leaf (number, boolean, null, object, array) as its
 *   compact JSON text; `""` when the path does not exist, is malformed, or `jsonText` is not JSON.
 */
export function jsonGet(jsonText: string, path: string): string {
  const document = parseDocument(jsonText);
  const segments = parseJsonPath(path);
  if (!document.ok || segments === null) return '';
  const hit = resolveJsonPath(document.value, segments);
  if (!hit.found) return '';
  return typeof hit.value === 'string' ? hit.value : (JSON.stringify(hit.value) ?? '');
}

/**
 * `json_array_len(json_str, path)`: the length of the array at `path`.
 * @returns the length, or 0 when there is no array there (missing, not an array, bad JSON or path).
 */
export function jsonArrayLen(jsonText: string, path: string): number {
  const document = parseDocument(jsonText);
  const segments = parseJsonPath(path);
  if (!document.ok || segments === null) return 0;
  const hit = resolveJsonPath(document.value, segments);
  return hit.found && Array.isArray(hit.value) ? hit.value.length : 0;
}
