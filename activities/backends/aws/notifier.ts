import { createHash } from 'node:crypto';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { joinUri } from '../../../common/uri';
import type { DeliveredNotification, Notification } from '../../../common/types/notification';
import type { Notifier } from '../types';
import { call } from './aws-errors';
import type { AwsObjectStore } from './object-store';

export interface AwsNotifierOptions {
  sns: SNSClient;
  /** Unset: notifications are only recorded in S3 (nothing is published). */
  topicArn?: string;
  objectStore: AwsObjectStore;
  /** `s3://<bucket>/notifications/delivered`: one JSON object per delivered notification id. */
  deliveredPrefix: string;
}

/**
 * Notifications as SNS messages. Delivery is once per id: a marker object per id in S3 (holding
 * the delivered notification) is written after the publish, and a send whose marker exists
 * returns false. A crash between publish and marker can repeat one message on retry; FIFO topics
 * (`.fifo`) close that gap, since the deduplication id is derived from the notification id.
 * `recent()` reads the newest markers back.
 */
export class AwsNotifier implements Notifier {
  constructor(private readonly options: AwsNotifierOptions) {}

  async send(notification: Notification): Promise<boolean> {
    const marker = this.markerUri(notification.id);
    if (await this.options.objectStore.head(marker)) return false;
    const delivered: DeliveredNotification = { ...notification, time: new Date().toISOString() };
    const { topicArn } = this.options;
    if (topicArn) {
      const fifo = topicArn.endsWith('.fifo');
      await call(`SNS Publish ${topicArn}`, () =>
        this.options.sns.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: snsSubject(notification.subject),
            Message: JSON.stringify(delivered),
            MessageAttributes: {
              kind: { DataType: 'String', StringValue: notification.kind },
              severity: { DataType: 'String', StringValue: notification.severity },
              notificationId: { DataType: 'String', StringValue: notification.id.slice(0, 256) },
            },
            ...(fifo ? { MessageGroupId: notification.kind.slice(0, 128) || 'mlops', MessageDeduplicationId: sha256(notification.id).slice(0, 128) } : {}),
          }),
        ),
      );
    }
    await this.options.objectStore.put(marker, JSON.stringify(delivered), { contentType: 'application/json' });
    return true;
  }

  async recent(limit: number): Promise<DeliveredNotification[]> {
    if (!(limit > 0)) return [];
    const markers = await this.options.objectStore.listDetailed(`${this.options.deliveredPrefix.replace(/\/?$/, '/')}`);
    markers.sort((a, b) => a.lastModified.localeCompare(b.lastModified));
    // S3 times have whole seconds: take every marker as new as the limit-th newest (ties included),
    // then order by the delivery time recorded inside.
    const cutoff = markers[Math.max(0, markers.length - limit)]?.lastModified ?? '';
    const candidates = markers.filter((m) => m.lastModified >= cutoff);
    const notifications = await Promise.all(candidates.map(async (m) => JSON.parse((await this.options.objectStore.get(m.uri)).toString('utf8')) as DeliveredNotification));
    return notifications.sort((a, b) => a.time.localeCompare(b.time)).slice(-limit);
  }

  private markerUri(id: string): string {
    return joinUri(this.options.deliveredPrefix, `${sha256(id)}.json`);
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** SNS subjects: ASCII, no line breaks, at most 100 characters. */
function snsSubject(subject: string): string {
  const ascii = subject.replace(/[^\x20-\x7e]/g, '?').trim();
  const text = ascii.length > 100 ? `${ascii.slice(0, 97)}...` : ascii;
  return text || 'mlops notification';
}
