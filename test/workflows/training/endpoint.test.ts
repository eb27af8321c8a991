import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { ErrorType } from '../../../common/errors';
import { PROJECT } from '../../../common/search-attributes';
import type { DeploymentConfig, TrainingResult } from '../../../common/types/training';
import { trainingPipeline } from '../../../workflows';
import { createLocalEnv, createTimeSkippingEnv } from '../../helpers/temporal-env';
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

  async function run(behaviour: MockBehaviour, deployment: DeploymentConfig = DEPLOYMENT): Promise<{ result?: TrainingResult; error?: WorkflowFailedError; calls: MockCalls }> {
    const taskQueue = `endpoint-${randomUUID()}`;
    const { activities, calls } = mockActivities(behaviour);
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    return worker.runUntil(async () => {
      try {
        const result = await env.client.workflow.execute(trainingPipeline, { taskQueue, workflowId: `training/endpoint/${randomUUID()}`, args: [trainingInput(taskQueue, { deployment })] });
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
  const CANARY = { ...DEPLOYMENT, policy: { type: 'canary' as const, canaryShare: 0.1, canaryBake: '1 minute', finalBake: '1 minute' } };
  const SERVING = { 'mlops-xgboost': { endpointConfigName: 'old-xgb', status: 'InService' as const, modelName: 'old-xgboost-2' }, 'mlops-linear-learner': { endpointConfigName: 'old-ll', status: 'InService' as const, modelName: 'old-ll-2' } };

  it('when the run sets a canary policy, then step 10 runs as a deployment child workflow per model that shifts 10 % first, and the model is exported once it serves everything', async () => {
    const { result, calls } = await run({ endpoints: SERVING }, CANARY);
    assert.ok(result);
    const xgb = result.models.find((m) => m.family === 'xgboost')!;
    assert.equal(xgb.deployment?.outcome, 'deployed');
    assert.match(xgb.deployment?.workflowId ?? '', /^deployment\/mlops-xgboost\//);
    assert.equal(xgb.endpoint?.action, 'updated');
    assert.ok(calls.weights.some((w) => /^old-xgboost-2=0\.9,.*=0\.1$/.test(w)), calls.weights.join(' | '));
    assert.deepEqual([...calls.exported].sort(), ['linear-learner', 'xgboost']);
    // A child inherits no search attributes: the run gives its deployment the project's.
    assert.equal((await env.client.workflow.getHandle(xgb.deployment!.workflowId).describe()).typedSearchAttributes.get(PROJECT), 'used-cars');
  });

  it('when a model trips its rollback alarm on live traffic, then the endpoint keeps the old model, the new one is recorded as rejected and not exported', async () => {
    const failing = 'model-xgboost';
    const { result, calls } = await run({ endpoints: SERVING, live: { failing, failShare: 0.5 } }, CANARY);
    assert.ok(result);
    const xgb = result.models.find((m) => m.family === 'xgboost')!;
    assert.equal(xgb.deployment?.outcome, 'rolled-back');
    assert.equal(xgb.endpoint?.endpointConfigName, 'old-xgb');
    assert.equal(xgb.decision.outcome, 'rejected');
    assert.match(xgb.decision.reason, /^rolled back during deployment: alarm error-rate/);
    assert.deepEqual(calls.exported, ['linear-learner']);
    assert.ok(calls.decisions.some((d) => d.family === 'xgboost' && d.status === 'Rejected'));
  });

  // On a real dev server: the time-skipping test server refuses the completion of the workflow
  // task that cancels an activity it has already completed (ACTIVITY_UNKNOWN), and the run hangs
  // there; no timer has to be skipped here (the canary's bake is cut short by the cancellation).
  it('when the training run is cancelled mid-canary, then its deployments (which a closing run asks to stop) put the old models back', async () => {
    const env = await createLocalEnv();
    try {
      await cancelledMidCanary(env);
    } finally {
      await env.teardown();
    }
  });

  async function cancelledMidCanary(env: TestWorkflowEnvironment): Promise<void> {
    const taskQueue = `endpoint-${randomUUID()}`;
    const { activities, calls } = mockActivities({ endpoints: SERVING });
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    const deployment = { ...CANARY, policy: { ...CANARY.policy, canaryBake: '1 hour' } };
    await worker.runUntil(async () => {
      const parent = await env.client.workflow.start(trainingPipeline, { taskQueue, workflowId: `training/endpoint/${randomUUID()}`, args: [trainingInput(taskQueue, { deployment })] });
      const deadline = Date.now() + 30_000;
      let pending: { workflowId?: string | null; parentClosePolicy?: unknown }[] = [];
      while (pending.length < 2 || calls.weights.filter((w) => w.endsWith('=0.1')).length < 2) {
        if (Date.now() > deadline) throw new Error(`the canaries never started: ${calls.weights.join(' | ')}`);
        await new Promise((r) => setTimeout(r, 25));
        pending = (await parent.describe()).raw.pendingChildren ?? [];
      }
      // A run terminated or timed out asks its deployments to stop too, rather than killing them mid-shift.
      assert.deepEqual(pending.map((c) => c.parentClosePolicy), [temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL, temporal.api.enums.v1.ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL]);
      const children = pending.map((c) => c.workflowId ?? '');
      await parent.cancel();
      for (const id of children) await assert.rejects(env.client.workflow.getHandle(id).result(), WorkflowFailedError);
    });
    assert.deepEqual(calls.weights.filter((w) => w.endsWith('=0')).map((w) => w.split(',')[0]).sort(), ['old-ll-2=1', 'old-xgboost-2=1']);
    const last = (endpoint: string) => calls.deployed.filter((d) => d.endpointName === endpoint).at(-1)?.endpointConfigName;
    assert.deepEqual([last('mlops-xgboost'), last('mlops-linear-learner')], ['old-xgb', 'old-ll']);
  }
});
