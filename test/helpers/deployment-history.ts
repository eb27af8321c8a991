import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { EndpointMetricsSnapshot, HistogramCounts } from '../../activities/backends/types';
import { LATENCY_BUCKETS, RELATIVE_DIFFERENCE_BUCKETS } from '../../common/serving-metrics';

/**
 * A workflow history as the server records it, for the activities given in order: each one's
 * ActivityTaskScheduled and, with a result, its ActivityTaskCompleted (payload by the default
 * converter, as the worker writes it). Only the fields the readers of histories look at.
 */
export function activityHistory(activities: { type: string; result?: unknown }[]): temporal.api.history.v1.IHistoryEvent[] {
  // Event ids as numbers: the server's are Longs, which the readers compare as the strings both print.
  const events: Record<string, unknown>[] = [];
  let id = 1;
  for (const a of activities) {
    const scheduledId = ++id;
    events.push({ eventId: scheduledId, activityTaskScheduledEventAttributes: { activityType: { name: a.type } } });
    if (a.result !== undefined) {
      // A JSON round trip first: +Inf bounds become null, as in a real history.
      const payload = defaultPayloadConverter.toPayload(JSON.parse(JSON.stringify(a.result)));
      events.push({ eventId: ++id, activityTaskCompletedEventAttributes: { scheduledEventId: scheduledId, result: { payloads: [payload] } } });
    }
  }
  return events as temporal.api.history.v1.IHistoryEvent[];
}

/** A cumulative histogram over `bounds` (+Inf appended) of the given observations. */
export function histogram(bounds: number[], observations: number[]): HistogramCounts {
  const all = [...bounds, Infinity];
  return { bounds: all, counts: all.map((b) => observations.filter((o) => o <= b).length), sum: observations.reduce((a, b) => a + b, 0), count: observations.length };
}

/**
 * One reading of an endpoint host with a champion and a shadow variant, cumulative: the champion
 * answered `champion` latencies (seconds), the shadow `shadow` with `shadowErrors` failures, and
 * each mirrored pair differed by the `differences` given.
 */
export function shadowSnapshot(takenAt: string, r: { champion: number[]; shadow: number[]; shadowErrors?: number; differences: number[]; dropped?: number }, names = { champion: 'old', shadow: 'new' }): EndpointMetricsSnapshot {
  return {
    endpointName: 'dep',
    takenAt,
    startedAt: 1_700_000_000,
    variants: [
      { variantName: names.champion, role: 'production', invocations: r.champion.length, errors: 0, latencySeconds: histogram(LATENCY_BUCKETS, r.champion) },
      { variantName: names.shadow, role: 'shadow', invocations: r.shadow.length + (r.shadowErrors ?? 0), errors: r.shadowErrors ?? 0, latencySeconds: histogram(LATENCY_BUCKETS, r.shadow) },
    ],
    shadow: [{ variantName: names.shadow, pairs: r.differences.length, relativeDifference: histogram(RELATIVE_DIFFERENCE_BUCKETS, r.differences), dropped: r.dropped ?? 0 }],
    problems: [],
  };
}
