import { NotificationService } from '../../gen/rustbill/notification_pb.ts';
import type { NotificationDispatcher } from '../../plugins/notifications.ts';
import { isUuid } from '../../lib/ids.ts';
import { invalidArgument } from '../errors.ts';
import type { ServiceHandlers } from '../handlers.ts';

/**
 * NotificationService (rustbill-docs.md): the notification channels are the enabled notifier
 * plugin interfaces; SendNotification delivers through them and reports each channel's outcome.
 */
export function notificationHandlers(dispatcher: NotificationDispatcher): ServiceHandlers<typeof NotificationService> {
  return {
    async listNotifiers() {
      const channels = await dispatcher.channels();
      return {
        notifiers: channels.map((channel) => ({
          channelId: channel.id,
          channelName: channel.name,
          supportedEvents: channel.supportedEvents,
          isHealthy: channel.isHealthy,
        })),
      };
    },

    async sendNotification(request) {
      if (request.eventType.trim() === '') throw invalidArgument('event_type is required, e.g. "order.paid" or "test"');
      if (request.title.trim() === '' && request.body.trim() === '') throw invalidArgument('title or body is required');
      const badId = request.channelIds.find((id) => !isUuid(id));
      if (badId !== undefined) throw invalidArgument(`channel_ids: "${badId.slice(0, 64)}" is not a UUID`);
      const results = await dispatcher.send(
        { eventType: request.eventType, title: request.title, body: request.body, recipient: request.recipient, metadata: { ...request.metadata } },
        request.channelIds,
      );
      return { results: results.map((result) => ({ channelId: result.channelId, success: result.success, errorMessage: result.error })) };
    },
  };
}
