import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ObjectStore } from '../../activities/backends/types';

const INFERENCE_ID = /^[\x21-\x7e][\x20-\x7e]{0,63}$/;

const recordSchema = z.object({
  inferenceId: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required (the inferenceId /v1/predict returned)' : 'must be a string') })
    .regex(INFERENCE_ID, 'must be 1-64 printable characters without leading whitespace'),
  groundTruth: z
    .union([z.number(), z.string().regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/, 'must be a number')], { error: (issue) => (issue.input === undefined ? 'is required (the true value)' : 'must be a number') })
    .transform(Number)
    .refine(Number.isFinite, 'must be a finite number'),
});

/**
 * `POST /v1/ground-truth` body: one label, a list, or `{"records": [...]}`. The shape is settled
 * first, then each record is checked, so an error names the record, its field and the rule.
 */
export const groundTruthBodySchema = z
  .unknown()
  .transform((body, ctx) => {
    const list = Array.isArray(body) ? body : typeof body === 'object' && body !== null && 'records' in body ? (body as { records: unknown }).records : [body];
    if (!Array.isArray(list) || list.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'expected a record, a non-empty list of records, or {"records": [...]}' });
      return z.NEVER;
    }
    return list as unknown[];
  })
  .pipe(z.array(recordSchema));

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
