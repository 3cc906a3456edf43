import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt, optionalTime, uuidPrimaryKey } from './columns.ts';

/** What a verification code is for (`SendVerificationCodeRequest.purpose`). */
export const VERIFICATION_PURPOSES = ['registration', 'password_reset'] as const;
/** One of {@link VERIFICATION_PURPOSES}. */
export type VerificationPurpose = (typeof VERIFICATION_PURPOSES)[number];

/**
 * Table `verification_codes`: e-mailed one-time codes.
 *
 * - `codeHash` is a hash of the code, never the code. `attempts` counts wrong guesses (>= 0).
 * - A code is usable while `consumedAt` is null, `expiresAt` is in the future and attempts are
 *   below the limit. Store `email` normalised (lower case): lookups use `(email, purpose, created_at)`.
 * - Not customer-owned (the address may not belong to any customer yet).
 */
export const VerificationCode = defineEntity({
  name: 'VerificationCode',
  tableName: 'verification_codes',
  properties: {
    id: uuidPrimaryKey(),
    email: p.string().length(255),
    purpose: p.enum(VERIFICATION_PURPOSES),
    codeHash: p.string().length(255),
    attempts: p.integer().default(0),
    expiresAt: p.datetime(),
    consumedAt: optionalTime(),
    createdAt: createdAt(),
  },
  indexes: [
    { name: 'verification_codes_email_purpose_created_at_index', properties: ['email', 'purpose', 'createdAt'] },
    { name: 'verification_codes_expires_at_index', properties: ['expiresAt'] },
  ],
  checks: [{ name: 'verification_codes_attempts_check', expression: 'attempts >= 0' }],
});
/** A row of `verification_codes`. */
export type VerificationCode = InferEntity<typeof VerificationCode>;
