/**
 * The input limits of the API, in one place (issue 6, "Input limits and error hygiene"). Every
 * string field of every request is checked against them before anything else happens to the call —
 * before authentication, before any database or plugin I/O — so an oversized or malformed value
 * costs nothing but its decoding. The README's "Limits" section lists them.
 *
 * Lengths are counted in characters (UTF-16 code units, what JavaScript's `length` says). A field is
 * looked up by its protobuf name (`display_name`, not `displayName`); names not listed get
 * {@link DEFAULT_MAX_CHARS}. Pure: no I/O.
 */

/** Longest value of a string field that {@link FIELD_MAX_CHARS} does not list. */
export const DEFAULT_MAX_CHARS = 1_000;

/** Longest value per string field name; the same name means the same limit in every message. */
export const FIELD_MAX_CHARS: Readonly<Record<string, number>> = Object.freeze({
  // Accounts and credentials.
  username: 64,
  email: 254,
  phone: 32,
  password: 128,
  old_password: 128,
  new_password: 128,
  verification_code: 16,
  access_token: 4_096,
  refresh_token: 4_096,
  api_key: 256,
  // Names and short labels.
  name: 255,
  display_name: 255,
  title: 255,
  company: 255,
  contact_person: 255,
  product_name: 255,
  label: 255,
  channel_name: 255,
  gateway_name: 255,
  provider_name: 255,
  search: 200,
  keyword: 200,
  file_name: 255,
  // Free text.
  description: 10_000,
  notes: 10_000,
  message: 10_000,
  instructions: 10_000,
  content: 50_000,
  body: 50_000,
  // Documents carried as text.
  config_json: 262_144,
  // A customer import's JSON array (the request itself is at most MAX_REQUEST_BYTES).
  json: 4_194_304,
  args_json: 262_144,
  payload: 65_536,
  metadata: 65_536,
  specs: 65_536,
  script_source: 1_048_576,
});

/** Longest key and value of a `map<string, string>` entry (e.g. `extra_specs`). */
export const MAP_KEY_MAX_CHARS = 100;
export const MAP_VALUE_MAX_CHARS = 1_000;
/** Most entries of one map field and most items of one repeated field. */
export const MAX_MAP_ENTRIES = 100;
export const MAX_LIST_ITEMS = 1_000;

/**
 * Largest request message, in bytes of its protobuf encoding, on both transports (native gRPC and
 * gRPC-Web, where the limit applies to the decoded frame). Larger requests are answered
 * ResourceExhausted without being read further.
 */
export const MAX_REQUEST_BYTES = 4 * 1024 * 1024;

/** The limit of the string field named `fieldName` (protobuf name). */
export function maxCharsOf(fieldName: string): number {
  return FIELD_MAX_CHARS[fieldName] ?? DEFAULT_MAX_CHARS;
}

/**
 * Why `value` may not be stored in the field at `path` (e.g. `server_spec.region`), or null.
 * Refuses values longer than `maxChars` and values containing NUL (PostgreSQL text cannot hold it,
 * and C strings — QuickJS, libpq — would cut the value there). The message never quotes the value.
 */
export function stringProblem(path: string, value: string, maxChars: number): string | null {
  if (value.length > maxChars) {
    return `${path} is too long: at most ${maxChars.toLocaleString('en-US')} characters, got ${value.length.toLocaleString('en-US')}`;
  }
  if (value.includes('\u0000')) return `${path} must not contain NUL characters (\\u0000)`;
  return null;
}

/**
 * A quotable excerpt of untrusted text for messages and logs: at most `max` characters (default 64),
 * control characters replaced by `?`, an ellipsis when cut. Pure.
 */
export function clip(text: string, max = 64): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return cleaned.length > max ? `${cleaned.slice(0, max)}…` : cleaned;
}
