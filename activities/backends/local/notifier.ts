import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { DeliveredNotification, Notification } from '../../../common/types/notification';
import type { Notifier } from '../types';
import { isNotFound } from './fs-utils';

export interface LocalNotifierOptions {
  /** `<home>/outbox` : `outbox.jsonl` plus a marker per delivered id. */
  outboxDir: string;
  /** Optional URL that receives every notification as a JSON POST. */
  webhookUrl?: string;
  webhookTimeoutMs?: number;
}

/**
 * Notifications to an outbox (JSON Lines in the data dir) and optionally a webhook. A marker file
 * per notification id makes delivery idempotent when the activity is retried.
 */
export class LocalNotifier implements Notifier {
  constructor(private readonly options: LocalNotifierOptions) {}

  private get outboxFile(): string {
    return path.join(this.options.outboxDir, 'outbox.jsonl');
  }

  async send(notification: Notification): Promise<boolean> {
    const delivered: DeliveredNotification = { ...notification, time: new Date().toISOString() };
    const markerDir = path.join(this.options.outboxDir, 'delivered');
    await fs.mkdir(markerDir, { recursive: true });
    const marker = path.join(markerDir, markerName(notification.id));
    try {
      const existing = await fs.readFile(marker, 'utf8');
      if (existing === 'done') return false;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    // Webhook first: if it fails the activity retries, and the outbox line is written only once.
    if (this.options.webhookUrl) {
      const response = await fetch(this.options.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(delivered),
        signal: AbortSignal.timeout(this.options.webhookTimeoutMs ?? 5000),
      });
      if (!response.ok) throw new Error(`notification webhook answered ${response.status}`);
    }
    await fs.appendFile(this.outboxFile, `${JSON.stringify(delivered)}\n`);
    await fs.writeFile(marker, 'done');
    return true;
  }

  async recent(limit: number): Promise<DeliveredNotification[]> {
    let text: string;
    try {
      text = await fs.readFile(this.outboxFile, 'utf8');
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    if (!(limit > 0)) return []; // slice(-0) would return every line
    const lines = text.split('\n').filter((l) => l.trim());
    return lines.slice(-limit).map((l) => JSON.parse(l) as DeliveredNotification);
  }
}

/**
 * The marker file name of a notification id. A long id keeps a readable head plus a hash of the
 * whole id: cutting it alone would give ids that share their first characters one marker.
 */
function markerName(id: string): string {
  const encoded = encodeURIComponent(id);
  if (encoded.length <= 200) return encoded;
  return `${encoded.slice(0, 160)}~${createHash('sha256').update(id).digest('hex').slice(0, 32)}`;
}
