import type { Notification } from '../../common/types/notification';
import type { Backend } from '../backends/types';

export function createNotificationActivities(backend: Backend) {
  return {
    /** Sends a notification once per id (the outbox, and the webhook when configured). */
    async notify(notification: Notification): Promise<{ delivered: boolean }> {
      return { delivered: await backend.notifier.send(notification) };
    },
  };
}
