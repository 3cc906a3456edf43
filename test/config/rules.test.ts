import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkStartupRules, ConfigError, loadConfig, type AppConfig } from '../../cluster.config.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'nodebill-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GOOD_SECRET = 'x'.repeat(32);

function configWith(env: NodeJS.ProcessEnv): AppConfig {
  return loadConfig({ env, cwd: dir });
}

function refusal(config: AppConfig, adminExists: boolean): ConfigError {
  try {
    checkStartupRules(config, { adminExists });
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('checkStartupRules did not throw');
}

describe('checkStartupRules', () => {
  it('accepts a 32-character secret with a bootstrap password', () => {
    expect(() => checkStartupRules(configWith({ JWT_SECRET: GOOD_SECRET, ADMIN_PASSWORD: 'pw' }), { adminExists: false })).not.toThrow();
  });

  it('refuses an empty secret, saying where to set it', () => {
    const err = refusal(configWith({ ADMIN_PASSWORD: 'pw' }), false);
    expect(err.message).toContain('[jwt] secret is empty');
    expect(err.message).toContain('JWT_SECRET');
    expect(err.message).toContain('config.toml');
  });

  it('refuses a secret shorter than 32 characters', () => {
    const err = refusal(configWith({ JWT_SECRET: 'x'.repeat(31), ADMIN_PASSWORD: 'pw' }), false);
    expect(err.message).toContain('only 31 characters');
    expect(err.message).toContain('at least 32');
  });

  it('refuses the placeholder secret', () => {
    const err = refusal(configWith({ JWT_SECRET: 'change-me-in-production', ADMIN_PASSWORD: 'pw' }), true);
    expect(err.message).toContain('placeholder "change-me-in-production"');
  });

  it('refuses to start without a bootstrap password when no admin exists', () => {
    const err = refusal(configWith({ JWT_SECRET: GOOD_SECRET }), false);
    expect(err.message).toContain('[bootstrap] admin_password is empty');
    expect(err.message).toContain('ADMIN_PASSWORD');
    expect(err.message).toContain('"admin"');
  });

  it('needs no bootstrap password once an admin exists', () => {
    expect(() => checkStartupRules(configWith({ JWT_SECRET: GOOD_SECRET }), { adminExists: true })).not.toThrow();
  });

  it('reports every violation at once', () => {
    const err = refusal(configWith({}), false);
    expect(err.problems).toHaveLength(2);
  });
});
