import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { ErrorType } from '../../../common/errors';
import type { RollbackInput, RollbackResult } from '../../../common/types/rollback';
import { rollbackChampion } from '../../../workflows';
import { createTimeSkippingEnv } from '../../helpers/temporal-env';
import { DEPLOYMENT, mockActivities, type MockBehaviour, type MockCalls } from '../../helpers/training-fixtures';
import { bundleWorkflows } from '../../helpers/workflow-bundle';

describe('rollbackChampion workflow (mocked activities)', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundle;

  before(async () => {
    [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
  });

  after(async () => {
    await env?.teardown();
  });

  async function run(behaviour: MockBehaviour, overrides: Partial<RollbackInput> = {}): Promise<{ result?: RollbackResult; error?: WorkflowFailedError; calls: MockCalls }> {
    const taskQueue = `rollback-${randomUUID()}`;
    const { activities, calls } = mockActivities(behaviour);
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    const input: RollbackInput = { family: 'xgboost', by: 'lena', reason: 'v5 misprices trucks', force: false, deployment: DEPLOYMENT, taskQueues: { orchestration: taskQueue, compute: taskQueue }, ...overrides };
    return worker.runUntil(async () => {
      try {
        return { result: await env.client.workflow.execute(rollbackChampion, { taskQueue, workflowId: `rollback/test/${randomUUID()}`, args: [input] }), calls };
      } catch (err) {
        if (err instanceof WorkflowFailedError) return { error: err, calls };
        throw err;
      }
    });
  }

  const PLAN = { target: { version: 3, modelName: 'model-xgboost-3', status: 'Approved' }, current: { version: 5, modelName: 'model-xgboost-5', endpointName: 'mlops-xgboost' } };

  it('when an approved earlier version is named, then its endpoint config is deployed through step 10, both decisions name who and why, it is exported and a notification goes out', async () => {
    const { result, calls } = await run({ rollbackPlan: PLAN, endpoints: { 'mlops-xgboost': { endpointConfigName: 'cfg-v5', status: 'InService' } } }, { toVersion: 3 });
    assert.ok(result);
    assert.equal(result.endpoint?.action, 'updated');
    assert.deepEqual(calls.activities.filter((a) => a.endsWith('mlops-xgboost')), ['describeEndpointState:mlops-xgboost', 'updateEndpoint:mlops-xgboost', 'waitForEndpoint:mlops-xgboost']);
    assert.deepEqual(calls.decisions.map((d) => [d.status, d.reason]), [
      ['Approved', 'made champion again by lena (rollback (from version 5)): v5 misprices trucks'],
      ['Rejected', 'rolled back by lena to version 3: v5 misprices trucks'],
    ]);
    assert.deepEqual(calls.exported, ['xgboost']);
    assert.deepEqual(calls.projectInputs, ['prepareRollback:xgboost:-:-', 'exportChampionConfig:xgboost:-:-'], "the demo project's inputs carry no project");
    const i = calls.activities.indexOf('waitForEndpoint:mlops-xgboost');
    assert.ok(i < calls.activities.indexOf('exportChampionConfig:xgboost'), 'exported only once the endpoint serves it');
    const note = calls.notifications.find((n) => n.kind === 'model.rolled-back')!;
    assert.equal(note.subject, 'xgboost: version 3 is the champion again (from version 5)');
    assert.equal(note.details?.by, 'lena');
  });

  it("when the rollback is a project's, then every registry step names the project and the notification names it too", async () => {
    const plan = { target: { version: 1, modelName: 'model-hgb-1', status: 'Approved' }, current: { version: 2, modelName: 'model-hgb-2', endpointName: 'mlops-penguins-hgb' } };
    const { result, calls } = await run({ rollbackPlan: plan, endpoints: { 'mlops-penguins-hgb': { endpointConfigName: 'cfg-v2', status: 'InService' } } }, { family: 'hgb', project: 'penguins', toVersion: 1, deployment: { ...DEPLOYMENT, endpointNamePrefix: 'mlops-penguins' } });
    assert.ok(result);
    assert.deepEqual(calls.projectInputs, ['prepareRollback:hgb:penguins:-', 'exportChampionConfig:hgb:penguins:-']);
    assert.deepEqual(calls.decisions.map((d) => [d.project, d.status]), [['penguins', 'Approved'], ['penguins', 'Rejected']]);
    const note = calls.notifications.find((n) => n.kind === 'model.rolled-back')!;
    assert.equal(note.subject, '[penguins] hgb: version 1 is the champion again (from version 2)');
    assert.equal(note.details?.project, 'penguins');
  });

  it('when the check refuses (a rejected version without --force), then nothing is deployed, recorded or exported, and the failure is notified', async () => {
    const refusal = ApplicationFailure.nonRetryable('xgboost version 4 is Rejected: promote it only with --force and a reason', ErrorType.Conflict);
    const { error, calls } = await run({ rollbackError: refusal }, { toVersion: 4 });
    assert.ok(error);
    assert.deepEqual(calls.activities.filter((a) => !a.startsWith('prepareRollback') && !a.startsWith('notify')), []);
    assert.match(calls.notifications.find((n) => n.kind === 'model.rollback-failed')!.message, /promote it only with --force/);
  });

  it('when forced over a rejected version, then the decision says it was forced; without a champion endpoint only the export moves', async () => {
    const { result, calls } = await run({ rollbackPlan: { target: { version: 4, modelName: 'model-xgboost-4', status: 'Rejected' }, current: { version: 5, modelName: 'model-xgboost-5' } } }, { toVersion: 4, force: true, deployment: undefined });
    assert.ok(result);
    assert.equal(result.endpoint, undefined);
    assert.ok(!calls.activities.some((a) => a.startsWith('createEndpointConfig')));
    assert.match(calls.decisions[0]!.reason!, /forced over its status Rejected/);
  });

  it('when who or why is missing, then the run fails with InvalidInput before any activity', async () => {
    const { error, calls } = await run({}, { reason: '  ' });
    assert.equal((error?.cause as ApplicationFailure | undefined)?.type, ErrorType.InvalidInput);
    assert.deepEqual(calls.activities, []);
  });
});
