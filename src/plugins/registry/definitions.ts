/**
 * Plugin definitions (`plugins` rows; ListPlugins, GetPlugin): what the PluginScanner found in the
 * plugins directory. Read only here; the scanner (src/plugins/scanner.ts) writes them.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { Plugin } from '../../persistence/entities/plugins.ts';
import type { PluginType } from '../types.ts';
import { PluginRegistryError } from './errors.ts';

/** See the file comment. */
export class PluginDefinitions {
  private readonly orm: MikroORM;

  constructor(deps: { orm: MikroORM }) {
    this.orm = deps.orm;
  }

  /** The definitions, optionally of one type, ordered by type and id. */
  async list(pluginType?: PluginType): Promise<Plugin[]> {
    return this.orm.em.fork().find(Plugin, pluginType ? { pluginType } : {}, { orderBy: { pluginType: 'asc', pluginId: 'asc' } });
  }

  /** One definition. @throws PluginRegistryError not_found */
  async get(id: string): Promise<Plugin> {
    const plugin = await this.orm.em.fork().findOne(Plugin, { id });
    if (!plugin) throw new PluginRegistryError('not_found', `plugin definition ${id} does not exist`);
    return plugin;
  }
}
