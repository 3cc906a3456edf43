/**
 * `<data_dir>/secrets.json`: the values NodeBill generates for itself on the zero-configuration
 * (embedded database) path, generated once and reused on every later start.
 *
 * ```json
 * { "version": 1, "database_password": "…", "jwt_secret": "…", "admin_password": "…" }
 * ```
 * The file is written atomically with mode 0600; a looser mode found on an existing file is
 * tightened (with a warning).
 */
import { randomBytes } from 'node:crypto';
import { chmod, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError } from '../config/errors.ts';
import type { BootstrapLog } from './log.ts';

/** File mode of secrets.json: owner read/write only. */
export const SECRETS_FILE_MODE = 0o600;

const SecretsSchema = z.object({
  version: z.literal(1),
  /** Password of the embedded PostgreSQL's `postgres` superuser. */
  database_password: z.string().min(16).optional(),
  /** Generated `[jwt] secret` (base64url of 64 random bytes). */
  jwt_secret: z.string().min(32).optional(),
  /** Generated `[bootstrap] admin_password`. */
  admin_password: z.string().min(12).optional(),
});

/** The content of secrets.json. */
export type Secrets = z.output<typeof SecretsSchema>;

/** 64 random bytes, base64url-encoded (86 characters). */
export function generateJwtSecret(): string {
  return randomBytes(64).toString('base64url');
}

/** 18 random bytes, base64url-encoded (24 characters). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * Reads secrets.json.
 *
 * @returns the secrets, or undefined when the file does not exist
 * @throws ConfigError when the file exists but is not valid
 */
export async function readSecrets(file: string, log: BootstrapLog): Promise<Secrets | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') return undefined;
    throw new ConfigError(`Cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`${file} is not valid JSON. Restore it from a backup, or delete it together with the embedded database next to it (pg/) to start over.`);
  }
  const parsed = SecretsSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(`${file} does not hold NodeBill's generated secrets (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}). Restore it from a backup, or delete it together with the embedded database next to it (pg/) to start over.`);
  }
  const mode = (await stat(file)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    await chmod(file, SECRETS_FILE_MODE);
    log.warn({ file, was: mode.toString(8) }, 'secrets file was readable by others; its mode is now 600');
  }
  return parsed.data;
}

/** Writes secrets.json atomically (temporary file, fsync, rename) with mode 0600. */
export async function writeSecrets(file: string, secrets: Secrets): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  const handle = await open(temporary, 'w', SECRETS_FILE_MODE);
  try {
    await handle.writeFile(`${JSON.stringify(secrets, null, 2)}\n`);
    await handle.chmod(SECRETS_FILE_MODE);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temporary, file);
  } catch (err) {
    await unlink(temporary).catch(() => undefined);
    throw err;
  }
}
