/**
 * The plugin key/value store (`state_get` / `state_set`): table `plugin_state`, one namespace per
 * plugin interface (primary key `(interface_id, key)`), through MikroORM, with quotas per
 * interface: values of at most `[plugins] state_max_value_bytes` (UTF-8), at most
 * `[plugins] state_max_keys` keys.
 *
 * The key quota is exact also under concurrent `state_set` calls of one interface (several workers
 * or nodes): replacing the value of an existing key is one UPDATE and needs no lock (keys are never
 * deleted one by one — only with their interface — so an existing key stays existing); a new key is
 * inserted in a transaction holding the advisory lock of its interface
 * (`pg_advisory_xact_lock(STATE_LOCK_CLASS, hashtext(interface_id))`), by one statement that inserts
 * only while the interface's keys are below the quota. Concurrent new keys of one interface therefore take turns; other
 * interfaces are not held up (a hash collision only makes two interfaces take turns).
 */
import { ForeignKeyConstraintViolationException, type MikroORM } from '@mikro-orm/postgresql';
import { PluginState } from '../../persistence/entities/plugins.ts';

/** Longest key `plugin_state.key` holds (`varchar(255)`). */
export const MAX_STATE_KEY_LENGTH = 255;

/** First key of the two-key advisory locks guarding new state keys ('PS'; the periodic jobs use 'NB'). */
export const STATE_LOCK_CLASS = 0x5053;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The quotas of {@link createPluginStateStore}. */
export interface PluginStateLimits {
  /** Largest value in bytes of UTF-8 (`plugins.state_max_value_bytes`). */
  maxValueBytes: number;
  /** Most keys one interface may hold (`plugins.state_max_keys`). */
  maxKeys: number;
}

/** The state store of the host services. */
export interface PluginStateStore {
  /**
   * The value stored under `key` for the interface, or `''` when it was never set.
   * @throws Error when `interfaceId` is not a UUID or `key` is empty or longer than 255 characters.
   */
  get(interfaceId: string, key: string): Promise<string>;
  /**
   * Stores `value` under `key` for the interface, replacing any earlier value (an upsert; replacing
   * never counts as a new key).
   * @throws Error for an invalid interface id or key (see `get`), or a value larger than
   *   `maxValueBytes` — all before any I/O —, when the interface already holds `maxKeys` keys and
   *   `key` is not one of them, or when no plugin interface has that id.
   */
  set(interfaceId: string, key: string, value: string): Promise<void>;
}

function check(interfaceId: string, key: string): void {
  if (!UUID.test(interfaceId)) throw new Error(`plugin state: invalid interface id ${JSON.stringify(interfaceId.slice(0, 60))}`);
  if (key.length === 0) throw new Error('plugin state: the key must not be empty');
  if (key.length > MAX_STATE_KEY_LENGTH) throw new Error(`plugin state: the key is longer than ${MAX_STATE_KEY_LENGTH} characters`);
}

/** Creates the store over `orm` (each call works in its own forked EntityManager). */
export function createPluginStateStore(orm: MikroORM, limits: PluginStateLimits): PluginStateStore {
  const { maxValueBytes, maxKeys } = limits;

  /** Replaces the value of an existing key; false when the interface has no such key. */
  async function replace(interfaceId: string, key: string, value: string): Promise<boolean> {
    const rows = await orm.em
      .fork()
      .getConnection()
      .execute<Array<{ replaced: number }>>(
        'update plugin_state set value = ?, updated_at = now() where interface_id = ? and key = ? returning 1 as replaced',
        [value, interfaceId, key],
      );
    return rows.length > 0;
  }

  /** Inserts a new key under the interface's lock, below the quota (or replaces it if it appeared meanwhile). */
  async function insert(interfaceId: string, key: string, value: string): Promise<void> {
    const stored = await orm.em.fork().transactional(async tx => {
      await tx.execute('select pg_advisory_xact_lock(?, hashtext(?))', [STATE_LOCK_CLASS, interfaceId]);
      // One statement after the lock: its snapshot sees every key committed by earlier lock holders.
      const rows = await tx.execute<Array<{ stored: number }>>(
        `insert into plugin_state (interface_id, key, value, created_at, updated_at)
         select ?, ?, ?, now(), now()
         where (select count(*) from plugin_state where interface_id = ?) < ?
            or exists (select 1 from plugin_state where interface_id = ? and key = ?)
         on conflict (interface_id, key) do update set value = excluded.value, updated_at = excluded.updated_at
         returning 1 as stored`,
        [interfaceId, key, value, interfaceId, maxKeys, interfaceId, key],
      );
      return rows.length > 0;
    });
    if (!stored) {
      throw new Error(
        `plugin state: the interface already holds ${maxKeys} keys, the limit set by [plugins] state_max_keys; ` +
          'replace the value of an existing key instead of adding new ones',
      );
    }
  }

  return {
    async get(interfaceId, key) {
      check(interfaceId, key);
      const row = await orm.em.fork().findOne(PluginState, { interfaceId, key }, { fields: ['value'] });
      return row?.value ?? '';
    },
    async set(interfaceId, key, value) {
      check(interfaceId, key);
      // Counted without encoding: a UTF-16 code unit is at most 3 UTF-8 bytes.
      if (value.length * 3 > maxValueBytes) {
        const bytes = Buffer.byteLength(value, 'utf8');
        if (bytes > maxValueBytes) {
          throw new Error(`plugin state: the value of ${JSON.stringify(key.slice(0, 60))} is ${bytes} bytes, more than the ${maxValueBytes} bytes allowed by [plugins] state_max_value_bytes`);
        }
      }
      try {
        if (await replace(interfaceId, key, value)) return;
        await insert(interfaceId, key, value);
      } catch (error) {
        if (error instanceof ForeignKeyConstraintViolationException) throw new Error(`plugin state: no plugin interface ${interfaceId}`, { cause: error });
        throw error;
      }
    },
  };
}
