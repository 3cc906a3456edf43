import type { Logger } from 'pino';
import type { PluginInterface } from '../persistence/entities/plugins.ts';
import type { PluginRegistry } from './registry/registry.ts';
import { PluginError } from './types.ts';

/** A notification as notifier plugins receive it (the guide's `send` msg fields). */
export interface Notification {
  eventType: string;
  title: string;
  body: string;
  recipient: string;
  metadata?: Record<string, string>;
}

/** An enabled notifier interface and the events it listens to ([] = all). */
export interface NotificationChannel {
  id: string;
  name: string;
  /** The notifier plugin behind it, e.g. "email", "webhook". */
  pluginId: string;
  supportedEvents: string[];
  isHealthy: boolean;
}

/** Outcome of one channel's delivery. */
export interface DeliveryResult {
  channelId: string;
  success: boolean;
  /** Why it failed (the plugin's own message), '' on success. */
  error: string;
}

function readEvents(value: unknown): string[] {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value) as unknown;
    } catch {
      return [];
    }
  }
  return Array.isArray(parsed) ? parsed.filter((event): event is string => typeof event === 'string') : [];
}

/**
 * Notifications through notifier plugins (plugin guide: Notifier; NotificationService): every
 * enabled notifier interface whose `supported_events()` is empty or lists the event gets the
 * message through its `send`. A failing channel never stops the others.
 */
export class NotificationDispatcher {
  private readonly registry: PluginRegistry;
  private readonly log: Logger;

  constructor(registry: PluginRegistry, log: Logger) {
    this.registry = registry;
    this.log = log;
  }

  /** The enabled notifier interfaces with their supported events. */
  async channels(): Promise<NotificationChannel[]> {
    const rows = await this.registry.interfaces.list({ pluginTypes: ['notifier'], enabledOnly: true });
    return Promise.all(rows.map(async (row) => ({ id: row.id, name: row.displayName, pluginId: row.pluginId, supportedEvents: await this.eventsOf(row), isHealthy: row.isHealthy })));
  }

  /**
   * Sends `notification` to the listed channels (all enabled notifiers when `channelIds` is empty)
   * that accept its event. Unknown or disabled channel ids are reported as failed results.
   */
  async send(notification: Notification, channelIds: readonly string[] = []): Promise<DeliveryResult[]> {
    const rows = await this.registry.interfaces.list({ pluginTypes: ['notifier'], enabledOnly: true });
    const wanted = channelIds.length > 0 ? new Set(channelIds) : null;
    const results: DeliveryResult[] = [];
    if (wanted) {
      for (const id of wanted) {
        if (!rows.some((row) => row.id === id)) results.push({ channelId: id, success: false, error: 'no enabled notifier interface with this id' });
      }
    }
    const targets = rows.filter((row) => !wanted || wanted.has(row.id));
    await Promise.all(
      targets.map(async (row) => {
        const events = await this.eventsOf(row);
        if (events.length > 0 && !events.includes(notification.eventType)) {
          if (wanted) results.push({ channelId: row.id, success: false, error: `this channel does not handle "${notification.eventType}" events` });
          return;
        }
        try {
          await this.registry.scripts.call(row, 'send', {
            event_type: notification.eventType,
            title: notification.title,
            body: notification.body,
            recipient: notification.recipient,
            metadata: notification.metadata ?? {},
          });
          results.push({ channelId: row.id, success: true, error: '' });
        } catch (error) {
          const message = error instanceof PluginError ? `${error.kind}: ${error.message}` : 'internal error (see the server log)';
          if (!(error instanceof PluginError)) this.log.error({ err: error, interfaceId: row.id }, 'notification failed unexpectedly');
          this.log.warn({ interfaceId: row.id, eventType: notification.eventType, error: message }, 'notification not delivered');
          results.push({ channelId: row.id, success: false, error: message });
        }
      }),
    );
    return results;
  }

  private async eventsOf(row: PluginInterface): Promise<string[]> {
    try {
      return readEvents(await this.registry.scripts.call(row, 'supported_events'));
    } catch {
      return [];
    }
  }
}
