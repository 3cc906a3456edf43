/**
 * PluginScanner (plugin guide: 双表模型 → PluginScanner 自动扫描同步, 版本管理与级联同步): keeps the
 * `plugins` table in step with the `*.js` files of the plugins directory.
 *
 * For each file named `{gateway|notifier|provider}-{id}.js` (see identifyScriptFile):
 * - unchanged source (same hash) → nothing to do;
 * - new plugin → INSERT (version, has_admin_page, script_source, script_hash from engine.inspect);
 * - file version > stored version (semver) → UPDATE the definition and cascade to all its
 *   interfaces: `config_schema` always; `script_source`, `script_hash`, `plugin_version`,
 *   `has_admin_page` for interfaces still running the definition's previous script (admin-edited
 *   scripts are kept); the engine cache of every touched interface is evicted;
 * - file version <= stored version → only script_source/script_hash of the definition change
 *   (admin edits of interfaces are protected);
 * - no `version()` → "0.0.0".
 * Interfaces without a definition link are linked by plugin_type + plugin_id. A file that fails to
 * load is logged with its name and reason, reported, and never stops the scan of the others.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { UniqueConstraintViolationException, type MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from 'pino';
import { Plugin, PluginInterface } from '../persistence/entities/plugins.ts';
import { compareVersions, parseVersion, scriptHash } from './registry/scripts.ts';
import { identifyScriptFile, PluginError, type PluginEngine, type PluginMetadata } from './types.ts';

/** What one scan did, by file name. */
export interface ScanSummary {
  /** Files whose plugin was inserted. */
  added: string[];
  /** Files whose definition changed (newer version, or new source at the same or a lower version). */
  updated: string[];
  /** Files whose source was already stored. */
  unchanged: string[];
  /** Files that could not be loaded, with the reason. */
  failed: Array<{ file: string; error: string }>;
}

/** Options of {@link PluginScanner}. */
export interface PluginScannerOptions {
  orm: MikroORM;
  engine: PluginEngine;
  /** The plugins directory (`[plugins] plugins_dir`, absolute). */
  pluginsDir: string;
  log: Logger;
}

type FileOutcome = { kind: 'added' | 'updated' | 'unchanged' } | { kind: 'failed'; error: string };

/** Syncs `<plugins_dir>/*.js` into the `plugins` table; see the module comment for the rules. */
export class PluginScanner {
  private readonly orm: MikroORM;
  private readonly engine: PluginEngine;
  private readonly pluginsDir: string;
  private readonly log: Logger;

  constructor(options: PluginScannerOptions) {
    this.orm = options.orm;
    this.engine = options.engine;
    this.pluginsDir = options.pluginsDir;
    this.log = options.log;
  }

  /**
   * Scans the directory once. A missing directory is logged and gives an empty summary; a file
   * that fails is listed in `failed` (and logged as a warning). Never throws for a bad file;
   * throws only when the database is unreachable.
   */
  async scan(): Promise<ScanSummary> {
    const summary: ScanSummary = { added: [], updated: [], unchanged: [], failed: [] };
    let names: string[];
    try {
      names = (await readdir(this.pluginsDir, { withFileTypes: true }))
        .filter((entry) => entry.isFile() && entry.name.endsWith('.js'))
        .map((entry) => entry.name)
        .sort();
    } catch (error) {
      this.log.warn({ pluginsDir: this.pluginsDir, err: error instanceof Error ? error.message : String(error) }, 'plugin directory cannot be read; no plugins scanned');
      return summary;
    }
    for (const file of names) {
      const outcome = await this.scanFile(file);
      if (outcome.kind === 'failed') {
        summary.failed.push({ file, error: outcome.error });
        this.log.warn({ file, error: outcome.error }, `plugin ${file} skipped: ${outcome.error}`);
      } else {
        summary[outcome.kind].push(file);
      }
    }
    await this.linkOrphans();
    this.log.info(
      { added: summary.added.length, updated: summary.updated.length, unchanged: summary.unchanged.length, failed: summary.failed.length },
      'plugin scan finished',
    );
    return summary;
  }

  private async scanFile(file: string): Promise<FileOutcome> {
    const identity = identifyScriptFile(file);
    if (!identity) return { kind: 'failed', error: 'the file name must be gateway-<id>.js, notifier-<id>.js or provider-<id>.js (id: lowercase letters, digits, "-", "_")' };
    let source: string;
    try {
      source = await readFile(path.join(this.pluginsDir, file), 'utf8');
    } catch (error) {
      return { kind: 'failed', error: `cannot read the file: ${error instanceof Error ? error.message : String(error)}` };
    }
    const hash = scriptHash(source);
    const { pluginType, pluginId } = identity;
    const stored = await this.orm.em.fork().findOne(Plugin, { pluginType, pluginId });
    if (stored && stored.scriptHash === hash) return { kind: 'unchanged' };

    let metadata: PluginMetadata;
    try {
      metadata = await this.engine.inspect(pluginType, pluginId, source);
    } catch (error) {
      if (error instanceof PluginError) return { kind: 'failed', error: `${error.kind}: ${error.message}` };
      return { kind: 'failed', error: error instanceof Error ? error.message : String(error) };
    }
    const version = metadata.version === '' ? '0.0.0' : metadata.version;
    if (!parseVersion(version)) return { kind: 'failed', error: `version() returned "${version.slice(0, 40)}", which is not a semantic version (MAJOR.MINOR.PATCH)` };
    if (version.length > 32) return { kind: 'failed', error: `version() returned a version longer than 32 characters` };

    if (!stored) {
      const em = this.orm.em.fork();
      em.create(Plugin, { pluginType, pluginId, version, hasAdminPage: metadata.hasAdminPage, scriptSource: source, scriptHash: hash });
      try {
        await em.flush();
      } catch (error) {
        // Another process inserted it in the meantime: its scan stored the same file.
        if (error instanceof UniqueConstraintViolationException) return { kind: 'unchanged' };
        throw error;
      }
      this.log.info({ file, pluginType, pluginId, version }, 'plugin added');
      return { kind: 'added' };
    }

    if (compareVersions(version, stored.version) > 0) {
      const touched = await this.orm.em.fork().transactional(async (tx) => {
        const previousHash = stored.scriptHash;
        await tx.nativeUpdate(Plugin, { id: stored.id }, { version, hasAdminPage: metadata.hasAdminPage, scriptSource: source, scriptHash: hash, updatedAt: new Date() });
        const interfaces = await tx.find(PluginInterface, { $or: [{ pluginDefId: stored.id }, { pluginDefId: null, pluginType, pluginId }] });
        for (const row of interfaces) {
          row.pluginDefId = stored.id;
          row.configSchema = metadata.configSchema;
          if (row.scriptHash === previousHash || row.scriptSource === '') {
            row.scriptSource = source;
            row.scriptHash = hash;
            row.pluginVersion = version;
            row.hasAdminPage = metadata.hasAdminPage;
          }
        }
        return interfaces.map((row) => row.id);
      });
      for (const id of touched) this.engine.evict(id);
      this.log.info({ file, pluginType, pluginId, from: stored.version, to: version, interfaces: touched.length }, 'plugin upgraded; config_schema cascaded to its interfaces');
      return { kind: 'updated' };
    }

    await this.orm.em.fork().nativeUpdate(Plugin, { id: stored.id }, { scriptSource: source, scriptHash: hash, updatedAt: new Date() });
    this.log.info({ file, pluginType, pluginId, version, stored: stored.version }, 'plugin source updated (version not newer; interfaces kept)');
    return { kind: 'updated' };
  }

  /** Links interfaces without a definition to the definition of the same type and id. */
  private async linkOrphans(): Promise<void> {
    await this.orm.em.fork().getConnection().execute(
      `update plugin_interfaces i set plugin_def_id = p.id
         from plugins p
        where i.plugin_def_id is null and i.plugin_type = p.plugin_type and i.plugin_id = p.plugin_id`,
    );
  }
}
