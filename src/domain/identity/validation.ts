/**
 * Input rules for identity data (IdentityService: Register, Login, UpdateUser, ChangePassword).
 * Pure functions: each returns a message a person can act on, or null when the value is fine.
 */

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{2,31}$/;
// Pragmatic address check: one @, no spaces, a dot in the domain. Delivery proves the rest.
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

/** Usernames: 3–32 characters, letters, digits, `_`, `.`, `-`, starting with a letter or digit. */
export function usernameProblem(username: string): string | null {
  if (username.length === 0) return 'username is required';
  if (!USERNAME.test(username)) {
    return 'username must be 3-32 characters of letters, digits, "_", "." or "-", starting with a letter or digit';
  }
  return null;
}

/** E-mail addresses: a plausible `local@domain.tld`, at most 254 characters. */
export function emailProblem(email: string): string | null {
  if (email.length === 0) return 'email is required';
  if (email.length > 254 || !EMAIL.test(email)) return `"${email.slice(0, 80)}" is not a valid e-mail address`;
  return null;
}

/**
 * Passwords: 8–72 bytes (bcrypt reads at most 72), with at least one letter and one digit or symbol.
 */
export function passwordProblem(password: string): string | null {
  if (password.length === 0) return 'password is required';
  if (password.length < 8) return 'password must be at least 8 characters long';
  if (Buffer.byteLength(password, 'utf8') > 72) return 'password must be at most 72 bytes long';
  if (!/\p{L}/u.test(password) || !/[^\p{L}]/u.test(password)) {
    return 'password must contain at least one letter and at least one digit or symbol';
  }
  return null;
}

/** Display names: 1–100 characters after trimming. */
export function displayNameProblem(displayName: string): string | null {
  const trimmed = displayName.trim();
  if (trimmed.length === 0) return 'display_name is required';
  if (trimmed.length > 100) return 'display_name must be at most 100 characters';
  return null;
}

/** Canonical form of an e-mail address for storage and lookups (trimmed, lowercase). */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** `user_type` of the API: "admin" or "customer". */
export type UserType = 'admin' | 'customer';

/** Parses `user_type`; empty means `fallback`. Returns null for anything else. */
export function parseUserType(value: string | undefined, fallback: UserType): UserType | null {
  if (value === undefined || value === '') return fallback;
  return value === 'admin' || value === 'customer' ? value : null;
}

/** Verification code purposes (SendVerificationCodeRequest.purpose). */
export type VerificationPurpose = 'registration' | 'password_reset';

/** Parses a verification purpose; null when unknown. */
export function parsePurpose(value: string): VerificationPurpose | null {
  return value === 'registration' || value === 'password_reset' ? value : null;
}
