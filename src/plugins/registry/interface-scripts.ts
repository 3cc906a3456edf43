/**
 * The scripts plugin interfaces run: which source an interface runs (its own, or its definition's),
 * what loading a script says about it (`engine.inspect`, cached), and calling its functions. Shared
 * by every other piece of the registry, so they share one metadata cache.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { Plugin, type PluginInterface } from '../../persistence/entities/plugins.ts';
import { PluginError, type PluginEngine, type PluginMetadata, type PluginTarget, type PluginType } from '../types.ts';
import { PluginRegistryError } from './errors.ts';
import { describeInterface } from './rules.ts';
import { scriptHash } from './scripts.ts';

/** How many inspected scripts are remembered (the cache is emptied when full). */
const METADATA_CACHE_SIZE = 200;

/** See the file comment. */
export class InterfaceScripts {
  private readonly orm: MikroORM;
  private readonly engine: PluginEngine;
  private readonly metadataCache = new Map<string, PluginMetadata>();

  constructor(deps: { orm: MikroORM; engine: PluginEngine }) {
    this.orm = deps.orm;
    this.engine = deps.engine;
  }

  /**
   * The script an interface runs: its own, or (for rows without one) its definition's.
   * @throws PluginRegistryError failed_precondition when neither has a script
   */
  async sourceOf(row: PluginInterface): Promise<string> {
    if (row.scriptSource !== '') return row.scriptSource;
    const em = this.orm.em.fork();
    const plugin = row.pluginDefId
      ? await em.findOne(Plugin, { id: row.pluginDefId })
      : await em.findOne(Plugin, { pluginType: row.pluginType, pluginId: row.pluginId });
    if (!plugin || plugin.scriptSource === '') {
      throw new PluginRegistryError('failed_precondition', `${describeInterface(row)} has no script; set script_source or rescan the plugin directory`);
    }
    return plugin.scriptSource;
  }

  /** What the engine needs to call the interface: its identity, script and config. @throws as {@link sourceOf} */
  async targetOf(row: PluginInterface): Promise<PluginTarget> {
    return { interfaceId: row.id, pluginType: row.pluginType, pluginId: row.pluginId, source: await this.sourceOf(row), config: row.config };
  }

  /**
   * Calls `fn` of the interface's script with `args` merged into its config. No restrictions
   * beyond the engine's: callers decide which functions may be called.
   * @throws PluginError (the script failed); PluginRegistryError failed_precondition (no script)
   */
  async call(row: PluginInterface, fn: string, args: Record<string, unknown> = {}): Promise<unknown> {
    return this.engine.call(await this.targetOf(row), fn, args);
  }

  /**
   * The metadata of an interface's script (functions, version, schema, admin page).
   * @throws PluginError when the stored script does not load; PluginRegistryError (no script)
   */
  async metadataOf(row: PluginInterface): Promise<PluginMetadata> {
    return this.inspect(row.pluginType, row.pluginId, await this.sourceOf(row));
  }

  /**
   * Inspects a script an admin submitted: a script that does not load is the request's fault.
   * @throws PluginRegistryError invalid_argument (empty, or does not load, with the engine's reason)
   */
  async inspectSubmitted(pluginType: PluginType, pluginId: string, source: string): Promise<PluginMetadata> {
    if (source.trim() === '') throw new PluginRegistryError('invalid_argument', 'script_source must not be empty');
    try {
      return await this.inspect(pluginType, pluginId, source);
    } catch (error) {
      if (error instanceof PluginError) throw new PluginRegistryError('invalid_argument', `script_source does not load (${error.kind}): ${error.message}`);
      throw error;
    }
  }

  /**
   * Inspects a stored script (a definition's): a script that does not load is the stored state's fault.
   * @throws PluginRegistryError failed_precondition, saying to fix the file and rescan
   */
  async inspectStored(pluginType: PluginType, pluginId: string, source: string): Promise<PluginMetadata> {
    try {
      return await this.inspect(pluginType, pluginId, source);
    } catch (error) {
      if (error instanceof PluginError) {
        throw new PluginRegistryError('failed_precondition', `the script of plugin ${pluginType}/${pluginId} does not load (${error.kind}): ${error.message}; fix the file and rescan`);
      }
      throw error;
    }
  }

  /** Drops what the engine remembers of an interface (after its script or config changed, or it was deleted). */
  forget(interfaceId: string): void {
    this.engine.evict(interfaceId);
  }

  /** `engine.inspect`, cached by type, id and source hash. @throws PluginError */
  private async inspect(pluginType: PluginType, pluginId: string, source: string): Promise<PluginMetadata> {
    const key = `${pluginType}/${pluginId}/${scriptHash(source)}`;
    const cached = this.metadataCache.get(key);
    if (cached) return cached;
    const metadata = await this.engine.inspect(pluginType, pluginId, source);
    if (this.metadataCache.size >= METADATA_CACHE_SIZE) this.metadataCache.clear();
    this.metadataCache.set(key, metadata);
    return metadata;
  }
}
