import assert from 'node:assert/strict';
import { defaultPayloadConverter } from '@temporalio/common';
import { bucketsOf, reportFromReadings, shadowReadingsOf } from '../../../../services/deployments/shadow-report';
import { activityHistory, histogram, shadowSnapshot } from '../../../helpers/deployment-history';

const decode = (p: Parameters<typeof defaultPayloadConverter.fromPayload>[0]) => defaultPayloadConverter.fromPayload(p);
const ms = (n: number, each: number) => Array.from({ length: n }, () => each / 1000);

describe('services/deployments/shadow-report', () => {
  it('when a history holds the shadow period and the promotion after it, then only the shadow period readings are taken', () => {
    const base = shadowSnapshot('2026-03-02T10:00:00Z', { champion: [], shadow: [], differences: [] });
    const mid = shadowSnapshot('2026-03-02T10:00:05Z', { champion: ms(10, 4), shadow: ms(10, 8), differences: [0.001, 0.002] });
    const after = shadowSnapshot('2026-03-02T10:00:10Z', { champion: ms(500, 4), shadow: ms(500, 8), differences: [0.001, 0.002] });
    const events = activityHistory([
      { type: 'prepareDeployment', result: {} },
      { type: 'createTransitionConfig', result: { alreadyExisted: false } },
      { type: 'readDeploymentMetrics', result: base },
      { type: 'readDeploymentMetrics' }, // failed: no completion
      { type: 'readDeploymentMetrics', result: mid },
      { type: 'createTransitionConfig', result: { alreadyExisted: false } },
      { type: 'readDeploymentMetrics', result: after },
    ]);
    const readings = shadowReadingsOf(events, decode);
    assert.deepEqual(readings.map((r) => r.takenAt), ['2026-03-02T10:00:00Z', '2026-03-02T10:00:05Z']);
  });

  it('when the shadow differs and fails, then the report has the difference distribution, p50/p95/p99 of both and their error rates', () => {
    const differences = [...Array(90).fill(0.003), ...Array(10).fill(0.3)] as number[];
    const readings = [
      shadowSnapshot('2026-03-02T10:00:00Z', { champion: ms(5, 4), shadow: ms(5, 40), differences: [0.003] }),
      shadowSnapshot('2026-03-02T10:00:10Z', { champion: ms(205, 4), shadow: ms(105, 40), shadowErrors: 10, differences: [0.003, ...differences], dropped: 3 }),
    ].map((r) => JSON.parse(JSON.stringify(r)) as typeof r); // as recorded: +Inf is null
    const report = reportFromReadings(readings, { championVariant: 'old', shadowVariant: 'new' });
    assert.equal(report.pairs, 100);
    assert.equal(report.dropped, 3);
    assert.equal(report.readings, 2);
    assert.equal(report.relativeDifference.buckets.reduce((s, b) => s + b.count, 0), 100);
    const at = (upper: number | null) => report.relativeDifference.buckets.find((b) => b.upper === upper)?.count;
    assert.equal(at(0.005), 90);
    assert.equal(at(0.5), 10);
    assert.equal(report.relativeDifference.buckets.at(-1)?.upper, null, 'the open end');
    assert.ok(report.relativeDifference.p50! > 0.001 && report.relativeDifference.p50! <= 0.005);
    assert.ok(report.relativeDifference.p99! > 0.2 && report.relativeDifference.p99! <= 0.5);
    assert.equal(report.champion.invocations, 200);
    assert.equal(report.champion.errors, 0);
    assert.equal(report.champion.errorRate, 0);
    assert.equal(report.shadow.invocations, 110);
    assert.equal(report.shadow.errors, 10);
    assert.equal(report.shadow.errorRate, 0.0909);
    assert.ok(report.champion.latencyMs.p50! > 2.5 && report.champion.latencyMs.p50! <= 5, JSON.stringify(report.champion));
    assert.ok(report.shadow.latencyMs.p95! > 30 && report.shadow.latencyMs.p95! <= 50, JSON.stringify(report.shadow));
    assert.ok(report.shadow.latencyMs.p99! >= report.shadow.latencyMs.p95!);
  });

  it('when a histogram is cumulative, then its buckets count each range once, the first from 0', () => {
    assert.deepEqual(bucketsOf(histogram([0.1, 1], [0.05, 0.5, 0.6, 3])), [
      { lower: 0, upper: 0.1, count: 1 },
      { lower: 0.1, upper: 1, count: 2 },
      { lower: 1, upper: null, count: 1 },
    ]);
    assert.deepEqual(bucketsOf(undefined), []);
  });
});
