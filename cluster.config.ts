/**
 * NodeBill's configuration: every setting, its type, its default and its limits, in one place.
 *
 * Sources, lowest to highest precedence:
 *   1. the built-in defaults below (those of RustBill's operations manual);
 *   2. `config.toml` — RustBill's file format and key names (path from CONFIG_FILE, else
 *      `./config.toml` when present);
 *   3. `config.local.toml` — local overrides (path from LOCAL_CONFIG_FILE, else
 *      `./config.local.toml` when present); tables merge key by key, arrays replace;
 *   4. environment variables: HOST, PORT, DATABASE_URL, REDIS_URL (also sets redis.enabled),
 *      JWT_SECRET, ADMIN_PASSWORD, WORKERS, LOG_LEVEL (or RustBill's RUST_LOG), LOG_FORMAT (or
 *      RustBill's RUST_LOG_FORMAT=json). An empty variable counts as unset.
 *
 * Unknown keys are rejected (a misspelled key must not be ignored silently). Every key of RustBill's
 * manuals is accepted; those NodeBill cannot honour (e.g. `[db] test_before_acquire`) yield a
 * warning saying why (`loadConfigWithWarnings`; src/config/compat.ts), which the server logs once
 * at start and `npm run cli -- config check FILE` prints. Relative paths
 * (`data_dir`, `[plugins] plugins_dir`) are resolved against the working directory, so the loaded
 * configuration holds absolute paths.
 *
 * Example `config.toml`:
 * ```toml
 * data_dir = "/var/lib/nodebill"
 * [server]
 * host = "127.0.0.1"
 * port = 50051
 * cors_allowed_origins = ["https://shop.example.com"]
 * [db]
 * url = "postgres://nodebill:secret@localhost/nodebill"
 * [jwt]
 * secret = "…at least 32 random characters…"
 * [bootstrap]
 * admin_password = "…"
 * [cluster]
 * workers = 4
 * ```
 */
export { ConfigError } from './src/config/errors.ts';
export { checkStartupRules, JWT_SECRET_MIN_LENGTH, JWT_SECRET_PLACEHOLDER } from './src/config/rules.ts';
export { AppConfigSchema, SHARD_COUNT, type AppConfig } from './src/config/schema.ts';
export { loadConfig, loadConfigWithWarnings, type LoadConfigOptions, type LoadedConfig } from './src/config/load.ts';
export { formatConfigWarning, type ConfigWarning } from './src/config/compat.ts';
