import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * Turns captured payloads into insight rows, without a store (unit tested on plain files and strings).
 */

export interface PredictionStats {
  records: number;
  mean: number | null;
  min: number | null;
  max: number | null;
}

/** Running statistics over predictions, fed one value at a time. */
class StatsAccumulator {
  records = 0;
  private n = 0;
  private sum = 0;
  private min = Infinity;
  private max = -Infinity;

  add(value: number): void {
    if (!Number.isFinite(value)) return;
    this.n += 1;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
  }

  result(): PredictionStats {
    return this.n ? { records: this.records, mean: this.sum / this.n, min: this.min, max: this.max } : { records: this.records, mean: null, min: null, max: null };
  }
}

/** A batch capture CSV (header, ..., `prediction` last), streamed from a local file (capture files can be larger than a string may be): how many records and their predictions. */
export async function batchCaptureStatsOfFile(file: string): Promise<PredictionStats> {
  const acc = new StatsAccumulator();
  let at = -1;
  let header = true;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (!line) continue;
    if (header) {
      at = line.split(',').lastIndexOf('prediction');
      header = false;
      continue;
    }
    acc.records += 1;
    if (at >= 0) acc.add(Number(line.split(',')[at]));
  }
  return acc.result();
}

interface CaptureLine {
  captureData?: { endpointOutput?: { data?: string; encoding?: string; observedContentType?: string } };
}

/** Predictions in one captured response body: CSV lines, or JSON numbers / `predictions[].score`. */
export function predictionsOfResponse(output: NonNullable<CaptureLine['captureData']>['endpointOutput']): number[] {
  if (!output?.data) return [];
  const text = output.encoding === 'BASE64' ? Buffer.from(output.data, 'base64').toString('utf8') : output.data;
  if (output.encoding === 'JSON' || /json/.test(output.observedContentType ?? '')) {
    try {
      const doc = JSON.parse(text) as unknown;
      const found: number[] = [];
      const walk = (v: unknown) => {
        if (typeof v === 'number') found.push(v);
        else if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object') Object.values(v as Record<string, unknown>).forEach(walk);
      };
      walk(doc);
      return found;
    } catch {
      return [];
    }
  }
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number)
    .filter(Number.isFinite);
}

/** The hour a real-time capture file belongs to, and its endpoint and variant, from its key. */
export function captureFileHour(uri: string): { endpointName: string; variantName: string; hour: Date } | undefined {
  const m = /\/([^/]+)\/([^/]+)\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/[^/]+\.jsonl$/.exec(uri);
  if (!m) return undefined;
  return { endpointName: m[1]!, variantName: m[2]!, hour: new Date(Date.UTC(Number(m[3]), Number(m[4]) - 1, Number(m[5]), Number(m[6]))) };
}

export interface HourlyVolume {
  endpointName: string;
  variantName: string;
  hour: Date;
  requests: number;
  predictionMean: number | null;
}

/** Requests per endpoint variant and hour with the mean prediction, fed one capture file at a time. */
export class HourlyVolumeCounter {
  private readonly groups = new Map<string, { endpointName: string; variantName: string; hour: Date; requests: number; sum: number; n: number }>();

  add(uri: string, body: string): void {
    const where = captureFileHour(uri);
    if (!where) return;
    const key = `${where.endpointName}|${where.variantName}|${where.hour.toISOString()}`;
    const group = this.groups.get(key) ?? { ...where, requests: 0, sum: 0, n: 0 };
    for (const line of body.split('\n')) {
      if (!line) continue;
      group.requests += 1;
      try {
        for (const p of predictionsOfResponse((JSON.parse(line) as CaptureLine).captureData?.endpointOutput)) {
          group.sum += p;
          group.n += 1;
        }
      } catch {
        // a malformed line still counts as a request; the data-quality check reports it
      }
    }
    this.groups.set(key, group);
  }

  volumes(): HourlyVolume[] {
    return [...this.groups.values()]
      .sort((a, b) => a.hour.getTime() - b.hour.getTime() || a.endpointName.localeCompare(b.endpointName))
      .map((g) => ({ endpointName: g.endpointName, variantName: g.variantName, hour: g.hour, requests: g.requests, predictionMean: g.n ? g.sum / g.n : null }));
  }
}
