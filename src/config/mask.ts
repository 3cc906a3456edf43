/**
 * Masking secrets of the configuration before it is shown (`config check`, logs): secret keys and
 * the passwords inside URLs.
 */

/** What a masked secret is shown as. */
export const MASK = '****';

/** Keys whose value is a secret as a whole: `[jwt] secret`, `[bootstrap] admin_password`, any `*_token`, `*_key`, … */
const SECRET_KEY = /(?:^|_)(?:secret|password|passwd|token|api_key|private_key|credentials?)$/i;
/** Query parameters of a connection URL that carry a secret (libpq's `password`, `sslpassword`, …). */
const SECRET_PARAM = /(?:password|passwd|secret|token|key)$/i;

/** True when a value under `key` is a secret as a whole. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * Masks the secrets inside a URL: its password (`postgres://user:****@host/db`) and query
 * parameters named like a secret (`?sslpassword=****`). Values that are not URLs with a scheme and
 * an authority are returned unchanged.
 *
 * @param value e.g. `postgres://rustbill:pw@localhost:5432/rustbill`, `redis://:pw@host:6379`
 */
export function maskUrl(value: string): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(value);
  if (match === null) return value;
  const [, scheme = '', authority = '', rest = ''] = match;
  // The password ends at the last "@" of the authority (an unencoded "@" may occur inside it).
  const at = authority.lastIndexOf('@');
  let shownAuthority = authority;
  if (at !== -1) {
    const userInfo = authority.slice(0, at);
    const colon = userInfo.indexOf(':');
    if (colon !== -1) shownAuthority = `${userInfo.slice(0, colon)}:${MASK}${authority.slice(at)}`;
  }
  const shownRest = rest.replace(/([?&])([^=&#]+)=([^&#]*)/g, (whole, sep: string, name: string) =>
    SECRET_PARAM.test(decodeURIComponentSafe(name)) ? `${sep}${name}=${MASK}` : whole,
  );
  return `${scheme}${shownAuthority}${shownRest}`;
}

/**
 * A copy of a configuration value with every secret masked: values under secret keys become
 * `****` (an empty one stays empty, so a missing secret shows), and strings that are URLs lose
 * their passwords. Walks tables and arrays.
 *
 * @param key the key the value is stored under ('' for the root)
 */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (typeof value === 'string') {
    if (isSecretKey(key)) return value === '' ? '' : MASK;
    return maskUrl(value);
  }
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, key));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskSecrets(v, k);
    return out;
  }
  return value;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
