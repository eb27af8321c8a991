import assert from 'node:assert/strict';
import type { AutoscalingConfig } from '../../../../common/types/deployment';
import { decideScaling } from '../../../../hosting/endpoint-host/autoscaler';

const POLICY: AutoscalingConfig = { minInstances: 1, maxInstances: 4, targetInvocationsPerInstancePerMinute: 6000, scaleOutCooldown: '10 seconds', scaleInCooldown: '30 seconds' };

describe('hosting/endpoint-host/autoscaler', () => {
  it('when the rate exceeds the target per instance, then it scales out to ceil(rate / target) within the bounds', () => {
    assert.deepEqual(decideScaling({ policy: POLICY, current: 1, invocationsPerMinute: 15_000, now: 0, history: {} }).desired, 3);
    assert.deepEqual(decideScaling({ policy: POLICY, current: 1, invocationsPerMinute: 90_000, now: 0, history: {} }).desired, 4);
  });

  it('when a scale-out happened within its cool-down, then the next waits; a scale-in waits the scale-in cool-down after any scaling', () => {
    assert.equal(decideScaling({ policy: POLICY, current: 2, invocationsPerMinute: 20_000, now: 5_000, history: { lastScaleOutAt: 0 } }).action, 'none');
    assert.equal(decideScaling({ policy: POLICY, current: 2, invocationsPerMinute: 20_000, now: 10_000, history: { lastScaleOutAt: 0 } }).action, 'scale-out');
    assert.equal(decideScaling({ policy: POLICY, current: 3, invocationsPerMinute: 100, now: 20_000, history: { lastScaleOutAt: 0 } }).action, 'none');
    const later = decideScaling({ policy: POLICY, current: 3, invocationsPerMinute: 100, now: 30_000, history: { lastScaleOutAt: 0 } });
    assert.deepEqual([later.action, later.desired], ['scale-in', 1]);
  });
});
