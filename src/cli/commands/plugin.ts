/**
 * `plugin list | scan | enable ID | disable ID` (operations manual §5.1, handbook plugin
 * management): plugin definitions and interfaces straight on the database.
 *
 * `scan` is the server's own PluginScanner (src/plugins/scanner.ts) over `[plugins] plugins_dir`
 * with a QuickJS engine of its own, so a changed plugin is in the database before the periodic
 * scan of a running server would notice. `enable` / `disable` change one interface as
 * IntegrationService TogglePluginInterface does (src/application/plugins/interface-administration.ts:
 * enabling checks the config is complete), audited with the actor `cli`.
 */
import { readdir } from 'node:fs/promises';
import { pino, type Logger } from 'pino';
import type { MikroORM } from '@mikro-orm/postgresql';
import { DomainError } from '../../domain/errors.ts';
import { PluginInterface } from '../../persistence/entities/plugins.ts';
import { createPluginEngine } from '../../plugins/engine/index.ts';
import { createHostServices } from '../../plugins/host/index.ts';
import { PluginRegistry } from '../../plugins/registry/registry.ts';
import { PluginScanner } from '../../plugins/scanner.ts';
import { recordCliAudit } from '../audit.ts';
import { startProgress, type Progress } from '../progress.ts';
import { CommandError, EXIT, cliConfig, noPositionals, onePositional, out, parse, requireUuid, table, withOrm, type CommandGroup } from '../context.ts';
import path from 'node:path';
import { rfc3339 } from '../../lib/time.ts';

const HELP = `npm run cli -- plugin COMMAND

  plugin list              plugin definitions (from plugins_dir) and plugin interfaces (id, plugin, name, enabled, health)
  plugin scan [--dir DIR]  the server's plugin scan of [plugins] plugins_dir (or DIR) into the database:
                           new plugins added, newer versions cascaded to their interfaces, broken files reported
  plugin enable ID         enables plugin interface ID (its config must be complete)
  plugin disable ID        disables plugin interface ID

Interface ids are in the first column of "plugin list". Changes are audited in operation_logs as actor "cli".

Exit codes: 0 done, 1 refused or failed (unknown interface, incomplete config, plugins_dir unreadable,
a plugin file that failed to load — the others are still scanned), 2 bad arguments.
`;

/** Warnings of the plugin engine and host on stderr. */
function quietLogger(): Logger {
  return pino({ level: 'warn' }, pino.destination(2));
}

async function list(args: string[]): Promise<number> {
  const { positionals } = parse(args, {});
  noPositionals(positionals, 'npm run cli -- plugin list');
  return withOrm(async (orm) => {
    const connection = orm.em.fork().getConnection();
    const definitions = await connection.execute<Array<{ plugin_type: string; plugin_id: string; version: string; has_admin_page: boolean; updated_at: Date; interfaces: string }>>(
      `select p.plugin_type, p.plugin_id, p.version, p.has_admin_page, p.updated_at,
              (select count(*) from plugin_interfaces i where i.plugin_def_id = p.id)::text as interfaces
         from plugins p order by p.plugin_type, p.plugin_id`,
    );
    out(`plugins (${definitions.length}):`);
    out(table(['TYPE', 'PLUGIN', 'VERSION', 'ADMIN PAGE', 'INTERFACES', 'UPDATED'], definitions.map((row) => [
      row.plugin_type, row.plugin_id, row.version, row.has_admin_page ? 'yes' : 'no', row.interfaces, rfc3339(new Date(row.updated_at)),
    ])));
    const interfaces = await orm.em.fork().find(PluginInterface, {}, { orderBy: { pluginType: 'asc', pluginId: 'asc', displayName: 'asc' } });
    out(`interfaces (${interfaces.length}):`);
    out(table(['ID', 'TYPE', 'PLUGIN', 'NAME', 'ENABLED', 'HEALTH', 'VERSION'], interfaces.map((row) => [
      row.id, row.pluginType, row.pluginId, row.displayName, row.enabled ? 'enabled' : 'disabled',
      row.isHealthy ? 'healthy' : row.healthError ? `unhealthy: ${row.healthError.replace(/\s+/g, ' ').slice(0, 60)}` : 'unchecked',
      row.pluginVersion,
    ])));
    return EXIT.ok;
  });
}

/** Runs `work` with the plugin engine and host the server would build, closed afterwards. */
async function withEngine<T>(orm: MikroORM, work: (engine: Awaited<ReturnType<typeof createPluginEngine>>) => Promise<T>): Promise<T> {
  const config = cliConfig().plugins;
  const log = quietLogger();
  const host = createHostServices({ orm, config, log });
  try {
    const engine = await createPluginEngine({ host, callTimeoutMs: config.call_timeout_ms, memoryLimitMb: config.memory_limit_mb, log });
    try {
      return await work(engine);
    } finally {
      await engine.close();
    }
  } finally {
    await host.close();
  }
}

/**
 * The scanner's logger: its per-file lines (they carry `file`) advance the progress bar; warnings
 * other than a skipped file (reported in the summary) go to stderr.
 */
function scanLogger(progress: Progress): Logger {
  return pino({ level: 'info' }, {
    write(line: string) {
      let entry: { level?: number; file?: unknown; msg?: unknown };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        return;
      }
      if (typeof entry.file === 'string') progress.tick();
      else if ((entry.level ?? 0) >= 40) process.stderr.write(`${String(entry.msg)}\n`);
    },
  });
}

async function scan(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { dir: { type: 'string' } });
  noPositionals(positionals, 'npm run cli -- plugin scan [--dir DIR]');
  const dir = values.dir !== undefined ? path.resolve(values.dir) : cliConfig().plugins.plugins_dir;
  let files: number;
  try {
    files = (await readdir(dir, { withFileTypes: true })).filter((entry) => entry.isFile() && entry.name.endsWith('.js')).length;
  } catch (error) {
    throw new CommandError(`the plugins directory ${dir} cannot be read: ${error instanceof Error ? error.message : String(error)} (set [plugins] plugins_dir or --dir)`);
  }
  return withOrm(async (orm) => {
    const progress = startProgress('scan   ', files);
    const summary = await withEngine(orm, async (engine) => {
      try {
        return await new PluginScanner({ orm, engine, pluginsDir: dir, log: scanLogger(progress) }).scan();
      } finally {
        progress.stop();
      }
    });
    out(`scanned ${files} plugin file(s) in ${dir}: ${summary.added.length} added, ${summary.updated.length} updated, ${summary.unchanged.length} unchanged, ${summary.failed.length} failed`);
    for (const file of summary.added) out(`  added      ${file}`);
    for (const file of summary.updated) out(`  updated    ${file}`);
    for (const failure of summary.failed) out(`  failed     ${failure.file}: ${failure.error}`);
    return summary.failed.length > 0 ? EXIT.failed : EXIT.ok;
  });
}

async function toggle(args: string[], enabled: boolean): Promise<number> {
  const { positionals } = parse(args, {});
  const id = requireUuid(onePositional(positionals, 'ID', `npm run cli -- plugin ${enabled ? 'enable' : 'disable'} ID`), 'the interface ID');
  return withOrm((orm) =>
    withEngine(orm, async (engine) => {
      const registry = new PluginRegistry({ orm, engine, log: quietLogger() });
      let result: { row: PluginInterface; changed: boolean };
      try {
        result = await orm.em.fork().transactional(async (tx) => {
          const toggled = await registry.interfaces.setEnabled(tx, id, enabled);
          if (toggled.changed) {
            recordCliAudit(tx, {
              action: enabled ? 'plugin_interface.enable' : 'plugin_interface.disable', targetType: 'plugin_interface', targetId: toggled.row.id,
              details: { displayName: toggled.row.displayName },
            });
          }
          return toggled;
        });
      } catch (error) {
        if (error instanceof DomainError) throw new CommandError(error.kind === 'not_found' ? `no plugin interface ${id} (see: npm run cli -- plugin list)` : error.message);
        throw error;
      }
      const name = `plugin interface ${result.row.displayName} (${result.row.pluginType}-${result.row.pluginId}, ${result.row.id})`;
      out(result.changed ? `${name} ${enabled ? 'enabled' : 'disabled'}` : `${name} is already ${enabled ? 'enabled' : 'disabled'}; nothing changed`);
      return EXIT.ok;
    }),
  );
}

/** The `plugin` command group. */
export const pluginGroup: CommandGroup = {
  name: 'plugin',
  summary: 'plugin definitions and interfaces (plugin list | scan | enable ID | disable ID)',
  help: HELP,
  commands: ['list', 'scan', 'enable', 'disable'],
  run(command, args) {
    switch (command) {
      case 'list':
        return list(args);
      case 'scan':
        return scan(args);
      case 'enable':
        return toggle(args, true);
      default:
        return toggle(args, false);
    }
  },
};
