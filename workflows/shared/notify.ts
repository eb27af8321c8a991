import { CancellationScope, log, proxyActivities } from '@temporalio/workflow';
import type { Notification } from '../../common/types/notification';
import type { Activities } from '../../activities';
import { notifyActivityOptions, step } from './activity-options';

/**
 * Sends a notification without letting a notification problem fail the pipeline, and even while
 * the workflow is being cancelled (so a cancelled run still reports).
 */
export async function sendNotification(taskQueue: string, notification: Notification): Promise<void> {
  const { notify } = proxyActivities<Pick<Activities, 'notify'>>(notifyActivityOptions(taskQueue));
  try {
    await CancellationScope.nonCancellable(() => step(`notify: ${notification.subject}`.slice(0, 200), notify, notification));
  } catch (err) {
    log.warn('notification could not be delivered', { id: notification.id, error: String(err) });
  }
}
