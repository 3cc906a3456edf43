/**
 * The plugin registry (see registry.ts for its pieces): plugin definitions, interfaces and their
 * scripts, health checks, admin pages, provider and gateway calls; config validation and secret masking
 * (config-schema.ts), readers of contract-function results (results.ts, gateway-results.ts), the registry's pure rules
 * (rules.ts) and script identity helpers (scripts.ts).
 */
export { PluginRegistry } from './registry.ts';
export type { PluginRegistryOptions } from './registry.ts';
export { PluginDefinitions } from './definitions.ts';
export { InterfaceScripts } from './interface-scripts.ts';
export { PluginInterfaces } from './interfaces.ts';
export type { ChangedField, InterfaceChanges, InterfaceDraft, InterfaceFilter, NewInterface, PreparedUpdate } from './interfaces.ts';
export type { InterfaceUsers, InterfaceUses } from './interface-users.ts';
export { HealthChecks } from './health.ts';
export type { HealthResult } from './health.ts';
export { AdminPages } from './admin-pages.ts';
export { ProviderCalls, SPEC_TEMPLATE_TTL_MS } from './providers.ts';
export type { ListedProvider, SpecTemplate, UpstreamInstanceReport } from './providers.ts';
export { GatewayCalls, gatewayRefusal, MAX_CALLBACK_PAYLOAD_BYTES } from './gateways.ts';
export type { GatewayPaymentRequest } from './gateways.ts';
export * from './gateway-results.ts';
export { PluginRegistryError, pluginFailure } from './errors.ts';
export type { RegistryErrorKind } from './errors.ts';
export * from './rules.ts';
export { ConfigValidator, InvalidConfigSchemaError, keepMaskedSecrets, maskSecrets, normalizeSchema, secretPaths } from './config-schema.ts';
export type { ConfigProblem } from './config-schema.ts';
export * from './results.ts';
export { compareVersions, parseVersion, scriptHash } from './scripts.ts';
export type { SemVer } from './scripts.ts';
