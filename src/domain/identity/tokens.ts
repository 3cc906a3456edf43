import { errors, jwtVerify, SignJWT } from 'jose';
import { isUuid } from '../../lib/ids.ts';

/** Issuer and audience of NodeBill JWTs. */
const ISSUER = 'nodebill';
const AUDIENCE = 'rustbill';

/** Kinds of JWT NodeBill issues. */
export type TokenKind = 'access' | 'refresh' | 'admin';

/**
 * Claims of our tokens. `access`/`refresh`: customer tokens (`cid` = customer id, `fam` = refresh
 * family, revoked as a whole on logout or reuse). `admin`: an admin's bearer token bound to the admin
 * session `sid` (dies with the session).
 */
export interface TokenClaims {
  kind: TokenKind;
  sub: string;
  jti: string;
  cid?: string;
  fam?: string;
  sid?: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

/** Signs and checks HS256 JWTs with `[jwt].secret` (spec: handbook 2.3; jose). */
export class TokenSigner {
  private readonly key: Uint8Array;

  /** @param secret the `[jwt].secret` (≥ 32 characters; checked at startup). */
  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  /** Signs a token valid for `ttlSeconds`. Returns the compact JWT and its expiry (s since epoch). */
  async sign(claims: Omit<TokenClaims, 'exp'>, ttlSeconds: number): Promise<{ token: string; exp: number }> {
    const exp = Math.floor(Date.now() / 1000) + ttlSeconds;
    const payload: Record<string, string> = { kind: claims.kind };
    if (claims.cid) payload.cid = claims.cid;
    if (claims.fam) payload.fam = claims.fam;
    if (claims.sid) payload.sid = claims.sid;
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.sub)
      .setJti(claims.jti)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, exp };
  }

  /**
   * Verifies signature, issuer, audience, expiry, kind, and that every id claim (sub, jti, sid, cid,
   * fam) is a UUID.
   * @returns the claims, or `{ problem }` with a person-readable reason (expired, malformed, wrong kind).
   */
  async verify(token: string, expected: TokenKind | readonly TokenKind[]): Promise<TokenClaims | { problem: string }> {
    const kinds: readonly TokenKind[] = typeof expected === 'string' ? [expected] : expected;
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
      const kind = payload.kind;
      if (typeof kind !== 'string' || !kinds.includes(kind as TokenKind)) {
        return { problem: `this is not ${kinds.length === 1 ? `an ${kinds[0]}` : 'a usable'} token` };
      }
      if (typeof payload.sub !== 'string' || typeof payload.jti !== 'string' || typeof payload.exp !== 'number') {
        return { problem: 'the token lacks required claims' };
      }
      const claims: TokenClaims = { kind: kind as TokenKind, sub: payload.sub, jti: payload.jti, exp: payload.exp };
      if (typeof payload.cid === 'string') claims.cid = payload.cid;
      if (typeof payload.fam === 'string') claims.fam = payload.fam;
      if (typeof payload.sid === 'string') claims.sid = payload.sid;
      // Every id claim names a row by its UUID; anything else must never reach a query.
      const ids = [claims.sub, claims.jti, claims.cid, claims.fam, claims.sid].filter((id) => id !== undefined);
      if (!ids.every(isUuid)) return { problem: 'the token carries a malformed id' };
      return claims;
    } catch (error) {
      if (error instanceof errors.JWTExpired) return { problem: 'the token has expired; refresh it or log in again' };
      if (error instanceof errors.JWSSignatureVerificationFailed) return { problem: 'the token signature is invalid' };
      if (error instanceof errors.JOSEError) return { problem: 'the token is malformed or not issued by this server' };
      return { problem: 'the token could not be read' };
    }
  }
}
