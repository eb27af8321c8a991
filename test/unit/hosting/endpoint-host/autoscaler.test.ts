import assert from 'node:assert/strict';
import type { AutoscalingConfig } from '../../../../common/types/deployment';
import { decideScaling, SCALE_IN_SECONDS, SCALE_OUT_SECONDS, type ScalingHistory } from '../../../../hosting/endpoint-host/autoscaler';
import { RateWindow } from '../../../../hosting/endpoint-host/variant-pool';

const POLICY: AutoscalingConfig = { minInstances: 1, maxInstances: 4, targetInvocationsPerInstancePerMinute: 6000, scaleOutCooldown: '10 seconds', scaleInCooldown: '30 seconds' };
const steady = (perMinute: number) => ({ sustained: perMinute, recent: perMinute, peak: perMinute });

/**
 * The endpoint host's loop on a fake clock: `load(t)` requests per second arrive every 10 ms into
 * the variant's rate window, the autoscaler looks once a second, and instances start at once.
 * Returns every resize as { at: ms, to: instances }.
 */
function simulate(policy: AutoscalingConfig, load: (t: number) => number, untilMs: number): { at: number; to: number }[] {
  const rate = new RateWindow(SCALE_IN_SECONDS);
  let current = policy.minInstances;
  let history: ScalingHistory = {};
  const resizes: { at: number; to: number }[] = [];
  let owed = 0;
  for (let t = 0; t <= untilMs; t += 10) {
    owed += load(t) / 100;
    for (; owed >= 1; owed--) rate.add(t);
    if (t % 1000 !== 500) continue;
    const recent = rate.range(SCALE_OUT_SECONDS, t);
    const measure = { sustained: recent.lowest * 60, recent: recent.mean * 60, recentPeak: recent.highest * 60, peak: rate.range(SCALE_IN_SECONDS, t).highest * 60 };
    const decision = decideScaling({ policy, current, measure, now: t, history });
    if (decision.action === 'none') continue;
    history = decision.action === 'scale-out' ? { ...history, lastScaleOutAt: t } : { ...history, lastScaleInAt: t };
    current = decision.desired;
    resizes.push({ at: t, to: current });
  }
  return resizes;
}

describe('hosting/endpoint-host/autoscaler', () => {
  it('when the rate exceeds the target per instance, then it scales out to ceil(rate / target) within the bounds', () => {
    assert.deepEqual(decideScaling({ policy: POLICY, current: 1, measure: steady(15_000), now: 0, history: {} }).desired, 3);
    assert.deepEqual(decideScaling({ policy: POLICY, current: 1, measure: steady(90_000), now: 0, history: {} }).desired, 4);
  });

  it('when a scale-out happened within its cool-down, then the next waits; a scale-in waits the scale-in cool-down after the last scale-in only', () => {
    assert.equal(decideScaling({ policy: POLICY, current: 2, measure: steady(20_000), now: 5_000, history: { lastScaleOutAt: 0 } }).action, 'none');
    assert.equal(decideScaling({ policy: POLICY, current: 2, measure: steady(20_000), now: 10_000, history: { lastScaleOutAt: 0 } }).action, 'scale-out');
    assert.equal(decideScaling({ policy: POLICY, current: 3, measure: steady(100), now: 20_000, history: { lastScaleInAt: 0 } }).action, 'none');
    const later = decideScaling({ policy: POLICY, current: 3, measure: steady(100), now: 30_000, history: { lastScaleInAt: 0 } });
    assert.deepEqual([later.action, later.desired], ['scale-in', 1]);
  });

  it('when the load rises right after a scale-in, then it scales out without waiting for the scale-in cool-down (as AWS documents ScaleInCooldown)', () => {
    const decision = decideScaling({ policy: POLICY, current: 1, measure: steady(20_000), now: 1_000, history: { lastScaleInAt: 0 } });
    assert.deepEqual([decision.action, decision.desired], ['scale-out', 4]);
  });

  it('when the load was high within the scale-in window, then it does not scale in, however low it is now', () => {
    assert.equal(decideScaling({ policy: POLICY, current: 3, measure: { sustained: 100, recent: 100, peak: 17_000 }, now: 60_000, history: {} }).action, 'none');
    const partial = decideScaling({ policy: POLICY, current: 3, measure: { sustained: 100, recent: 100, peak: 11_000 }, now: 60_000, history: {} });
    assert.deepEqual([partial.action, partial.desired], ['scale-in', 2]);
  });

  it('when a step load (200 -> 1,500 req/s, target 500 per instance) starts, then it reaches 3 instances in one scale-out within the scale-out window, and back to 1 in one scale-in within two scale-in cool-downs of the drop', () => {
    const policy: AutoscalingConfig = { minInstances: 1, maxInstances: 4, targetInvocationsPerInstancePerMinute: 30_000, scaleOutCooldown: '5 seconds', scaleInCooldown: '10 seconds' };
    const stepAt = 20_000;
    const dropAt = 60_000;
    const resizes = simulate(policy, (t) => (t >= stepAt && t < dropAt ? 1500 : 200), 100_000);
    const outs = resizes.filter((r) => r.at >= stepAt && r.at < dropAt);
    assert.deepEqual(outs.map((r) => r.to), [3], `resizes under the step: ${JSON.stringify(resizes)}`);
    assert.ok(outs[0]!.at - stepAt <= (SCALE_OUT_SECONDS + 2) * 1000, `scaled out ${outs[0]!.at - stepAt} ms after the step`);
    const ins = resizes.filter((r) => r.at >= dropAt);
    assert.deepEqual(ins.map((r) => r.to), [1], `resizes after the drop: ${JSON.stringify(resizes)}`);
    assert.ok(ins[0]!.at - dropAt <= 2 * 10_000, `scaled in ${ins[0]!.at - dropAt} ms after the drop`);
  });

  it('when the load drops inside a second (part of that second still high), then it scales back in one step, not one instance short and the rest a cool-down later', () => {
    const policy: AutoscalingConfig = { minInstances: 1, maxInstances: 4, targetInvocationsPerInstancePerMinute: 30_000, scaleOutCooldown: '5 seconds', scaleInCooldown: '10 seconds' };
    const dropAt = 60_300;
    const resizes = simulate(policy, (t) => (t >= 20_000 && t < dropAt ? 1500 : 200), 100_000);
    const ins = resizes.filter((r) => r.at >= dropAt);
    assert.deepEqual(ins.map((r) => r.to), [1], `resizes after the drop: ${JSON.stringify(resizes)}`);
    assert.ok(ins[0]!.at - dropAt <= (SCALE_IN_SECONDS + 2) * 1000, `scaled in ${ins[0]!.at - dropAt} ms after the drop`);
  });

  it('when the load stayed above the target in each second but dipped in one, then the scale-out asks for what the mean rate needs', () => {
    const decision = decideScaling({ policy: POLICY, current: 1, measure: { sustained: 7_000, recent: 15_000, peak: 20_000 }, now: 0, history: {} });
    assert.deepEqual([decision.action, decision.desired], ['scale-out', 3]);
    assert.equal(decideScaling({ policy: POLICY, current: 2, measure: { sustained: 11_000, recent: 17_000, peak: 20_000 }, now: 0, history: {} }).action, 'none');
  });

  it('when the load spikes for one second, then it does not scale out', () => {
    const policy: AutoscalingConfig = { minInstances: 1, maxInstances: 4, targetInvocationsPerInstancePerMinute: 30_000, scaleOutCooldown: '5 seconds', scaleInCooldown: '10 seconds' };
    assert.deepEqual(simulate(policy, (t) => (t >= 10_000 && t < 11_000 ? 3000 : 200), 30_000), []);
  });
});

describe('hosting/endpoint-host/variant-pool RateWindow', () => {
  it('when asked for a range, then it reads only complete seconds and counts a second without requests as 0', () => {
    const rate = new RateWindow(10);
    for (let i = 0; i < 5; i++) rate.add(1_000 + i);
    for (let i = 0; i < 7; i++) rate.add(3_500);
    rate.add(5_100); // the current second: not complete yet
    assert.deepEqual(rate.range(3, 5_200), { lowest: 0, highest: 7, mean: 7 / 3 });
    assert.deepEqual(rate.range(1, 4_000), { lowest: 7, highest: 7, mean: 7 });
    assert.deepEqual(rate.range(10, 5_200), { lowest: 0, highest: 7, mean: 1.2 });
    assert.throws(() => rate.range(11, 5_200), /cannot look back 11 s/);
    assert.equal(rate.perSecond(5_200), 1.2);
  });
});
