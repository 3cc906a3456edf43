/**
 * The signed-in customer's tokens (RustBill's customer JWT pair, IdentityService/Login and
 * RefreshToken): kept in localStorage so a reload or a second tab stays signed in; the access
 * token is sent as `authorization: Bearer …`, the refresh token only to RefreshToken. Listeners
 * hear every change (sign-in, rotation, sign-out), including one made in another tab.
 */

/** A stored token pair; `expiresAt` is epoch ms when the access token expires. */
export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
}

const KEY = 'nodebill.portal.tokens';
const listeners = new Set<(pair: TokenPair | null) => void>();

function read(): TokenPair | null {
  try {
    const raw = window.localStorage.getItem(KEY);
    if (!raw) return null;
    const value = JSON.parse(raw) as Partial<TokenPair>;
    if (typeof value.accessToken !== 'string' || typeof value.refreshToken !== 'string' || typeof value.expiresAt !== 'number') return null;
    return { accessToken: value.accessToken, refreshToken: value.refreshToken, expiresAt: value.expiresAt };
  } catch {
    return null;
  }
}

/** The current pair, or null when signed out. */
export function currentTokens(): TokenPair | null {
  return read();
}

/** Stores a pair (`expiresInSecs` from the server's `expires_in`), or clears it with null. */
export function storeTokens(pair: { accessToken: string; refreshToken: string; expiresInSecs: number } | null): void {
  if (pair === null) window.localStorage.removeItem(KEY);
  else window.localStorage.setItem(KEY, JSON.stringify({ accessToken: pair.accessToken, refreshToken: pair.refreshToken, expiresAt: Date.now() + pair.expiresInSecs * 1000 }));
  const now = read();
  for (const listener of listeners) listener(now);
}

/** Calls `listener` on every change of the pair; returns the unsubscribe function. */
export function onTokensChange(listener: (pair: TokenPair | null) => void): () => void {
  listeners.add(listener);
  const fromOtherTab = (event: StorageEvent) => { if (event.key === KEY) listener(read()); };
  window.addEventListener('storage', fromOtherTab);
  return () => { listeners.delete(listener); window.removeEventListener('storage', fromOtherTab); };
}
