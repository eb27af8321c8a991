import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { EndpointConfigSpec } from '../../activities/backends/types';
import type { LocalObjectStore } from '../../activities/backends/local/object-store';

export type CaptureSettings = NonNullable<EndpointConfigSpec['dataCapture']>;

export interface CapturedExchange {
  endpointName: string;
  variantName: string;
  settings: CaptureSettings;
  eventId: string;
  inferenceId?: string;
  time: Date;
  request: { contentType: string; body: Buffer };
  response: { contentType: string; body: Buffer };
}

interface Pending {
  file: string;
  lines: string[];
}

/**
 * SageMaker data capture for local endpoints: one JSON Lines record per sampled invocation, at
 * `<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/<MM>-<SS>-<mmm>-<uuid>.jsonl`, one file per
 * endpoint, variant and minute. Recording is synchronous and in memory (a response never waits
 * for the disk); a timer flushes, and `close()` flushes everything, so a clean shutdown loses nothing.
 */
export class CaptureWriter {
  private readonly pending = new Map<string, Pending>();
  private readonly files = new Map<string, { minute: string; file: string }>();
  private flushing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  captured = 0;
  written = 0;

  constructor(
    private readonly store: LocalObjectStore,
    private readonly options: { flushIntervalMs?: number; onError?: (err: unknown) => void } = {},
  ) {
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 1000);
    this.timer.unref();
  }

  /** Whether this invocation is sampled, per InitialSamplingPercentage. */
  static sampled(settings: CaptureSettings | undefined): settings is CaptureSettings {
    if (!settings?.enableCapture) return false;
    return settings.initialSamplingPercentage >= 100 || Math.random() * 100 < settings.initialSamplingPercentage;
  }

  record(exchange: CapturedExchange): void {
    const { settings } = exchange;
    const captureData: Record<string, unknown> = {};
    if (settings.captureModes.includes('Input')) captureData.endpointInput = { observedContentType: exchange.request.contentType, mode: 'INPUT', ...encode(exchange.request, settings) };
    if (settings.captureModes.includes('Output')) captureData.endpointOutput = { observedContentType: exchange.response.contentType, mode: 'OUTPUT', ...encode(exchange.response, settings) };
    const line = JSON.stringify({
      captureData,
      eventMetadata: {
        eventId: exchange.eventId,
        ...(exchange.inferenceId ? { inferenceId: exchange.inferenceId } : {}),
        inferenceTime: exchange.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
      eventVersion: '0',
    });
    const file = this.fileFor(exchange);
    let pending = this.pending.get(file);
    if (!pending) this.pending.set(file, (pending = { file, lines: [] }));
    pending.lines.push(line);
    this.captured++;
  }

  private fileFor(exchange: CapturedExchange): string {
    const t = exchange.time;
    const p2 = (n: number) => String(n).padStart(2, '0');
    const minute = `${t.getUTCFullYear()}/${p2(t.getUTCMonth() + 1)}/${p2(t.getUTCDate())}/${p2(t.getUTCHours())}/${p2(t.getUTCMinutes())}`;
    const key = `${exchange.settings.destinationS3Uri}|${exchange.endpointName}|${exchange.variantName}`;
    const current = this.files.get(key);
    if (current?.minute === minute) return current.file;
    const hourPrefix = minute.slice(0, minute.lastIndexOf('/'));
    const name = `${p2(t.getUTCMinutes())}-${p2(t.getUTCSeconds())}-${String(t.getUTCMilliseconds()).padStart(3, '0')}-${randomUUID()}.jsonl`;
    const uri = `${exchange.settings.destinationS3Uri.replace(/\/+$/, '')}/${exchange.endpointName}/${exchange.variantName}/${hourPrefix}/${name}`;
    const file = this.store.resolve(uri).file;
    this.files.set(key, { minute, file });
    return file;
  }

  /** Appends everything recorded so far; flushes run one after another. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batches = [...this.pending.values()];
      this.pending.clear();
      for (const batch of batches) {
        try {
          await fs.mkdir(path.dirname(batch.file), { recursive: true });
          await fs.appendFile(batch.file, batch.lines.join('\n') + '\n');
          this.written += batch.lines.length;
        } catch (err) {
          // Keep the records for the next flush rather than lose them.
          const again = this.pending.get(batch.file);
          if (again) again.lines.unshift(...batch.lines);
          else this.pending.set(batch.file, batch);
          this.options.onError?.(err);
        }
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

function encode(part: { contentType: string; body: Buffer }, settings: CaptureSettings): { data: string; encoding: 'CSV' | 'JSON' | 'BASE64' } {
  const base = part.contentType.split(';')[0]!.trim().toLowerCase();
  if (settings.csvContentTypes.some((t) => t.toLowerCase() === base)) return { data: part.body.toString('utf8'), encoding: 'CSV' };
  if (settings.jsonContentTypes.some((t) => t.toLowerCase() === base)) return { data: part.body.toString('utf8'), encoding: 'JSON' };
  return { data: part.body.toString('base64'), encoding: 'BASE64' };
}
