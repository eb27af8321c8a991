import assert from 'node:assert/strict';
import { guardedUpdateRequest } from '../../../../../activities/backends/aws/deployment-guardrails';
import { guardrailLimitProblems } from '../../../../../common/deployment-guardrail-limits';

const SPEC = { endpointName: 'mlops-xgboost', endpointConfigName: 'guarded-xgboost-abc', traffic: { type: 'CANARY' as const, percent: 10, waitIntervalSeconds: 300 }, finalBakeSeconds: 600, maximumExecutionTimeoutSeconds: 3600, alarmNames: ['a'] };

describe('aws deployment guardrails: SageMaker blue/green limits', () => {
  it('when a canary is over 50 % or a linear step outside 10-50 %, then the UpdateEndpoint request is refused naming the rule', () => {
    assert.throws(() => guardedUpdateRequest({ ...SPEC, traffic: { type: 'CANARY', percent: 60, waitIntervalSeconds: 300 } }), /canary size must be at most 50 % of the fleet on SageMaker \(got 60 %\)/);
    assert.throws(() => guardedUpdateRequest({ ...SPEC, traffic: { type: 'LINEAR', percent: 5, waitIntervalSeconds: 300 } }), /linear step size must be from 10 to 50 %/);
    assert.throws(() => guardedUpdateRequest({ ...SPEC, traffic: { type: 'LINEAR', percent: 60, waitIntervalSeconds: 300 } }), /linear step size must be from 10 to 50 %/);
    assert.equal(guardedUpdateRequest({ ...SPEC, traffic: { type: 'CANARY', percent: 50, waitIntervalSeconds: 3600 } }).DeploymentConfig?.BlueGreenUpdatePolicy?.TrafficRoutingConfiguration?.CanarySize?.Value, 50);
  });

  it('when a policy is past what SageMaker accepts, then every problem names the field and the rule; a policy within them has none', () => {
    assert.deepEqual(guardrailLimitProblems({ type: 'canary', canaryShare: 0.1, canaryBake: '1 hour', finalBake: '1 hour' }), []);
    assert.deepEqual(guardrailLimitProblems({ type: 'linear', stepShare: 0.25, stepInterval: '10 minutes', finalBake: '0 seconds' }), []);
    const canary = guardrailLimitProblems({ type: 'canary', canaryShare: 0.6, canaryBake: '2 hours', finalBake: '90 minutes' });
    assert.equal(canary.length, 3);
    assert.match(canary.join('\n'), /^policy\.canaryShare: at most 0\.5 on aws/m);
    assert.match(canary.join('\n'), /^policy\.canaryBake: at most 1 hour on aws \(SageMaker's WaitIntervalInSeconds\), got 2 hours/m);
    assert.match(canary.join('\n'), /^policy\.finalBake: at most 1 hour on aws \(SageMaker's TerminationWaitInSeconds\)/m);
    assert.match(guardrailLimitProblems({ type: 'linear', stepShare: 0.05, stepInterval: '2 hours', finalBake: '0 seconds' }).join('\n'), /policy\.stepShare: from 0\.1 to 0\.5 on aws[\s\S]*policy\.stepInterval: at most 1 hour/);
  });

  it('when a shadow is to be promoted on paired predictions, then aws refuses it naming the field; a shadow judged by its alarms fits', () => {
    const shadow = { type: 'shadow' as const, shadowShare: 0.2, shadowPeriod: '1 hour', promotion: 'auto' as const, decisionTimeout: '1 day', finalBake: '10 minutes' };
    assert.deepEqual(guardrailLimitProblems(shadow), []);
    assert.match(guardrailLimitProblems({ ...shadow, maxMedianRelativeDifference: 0.05 }).join('\n'), /^policy\.maxMedianRelativeDifference: not available on aws/);
  });
});
