import { randomBytes } from 'node:crypto';
import { compare, hash } from '@node-rs/bcrypt';

/** bcrypt cost of new hashes (the handbook stores admin passwords as bcrypt; 2^12 rounds ≈ 0.2 s here). */
export const BCRYPT_COST = 12;

/** Hashes a password with bcrypt (`$2b$…`, compatible with RustBill's stored hashes). */
export function hashPassword(password: string, cost: number = BCRYPT_COST): Promise<string> {
  return hash(password, cost);
}

/** A bcrypt hash of a random password, compared against when a user does not exist (equal timing). */
let dummyHash: Promise<string> | undefined;

/**
 * Checks `password` against a stored bcrypt hash. With `storedHash` null it still spends the time of
 * a comparison and returns false, so timing does not tell whether the user exists.
 */
export async function verifyPassword(password: string, storedHash: string | null): Promise<boolean> {
  try {
    dummyHash ??= hash(randomBytes(18).toString('base64'), BCRYPT_COST);
    const ok = await compare(password, storedHash ?? (await dummyHash));
    return storedHash !== null && ok;
  } catch {
    return false;
  }
}
