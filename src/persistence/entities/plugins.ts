import { defineEntity, p, type InferEntity } from '@mikro-orm/postgresql';
import { createdAt, jsonColumn, optionalTime, updatedAt, uuidPrimaryKey } from './columns.ts';

/** Plugin types as stored in the database (`PluginDef.plugin_type`). */
export const PLUGIN_TYPES = ['first_party_provider', 'upstream_provider', 'gateway', 'notifier'] as const;
/** One of {@link PLUGIN_TYPES}. */
export type PluginType = (typeof PLUGIN_TYPES)[number];

/** A JSON object as stored in a `jsonb` column (plugin config, config schema). */
export type JsonObject = { [key: string]: unknown };

/**
 * Table `plugins`: plugin definitions found by the plugin scanner in the `plugins/` directory (`PluginDef`).
 *
 * - `(pluginType, pluginId)` is unique: one definition per script.
 * - `version` is the script's semver (`'0.0.0'` when it declares none) — not an optimistic lock.
 * - `scriptSource` / `scriptHash` are the scanned file's text and its hash (change detection).
 */
export const Plugin = defineEntity({
  name: 'Plugin',
  tableName: 'plugins',
  properties: {
    id: uuidPrimaryKey(),
    pluginType: p.enum(PLUGIN_TYPES),
    pluginId: p.string().length(100),
    version: p.string().length(32).default('0.0.0'),
    hasAdminPage: p.boolean().default(false),
    scriptSource: p.text().default(''),
    scriptHash: p.string().length(128).default(''),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  uniques: [{ name: 'plugins_plugin_type_plugin_id_unique', properties: ['pluginType', 'pluginId'] }],
});
/** A row of `plugins`. */
export type Plugin = InferEntity<typeof Plugin>;

/**
 * Table `plugin_interfaces`: configured instances of a plugin (`PluginInterfaceInfo`), e.g. two
 * differently configured payment gateways from one script.
 *
 * - UNIQUE `(pluginType, pluginId, displayName)`: a display name is unique per plugin.
 * - `pluginDefId` links to `plugins` (nullable, ON DELETE SET NULL: an interface survives a
 *   rescan that removes its definition and is re-linked by type + id). `pluginType`/`pluginId`
 *   are denormalised copies.
 * - `config` / `configSchema` are JSON objects (`config_json` / `config_schema` on the wire).
 * - `scriptSource` / `scriptHash` are the script this interface runs (editable in the admin UI).
 * - `isHealthy`, `healthError`, `lastCheckAt` record the last health check.
 * - `pluginVersion` is the definition's version when the interface was created or last synced.
 */
export const PluginInterface = defineEntity({
  name: 'PluginInterface',
  tableName: 'plugin_interfaces',
  properties: {
    id: uuidPrimaryKey(),
    pluginDefId: p.manyToOne(Plugin).mapToPk().fieldName('plugin_def_id').nullable().deleteRule('set null'),
    pluginType: p.enum(PLUGIN_TYPES),
    pluginId: p.string().length(100),
    displayName: p.string().length(255),
    enabled: p.boolean().default(false),
    config: jsonColumn<JsonObject>(() => ({})),
    configSchema: jsonColumn<JsonObject>(() => ({})),
    scriptSource: p.text().default(''),
    scriptHash: p.string().length(128).default(''),
    pluginVersion: p.string().length(32).default('0.0.0'),
    hasAdminPage: p.boolean().default(false),
    isHealthy: p.boolean().default(false),
    healthError: p.text().nullable(),
    lastCheckAt: optionalTime(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  uniques: [
    {
      name: 'plugin_interfaces_type_id_display_name_unique',
      properties: ['pluginType', 'pluginId', 'displayName'],
    },
  ],
  indexes: [{ name: 'plugin_interfaces_plugin_def_id_index', properties: ['pluginDefId'] }],
});
/** A row of `plugin_interfaces`. */
export type PluginInterface = InferEntity<typeof PluginInterface>;

/**
 * Table `plugin_state`: the key/value store of the plugin host API (`state_get` / `state_set`),
 * namespaced per plugin interface. Primary key `(interfaceId, key)`; rows are deleted with their
 * interface. `value` is an arbitrary string (`''` is returned for a missing key by the host API).
 */
export const PluginState = defineEntity({
  name: 'PluginState',
  tableName: 'plugin_state',
  properties: {
    interfaceId: p
      .manyToOne(PluginInterface)
      .mapToPk()
      .fieldName('interface_id')
      .primary()
      .deleteRule('cascade'),
    key: p.string().length(255).primary(),
    value: p.text(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
});
/** A row of `plugin_state`. */
export type PluginState = InferEntity<typeof PluginState>;
