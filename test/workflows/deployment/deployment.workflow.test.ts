import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { DEFAULT_ROLLBACK_ALARMS, type DeploymentPolicy, type DeploymentState, type EndpointDeploymentInput, type EndpointDeploymentResult } from '../../../common/types/deployment';
import { endpointDeployment } from '../../../workflows';
import { abortDeploymentUpdate, deploymentStateQuery, promoteDeploymentUpdate } from '../../../workflows/deployment/deployment.messages';
import type { Activities } from '../../../activities';
import { createTimeSkippingEnv } from '../../helpers/temporal-env';
import { DEPLOYMENT, mockActivities, type MockBehaviour, type MockCalls } from '../../helpers/training-fixtures';
import { bundleWorkflows } from '../../helpers/workflow-bundle';

const OLD = 'model-xgboost-6';
const NEW = 'model-xgboost-7';
const CANARY: DeploymentPolicy = { type: 'canary', canaryShare: 0.1, canaryBake: '1 minute', finalBake: '1 minute' };

describe('endpointDeployment workflow (mocked activities, time skipping)', function () {
  this.timeout(90_000);
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundle;

  before(async () => {
    [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
  });

  after(async () => {
    await env?.teardown();
  });

  /** An endpoint serving OLD from cfg-old; the new configuration cfg-new serves NEW. */
  async function run(
    behaviour: MockBehaviour,
    overrides: Partial<EndpointDeploymentInput> = {},
    act?: (handle: WorkflowHandle<typeof endpointDeployment>) => Promise<void>,
  ): Promise<{ result: EndpointDeploymentResult; calls: MockCalls; state: DeploymentState }> {
    const { outcome, calls, state } = await runTo(behaviour, overrides, act);
    if (outcome instanceof Error) throw outcome;
    return { result: outcome, calls, state };
  }

  /** As run, with some activities replaced (`patch` sees the mocks), and a failed run's error returned. */
  async function runTo(
    behaviour: MockBehaviour,
    overrides: Partial<EndpointDeploymentInput> = {},
    act?: (handle: WorkflowHandle<typeof endpointDeployment>) => Promise<void>,
    patch?: (mocks: Activities, calls: MockCalls) => Partial<Activities>,
  ): Promise<{ outcome: EndpointDeploymentResult | Error; calls: MockCalls; state: DeploymentState }> {
    const taskQueue = `deployment-${randomUUID()}`;
    const mocked = mockActivities({ endpoints: { 'mlops-xgboost': { endpointConfigName: 'cfg-old', status: 'InService', modelName: OLD } }, ...behaviour });
    const calls = mocked.calls;
    const activities: Activities = { ...mocked.activities, ...patch?.(mocked.activities, calls) };
    await activities.createEndpointConfig({ endpointConfigName: 'cfg-new', family: 'xgboost', modelName: NEW, deployment: DEPLOYMENT });
    calls.activities.length = 0;
    const input: EndpointDeploymentInput = {
      endpointName: 'mlops-xgboost',
      family: 'xgboost',
      target: { modelName: NEW, version: 7, endpointConfigName: 'cfg-new' },
      policy: CANARY,
      alarms: DEFAULT_ROLLBACK_ALARMS,
      requestedBy: { workflowId: 'training/test', kind: 'training' },
      taskQueues: { orchestration: taskQueue, compute: taskQueue },
      ...overrides,
    };
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    return worker.runUntil(async () => {
      const handle = await env.client.workflow.start(endpointDeployment, { taskQueue, workflowId: `deployment/test/${randomUUID()}`, args: [input] });
      await act?.(handle);
      const outcome = await handle.result().catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      if (process.env.DEBUG_HISTORY) for (const e of (await handle.fetchHistory()).events ?? []) console.log(e.eventTime?.seconds?.toString(), e.eventType);
      return { outcome, calls, state: await handle.query(deploymentStateQuery) };
    });
  }

  /** Waits (real time, bounded) until the deployment shows a state the test can act on. */
  async function until(handle: WorkflowHandle<typeof endpointDeployment>, ok: (s: DeploymentState) => boolean): Promise<DeploymentState> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const s = await handle.query(deploymentStateQuery);
      if (ok(s)) return s;
      if (Date.now() > deadline) throw new Error(`deployment never reached the state; last: ${s.phase}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('when a healthy model is deployed by canary, then 10 % bakes, then all of it, and the endpoint ends on the new configuration alone', async () => {
    const { result, calls, state } = await run({});
    assert.equal(result.outcome, 'deployed');
    assert.equal(result.endpointConfigName, 'cfg-new');
    assert.deepEqual(calls.weights, [`${OLD}=0.9,${NEW}=0.1`, `${OLD}=0,${NEW}=1`]);
    assert.deepEqual(calls.deployed.map((d) => d.endpointConfigName).slice(-1), ['cfg-new']);
    assert.ok(calls.activities.filter((a) => a.startsWith('readDeploymentMetrics')).length >= 20, 'alarms read every 5 s of both bakes');
    assert.equal(state.phase, 'completed');
    assert.deepEqual(state.traffic.map((t) => [t.modelName, t.share]), [[NEW, 1]]);
    assert.deepEqual(state.alarms.map((a) => [a.name, a.state]), [['error-rate', 'OK'], ['p99-latency', 'OK']]);
    assert.equal(state.previous?.modelName, OLD);
  });

  it('when the policy is linear, then the new model gains a step share every interval until all of it', async () => {
    const { result, calls } = await run({}, { policy: { type: 'linear', stepShare: 0.25, stepInterval: '30 seconds', finalBake: '30 seconds' } });
    assert.equal(result.outcome, 'deployed');
    assert.deepEqual(calls.weights, [`${OLD}=0.75,${NEW}=0.25`, `${OLD}=0.5,${NEW}=0.5`, `${OLD}=0.25,${NEW}=0.75`, `${OLD}=0,${NEW}=1`]);
  });

  it('when the policy is all at once with a final bake, then all traffic moves in one step and bakes beside the kept old model', async () => {
    const { result, calls } = await run({}, { policy: { type: 'all-at-once', finalBake: '1 minute' } });
    assert.equal(result.outcome, 'deployed');
    assert.deepEqual(calls.weights, [`${OLD}=0,${NEW}=1`]);
    assert.ok(calls.activities.includes('createTransitionConfig:mlops-xgboost'));
  });

  it('when the policy is the default (all at once, no bake), then step 10 is what it always was: update in place and wait', async () => {
    const { result, calls } = await run({}, { policy: { type: 'all-at-once', finalBake: '0 seconds' } });
    assert.equal(result.outcome, 'deployed');
    assert.equal(result.action, 'updated');
    assert.deepEqual(calls.activities, ['describeEndpointState:mlops-xgboost', 'updateEndpoint:mlops-xgboost', 'waitForEndpoint:mlops-xgboost']);
  });

  it('when the endpoint does not exist yet, then it is created (nothing to shift from) and autoscaling is registered on the new variant', async () => {
    const { result, calls } = await run({ endpoints: {} }, { autoscaling: { minInstances: 1, maxInstances: 3, targetInvocationsPerInstancePerMinute: 600, scaleOutCooldown: '1 minute', scaleInCooldown: '5 minutes' } });
    assert.equal(result.action, 'created');
    assert.deepEqual(calls.weights, []);
    assert.deepEqual(calls.autoscaled, [`mlops-xgboost/${NEW}:1-3`]);
  });

  it('when the canary fails half of its requests, then the error-rate alarm trips, every request goes back to the old model in place, the old configuration returns and people are told', async () => {
    const { result, calls, state } = await run({ live: { failing: NEW, failShare: 0.5 } });
    assert.equal(result.outcome, 'rolled-back');
    assert.equal(result.rollback?.alarm, 'error-rate');
    assert.equal(result.endpointConfigName, 'cfg-old');
    assert.deepEqual(calls.weights, [`${OLD}=0.9,${NEW}=0.1`, `${OLD}=1,${NEW}=0`]);
    // Weights back first, then the configuration: the old model's instances never stop serving.
    const back = calls.activities.lastIndexOf('shiftTraffic:mlops-xgboost');
    assert.ok(back < calls.activities.lastIndexOf('updateEndpoint:mlops-xgboost'));
    assert.equal(calls.deployed.at(-1)?.endpointConfigName, 'cfg-old');
    assert.equal(state.phase, 'rolled-back');
    const note = calls.notifications.find((n) => n.kind === 'deployment.rolled-back');
    assert.match(note?.message ?? '', /error-rate: 10 of 20 request\(s\) failed/);
    assert.ok(calls.activities.filter((a) => a.startsWith('readDeploymentMetrics')).length <= 3, 'rolled back at the first judged reading');
  });

  it('when the new model is slow, then the p99 latency alarm rolls it back', async () => {
    const { result } = await run({ live: { slow: NEW, slowMs: 2000 } });
    assert.equal(result.outcome, 'rolled-back');
    assert.equal(result.rollback?.alarm, 'p99-latency');
  });

  it('when a person promotes during the canary, then the rest of the bake is skipped, all traffic moves and the decision names who and why', async () => {
    const { result, calls, state } = await run({}, { policy: { ...CANARY, canaryBake: '1 hour' } }, async (handle) => {
      await until(handle, (s) => s.phase === 'shifting' && s.readings.length > 0);
      await assert.rejects(handle.executeUpdate(promoteDeploymentUpdate, { args: [{ by: 'ana', reason: ' ' }] }), WorkflowUpdateFailedError);
      const after = await handle.executeUpdate(promoteDeploymentUpdate, { args: [{ by: 'ana', reason: 'dashboards look fine' }] });
      assert.equal(after.phase, 'shifting');
    });
    assert.equal(result.outcome, 'deployed');
    assert.equal(result.reason, 'promoted by ana: dashboards look fine');
    assert.equal(result.decision?.action, 'promote');
    assert.equal(state.decision?.by, 'ana');
    assert.deepEqual(calls.weights, [`${OLD}=0.9,${NEW}=0.1`, `${OLD}=0,${NEW}=1`]);
    assert.ok(calls.activities.filter((a) => a.startsWith('readDeploymentMetrics')).length < 50, 'the hour-long bake was not sat out');
  });

  it('when a person aborts during the final bake, then the deployment rolls back and records who and why; a second decision is refused', async () => {
    const { result, calls } = await run({}, { policy: { type: 'all-at-once', finalBake: '1 hour' } }, async (handle) => {
      await until(handle, (s) => s.phase === 'baking');
      await handle.executeUpdate(abortDeploymentUpdate, { args: [{ by: 'ben', reason: 'support tickets' }] });
      await assert.rejects(handle.executeUpdate(promoteDeploymentUpdate, { args: [{ by: 'ana', reason: 'too late' }] }), WorkflowUpdateFailedError);
    });
    assert.equal(result.outcome, 'rolled-back');
    assert.equal(result.rollback?.by, 'ben');
    assert.equal(result.reason, 'aborted by ben: support tickets');
    assert.deepEqual(calls.weights, [`${OLD}=0,${NEW}=1`, `${OLD}=1,${NEW}=0`]);
    assert.equal(calls.deployed.at(-1)?.endpointConfigName, 'cfg-old');
  });

  it("when SageMaker's guardrails deploy (aws), then the workflow creates the alarms, starts the guarded update, follows it and deletes the alarms", async () => {
    const { result, calls, state } = await run({ managed: 'deployed' });
    assert.equal(result.outcome, 'deployed');
    assert.notEqual(result.endpointConfigName, 'cfg-new', 'a configuration that keeps the variant name, as the guardrails need');
    assert.deepEqual(state.traffic.map((t) => [t.variantName, t.modelName]), [[OLD, NEW]]);
    assert.deepEqual(
      calls.activities.filter((a) => !a.startsWith('describeGuardedDeployment')),
      ['prepareDeployment:mlops-xgboost', 'createTransitionConfig:mlops-xgboost', 'putRollbackAlarms:mlops-xgboost', 'describeEndpointState:mlops-xgboost', 'startGuardedUpdate:mlops-xgboost', 'deleteRollbackAlarms'],
    );
  });

  it("when SageMaker's guardrails deploy (aws), then the rollback alarms watch the new configuration's fleet, not both fleets under the shared variant name", async () => {
    const alarmInputs: Parameters<Activities['putRollbackAlarms']>[0][] = [];
    const { outcome } = await runTo({ managed: 'deployed' }, {}, undefined, (mocks) => ({
      async putRollbackAlarms(input) {
        alarmInputs.push(input);
        return mocks.putRollbackAlarms(input);
      },
    }));
    assert.ok(!(outcome instanceof Error), String(outcome));
    assert.equal(alarmInputs.length, 1);
    assert.equal(alarmInputs[0]!.variantName, OLD);
    assert.equal(alarmInputs[0]!.endpointConfigName, (outcome as EndpointDeploymentResult).endpointConfigName);
  });

  it("when SageMaker's guardrails roll the update back on an alarm, then the deployment reports the rollback and the alarm", async () => {
    const { result, calls } = await run({ managed: 'rolled-back' });
    assert.equal(result.outcome, 'rolled-back');
    assert.match(result.reason, /-errors/);
    // What was deregistered before the update (an autoscaled variant SageMaker would refuse to change) comes back.
    assert.ok(calls.activities.includes('restoreAutoscaling:mlops-xgboost'), calls.activities.join(' '));
    assert.ok(calls.notifications.some((n) => n.kind === 'deployment.rolled-back'));
  });

  it('when the worker stops mid-canary and another takes over, then the deployment resumes where it was (the split already applied) and completes', async () => {
    const taskQueue = `deployment-${randomUUID()}`;
    const { activities, calls } = mockActivities({ endpoints: { 'mlops-xgboost': { endpointConfigName: 'cfg-old', status: 'InService', modelName: OLD } } });
    await activities.createEndpointConfig({ endpointConfigName: 'cfg-new', family: 'xgboost', modelName: NEW, deployment: DEPLOYMENT });
    const input: EndpointDeploymentInput = {
      endpointName: 'mlops-xgboost',
      family: 'xgboost',
      target: { modelName: NEW, version: 7, endpointConfigName: 'cfg-new' },
      policy: { ...CANARY, canaryBake: '2 minutes' },
      alarms: DEFAULT_ROLLBACK_ALARMS,
      requestedBy: { workflowId: 'training/test', kind: 'training' },
      taskQueues: { orchestration: taskQueue, compute: taskQueue },
    };
    const first = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities, maxCachedWorkflows: 0 });
    const handle = await first.runUntil(async () => {
      const h = await env.client.workflow.start(endpointDeployment, { taskQueue, workflowId: `deployment/test/${randomUUID()}`, args: [input] });
      await until(h, (s) => s.phase === 'shifting' && s.readings.length > 0);
      return h;
    });
    const shiftedBefore = calls.weights.length;
    const second = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    const result = await second.runUntil(handle.result());
    assert.equal(result.outcome, 'deployed');
    assert.equal(shiftedBefore, 1, 'the canary split was applied by the first worker');
    assert.deepEqual(calls.weights, [`${OLD}=0.9,${NEW}=0.1`, `${OLD}=0,${NEW}=1`], 'the second worker did not shift the canary again');
  });

  describe('failures', () => {
    const failOn = (match: (weights: string) => boolean) => (mocks: Activities, calls: MockCalls): Partial<Activities> => ({
      async shiftTraffic(input) {
        const weights = input.weights.map((w) => `${w.variantName}=${w.weight}`).join(',');
        if (match(weights)) {
          calls.activities.push(`shiftTraffic:${input.endpointName}`);
          throw ApplicationFailure.nonRetryable(`the endpoint refused ${weights}`, 'ValidationException');
        }
        return mocks.shiftTraffic(input);
      },
    });

    it('when moving all traffic to the new model fails after the canary, then every request goes back to the old model and its configuration returns before the deployment fails', async () => {
      const { outcome, calls, state } = await runTo({}, {}, undefined, failOn((w) => w === `${OLD}=0,${NEW}=1`));
      assert.ok(outcome instanceof WorkflowFailedError, 'the deployment fails');
      assert.deepEqual(calls.weights, [`${OLD}=0.9,${NEW}=0.1`, `${OLD}=1,${NEW}=0`]);
      assert.equal(calls.deployed.at(-1)?.endpointConfigName, 'cfg-old');
      assert.equal(state.phase, 'failed');
      assert.match(state.rollback?.reason ?? '', /^the deployment failed: the endpoint refused/);
      assert.deepEqual(state.traffic.map((t) => [t.modelName, t.share]), [[OLD, 1]]);
    });

    it('when the deployment is cancelled mid-canary, then every request goes back to the old model and its configuration returns before it ends cancelled', async () => {
      const { outcome, calls } = await runTo({}, { policy: { ...CANARY, canaryBake: '1 hour' } }, async (handle) => {
        await until(handle, (s) => s.phase === 'shifting' && s.readings.length > 0);
        await handle.cancel();
      });
      assert.ok(outcome instanceof WorkflowFailedError && outcome.cause instanceof CancelledFailure, `cancelled, got ${String(outcome)}`);
      assert.deepEqual(calls.weights, [`${OLD}=0.9,${NEW}=0.1`, `${OLD}=1,${NEW}=0`]);
      assert.equal(calls.deployed.at(-1)?.endpointConfigName, 'cfg-old');
    });

    it('when a shadow test is cancelled, then the old configuration returns (the shadow is taken away)', async () => {
      const policy: DeploymentPolicy = { type: 'shadow', shadowShare: 0.5, shadowPeriod: '1 hour', promotion: 'auto', decisionTimeout: '1 hour', finalBake: '30 seconds' };
      const { outcome, calls } = await runTo({}, { policy }, async (handle) => {
        await until(handle, (s) => s.phase === 'shadowing' && s.readings.length > 0);
        await handle.cancel();
      });
      assert.ok(outcome instanceof WorkflowFailedError);
      assert.deepEqual(calls.weights, []);
      assert.equal(calls.deployed.at(-1)?.endpointConfigName, 'cfg-old');
    });

    it('when an abort is accepted while the final bake takes its last reading, then it is acted on (rolled back), not dropped', async () => {
      let reads = 0;
      let release: () => void = () => undefined;
      const held = new Promise<void>((r) => (release = r));
      let holding = false;
      const { outcome, calls } = await runTo(
        {},
        { policy: { type: 'all-at-once', finalBake: '2 seconds' }, alarms: { ...DEFAULT_ROLLBACK_ALARMS, evaluationInterval: '2 seconds' } },
        async (handle) => {
          const deadline = Date.now() + 20_000;
          while (!holding) {
            if (Date.now() > deadline) throw new Error('the last reading never started');
            await new Promise((r) => setTimeout(r, 25));
          }
          await handle.executeUpdate(abortDeploymentUpdate, { args: [{ by: 'ben', reason: 'support tickets' }] });
          release();
        },
        (mocks) => ({
          async readDeploymentMetrics(input) {
            reads += 1;
            // The first reading opens the bake; the second is its last (the bake ends as its timer fires).
            if (reads === 2) {
              holding = true;
              await held;
            }
            return mocks.readDeploymentMetrics(input);
          },
        }),
      );
      assert.ok(!(outcome instanceof Error), String(outcome));
      assert.equal(outcome.outcome, 'rolled-back');
      assert.equal(outcome.reason, 'aborted by ben: support tickets');
      assert.equal(calls.deployed.at(-1)?.endpointConfigName, 'cfg-old');
    });

    it('when a metrics read fails for good, then that reading counts as insufficient data and the deployment goes on', async () => {
      let reads = 0;
      const { outcome, state } = await runTo({}, {}, undefined, (mocks) => ({
        async readDeploymentMetrics(input) {
          reads += 1;
          if (reads === 3) throw ApplicationFailure.nonRetryable('CloudWatch throttled the read', 'ThrottlingException');
          return mocks.readDeploymentMetrics(input);
        },
      }));
      assert.ok(!(outcome instanceof Error), `deployed, got ${String(outcome)}`);
      assert.equal(outcome.outcome, 'deployed');
      assert.ok(reads > 3);
      assert.equal(state.phase, 'completed');
    });
  });

  it('when the alarms would be read more often than MAX_ALARM_READINGS allows over the whole bake, then the readings are spread to stay within it', async () => {
    let timers: number[] = [];
    await runTo({}, { policy: { type: 'all-at-once', finalBake: '3 hours' }, alarms: { ...DEFAULT_ROLLBACK_ALARMS, evaluationInterval: '1 second' } }, async (handle) => {
      await until(handle, (s) => s.phase === 'baking' && s.readings.length > 0);
      const events = (await handle.fetchHistory()).events ?? [];
      timers = events.flatMap((e) => (e.timerStartedEventAttributes?.startToFireTimeout ? [Number(e.timerStartedEventAttributes.startToFireTimeout.seconds ?? 0)] : []));
      await handle.cancel();
    });
    // 3 hours over 2,000 readings: one every 5.4 s, not every second.
    assert.ok(timers.length > 0 && timers.every((t) => t >= 5), `timers ${timers.join(', ')}`);
  });

  describe("SageMaker's guarded update (aws) ends otherwise", () => {
    /** describeGuardedDeployment answers `status` for `times` calls, then the old configuration InService (what the old loop waited for). */
    const follow = (status: 'UpdateRollbackFailed' | 'OutOfService' | 'Deleting' | 'absent' | 'Updating', times: number) => (): Partial<Activities> => {
      let n = 0;
      return {
        async describeGuardedDeployment(input) {
          n += 1;
          const alarms = input.alarmNames.map((alarmName) => ({ alarmName, state: 'OK' as const, reason: 'test' }));
          if (n > times) return { status: 'InService', endpointConfigName: 'cfg-old', lastModifiedTime: '2026-01-01T01:00:00Z', alarms };
          return status === 'absent' ? { status, alarms } : { status, endpointConfigName: 'cfg-old', lastModifiedTime: '2026-01-01T00:05:00Z', alarms };
        },
      };
    };

    for (const status of ['UpdateRollbackFailed', 'OutOfService', 'Deleting', 'absent'] as const) {
      it(`when the endpoint turns ${status} during the update, then the deployment fails at once naming the status`, async () => {
        const { outcome } = await runTo({ managed: 'deployed' }, {}, undefined, follow(status, 1000));
        assert.ok(outcome instanceof WorkflowFailedError, `failed, got ${String(outcome)}`);
        assert.match(String((outcome.cause as Error | undefined)?.message), new RegExp(`the endpoint is ${status}`));
      });
    }

    it('when following the update fails while SageMaker may still run it, then its rollback alarms are left in place (it rolls back on them)', async () => {
      const { outcome, calls } = await runTo({ managed: 'deployed' }, {}, undefined, () => ({
        async describeGuardedDeployment() {
          throw ApplicationFailure.nonRetryable('AccessDenied on DescribeEndpoint', 'AccessDenied');
        },
      }));
      assert.ok(outcome instanceof WorkflowFailedError);
      assert.ok(!calls.activities.includes('deleteRollbackAlarms'), calls.activities.join(' '));
    });

    it('when starting the guarded update fails, then the rollback alarms it would have used are deleted', async () => {
      const { outcome, calls } = await runTo({ managed: 'deployed' }, {}, undefined, () => ({
        async startGuardedUpdate() {
          throw ApplicationFailure.nonRetryable('UpdateEndpoint refused', 'ValidationException');
        },
      }));
      assert.ok(outcome instanceof WorkflowFailedError);
      assert.equal(calls.activities.at(-1), 'deleteRollbackAlarms');
    });

    it("when the policy is past SageMaker's blue/green limits (a 60 % canary), then the deployment is refused before anything is created", async () => {
      const { outcome, calls } = await runTo({ managed: 'deployed' }, { policy: { ...CANARY, canaryShare: 0.6 } });
      assert.ok(outcome instanceof WorkflowFailedError);
      assert.match(String((outcome.cause as Error | undefined)?.message), /policy\.canaryShare: at most 0\.5 on aws/);
      assert.deepEqual(calls.activities, ['prepareDeployment:mlops-xgboost']);
    });

    it('when the update never ends, then the deployment fails once SageMaker\'s own timeout and a margin have passed', async () => {
      const { outcome } = await runTo({ managed: 'deployed' }, { alarms: { ...DEFAULT_ROLLBACK_ALARMS, evaluationInterval: '5 minutes' } }, undefined, follow('Updating', 100));
      assert.ok(outcome instanceof WorkflowFailedError, `failed, got ${String(outcome)}`);
      assert.match(String((outcome.cause as Error | undefined)?.message), /gave no verdict within 64 minutes \(endpoint Updating\)/);
    });
  });

  describe('shadow', () => {
    const SHADOW: DeploymentPolicy = { type: 'shadow', shadowShare: 0.5, shadowPeriod: '30 seconds', promotion: 'auto', maxMedianRelativeDifference: 0.05, decisionTimeout: '1 hour', finalBake: '30 seconds' };

    it('when the shadow agrees with the champion, then it is promoted by rule after its period: mirrored only, then all traffic, with the comparison kept', async () => {
      const { result, calls, state } = await run({}, { policy: SHADOW });
      assert.equal(result.outcome, 'deployed');
      assert.equal(calls.activities.filter((a) => a.startsWith('createTransitionConfig')).length, 2, 'a shadow configuration, then the transition');
      assert.deepEqual(calls.weights, [`${OLD}=0,${NEW}=1`], 'the new model answered nothing before its promotion');
      assert.ok((state.shadow?.pairs ?? 0) > 0);
      assert.equal(state.shadow?.championVariant, OLD);
      assert.ok((state.shadow?.relativeDifference.p50 ?? 1) <= 0.001);
    });

    it('when the shadow answers differently from the champion, then it is not promoted and the endpoint keeps the old configuration', async () => {
      const { result, calls } = await run({ live: { shadowDifference: 0.5 } }, { policy: SHADOW });
      assert.equal(result.outcome, 'rolled-back');
      assert.match(result.reason, /differ from the champion's by a median of .* \(limit 0.05\)/);
      assert.deepEqual(calls.weights, []);
      assert.equal(calls.deployed.at(-1)?.endpointConfigName, 'cfg-old');
    });

    it('when the shadow fails half of its mirrored requests, then its error-rate alarm ends the test before the period', async () => {
      const { result } = await run({ live: { failing: NEW, failShare: 0.5 } }, { policy: SHADOW });
      assert.equal(result.outcome, 'rolled-back');
      assert.equal(result.rollback?.alarm, 'error-rate');
    });

    describe('on aws (ShadowProductionVariants, then the guarded update)', () => {
      const AWS_SHADOW: DeploymentPolicy = { type: 'shadow', shadowShare: 0.2, shadowPeriod: '30 seconds', promotion: 'auto', decisionTimeout: '1 hour', finalBake: '30 seconds' };
      const mirrored = (calls: MockCalls) => calls.deployed.find((d) => d.endpointConfigName !== 'cfg-old')?.endpointConfigName;

      it('when the shadow trips no alarm during its period, then it is promoted by rule and SageMaker\'s guarded update moves all traffic to it', async () => {
        const { result, calls } = await run({ managed: 'deployed' }, { policy: AWS_SHADOW });
        assert.equal(result.outcome, 'deployed');
        assert.match(result.reason, /^shadow promoted by rule; shadow 20 %/);
        const order = calls.activities.filter((a) => !a.startsWith('describe'));
        assert.deepEqual(order.slice(0, 6), ['prepareDeployment:mlops-xgboost', 'createTransitionConfig:mlops-xgboost', 'putRollbackAlarms:mlops-xgboost', 'updateEndpoint:mlops-xgboost', 'waitForEndpoint:mlops-xgboost', 'deleteRollbackAlarms']);
        assert.ok(order.indexOf('startGuardedUpdate:mlops-xgboost') > order.indexOf('deleteRollbackAlarms'), order.join(' '));
        assert.ok(calls.activities.some((a) => a.startsWith('describeGuardedDeployment')), 'the shadow alarms were read');
        assert.ok(mirrored(calls), 'the endpoint served the shadow configuration first');
      });

      it("when the shadow's alarm trips, then the shadow is taken away (the old configuration returns) and nothing is promoted", async () => {
        const { result, calls } = await run({ managed: 'deployed', shadowAlarm: true }, { policy: AWS_SHADOW });
        assert.equal(result.outcome, 'rolled-back');
        assert.equal(result.rollback?.alarm, 'error-rate');
        assert.equal(calls.deployed.at(-1)?.endpointConfigName, 'cfg-old');
        assert.ok(!calls.activities.includes('startGuardedUpdate:mlops-xgboost'));
      });

      it('when a person promotes the shadow before its period ends, then the guarded update starts and the result names who', async () => {
        const { result } = await run({ managed: 'deployed' }, { policy: { ...AWS_SHADOW, shadowPeriod: '1 hour' } }, async (handle) => {
          await until(handle, (st) => st.phase === 'shadowing');
          await handle.executeUpdate(promoteDeploymentUpdate, { args: [{ by: 'dana', reason: 'latency matches' }] });
        });
        assert.equal(result.outcome, 'deployed');
        assert.match(result.reason, /^shadow promoted by dana: latency matches/);
        assert.equal(result.decision?.by, 'dana');
      });

      it("when SageMaker rolls the promoted update back (to the shadow configuration), then the old configuration is put back so nothing is mirrored any more", async () => {
        const { result, calls } = await run({ managed: 'rolled-back' }, { policy: AWS_SHADOW });
        assert.equal(result.outcome, 'rolled-back');
        assert.equal(result.endpointConfigName, 'cfg-old');
        assert.equal(calls.deployed.at(-1)?.endpointConfigName, 'cfg-old');
      });

      it('when the guarded update after the promotion cannot start, then the old configuration returns (nothing is mirrored any more) before the deployment fails', async () => {
        const { outcome, calls } = await runTo({ managed: 'deployed' }, { policy: AWS_SHADOW }, undefined, () => ({
          async startGuardedUpdate() {
            throw ApplicationFailure.nonRetryable('UpdateEndpoint refused', 'ValidationException');
          },
        }));
        assert.ok(outcome instanceof WorkflowFailedError);
        assert.equal(calls.deployed.at(-1)?.endpointConfigName, 'cfg-old');
      });

      it('when the shadow is to be judged by paired predictions, then aws refuses the policy before anything is created', async () => {
        const { outcome, calls } = await runTo({ managed: 'deployed' }, { policy: { ...AWS_SHADOW, maxMedianRelativeDifference: 0.05 } });
        assert.ok(outcome instanceof WorkflowFailedError);
        assert.match(String((outcome.cause as Error | undefined)?.message), /policy\.maxMedianRelativeDifference: not available on aws/);
        assert.deepEqual(calls.activities, ['prepareDeployment:mlops-xgboost']);
      });
    });

    it('when promotion is manual, then the deployment waits for a person, who promotes it, or times out and is not promoted', async () => {
      const manual: DeploymentPolicy = { ...SHADOW, promotion: 'manual', shadowPeriod: '1 second' };
      const promoted = await run({}, { policy: manual }, async (handle) => {
        await until(handle, (s) => s.phase === 'awaiting-decision');
        await handle.executeUpdate(promoteDeploymentUpdate, { args: [{ by: 'cleo', reason: 'differences explained' }] });
      });
      assert.equal(promoted.result.outcome, 'deployed');
      assert.match(promoted.result.reason, /^shadow promoted by cleo: differences explained/);
      const timedOut = await run({}, { policy: manual });
      assert.equal(timedOut.result.outcome, 'rolled-back');
      assert.equal(timedOut.result.reason, 'nobody promoted the shadow within 1 hour');
    });
  });
});
