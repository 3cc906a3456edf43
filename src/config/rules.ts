/**
 * The rules a configuration must meet before the server may start (RustBill's security checklist):
 * a real JWT secret, and a way to create the first admin.
 */
import type { AppConfig } from './schema.ts';
import { configErrorFromProblems } from './errors.ts';

/** The shortest JWT secret accepted, in characters. */
export const JWT_SECRET_MIN_LENGTH = 32;

/** The placeholder of RustBill's config.example.toml; never accepted as a secret. */
export const JWT_SECRET_PLACEHOLDER = 'change-me-in-production';

const WHERE_SECRET =
  'Set [jwt] secret in config.toml (or config.local.toml), or the JWT_SECRET environment variable, ' +
  `to a random string of at least ${JWT_SECRET_MIN_LENGTH} characters, for example the output of ` +
  '`openssl rand -base64 64`. Every instance of one deployment must use the same secret.';

/**
 * Refuses to start with an unsafe configuration. All violations are reported together.
 *
 * Rules:
 * - `jwt.secret` must not be empty, must not be the placeholder "change-me-in-production", and must
 *   be at least 32 characters long;
 * - when no admin account exists yet, `bootstrap.admin_password` must be set (the first admin is
 *   created with it).
 *
 * @param config the loaded configuration (after `prepareRuntime`, which may fill in generated values)
 * @param ctx.adminExists whether the database already holds at least one admin account
 * @throws ConfigError listing every violated rule with the key or variable to set
 */
export function checkStartupRules(config: AppConfig, ctx: { adminExists: boolean }): void {
  const problems: string[] = [];
  const secret = config.jwt.secret.trim();
  if (secret === '') {
    problems.push(`[jwt] secret is empty. ${WHERE_SECRET}`);
  } else if (secret.toLowerCase() === JWT_SECRET_PLACEHOLDER) {
    problems.push(`[jwt] secret is still the placeholder "${JWT_SECRET_PLACEHOLDER}". ${WHERE_SECRET}`);
  } else if (secret.length < JWT_SECRET_MIN_LENGTH) {
    problems.push(
      `[jwt] secret is only ${secret.length} characters long; at least ${JWT_SECRET_MIN_LENGTH} are required. ${WHERE_SECRET}`,
    );
  }

  if (!ctx.adminExists && config.bootstrap.admin_password === '') {
    problems.push(
      `No admin account exists yet and [bootstrap] admin_password is empty, so the first admin ` +
        `("${config.bootstrap.admin_username}", from [bootstrap] admin_username) cannot be created. ` +
        'Set [bootstrap] admin_password in config.toml or config.local.toml, or the ADMIN_PASSWORD ' +
        'environment variable, to a strong password; change it after the first login.',
    );
  }

  if (problems.length > 0) {
    throw configErrorFromProblems('Refusing to start: the configuration is not safe to run with.', problems);
  }
}
