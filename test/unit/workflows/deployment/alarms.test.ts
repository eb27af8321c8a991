import assert from 'node:assert/strict';
import type { EndpointMetricsSnapshot, HistogramCounts } from '../../../../activities/backends/types';
import { LABEL_POSITION_BUCKETS } from '../../../../common/serving-metrics';
import { DEFAULT_ROLLBACK_ALARMS, type RollbackAlarms } from '../../../../common/types/deployment';
import { evaluateAlarms, increaseOver, quantile, windowStart } from '../../../../workflows/deployment/alarms';
import { describePolicy, isPlainSwitch, trafficSteps } from '../../../../workflows/deployment/traffic-plan';

const BOUNDS = [0.01, 0.05, 0.1, 0.5, Infinity];

/** Cumulative histogram counts of observations (seconds). */
function histogram(values: number[], bounds = BOUNDS): HistogramCounts {
  return { bounds, counts: bounds.map((b) => values.filter((v) => v <= b).length), sum: values.reduce((a, b) => a + b, 0), count: values.length };
}

function snapshot(at: number, invocations: number, errors: number, latencies: number[], startedAt = 1): EndpointMetricsSnapshot {
  return { endpointName: 'e', takenAt: new Date(at).toISOString(), startedAt, variants: [{ variantName: 'new', role: 'production', invocations, errors, latencySeconds: histogram(latencies) }], shadow: [], problems: [] };
}

describe('workflows/deployment/alarms', () => {
  it('when a histogram is read, then quantiles interpolate within their bucket as histogram_quantile does, and +Inf gives the highest finite bound', () => {
    assert.equal(quantile(histogram([0.02, 0.02, 0.02, 0.02]), 0.5), 0.03);
    assert.equal(quantile(histogram([1, 2]), 0.99), 0.5);
    assert.equal(quantile(histogram([]), 0.5), undefined);
  });

  it('when counters grow between readings, then the window sums the increases; a restarted host counts its new values', () => {
    const readings = [snapshot(0, 100, 1, []), snapshot(5000, 150, 6, Array(50).fill(0.02)), snapshot(10_000, 20, 0, Array(20).fill(0.02), 2)];
    const increase = increaseOver(readings).variants.get('new')!;
    assert.equal(increase.invocations, 50 + 20);
    assert.equal(increase.errors, 5);
    assert.equal(windowStart(readings, '5 seconds'), 1);
  });

  it('when the new variant fails more than the limit on enough requests, then error-rate is ALARM; on too few, INSUFFICIENT_DATA', () => {
    const alarms: RollbackAlarms = { ...DEFAULT_ROLLBACK_ALARMS, minInvocations: 20 };
    const judged = evaluateAlarms(alarms, { variantName: 'new', role: 'production', invocations: 40, errors: 4, latencySeconds: histogram(Array(36).fill(0.02)) }, undefined);
    assert.deepEqual(judged.map((a) => [a.name, a.state, a.value]), [['error-rate', 'ALARM', 0.1], ['p99-latency', 'OK', 49.6]]);
    const few = evaluateAlarms(alarms, { variantName: 'new', role: 'production', invocations: 10, errors: 10 }, undefined);
    assert.deepEqual(few.map((a) => a.state), ['INSUFFICIENT_DATA', 'INSUFFICIENT_DATA']);
  });

  it('when the gateway counted predictions outside the label range widened by the tolerance, then prediction-sanity judges their share', () => {
    const alarms: RollbackAlarms = { ...DEFAULT_ROLLBACK_ALARMS, minInvocations: 10, predictionSanity: { maxOutOfRangeShare: 0.2, tolerance: 0.1 } };
    const positions = histogram([...Array(7).fill(0.5), -0.15, 1.3, 1.05], LABEL_POSITION_BUCKETS.concat(Infinity));
    const judged = evaluateAlarms(alarms, { variantName: 'new', role: 'production', invocations: 10, errors: 0 }, positions);
    const sanity = judged.find((a) => a.name === 'prediction-sanity')!;
    assert.equal(sanity.state, 'OK');
    assert.equal(sanity.value, 0.2, 'two of ten outside -0.1..1.1 (1.05 is within the tolerance)');
    const worse = evaluateAlarms({ ...alarms, predictionSanity: { maxOutOfRangeShare: 0.2, tolerance: 0 } }, { variantName: 'new', role: 'production', invocations: 10, errors: 0 }, positions);
    assert.equal(worse.find((a) => a.name === 'prediction-sanity')!.state, 'ALARM');
  });

  it('when policies are planned, then canary is two steps, linear reaches exactly 100 %, and only all-at-once without a bake is the plain switch', () => {
    assert.deepEqual(trafficSteps({ type: 'canary', canaryShare: 0.1, canaryBake: '5 minutes', finalBake: '10 minutes' }).map((s) => [s.share, s.bakeMs, s.final]), [[0.1, 300_000, false], [1, 600_000, true]]);
    assert.deepEqual(trafficSteps({ type: 'linear', stepShare: 0.1, stepInterval: '1 minute', finalBake: '0 seconds' }).map((s) => s.share), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    assert.equal(isPlainSwitch({ type: 'all-at-once', finalBake: '0 seconds' }), true);
    assert.equal(isPlainSwitch({ type: 'all-at-once', finalBake: '1 minute' }), false);
    assert.equal(describePolicy({ type: 'canary', canaryShare: 0.1, canaryBake: '5 minutes', finalBake: '10 minutes' }), 'canary 10 % for 5 minutes, then all (final bake 10 minutes)');
  });
});
