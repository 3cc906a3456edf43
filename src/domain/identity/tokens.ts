import { webcrypto } from 'node:crypto';
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

/** Most verified tokens remembered (each a few hundred bytes). */
const VERIFIED_CACHE_SIZE = 10_000;
const TOKEN_KINDS: readonly string[] = ['access', 'refresh', 'admin'];

/**
 * Signs and checks HS256 JWTs with `[jwt].secret` (spec: handbook 2.3; jose). The secret is
 * imported as a WebCrypto key once and used for every signature and check (jose would import a raw
 * secret again on each call), and a token already verified is not verified again until it expires:
 * verification depends only on the token, the key and the clock.
 */
export class TokenSigner {
  private readonly secret: Uint8Array;
  private key: Promise<webcrypto.CryptoKey> | undefined;
  /** Verified tokens and their claims, oldest first. */
  private readonly verified = new Map<string, TokenClaims>();

  /** @param secret the `[jwt].secret` (≥ 32 characters; checked at startup). */
  constructor(secret: string) {
    this.secret = new TextEncoder().encode(secret);
  }

  private cryptoKey(): Promise<webcrypto.CryptoKey> {
    this.key ??= webcrypto.subtle.importKey('raw', this.secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    return this.key;
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
      .sign(await this.cryptoKey());
    return { token, exp };
  }

  /**
   * Verifies signature, issuer, audience, expiry, kind, and that every id claim (sub, jti, sid, cid,
   * fam) is a UUID.
   * @returns the claims, or `{ problem }` with a person-readable reason (expired, malformed, wrong kind).
   */
  async verify(token: string, expected: TokenKind | readonly TokenKind[]): Promise<TokenClaims | { problem: string }> {
    const kinds: readonly TokenKind[] = typeof expected === 'string' ? [expected] : expected;
    let claims = this.verified.get(token);
    if (claims !== undefined && claims.exp * 1000 <= Date.now()) {
      this.verified.delete(token);
      return { problem: 'the token has expired; refresh it or log in again' };
    }
    if (claims === undefined) {
      const checked = await this.verifySignature(token);
      if ('problem' in checked) return checked;
      claims = checked;
      if (this.verified.size >= VERIFIED_CACHE_SIZE) {
        const oldest = this.verified.keys().next();
        if (!oldest.done) this.verified.delete(oldest.value);
      }
      this.verified.set(token, claims);
    }
    if (!kinds.includes(claims.kind)) return { problem: `this is not ${kinds.length === 1 ? `an ${kinds[0]}` : 'a usable'} token` };
    return claims;
  }

  /** Signature, issuer, audience, expiry, the claims' shapes; any kind. */
  private async verifySignature(token: string): Promise<TokenClaims | { problem: string }> {
    try {
      const { payload } = await jwtVerify(token, await this.cryptoKey(), { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
      const kind = payload.kind;
      if (typeof kind !== 'string' || !TOKEN_KINDS.includes(kind)) return { problem: 'this is not a token of this server' };
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
