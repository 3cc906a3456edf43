/**
 * Inside a sandbox thread: what a task does in a session (sandbox.ts) on the thread's module.
 */
import type { HostServices } from '../types.ts';
import { inspectInSession, scriptBaseName, scriptLabel } from './contracts.ts';
import type { ModulePool } from './module-pool.ts';
import type { ThreadSettings, ThreadTask } from './protocol.ts';
import { withSession, type EngineLogger, type SessionOptions } from './sandbox.ts';

/** What every task of a thread shares. */
export interface TaskEnvironment {
  pool: ModulePool;
  settings: ThreadSettings;
  log: EngineLogger;
}

/**
 * Runs `task` until `deadline` (epoch ms) with `host` as its host services:
 * - `inspect`: the contract check (contracts.ts), no plugin state; resolves with the PluginMetadata
 * - `call`: loads the script and calls `fn(JSON.parse(argJson), undefined)`; resolves with the
 *   script's result as plain data (an "ERROR: …" string is returned as it is; the engine turns it
 *   into a `script_error`)
 * @throws PluginError of any kind (sandbox.ts, contracts.ts)
 */
export function runTask(env: TaskEnvironment, task: ThreadTask, deadline: number, host: HostServices): Promise<unknown> {
  const { pluginType, pluginId } = task;
  const options: SessionOptions = {
    host,
    context: { interfaceId: task.kind === 'call' ? task.interfaceId : '', pluginType, pluginId },
    filename: `${scriptBaseName(pluginType, pluginId)}.js`,
    label: scriptLabel(pluginType, pluginId),
    deadline,
    timeoutMs: env.settings.timeoutMs,
    memoryLimitMb: env.settings.memoryLimitMb,
    maxStackKb: env.settings.maxStackKb,
    stateAvailable: task.kind === 'call',
    log: env.log,
  };
  if (task.kind === 'inspect') return withSession(env.pool, options, session => inspectInSession(session, pluginType, pluginId, task.source));
  return withSession(env.pool, options, async session => {
    await session.loadScript(task.source);
    return session.invoke(task.fn, task.argJson);
  });
}
