/** Startup: the embedded database and generated secrets of the zero-configuration path, and the Redis probe. */
export { prepareRuntime, workerEnv, EMBEDDED_DATABASE, type PreparedRuntime } from './runtime.ts';
export { startEmbeddedPostgres, EMBEDDED_USER, type EmbeddedDatabase, type EmbeddedPostgresOptions } from './embedded-postgres.ts';
export { probeRedis, redactUrl, DEGRADED_FEATURES, REDIS_PROBE_TIMEOUT_MS } from './redis.ts';
export { SECRETS_FILE_MODE, type Secrets } from './secrets.ts';
export type { BootstrapLog } from './log.ts';
