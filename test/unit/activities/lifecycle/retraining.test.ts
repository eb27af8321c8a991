import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { createLifecycleActivities } from '../../../../activities/lifecycle/retraining';
import type { Backend } from '../../../../activities/backends/types';
import type { WorkflowPort } from '../../../../activities/lifecycle/workflow-port';
import { lifecycleWorkflowId } from '../../../../common/ids';

describe('startRetraining activity', () => {
  const input = { family: 'xgboost' as const, dataUri: 's3://mlops/training/cars.csv', reason: 'drift', runName: 'drift-1234abcd' };

  it('when the worker passed no Temporal client, then it fails permanently with BackendMisconfigured', async () => {
    const { startRetraining } = createLifecycleActivities({} as Backend);
    await assert.rejects(startRetraining(input), (err: unknown) => err instanceof ApplicationFailure && err.type === 'BackendMisconfigured' && err.nonRetryable);
  });

  it('when neither the lifecycle nor the champion names training data, then it fails permanently with InvalidInput naming trainingDataUri', async () => {
    const looked: string[] = [];
    const backend = { parameters: { getByPath: async (prefix: string) => (looked.push(prefix), []) } } as unknown as Backend;
    const { startRetraining } = createLifecycleActivities(backend, {} as WorkflowPort);
    const { dataUri: _omitted, ...withoutData } = input;
    await assert.rejects(startRetraining(withoutData), (err: unknown) => err instanceof ApplicationFailure && err.type === 'InvalidInput' && /trainingDataUri/.test(err.message) && /champion/.test(err.message));
    assert.deepEqual(looked, ['/mlops/xgboost/champion/'], 'the champion\'s training data is looked up first');
  });
});

describe('lifecycleWorkflowId', () => {
  it('when given a family, then the id is lifecycle/<family>', () => {
    assert.equal(lifecycleWorkflowId('xgboost'), 'lifecycle/xgboost');
  });
});
