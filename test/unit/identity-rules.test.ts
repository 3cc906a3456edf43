import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/domain/identity/passwords.ts';
import { digestsEqual, newVerificationCode, verificationCodeHash } from '../../src/domain/identity/secrets.ts';
import { TokenSigner } from '../../src/domain/identity/tokens.ts';
import { newId } from '../../src/lib/ids.ts';
import { emailProblem, parseUserType, passwordProblem, usernameProblem } from '../../src/domain/identity/validation.ts';

describe('identity validation rules', () => {
  it('accepts good usernames and explains bad ones', () => {
    expect(usernameProblem('alice_01')).toBeNull();
    expect(usernameProblem('ab')).toMatch(/3-32 characters/);
    expect(usernameProblem('_alice')).toMatch(/starting with a letter or digit/);
    expect(usernameProblem('')).toBe('username is required');
  });

  it('checks e-mail addresses', () => {
    expect(emailProblem('a@example.com')).toBeNull();
    expect(emailProblem('not-an-email')).toMatch(/not a valid e-mail/);
    expect(emailProblem('a b@example.com')).toMatch(/not a valid e-mail/);
  });

  it('enforces the password policy', () => {
    expect(passwordProblem('Pass123!')).toBeNull();
    expect(passwordProblem('short1')).toMatch(/at least 8/);
    expect(passwordProblem('onlyletters')).toMatch(/digit or symbol/);
    expect(passwordProblem('12345678')).toMatch(/one letter/);
    expect(passwordProblem(`a1${'x'.repeat(80)}`)).toMatch(/72 bytes/);
  });

  it('parses user types with a default', () => {
    expect(parseUserType(undefined, 'admin')).toBe('admin');
    expect(parseUserType('', 'customer')).toBe('customer');
    expect(parseUserType('customer', 'admin')).toBe('customer');
    expect(parseUserType('root', 'admin')).toBeNull();
  });
});

describe('passwords', () => {
  it('verifies a bcrypt hash and refuses a wrong password or a missing user', async () => {
    const stored = await hashPassword('Correct horse 1', 4);
    expect(stored).toMatch(/^\$2[aby]\$04\$/);
    expect(await verifyPassword('Correct horse 1', stored)).toBe(true);
    expect(await verifyPassword('wrong password 1', stored)).toBe(false);
    expect(await verifyPassword('Correct horse 1', null)).toBe(false);
    expect(await verifyPassword('x', 'not a hash')).toBe(false);
  });
});

describe('verification codes', () => {
  it('are six digits and bound to e-mail and purpose', () => {
    const code = newVerificationCode();
    expect(code).toMatch(/^\d{6}$/);
    const a = verificationCodeHash('s'.repeat(32), 'a@example.com', 'registration', code);
    expect(digestsEqual(a, verificationCodeHash('s'.repeat(32), 'a@example.com', 'registration', code))).toBe(true);
    expect(digestsEqual(a, verificationCodeHash('s'.repeat(32), 'b@example.com', 'registration', code))).toBe(false);
    expect(digestsEqual(a, verificationCodeHash('s'.repeat(32), 'a@example.com', 'password_reset', code))).toBe(false);
  });
});

describe('TokenSigner', () => {
  const signer = new TokenSigner('x'.repeat(48));
  const [u1, j1, j2, j3, c1, f1] = Array.from({ length: 6 }, () => newId());

  it('round-trips claims of the expected kind', async () => {
    const { token, exp } = await signer.sign({ kind: 'access', sub: u1 ?? '', jti: j1 ?? '', cid: c1, fam: f1 }, 60);
    const claims = await signer.verify(token, 'access');
    expect(claims).toMatchObject({ kind: 'access', sub: u1, jti: j1, cid: c1, fam: f1, exp });
    // Verified once, remembered: the same answer again, and the kind is still checked.
    expect(await signer.verify(token, 'access')).toEqual(claims);
    expect(await signer.verify(token, 'refresh')).toEqual({ problem: 'this is not an refresh token' });
  });

  it('refuses a token of another kind, a forged one, an expired one and garbage', async () => {
    const { token } = await signer.sign({ kind: 'refresh', sub: u1 ?? '', jti: j1 ?? '' }, 60);
    expect(await signer.verify(token, 'access')).toEqual({ problem: 'this is not an access token' });
    const forged = await new TokenSigner('y'.repeat(48)).sign({ kind: 'access', sub: u1 ?? '', jti: j2 ?? '' }, 60);
    expect(await signer.verify(forged.token, 'access')).toEqual({ problem: 'the token signature is invalid' });
    const expired = await signer.sign({ kind: 'access', sub: u1 ?? '', jti: j3 ?? '' }, -10);
    expect(await signer.verify(expired.token, 'access')).toEqual({ problem: 'the token has expired; refresh it or log in again' });
    expect(await signer.verify('garbage', 'access')).toEqual({ problem: 'the token is malformed or not issued by this server' });
  });

  it('refuses a signed token whose id claims are not UUIDs', async () => {
    for (const claims of [
      { kind: 'admin' as const, sub: u1 ?? '', jti: j1 ?? '', sid: "x' or 1=1" },
      { kind: 'access' as const, sub: 'u1', jti: j1 ?? '' },
      { kind: 'access' as const, sub: u1 ?? '', jti: j1 ?? '', cid: 'c1', fam: f1 },
    ]) {
      const { token } = await signer.sign(claims, 60);
      expect(await signer.verify(token, ['access', 'admin'])).toEqual({ problem: 'the token carries a malformed id' });
    }
  });

  it('stops accepting a remembered token once it expires', async () => {
    const { token } = await signer.sign({ kind: 'access', sub: u1 ?? '', jti: j2 ?? '' }, 1);
    expect(await signer.verify(token, 'access')).toMatchObject({ sub: u1 });
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect(await signer.verify(token, 'access')).toEqual({ problem: 'the token has expired; refresh it or log in again' });
  });
});
