import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WorkflowContinuedAsNewError, WorkflowUpdateFailedError, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { PROJECT } from '../../../common/search-attributes';
import type { LifecycleState, ModelLifecycleInput } from '../../../common/types/lifecycle';
import type { DriftAlert, RetrainingPolicy } from '../../../common/types/monitoring';
import { modelLifecycle } from '../../../workflows';
import { championChangedSignal, configureLifecycleUpdate, decideRetrainingUpdate, driftAlertSignal, lifecycleStateQuery } from '../../../workflows/lifecycle/lifecycle.messages';
import { createTimeSkippingEnv, noActivityInFlight } from '../../helpers/temporal-env';
import { mockActivities, type MockCalls } from '../../helpers/training-fixtures';
import { bundleWorkflows } from '../../helpers/workflow-bundle';


function alert(n = 1): DriftAlert {
  return {
    family: 'xgboost',
    modelVersion: 3,
    modelName: 'model-xgboost-3',
    monitoringWorkflowId: `monitoring/xgboost/${n}`,
    monitoringRunId: `run-${n}`,
    windowStart: '2026-01-01T00:00:00Z',
    windowEnd: '2026-01-01T01:00:00Z',
    kinds: ['data'],
    violations: [{ checkType: 'baseline_drift_check', description: 'mileage drifted', feature: 'Mileage' }],
    reportUri: `s3://mlops/monitoring/xgboost/${n}/`,
    detectedAt: '2026-01-01T01:05:00Z',
  };
}

describe('modelLifecycle (time skipping)', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundle;

  before(async () => {
    bundle = await bundleWorkflows();
  });

  // A fresh test server per test: long-lived lifecycle runs of earlier tests (and their timers)
  // kept the shared server from skipping time in a later test's env.sleep.
  beforeEach(async () => {
    env = await createTimeSkippingEnv();
  });

  afterEach(async () => {
    await env?.teardown();
  });

  async function withLifecycle(
    policy: RetrainingPolicy,
    act: (handle: WorkflowHandleWithFirstExecutionRunId<typeof modelLifecycle>, calls: MockCalls) => Promise<void>,
    extra: Partial<ModelLifecycleInput> = {},
  ): Promise<void> {
    const taskQueue = `lifecycle-${randomUUID()}`;
    const { activities, calls } = mockActivities();
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    const input: ModelLifecycleInput = {
      family: 'xgboost',
      config: { policy, coolDown: '24 hours', trainingDataUri: 's3://mlops/training/cars.csv', taskQueues: { orchestration: taskQueue, compute: taskQueue } },
      ...extra,
    };
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(modelLifecycle, { taskQueue, workflowId: `lifecycle/xgboost-${randomUUID()}`, args: [input] });
      try {
        await act(handle, calls);
      } finally {
        await handle.terminate('test done');
      }
    });
  }

  /** Polls the state query until `done` holds (the workflow processes signals asynchronously). */
  async function stateWhen(handle: WorkflowHandle<typeof modelLifecycle>, done: (s: LifecycleState) => boolean): Promise<LifecycleState> {
    // A deadline, not a count of queries: under load a query's round trip through the worker takes far longer.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      // Each query gets 2 s: one that lands while the run continues as new can stay unanswered on
      // the test server (the old run is closed, the new one not yet started); the next asks the new run.
      const state = await env.client.withDeadline(Date.now() + 2000, () => handle.query(lifecycleStateQuery)).catch((err: unknown) => {
        if (Date.now() >= deadline) throw err;
        return undefined;
      });
      if (state && done(state)) return state;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`state never reached the expected shape: ${JSON.stringify(await handle.query(lifecycleStateQuery))}`);
  }

  const kinds = (calls: MockCalls) => calls.notifications.map((n) => n.kind);

  /** The run `handle`'s run continued as (waits until it has). */
  async function continuedRun(handle: WorkflowHandleWithFirstExecutionRunId<typeof modelLifecycle>): Promise<WorkflowHandle<typeof modelLifecycle>> {
    const first = env.client.workflow.getHandle<typeof modelLifecycle>(handle.workflowId, handle.firstExecutionRunId, { followRuns: false });
    const next = await first.result().then(
      () => assert.fail('the run completed instead of continuing as new'),
      (err: unknown) => (err instanceof WorkflowContinuedAsNewError ? err.newExecutionRunId : Promise.reject(err)),
    );
    return env.client.workflow.getHandle<typeof modelLifecycle>(handle.workflowId, next);
  }

  /** Polls until the mocks saw `count` notifications (a notification is the last step of each event). */
  async function notified(calls: MockCalls, count: number): Promise<void> {
    for (let i = 0; i < 400 && calls.notifications.length < count; i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(calls.notifications.length >= count, `expected ${count} notifications, saw ${JSON.stringify(kinds(calls))}`);
  }

  it('when the policy is notify, then a drift alert only notifies', async () => {
    await withLifecycle('notify', async (handle, calls) => {
      await handle.signal(driftAlertSignal, alert());
      await notified(calls, 1);
      const state = await handle.query(lifecycleStateQuery);
      assert.equal(calls.retrainings.length, 0);
      assert.deepEqual(kinds(calls), ['lifecycle.drift']);
      assert.equal(state.recentAlerts.length, 1);
      assert.equal(state.coolDownUntil, undefined);
    });
  });

  it("when the lifecycle is another project's, then its state and its notifications name the project, so two projects' families of one name are told apart", async () => {
    await withLifecycle(
      'notify',
      async (handle, calls) => {
        await handle.signal(driftAlertSignal, { ...alert(), project: 'penguins' });
        await notified(calls, 1);
        const state = await handle.query(lifecycleStateQuery);
        assert.equal(state.project, 'penguins');
        assert.equal(state.recentAlerts[0]?.project, 'penguins');
        assert.equal(calls.notifications[0]!.subject, 'penguins/xgboost: drift detected');
        assert.equal(calls.notifications[0]!.details?.project, 'penguins');
      },
      { project: 'penguins' },
    );
  });

  it('when the policy is retrain, then one retraining starts on the configured data with the alert as reason', async () => {
    await withLifecycle('retrain', async (handle, calls) => {
      await handle.signal(driftAlertSignal, alert());
      await notified(calls, 1);
      const state = await handle.query(lifecycleStateQuery);
      assert.equal(calls.retrainings.length, 1);
      assert.equal(calls.retrainings[0]!.dataUri, 's3://mlops/training/cars.csv');
      assert.match(calls.retrainings[0]!.reason, /monitoring\/xgboost\/1/);
      assert.ok(state.lastRetraining?.workflowId.includes(calls.retrainings[0]!.runName));
      assert.ok(state.coolDownUntil && Date.parse(state.coolDownUntil) > Date.parse(state.lastRetraining!.startedAt));
      assert.deepEqual(kinds(calls), ['lifecycle.retraining-started']);
    });
  });

  it('when alerts repeat within the cool-down, then still one retraining; after the cool-down, a second', async () => {
    await withLifecycle('retrain', async (handle, calls) => {
      for (let i = 1; i <= 4; i++) await handle.signal(driftAlertSignal, alert(i));
      await notified(calls, 4);
      assert.equal(calls.retrainings.length, 1);
      assert.equal(kinds(calls).filter((k) => k === 'lifecycle.drift-cool-down').length, 3);
      assert.match(calls.notifications.find((n) => n.kind === 'lifecycle.drift-cool-down')!.message, /alert during cool-down .* no retraining/);
      await noActivityInFlight(handle);
      await env.sleep('25 hours');
      await handle.signal(driftAlertSignal, alert(5));
      await notified(calls, 5);
      const state = await handle.query(lifecycleStateQuery);
      assert.equal(calls.retrainings.length, 2);
      assert.equal(state.counts.retrainingsStarted, 2);
      assert.equal(state.counts.suppressedByCoolDown, 3);
      assert.notEqual(calls.retrainings[0]!.runName, calls.retrainings[1]!.runName);
    });
  });

  it('when starting the retraining fails, then the lifecycle notifies and keeps running without a cool-down', async () => {
    const taskQueue = `lifecycle-${randomUUID()}`;
    const { ApplicationFailure } = await import('@temporalio/common');
    const { activities, calls } = mockActivities({ retrainingError: ApplicationFailure.nonRetryable('no data', 'InvalidInput') });
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(modelLifecycle, {
        taskQueue,
        workflowId: `lifecycle/xgboost-${randomUUID()}`,
        args: [{ family: 'xgboost', config: { policy: 'retrain', coolDown: '1 hour', taskQueues: { orchestration: taskQueue, compute: taskQueue } } }],
      });
      await handle.signal(driftAlertSignal, alert());
      await notified(calls, 1);
      const state = await handle.query(lifecycleStateQuery);
      assert.equal(state.coolDownUntil, undefined);
      assert.deepEqual(kinds(calls), ['lifecycle.retraining-failed']);
      await handle.terminate('test done');
    });
  });

  it('when the policy is approve-then-retrain and a person approves, then the retraining starts and the update returns its id', async () => {
    await withLifecycle('approve-then-retrain', async (handle, calls) => {
      await handle.signal(driftAlertSignal, alert());
      await notified(calls, 1);
      const waiting = await handle.query(lifecycleStateQuery);
      assert.ok(waiting.pendingApproval);
      assert.equal(calls.retrainings.length, 0);
      assert.deepEqual(kinds(calls), ['lifecycle.retraining-approval-requested']);
      assert.equal(waiting.counts.approvalsRequested, 1);
      const result = await handle.executeUpdate(decideRetrainingUpdate, { args: [{ approve: true, by: 'alice', reason: 'mileage shift is real' }] });
      assert.equal(result.outcome, 'approved');
      assert.equal(result.by, 'alice');
      assert.equal(calls.retrainings.length, 1);
      assert.equal(result.retrainingWorkflowId, (await handle.query(lifecycleStateQuery)).lastRetraining?.workflowId);
      assert.match(calls.retrainings[0]!.reason, /approved by alice: mileage shift is real/);
      const state = await handle.query(lifecycleStateQuery);
      assert.equal(state.pendingApproval, undefined);
      assert.equal(state.counts.approved, 1);
    });
  });

  it('when a person rejects, then no retraining starts', async () => {
    await withLifecycle('approve-then-retrain', async (handle, calls) => {
      await handle.signal(driftAlertSignal, alert());
      await stateWhen(handle, (s) => s.pendingApproval !== undefined);
      const result = await handle.executeUpdate(decideRetrainingUpdate, { args: [{ approve: false, by: 'bob', reason: 'seasonal' }] });
      assert.deepEqual(result, { outcome: 'rejected', by: 'bob' });
      const state = await handle.query(lifecycleStateQuery);
      assert.equal(calls.retrainings.length, 0);
      assert.equal(state.counts.rejected, 1);
      assert.equal(state.coolDownUntil, undefined);
      assert.ok(kinds(calls).includes('lifecycle.retraining-rejected'));
    });
  });

  it('when nobody decides within the approval timeout, then the lifecycle gives up, notifies and retrains nothing', async () => {
    await withLifecycle(
      'approve-then-retrain',
      async (handle, calls) => {
        await handle.signal(driftAlertSignal, alert());
        await notified(calls, 1);
        await noActivityInFlight(handle);
        await env.sleep('3 days');
        await notified(calls, 2);
        const state = await handle.query(lifecycleStateQuery);
        assert.equal(state.pendingApproval, undefined);
        assert.equal(calls.retrainings.length, 0);
        assert.ok(kinds(calls).includes('lifecycle.retraining-approval-timed-out'));
      },
      { approvalTimeout: '2 days' },
    );
  });

  it('when a decision has no pending request, no approver or no reason, then the validator rejects it with a clear message', async () => {
    await withLifecycle('approve-then-retrain', async (handle) => {
      const reject = async (args: { approve: boolean; by: string; reason: string }, message: RegExp) => {
        await assert.rejects(handle.executeUpdate(decideRetrainingUpdate, { args: [args] }), (err: unknown) => {
          assert.ok(err instanceof WorkflowUpdateFailedError);
          assert.match(String((err.cause as Error | undefined)?.message), message);
          return true;
        });
      };
      await reject({ approve: true, by: 'alice', reason: 'ok' }, /no retraining approval is pending for xgboost/);
      await handle.signal(driftAlertSignal, alert());
      await stateWhen(handle, (s) => s.pendingApproval !== undefined);
      await reject({ approve: true, by: ' ', reason: 'ok' }, /approver is required/);
      await reject({ approve: true, by: 'alice', reason: '' }, /reason is required/);
      assert.ok((await handle.query(lifecycleStateQuery)).pendingApproval, 'a rejected update changes nothing');
    });
  });

  it('when queried, then the state shows the family, policy, champion, bounded alerts and counts', async () => {
    await withLifecycle('notify', async (handle, calls) => {
      await handle.signal(championChangedSignal, { family: 'xgboost', version: 4, modelName: 'model-xgboost-4', at: '2026-01-02T00:00:00Z' });
      for (let i = 1; i <= 23; i++) await handle.signal(driftAlertSignal, alert(i));
      await notified(calls, 23);
      const state = await handle.query(lifecycleStateQuery);
      assert.equal(state.family, 'xgboost');
      assert.equal(state.policy, 'notify');
      assert.deepEqual(state.champion, { family: 'xgboost', version: 4, modelName: 'model-xgboost-4', at: '2026-01-02T00:00:00Z' });
      assert.equal(state.recentAlerts.length, 20);
      assert.equal(state.recentAlerts[0]!.monitoringRunId, 'run-4');
      assert.equal(state.recentAlerts[19]!.monitoringRunId, 'run-23');
      assert.equal(state.counts.championChanges, 1);
      assert.equal(state.counts.notifiedOnly, 23);
    });
  });

  it('when a lifecycle was started without MlopsProject (before starts set it), then its run sets its project itself', async () => {
    await withLifecycle(
      'notify',
      async (handle) => {
        const deadline = Date.now() + 20_000;
        let project: string | undefined;
        while (project === undefined && Date.now() < deadline) {
          project = (await handle.describe()).typedSearchAttributes.get(PROJECT);
          if (project === undefined) await new Promise((r) => setTimeout(r, 50));
        }
        assert.equal(project, 'penguins');
      },
      { project: 'penguins' },
    );
  });

  it('when the run continues as new, then the state and a pending approval carry over', async () => {
    await withLifecycle(
      'approve-then-retrain',
      async (handle, calls) => {
        await handle.signal(championChangedSignal, { family: 'xgboost', version: 4, modelName: 'model-xgboost-4', at: '2026-01-02T00:00:00Z' });
        await handle.signal(driftAlertSignal, alert(1));
        // The third event crosses maxEventsPerRun = 2: the lifecycle continues as new.
        await handle.signal(championChangedSignal, { family: 'xgboost', version: 5, modelName: 'model-xgboost-5', at: '2026-01-03T00:00:00Z' });
        const latest = await continuedRun(handle);
        assert.notEqual((await latest.describe()).runId, handle.firstExecutionRunId, 'the workflow continued as new');
        const state = await latest.query(lifecycleStateQuery);
        assert.equal(state.champion?.version, 5);
        assert.equal(state.counts.alerts, 1);
        assert.equal(state.counts.championChanges, 2);
        assert.ok(state.pendingApproval, 'the pending approval survived continue-as-new');
        const result = await latest.executeUpdate(decideRetrainingUpdate, { args: [{ approve: true, by: 'alice', reason: 'go' }] });
        assert.equal(result.outcome, 'approved');
        assert.equal(calls.retrainings.length, 1);
      },
      { maxEventsPerRun: 2 },
    );
  });

  it('when the settings are changed by the configureLifecycle update, then the next alert follows the new policy, data and cool-down, also after continue-as-new; bad settings are refused', async () => {
    await withLifecycle(
      'notify',
      async (handle, calls) => {
        await handle.signal(driftAlertSignal, alert(1));
        await notified(calls, 1);
        assert.equal(calls.retrainings.length, 0);

        for (const bad of [{ by: '' }, { by: 'alice' }, { by: 'alice', policy: 'panic' }, { by: 'alice', coolDown: 'soon' }, { by: 'alice', trainingDataUri: '/local/file.csv' }]) {
          await assert.rejects(handle.executeUpdate(configureLifecycleUpdate, { args: [bad as never] }), WorkflowUpdateFailedError, JSON.stringify(bad));
        }
        const changed = await handle.executeUpdate(configureLifecycleUpdate, { args: [{ by: 'alice', policy: 'retrain', coolDown: '2 hours', trainingDataUri: 's3://mlops/training/cars-2026.csv', reason: 'drift is costly' }] });
        assert.equal(changed.policy, 'retrain');
        assert.equal(changed.coolDown, '2 hours');
        assert.equal(changed.trainingDataUri, 's3://mlops/training/cars-2026.csv');
        assert.equal(changed.lastSettingsChange?.by, 'alice');
        assert.ok(kinds(calls).includes('lifecycle.settings-changed'));

        // The second event crosses maxEventsPerRun = 2: the settings must survive continue-as-new.
        // Calls by workflow id alone that land while the run continues as new can stay unanswered
        // on the test server (and hold its clock): wait for the new run and talk to it by its run id.
        await handle.signal(driftAlertSignal, alert(2));
        const next = await continuedRun(handle);
        await stateWhen(next, (st) => st.counts.retrainingsStarted === 1);
        assert.equal(calls.retrainings[0]!.dataUri, 's3://mlops/training/cars-2026.csv');
        // Skip time only once the alert is fully handled: while an activity runs the server does not skip.
        await notified(calls, 3);
        await noActivityInFlight(next);
        await env.sleep('3 hours');
        await next.signal(driftAlertSignal, alert(3));
        const state = await stateWhen(next, (st) => st.counts.retrainingsStarted === 2);
        assert.equal(state.policy, 'retrain', 'the changed policy carried over');
        assert.equal(calls.retrainings.length, 2, 'the 2-hour cool-down was over after 3 hours');
        const back = await next.executeUpdate(configureLifecycleUpdate, { args: [{ by: 'bob', trainingDataUri: null }] });
        assert.equal(back.trainingDataUri, undefined, "null: back to the champion's training data");
      },
      { maxEventsPerRun: 2 },
    );
  });
});
