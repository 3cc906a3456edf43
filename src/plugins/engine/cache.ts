/**
 * What the engine remembers between calls: inspection results per script (keyed by a hash of type,
 * id and source) and, per interface, which source+config hash was last validated. QuickJS contexts
 * cannot share compiled code cheaply, so each call evaluates the source again in its fresh
 * context; the cache spares the contract check, `version()` and `config_schema()` runs.
 */
import { createHash } from 'node:crypto';
import type { PluginMetadata, PluginType } from '../types.ts';

/** JSON with object keys sorted, so equal configs hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(item => canonicalJson(item)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const entries = Object.keys(record)
      .filter(key => record[key] !== undefined)
      .sort()
      .map(key => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** sha256 of a script's identity and source (hex). */
export function scriptHash(pluginType: PluginType, pluginId: string, source: string): string {
  return createHash('sha256').update(`${pluginType}\0${pluginId}\0`).update(source).digest('hex');
}

/** sha256 of a script hash and a config (hex). */
export function interfaceHash(sourceHash: string, config: Record<string, unknown>): string {
  return createHash('sha256').update(sourceHash).update('\0').update(canonicalJson(config)).digest('hex');
}

interface InterfaceEntry {
  key: string;
  sourceHash: string;
  metadata: PluginMetadata;
}

/** The engine's caches (see the file comment). Bounded: the oldest entries go first. */
export interface ScriptCache {
  /** Inspection result of a script hash, if known. */
  getScript(sourceHash: string): PluginMetadata | undefined;
  setScript(sourceHash: string, metadata: PluginMetadata): void;
  /** The validated metadata of an interface, if `key` (its current source+config hash) matches. */
  getInterface(interfaceId: string, key: string): PluginMetadata | undefined;
  setInterface(interfaceId: string, key: string, sourceHash: string, metadata: PluginMetadata): void;
  /** Forgets an interface and the inspection of its last source. */
  evict(interfaceId: string): void;
  readonly size: { scripts: number; interfaces: number };
}

function remember<V>(map: Map<string, V>, key: string, value: V, limit: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > limit) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
  }
}

/** Creates an empty cache holding at most `limit` scripts and `limit` interfaces. */
export function createScriptCache(limit = 1000): ScriptCache {
  const scripts = new Map<string, PluginMetadata>();
  const interfaces = new Map<string, InterfaceEntry>();
  return {
    getScript: hash => scripts.get(hash),
    setScript: (hash, metadata) => remember(scripts, hash, metadata, limit),
    getInterface(interfaceId, key) {
      const entry = interfaces.get(interfaceId);
      return entry?.key === key ? entry.metadata : undefined;
    },
    setInterface: (interfaceId, key, sourceHash, metadata) => remember(interfaces, interfaceId, { key, sourceHash, metadata }, limit),
    evict(interfaceId) {
      const entry = interfaces.get(interfaceId);
      interfaces.delete(interfaceId);
      if (entry) scripts.delete(entry.sourceHash);
    },
    get size() {
      return { scripts: scripts.size, interfaces: interfaces.size };
    },
  };
}
