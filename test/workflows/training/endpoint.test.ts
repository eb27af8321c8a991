import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { ErrorType } from '../../../common/errors';
import type { TrainingResult } from '../../../common/types/training';
import { trainingPipeline } from '../../../workflows';
import { createTimeSkippingEnv } from '../../helpers/temporal-env';
import { DEPLOYMENT, mockActivities, trainingInput, type MockBehaviour, type MockCalls } from '../../helpers/training-fixtures';
import { bundleWorkflows } from '../../helpers/workflow-bundle';

/** Step 10 ("check endpoint"): the workflow chooses to create, replace or update each endpoint. */
describe('trainingPipeline step 10: create or update the endpoint (mocked activities)', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundle;

  before(async () => {
    [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
  });

  after(async () => {
    await env?.teardown();
  });

  async function run(behaviour: MockBehaviour): Promise<{ result?: TrainingResult; error?: WorkflowFailedError; calls: MockCalls }> {
    const taskQueue = `endpoint-${randomUUID()}`;
    const { activities, calls } = mockActivities(behaviour);
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    return worker.runUntil(async () => {
      try {
        const result = await env.client.workflow.execute(trainingPipeline, { taskQueue, workflowId: `training/endpoint/${randomUUID()}`, args: [trainingInput(taskQueue, { deployment: DEPLOYMENT })] });
        return { result, calls };
      } catch (err) {
        if (err instanceof WorkflowFailedError) return { error: err, calls };
        throw err;
      }
    });
  }

  const stepsOf = (calls: MockCalls, endpoint: string) => calls.activities.filter((a) => a.endsWith(`:${endpoint}`)).map((a) => a.split(':')[0]);

  it('when the endpoints exist on another configuration, then each is updated in place and awaited, never created', async () => {
    const { result, calls } = await run({
      endpoints: { 'mlops-xgboost': { endpointConfigName: 'old-xgb', status: 'InService' }, 'mlops-linear-learner': { endpointConfigName: 'old-ll', status: 'InService' } },
    });
    assert.ok(result);
    assert.deepEqual(result.models.map((m) => m.endpoint?.action), ['updated', 'updated']);
    assert.deepEqual(stepsOf(calls, 'mlops-xgboost'), ['describeEndpointState', 'updateEndpoint', 'waitForEndpoint']);
  });

  it('when an endpoint is Failed, then it is deleted first and created anew; the other one is created', async () => {
    const { result, calls } = await run({ endpoints: { 'mlops-xgboost': { endpointConfigName: 'old-xgb', status: 'Failed', failureReason: 'model server crashed' } } });
    assert.ok(result);
    assert.deepEqual(stepsOf(calls, 'mlops-xgboost'), ['describeEndpointState', 'deleteFailedEndpoint', 'createEndpoint', 'waitForEndpoint']);
    assert.deepEqual(stepsOf(calls, 'mlops-linear-learner'), ['describeEndpointState', 'createEndpoint', 'waitForEndpoint']);
    assert.deepEqual(result.models.map((m) => m.endpoint?.action), ['created', 'created']);
  });

  it('when an update is rolled back by the endpoint, then that model fails with DeploymentFailed carrying the reason, is not exported, and the run fails with a notification', async () => {
    const { error, calls } = await run({
      endpoints: { 'mlops-xgboost': { endpointConfigName: 'old-xgb', status: 'InService' } },
      endpointWaitError: { 'mlops-xgboost': ApplicationFailure.nonRetryable('endpoint mlops-xgboost: the update to new failed and was rolled back to old-xgb: capacity', ErrorType.DeploymentFailed) },
    });
    assert.ok(error);
    assert.match(String((error.cause as { message?: string }).message), /rolled back to old-xgb: capacity/);
    assert.deepEqual(calls.exported, ['linear-learner'], 'the other model goes on and is exported');
    assert.ok(calls.notifications.some((n) => n.kind === 'training.failed' && n.details?.failureType === ErrorType.DeploymentFailed));
  });
});
