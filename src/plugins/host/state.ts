/**
 * The plugin key/value store (`state_get` / `state_set`): table `plugin_state`, one namespace per
 * plugin interface (primary key `(interface_id, key)`), through MikroORM.
 */
import { ForeignKeyConstraintViolationException, type MikroORM } from '@mikro-orm/postgresql';
import { PluginState } from '../../persistence/entities/plugins.ts';

/** Longest key `plugin_state.key` holds (`varchar(255)`). */
export const MAX_STATE_KEY_LENGTH = 255;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The state store of the host services. */
export interface PluginStateStore {
  /**
   * The value stored under `key` for the interface, or `''` when it was never set.
   * @throws Error when `interfaceId` is not a UUID or `key` is empty or longer than 255 characters.
   */
  get(interfaceId: string, key: string): Promise<string>;
  /**
   * Stores `value` under `key` for the interface, replacing any earlier value (an upsert).
   * @throws Error for an invalid interface id or key (see `get`), or when no plugin interface has that id.
   */
  set(interfaceId: string, key: string, value: string): Promise<void>;
}

function check(interfaceId: string, key: string): void {
  if (!UUID.test(interfaceId)) throw new Error(`plugin state: invalid interface id ${JSON.stringify(interfaceId.slice(0, 60))}`);
  if (key.length === 0) throw new Error('plugin state: the key must not be empty');
  if (key.length > MAX_STATE_KEY_LENGTH) throw new Error(`plugin state: the key is longer than ${MAX_STATE_KEY_LENGTH} characters`);
}

/** Creates the store over `orm` (each call works in its own forked EntityManager). */
export function createPluginStateStore(orm: MikroORM): PluginStateStore {
  return {
    async get(interfaceId, key) {
      check(interfaceId, key);
      const row = await orm.em.fork().findOne(PluginState, { interfaceId, key }, { fields: ['value'] });
      return row?.value ?? '';
    },
    async set(interfaceId, key, value) {
      check(interfaceId, key);
      try {
        await orm.em.fork().upsert(
          PluginState,
          { interfaceId, key, value, updatedAt: new Date() },
          { onConflictFields: ['interfaceId', 'key'], onConflictMergeFields: ['value', 'updatedAt'] },
        );
      } catch (error) {
        if (error instanceof ForeignKeyConstraintViolationException) throw new Error(`plugin state: no plugin interface ${interfaceId}`, { cause: error });
        throw error;
      }
    },
  };
}
