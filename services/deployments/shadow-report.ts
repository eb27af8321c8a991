import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { EndpointMetricsSnapshot, HistogramCounts } from '../../activities/backends/types';
import type { ShadowComparison } from '../../common/types/deployment';
import { increaseOver, P50_P90_P99, percentiles } from '../../workflows/deployment/alarms';

/** One bucket of the relative-difference distribution: (lower, upper], `upper` null for the open end. */
export interface DifferenceBucket {
  lower: number;
  upper: number | null;
  count: number;
}

export interface LatencyPercentilesMs {
  p50?: number;
  p95?: number;
  p99?: number;
}

export interface ShadowSide {
  variantName: string;
  invocations: number;
  errors: number;
  /** errors / invocations (absent without invocations). */
  errorRate?: number;
  latencyMs: LatencyPercentilesMs;
}

/**
 * The shadow beside the champion over the whole shadow period, recomputed from the metric readings
 * the deployment recorded (each `readDeploymentMetrics` result in its history): the distribution of
 * |shadow - champion| / |champion| over the mirrored requests both answered, both variants'
 * latency percentiles and errors. The query's comparison keeps three percentiles only.
 */
export interface ShadowReport {
  championVariant: string;
  shadowVariant: string;
  /** Readings the report is computed from, and when the first and the last were taken. */
  readings: number;
  from?: string;
  to?: string;
  pairs: number;
  dropped: number;
  relativeDifference: { buckets: DifferenceBucket[]; p50?: number; p90?: number; p99?: number };
  champion: ShadowSide;
  shadow: ShadowSide;
}

const READ_ACTIVITY = 'readDeploymentMetrics';

/**
 * The readings of the shadow period from a deployment's history. The shadow's bake reads the
 * metrics and schedules nothing else (deployment.workflow.ts `bake`); the first other activity
 * after its first reading (the promotion, or taking the shadow away) ends it, so later readings,
 * where the new model answers, are not mixed in.
 */
export function shadowReadingsOf(events: temporal.api.history.v1.IHistoryEvent[], decode: (payload: temporal.api.common.v1.IPayload) => unknown): EndpointMetricsSnapshot[] {
  const reads = new Set<string>();
  let started = false;
  let ended = false;
  const out: EndpointMetricsSnapshot[] = [];
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const isRead = scheduled.activityType?.name === READ_ACTIVITY;
      if (isRead && !ended) {
        started = true;
        reads.add(String(e.eventId));
      } else if (!isRead && started) ended = true;
      continue;
    }
    const completed = e.activityTaskCompletedEventAttributes;
    const payload = completed?.result?.payloads?.[0];
    if (completed && payload && reads.has(String(completed.scheduledEventId))) out.push(decode(payload) as EndpointMetricsSnapshot);
  }
  return out;
}

/** Per-bucket counts of a cumulative histogram (a bound recorded as JSON null is +Inf). */
export function bucketsOf(h: HistogramCounts | undefined): DifferenceBucket[] {
  if (!h) return [];
  let lower = 0;
  let below = 0;
  return h.bounds.map((bound, i) => {
    const cumulative = h.counts[i] ?? below;
    const upper = typeof bound === 'number' && Number.isFinite(bound) ? bound : null;
    const bucket = { lower, upper, count: Math.max(0, cumulative - below) };
    lower = upper ?? lower;
    below = cumulative;
    return bucket;
  });
}

function side(variantName: string, v: { invocations: number; errors: number; latencySeconds?: HistogramCounts } | undefined): ShadowSide {
  const invocations = v?.invocations ?? 0;
  const errors = v?.errors ?? 0;
  return {
    variantName,
    invocations,
    errors,
    ...(invocations > 0 ? { errorRate: Math.round((errors / invocations) * 1e4) / 1e4 } : {}),
    latencyMs: percentiles(v?.latencySeconds, { p50: 0.5, p95: 0.95, p99: 0.99 }, 1000),
  };
}

/** The report from the shadow period's readings (pure: what the history holds in, the report out). */
export function reportFromReadings(readings: EndpointMetricsSnapshot[], variants: { championVariant: string; shadowVariant: string }): ShadowReport {
  const increase = increaseOver(readings);
  const pairs = increase.shadow.get(variants.shadowVariant);
  const h = pairs?.relativeDifference;
  return {
    ...variants,
    readings: readings.length,
    ...(readings[0] ? { from: readings[0].takenAt } : {}),
    ...(readings.length ? { to: readings[readings.length - 1]!.takenAt } : {}),
    pairs: pairs?.pairs ?? 0,
    dropped: pairs?.dropped ?? 0,
    relativeDifference: { buckets: bucketsOf(h), ...percentiles(h, P50_P90_P99) },
    champion: side(variants.championVariant, increase.variants.get(variants.championVariant)),
    shadow: side(variants.shadowVariant, increase.variants.get(variants.shadowVariant)),
  };
}

/** A shadow deployment's report, from its history (undefined: no reading recorded yet). */
export async function shadowReport(client: Client, run: { workflowId: string; runId?: string }, comparison: Pick<ShadowComparison, 'championVariant' | 'shadowVariant'>): Promise<ShadowReport | undefined> {
  const history = await client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
  const converter = client.options.loadedDataConverter.payloadConverter;
  const readings = shadowReadingsOf(history.events ?? [], (p) => converter.fromPayload(p));
  if (readings.length === 0) return undefined;
  return reportFromReadings(readings, { championVariant: comparison.championVariant, shadowVariant: comparison.shadowVariant });
}
