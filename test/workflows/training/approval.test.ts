import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { PENDING_APPROVALS } from '../../../common/search-attributes';
import type { ApprovalConfig, ApprovalDecisionInput } from '../../../common/types/approval';
import type { TrainingInput } from '../../../common/types/training';
import { trainingPipeline } from '../../../workflows';
import { decideApprovalUpdate, pendingApprovalsQuery } from '../../../workflows/training/approval';
import { createTimeSkippingEnv, noActivityInFlight } from '../../helpers/temporal-env';
import { DEPLOYMENT, metrics, mockActivities, trainingInput, type MockBehaviour, type MockCalls } from '../../helpers/training-fixtures';
import { bundleWorkflows } from '../../helpers/workflow-bundle';

const MANUAL: ApprovalConfig = { policy: 'manual', reminderAfter: '4 hours', timeoutAfter: '3 days', onTimeout: 'reject' };

describe('trainingPipeline approval and deployment (time skipping)', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundle;

  before(async () => {
    [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
  });

  after(async () => {
    await env?.teardown();
  });

  /** Starts a run with mocked activities and hands its handle to `act` while a worker runs. */
  async function withRun<T>(
    behaviour: MockBehaviour,
    configure: (input: TrainingInput) => void,
    act: (handle: WorkflowHandle<typeof trainingPipeline>, calls: MockCalls) => Promise<T>,
  ): Promise<T> {
    const taskQueue = `approval-${randomUUID()}`;
    const { activities, calls } = mockActivities(behaviour);
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    const input = trainingInput(taskQueue);
    configure(input);
    return worker.runUntil(async () => {
      const handle = await env.client.workflow.start(trainingPipeline, { taskQueue, workflowId: `training/approval/${randomUUID()}`, args: [input] });
      return act(handle, calls);
    });
  }

  async function pendingFamilies(handle: WorkflowHandle<typeof trainingPipeline>, count: number): Promise<string[]> {
    for (let i = 0; i < 200; i++) {
      const pending = await handle.query(pendingApprovalsQuery);
      if (pending.length >= count) return pending.map((p) => p.family).sort();
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`fewer than ${count} approvals became pending`);
  }

  const manualOnly = (input: TrainingInput) => {
    input.config.approval = MANUAL;
  };

  it('when a person approves, then the model is accepted with their name and reason, and the pending list empties', async () => {
    await withRun({}, manualOnly, async (handle, calls) => {
      assert.deepEqual(await pendingFamilies(handle, 2), ['linear-learner', 'xgboost']);
      const described = await handle.describe();
      assert.deepEqual([...(described.typedSearchAttributes.get(PENDING_APPROVALS) ?? [])].sort(), ['linear-learner', 'xgboost']);
      const pendingXgb = (await handle.query(pendingApprovalsQuery)).find((p) => p.family === 'xgboost')!;
      const result = await handle.executeUpdate(decideApprovalUpdate, { args: [{ family: 'xgboost', approve: true, by: 'alice', reason: 'metrics look right' }] });
      assert.deepEqual(result, { family: 'xgboost', version: pendingXgb.version, outcome: 'approved', by: 'alice' }, 'the decision applies to the version that waited');
      await handle.executeUpdate(decideApprovalUpdate, { args: [{ approve: true, by: 'bob', reason: 'fine' }] });
      const run = await handle.result();
      const xgb = run.models.find((m) => m.family === 'xgboost')!;
      assert.equal(xgb.decision.outcome, 'accepted');
      assert.equal(xgb.decision.decidedBy, 'alice');
      assert.match(xgb.decision.reason, /approved by alice: metrics look right/);
      assert.equal(run.models.find((m) => m.family === 'linear-learner')!.decision.decidedBy, 'bob');
      assert.deepEqual(await handle.query(pendingApprovalsQuery), []);
      assert.deepEqual(calls.notifications.filter((n) => n.kind === 'approval.requested').length, 2);
      assert.deepEqual(calls.exported.sort(), ['linear-learner', 'xgboost']);
    });
  });

  it('when a person rejects, then the model is rejected with their reason, not exported, and a notification says so', async () => {
    await withRun({}, manualOnly, async (handle, calls) => {
      await pendingFamilies(handle, 2);
      await handle.executeUpdate(decideApprovalUpdate, { args: [{ family: 'linear-learner', approve: false, by: 'carol', reason: 'R2 too low for launch' }] });
      await handle.executeUpdate(decideApprovalUpdate, { args: [{ family: 'xgboost', approve: true, by: 'carol', reason: 'ok' }] });
      const run = await handle.result();
      const linear = run.models.find((m) => m.family === 'linear-learner')!;
      assert.equal(linear.decision.outcome, 'rejected');
      assert.equal(linear.decision.decidedBy, 'carol');
      assert.match(linear.decision.reason, /rejected by carol: R2 too low for launch/);
      assert.deepEqual(calls.exported, ['xgboost']);
      assert.deepEqual(calls.decisions.find((d) => d.family === 'linear-learner')?.status, 'Rejected');
      assert.ok(calls.notifications.some((n) => n.kind === 'model.rejected' && n.details?.family === 'linear-learner'));
    });
  });

  it('when nobody decides for the reminder delay, then a reminder goes out once, and a later approval still counts', async () => {
    await withRun({}, (i) => (i.config.models = i.config.models.slice(0, 1), manualOnly(i)), async (handle, calls) => {
      await pendingFamilies(handle, 1);
      await noActivityInFlight(handle);
      await env.sleep('5 hours');
      await pendingFamilies(handle, 1);
      await handle.executeUpdate(decideApprovalUpdate, { args: [{ approve: true, by: 'dave', reason: 'late but fine' }] });
      const run = await handle.result();
      assert.equal(run.models[0]!.decision.outcome, 'accepted');
      assert.deepEqual(calls.notifications.filter((n) => n.kind === 'approval.reminder').map((n) => n.details?.family), ['xgboost']);
    });
  });

  it('when nobody decides before the timeout, then the policy default applies and a notification says so', async () => {
    for (const onTimeout of ['reject', 'approve'] as const) {
      await withRun({}, (i) => (i.config.models = i.config.models.slice(0, 1), (i.config.approval = { ...MANUAL, onTimeout })), async (handle, calls) => {
        const run = await handle.result(); // time skips through the reminder and the deadline
        const xgb = run.models[0]!;
        assert.equal(xgb.decision.outcome, onTimeout === 'reject' ? 'rejected' : 'accepted');
        assert.equal(xgb.approval?.outcome, 'timed-out');
        assert.match(xgb.approval!.reason, /no decision within 3 days/);
        const kinds = calls.notifications.map((n) => n.kind);
        assert.ok(kinds.includes('approval.reminder'));
        assert.ok(kinds.includes('approval.timed-out'));
      });
    }
  });

  it('when the deadline comes, then the approval waits exactly until it (not a minute less), and a decision sent after it is refused with the deadline named', async () => {
    // The run stays open after the timeout (its endpoint is still being deployed) for the late decision.
    let release!: () => void;
    const deploying = new Promise<void>((r) => (release = r));
    let reachedDeploy = false;
    const duringEndpointWait = () => ((reachedDeploy = true), deploying);
    const configure = (i: TrainingInput) => {
      i.config.models = i.config.models.slice(0, 1);
      i.config.approval = { ...MANUAL, onTimeout: 'approve' };
      i.config.deployment = DEPLOYMENT;
    };
    await withRun({ duringEndpointWait }, configure, async (handle, calls) => {
      await pendingFamilies(handle, 1);
      const [xgb] = await handle.query(pendingApprovalsQuery);
      assert.equal(Date.parse(xgb!.remindAt) - Date.parse(xgb!.requestedAt), 4 * 3_600_000, 'the reminder is due 4 hours after the request');
      const waitMs = Date.parse(xgb!.deadline) - Date.parse(xgb!.requestedAt);
      assert.equal(waitMs, 3 * 24 * 3_600_000, 'the deadline is 3 days after the request');
      await noActivityInFlight(handle);
      await env.sleep(waitMs - 60_000);
      assert.equal((await handle.query(pendingApprovalsQuery)).length, 1, 'a minute before the deadline it still waits');
      assert.ok(!calls.notifications.some((n) => n.kind === 'approval.timed-out'));
      // Exactly to the deadline: the test server stops skipping time while the deployment activity
      // runs, so sleeping further would wait in real time.
      await env.sleep(60_000);
      for (let i = 0; i < 400 && !reachedDeploy; i++) await new Promise((r) => setTimeout(r, 25));
      assert.ok(reachedDeploy, 'after the deadline the policy default (approve) applied and the model is being deployed');
      assert.deepEqual(await handle.query(pendingApprovalsQuery), []);
      await assert.rejects(handle.executeUpdate(decideApprovalUpdate, { args: [{ family: 'xgboost', approve: false, by: 'hank', reason: 'too late to object?' }] }), (err: unknown) => {
        assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
        assert.equal(err.cause?.message, `xgboost version ${xgb!.version}: the approval timed out at ${xgb!.deadline}; the policy default applied (approve)`);
        return true;
      });
      release();
      const run = await handle.result();
      assert.deepEqual([run.models[0]!.approval?.outcome, run.models[0]!.decision.outcome], ['timed-out', 'accepted']);
    });
  });

  it('when a decision is incomplete or does not apply, then the update is rejected with a clear message and nothing changes', async () => {
    await withRun({}, manualOnly, async (handle) => {
      await pendingFamilies(handle, 2);
      const rejects = async (input: ApprovalDecisionInput, message: RegExp) => {
        await assert.rejects(handle.executeUpdate(decideApprovalUpdate, { args: [input] }), (err: unknown) => {
          assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
          assert.match(String((err as WorkflowUpdateFailedError).cause?.message), message);
          return true;
        });
      };
      await rejects({ family: 'xgboost', approve: true, by: '', reason: 'x' }, /approver is required/);
      await rejects({ family: 'xgboost', approve: true, by: 'erin', reason: ' ' }, /reason is required/);
      await rejects({ approve: true, by: 'erin', reason: 'x' }, /several approvals are pending \(.*\): name one with --model/);
      await handle.executeUpdate(decideApprovalUpdate, { args: [{ family: 'xgboost', approve: true, by: 'erin', reason: 'ok' }] });
      await rejects({ family: 'xgboost', approve: false, by: 'frank', reason: 'no' }, /xgboost version 1 was already approved by erin/);
      assert.deepEqual((await handle.query(pendingApprovalsQuery)).map((p) => p.family), ['linear-learner']);
      await handle.executeUpdate(decideApprovalUpdate, { args: [{ approve: true, by: 'erin', reason: 'ok' }] });
      await handle.result();
    });
  });

  it('when the policy is manual-first-version, then only a family without an approved version waits', async () => {
    await withRun(
      { champion: { xgboost: { version: 4, validationRmse: 9999 } }, metrics: { xgboost: metrics(2300) } },
      (i) => (i.config.approval = { ...MANUAL, policy: 'manual-first-version' }),
      async (handle) => {
        assert.deepEqual(await pendingFamilies(handle, 1), ['linear-learner']);
        await handle.executeUpdate(decideApprovalUpdate, { args: [{ approve: true, by: 'gina', reason: 'first linear model' }] });
        const run = await handle.result();
        assert.equal(run.models.find((m) => m.family === 'xgboost')!.approval, undefined);
        assert.equal(run.models.find((m) => m.family === 'linear-learner')!.approval?.by, 'gina');
      },
    );
  });

  it('when deployment is configured, then each accepted model gets an endpoint config with data capture and its endpoint, exported with it', async () => {
    await withRun(
      {},
      (i) =>
        (i.config.deployment = DEPLOYMENT),
      async (handle, calls) => {
        const run = await handle.result();
        assert.deepEqual(calls.deployed.map((d) => d.endpointName).sort(), ['mlops-linear-learner', 'mlops-xgboost']);
        assert.equal(calls.endpointConfigs.length, 2);
        for (const m of run.models) {
          assert.equal(m.endpoint?.endpointName, `mlops-${m.family}`);
          assert.equal(m.endpoint?.action, 'created');
        }
        const order = calls.activities.filter((a) => a.includes('xgboost'));
        assert.ok(order.indexOf('computeModelQualityBaseline:xgboost') < order.indexOf('createEndpointConfig:xgboost'));
        assert.ok(order.indexOf('computeModelQualityBaseline:xgboost') < order.indexOf('createEndpointConfig:xgboost'));
        const steps = calls.activities.filter((a) => a.endsWith('mlops-xgboost') || a === 'exportChampionConfig:xgboost');
        assert.deepEqual(steps, ['describeEndpointState:mlops-xgboost', 'createEndpoint:mlops-xgboost', 'waitForEndpoint:mlops-xgboost', 'exportChampionConfig:xgboost']);
      },
    );
  });
});
