/**
 * The plugin registry: plugin interface operations behind the IntegrationService (see registry.ts),
 * config validation and secret masking (config-schema.ts), readers of contract-function results
 * (results.ts) and script identity helpers (scripts.ts).
 */
export { PluginRegistry, BRIDGE_REFUSED_FUNCTIONS, checkDisplayName, localStatus, parseJsonObject } from './registry.ts';
export type { HealthResult, PluginRegistryOptions, ServerSpecInput } from './registry.ts';
export { PluginRegistryError } from './errors.ts';
export type { RegistryErrorKind } from './errors.ts';
export { ConfigValidator, InvalidConfigSchemaError, keepMaskedSecrets, maskSecrets, normalizeSchema, secretPaths } from './config-schema.ts';
export type { ConfigProblem } from './config-schema.ts';
export * from './results.ts';
export { compareVersions, parseVersion, scriptHash } from './scripts.ts';
export type { SemVer } from './scripts.ts';
