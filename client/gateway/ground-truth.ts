import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ObjectStore } from '../../activities/backends/types';

const INFERENCE_ID = /^[\x21-\x7e][\x20-\x7e]{0,63}$/;

const recordSchema = z.object({
  inferenceId: z.string().regex(INFERENCE_ID, 'must be 1-64 printable characters without leading whitespace'),
  groundTruth: z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/, 'must be a number')]).transform(Number).refine(Number.isFinite, 'must be a finite number'),
});

/** `POST /v1/ground-truth` body: one label, a list, or `{"records": [...]}`. */
export const groundTruthBodySchema = z.union([z.array(recordSchema).min(1), z.object({ records: z.array(recordSchema).min(1) }), recordSchema]).transform((b) => (Array.isArray(b) ? b : 'records' in b ? b.records : [b]));

/**
 * Stores labels in SageMaker's ground-truth format and layout (`<uri>/yyyy/mm/dd/hh/<file>.jsonl`,
 * the hour of the upload, UTC), keyed by the inference id the gateway returned, for model-drift
 * monitoring.
 */
export async function storeGroundTruth(store: ObjectStore, baseUri: string, records: { inferenceId: string; groundTruth: number }[], now = new Date()): Promise<string> {
  const p2 = (n: number) => String(n).padStart(2, '0');
  const hour = `${now.getUTCFullYear()}/${p2(now.getUTCMonth() + 1)}/${p2(now.getUTCDate())}/${p2(now.getUTCHours())}`;
  const uri = `${baseUri.replace(/\/+$/, '')}/${hour}/${p2(now.getUTCMinutes())}${p2(now.getUTCSeconds())}-${randomUUID()}.jsonl`;
  const lines = records.map((r) => JSON.stringify({ groundTruthData: { data: String(r.groundTruth), encoding: 'CSV' }, eventMetadata: { eventId: r.inferenceId }, eventVersion: '0' }));
  await store.put(uri, `${lines.join('\n')}\n`, { contentType: 'application/jsonlines' });
  return uri;
}
