import type { EndpointMetricsSnapshot, HistogramCounts, VariantCounters } from '../../activities/backends/types';
import { durationMs } from '../../common/duration';
import type { AlarmState, RollbackAlarms, ShadowComparison, VariantWindow } from '../../common/types/deployment';

/**
 * The rollback alarms as pure functions of metric readings (cumulative counters read every
 * evaluation interval): increases between consecutive readings, summed over the alarm window,
 * judged against the thresholds. A counter that went down (or a process that restarted) counts
 * its new value as the increase, as Prometheus' `increase()` does.
 */

/** A counter's increase between two readings of the same series. */
function increase(before: number | undefined, after: number, restarted: boolean): number {
  if (before === undefined || restarted || after < before) return after;
  return after - before;
}

/** A histogram's increase between two readings of the same series (the later one whole when the series restarted). */
export function histogramIncrease(before: HistogramCounts | undefined, after: HistogramCounts, restarted: boolean): HistogramCounts {
  if (!before || restarted || after.count < before.count) return after;
  const prior = new Map(before.bounds.map((b, i) => [b, before.counts[i]!]));
  return { bounds: after.bounds, counts: after.counts.map((c, i) => Math.max(0, c - (prior.get(after.bounds[i]!) ?? 0))), sum: after.sum - before.sum, count: after.count - before.count };
}

function addHistograms(a: HistogramCounts | undefined, b: HistogramCounts): HistogramCounts {
  if (!a || a.bounds.length !== b.bounds.length) return b;
  return { bounds: b.bounds, counts: b.counts.map((c, i) => c + (a.counts[i] ?? 0)), sum: a.sum + b.sum, count: a.count + b.count };
}

/**
 * The q-quantile of a histogram (cumulative counts per upper bound), interpolated linearly within
 * its bucket as Prometheus' histogram_quantile does; undefined without observations. A quantile
 * in the +Inf bucket is the highest finite bound.
 */
export function quantile(h: HistogramCounts, q: number): number | undefined {
  if (h.count <= 0 || h.bounds.length === 0) return undefined;
  const rank = q * h.count;
  let previousBound = 0;
  let previousCount = 0;
  for (let i = 0; i < h.bounds.length; i++) {
    const bound = h.bounds[i]!;
    const count = h.counts[i]!;
    if (count >= rank) {
      if (!Number.isFinite(bound)) return previousBound;
      const inBucket = count - previousCount;
      const lower = i === 0 && bound <= 0 ? bound : previousBound;
      return inBucket > 0 ? lower + (bound - lower) * ((rank - previousCount) / inBucket) : bound;
    }
    previousBound = bound;
    previousCount = count;
  }
  return previousBound;
}

/** The alarms' and the shadow comparison's percentiles. */
export const P50_P90_P99 = { p50: 0.5, p90: 0.9, p99: 0.99 } as const;

/** The named quantiles of `h` (times `scale`, to 3 decimals), each left out when the histogram cannot say. */
export function percentiles<K extends string>(h: HistogramCounts | undefined, quantiles: Readonly<Record<K, number>>, scale = 1): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  if (!h) return out;
  for (const [name, q] of Object.entries(quantiles) as [K, number][]) {
    const v = quantile(h, q);
    if (v !== undefined) out[name] = Math.round(v * scale * 1000) / 1000;
  }
  return out;
}

/** A variant's increases over a span of readings. */
export interface VariantIncrease {
  variantName: string;
  role: 'production' | 'shadow';
  invocations: number;
  errors: number;
  latencySeconds?: HistogramCounts;
}

export interface WindowIncrease {
  variants: Map<string, VariantIncrease>;
  /** Gateway label positions per variant. */
  positions: Map<string, HistogramCounts>;
  shadow: Map<string, { pairs: number; relativeDifference?: HistogramCounts; dropped: number }>;
}

/** The increases from `readings[from]` to the last reading, summed pair by pair. */
export function increaseOver(readings: EndpointMetricsSnapshot[], from = 0): WindowIncrease {
  const out: WindowIncrease = { variants: new Map(), positions: new Map(), shadow: new Map() };
  for (let i = Math.max(from, 0) + 1; i < readings.length; i++) {
    const a = readings[i - 1]!;
    const b = readings[i]!;
    const restarted = a.startedAt !== b.startedAt;
    const before = new Map<string, VariantCounters>(a.variants.map((v) => [v.variantName, v]));
    for (const v of b.variants) {
      const p = before.get(v.variantName);
      const acc = out.variants.get(v.variantName) ?? { variantName: v.variantName, role: v.role, invocations: 0, errors: 0 };
      acc.invocations += increase(p?.invocations, v.invocations, restarted);
      acc.errors += increase(p?.errors, v.errors, restarted);
      acc.latencySeconds = addHistograms(acc.latencySeconds, histogramIncrease(p?.latencySeconds, v.latencySeconds, restarted));
      out.variants.set(v.variantName, acc);
    }
    const gatewayRestarted = a.sanity?.startedAt !== b.sanity?.startedAt;
    const priorPositions = new Map((a.sanity?.variants ?? []).map((v) => [v.variantName, v.positions]));
    for (const v of b.sanity?.variants ?? []) {
      out.positions.set(v.variantName, addHistograms(out.positions.get(v.variantName), histogramIncrease(priorPositions.get(v.variantName), v.positions, gatewayRestarted)));
    }
    const priorShadow = new Map(a.shadow.map((s) => [s.variantName, s]));
    for (const s of b.shadow) {
      const p = priorShadow.get(s.variantName);
      const acc = out.shadow.get(s.variantName) ?? { pairs: 0, dropped: 0 };
      acc.pairs += increase(p?.pairs, s.pairs, restarted);
      acc.dropped += increase(p?.dropped, s.dropped, restarted);
      acc.relativeDifference = addHistograms(acc.relativeDifference, histogramIncrease(p?.relativeDifference, s.relativeDifference, restarted));
      out.shadow.set(s.variantName, acc);
    }
  }
  return out;
}

/** The index of the first reading of the alarm window ending at the last reading. */
export function windowStart(readings: EndpointMetricsSnapshot[], window: string): number {
  if (readings.length === 0) return 0;
  const end = Date.parse(readings[readings.length - 1]!.takenAt);
  const span = durationMs(window);
  let i = readings.length - 1;
  while (i > 0 && end - Date.parse(readings[i - 1]!.takenAt) <= span) i--;
  return i;
}

export function variantWindow(v: VariantIncrease): VariantWindow {
  return { variantName: v.variantName, role: v.role, invocations: v.invocations, errors: v.errors, latencyMs: percentiles(v.latencySeconds, P50_P90_P99, 1000) };
}

/** The cumulative count at an upper bound (undefined when the histogram has no such bound). */
function countAt(h: HistogramCounts, bound: number): number | undefined {
  const i = h.bounds.findIndex((b) => Math.abs(b - bound) < 1e-9);
  return i < 0 ? undefined : h.counts[i];
}

/** Judges the new variant's window against the rollback alarms (CloudWatch's OK / ALARM / INSUFFICIENT_DATA). */
export function evaluateAlarms(alarms: RollbackAlarms, variant: VariantIncrease | undefined, positions: HistogramCounts | undefined): AlarmState[] {
  const min = alarms.minInvocations;
  const invocations = variant?.invocations ?? 0;
  const out: AlarmState[] = [];
  if (invocations < min) {
    out.push({ name: 'error-rate', state: 'INSUFFICIENT_DATA', threshold: alarms.maxErrorRate, sample: invocations, reason: `${invocations} request(s) of the new model in the window, fewer than ${min}` });
  } else {
    const rate = variant!.errors / invocations;
    out.push({
      name: 'error-rate',
      state: rate > alarms.maxErrorRate ? 'ALARM' : 'OK',
      threshold: alarms.maxErrorRate,
      value: Math.round(rate * 1e4) / 1e4,
      sample: invocations,
      reason: `${variant!.errors} of ${invocations} request(s) failed (${(rate * 100).toFixed(1)} %, limit ${(alarms.maxErrorRate * 100).toFixed(1)} %)`,
    });
  }
  const answered = variant?.latencySeconds?.count ?? 0;
  const p99 = answered >= min && variant?.latencySeconds ? quantile(variant.latencySeconds, 0.99) : undefined;
  if (p99 === undefined) {
    out.push({ name: 'p99-latency', state: 'INSUFFICIENT_DATA', threshold: alarms.maxP99LatencyMs, sample: answered, reason: `${answered} answer(s) of the new model in the window, fewer than ${min}` });
  } else {
    const ms = Math.round(p99 * 1e6) / 1e3;
    out.push({ name: 'p99-latency', state: ms > alarms.maxP99LatencyMs ? 'ALARM' : 'OK', threshold: alarms.maxP99LatencyMs, value: ms, sample: answered, reason: `p99 ${ms} ms over ${answered} answer(s) (limit ${alarms.maxP99LatencyMs} ms)` });
  }
  const sanity = alarms.predictionSanity;
  if (sanity) {
    const total = positions?.count ?? 0;
    const below = positions ? countAt(positions, -sanity.tolerance) : undefined;
    const within = positions ? countAt(positions, 1 + sanity.tolerance) : undefined;
    if (total < min || below === undefined || within === undefined) {
      out.push({
        name: 'prediction-sanity',
        state: 'INSUFFICIENT_DATA',
        threshold: sanity.maxOutOfRangeShare,
        sample: total,
        reason: positions ? `${total} prediction(s) of the new model through the gateway in the window, fewer than ${min}` : 'the gateway counted no prediction of the new model in the window',
      });
    } else {
      const outside = below + (total - within);
      const share = outside / total;
      out.push({
        name: 'prediction-sanity',
        state: share > sanity.maxOutOfRangeShare ? 'ALARM' : 'OK',
        threshold: sanity.maxOutOfRangeShare,
        value: Math.round(share * 1e4) / 1e4,
        sample: total,
        reason: `${outside} of ${total} prediction(s) outside the training label range widened by ${sanity.tolerance * 100} % (limit ${(sanity.maxOutOfRangeShare * 100).toFixed(1)} %)`,
      });
    }
  }
  return out;
}

/** The shadow and the champion compared over the increases since the shadow started. */
export function compareShadow(since: WindowIncrease, championVariant: string, shadowVariant: string): ShadowComparison {
  const champion = since.variants.get(championVariant);
  const shadow = since.variants.get(shadowVariant);
  const pairs = since.shadow.get(shadowVariant);
  return {
    championVariant,
    shadowVariant,
    pairs: pairs?.pairs ?? 0,
    relativeDifference: percentiles(pairs?.relativeDifference, P50_P90_P99),
    champion: { invocations: champion?.invocations ?? 0, errors: champion?.errors ?? 0, latencyMs: percentiles(champion?.latencySeconds, P50_P90_P99, 1000) },
    shadow: { invocations: shadow?.invocations ?? 0, errors: shadow?.errors ?? 0, latencyMs: percentiles(shadow?.latencySeconds, P50_P90_P99, 1000) },
    dropped: pairs?.dropped ?? 0,
  };
}
