import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { createDriftAlertActivities } from '../../../activities/monitoring/drift-alert';
import type { Backend } from '../../../activities/backends/types';
import { createWorkflowPort } from '../../../services/workflow-port';
import { parseConfig, taskQueuesOf } from '../../../common/config/parse';
import { lifecycleWorkflowId } from '../../../common/ids';
import type { DriftAlert, MonitoringResult } from '../../../common/types/monitoring';
import { monitoringPipeline } from '../../../workflows';
import { lifecycleStateQuery } from '../../../workflows/lifecycle/lifecycle.messages';
import { MILEAGE_DRIFT, monitoringInput } from '../../helpers/monitoring-fixtures';
import { createTimeSkippingEnv, noActivityInFlight } from '../../helpers/temporal-env';
import { mockActivities } from '../../helpers/training-fixtures';
import { bundleWorkflows } from '../../helpers/workflow-bundle';

const HOURS_IN_WEEK = 7 * 24;
/** Day 3 starts at hour 48: the traffic shifts then. */
const DRIFT_FROM_HOUR = 48;
/** No traffic at night (03:00-05:59): those runs find no new data. */
const isNight = (hour: number) => [3, 4, 5].includes(hour % 24);
/** The retrained model becomes champion (and its baseline covers the shifted traffic) this many hours after retraining starts. */
const RETRAINING_TAKES_HOURS = 3;

/**
 * A week of hourly monitoring, as the monitoring schedule would run it, on the time-skipping test
 * server. That server has no Schedules API, so the test plays the schedule: every hour it starts
 * the run the schedule would start (deterministic id per scheduled time, one at a time like the
 * SKIP overlap policy). The monitoring and lifecycle workflows are the real ones; activities are
 * mocked, except that the drift alert is the real activity: it starts the lifecycle with the
 * retraining settings of the configuration (MLOPS_RETRAINING_POLICY=retrain) and signals it.
 */
describe('a week of hourly monitoring schedules (time skipping)', function () {
  this.timeout(240_000);
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundle;

  before(async () => {
    [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
  });

  after(async () => {
    await env?.teardown();
  });

  it('when drift is injected on day 3, then alerts reach the lifecycle and exactly one retraining starts despite repeated alerts in the cool-down; nights without data end quietly', async () => {
    const config = parseConfig({ MLOPS_TASK_QUEUE_SUFFIX: `-week-${randomUUID()}`, MLOPS_RETRAINING_POLICY: 'retrain', MLOPS_RETRAINING_COOL_DOWN: '24 hours', MLOPS_RETRAINING_DATA_URI: 's3://mlops/training/cars.csv' }, '/tmp');
    const queues = taskQueuesOf(config);
    const lifecycleId = lifecycleWorkflowId('xgboost');
    // A plain client: waiting for a result does not unlock time skipping, so the server's clock moves
    // only by the hours this test sleeps (the time-skipping client's `execute` lets it run ahead to
    // whatever it finds while the test waits, which under load made the cool-down look centuries old).
    const client = new Client({ connection: env.connection, namespace: env.namespace ?? 'default' });
    const realAlert = createDriftAlertActivities(createWorkflowPort(client, {} as Backend, config));
    let hour = 0;
    let retrainedAtHour: number | undefined;
    const driftNow = () => hour >= DRIFT_FROM_HOUR && (retrainedAtHour === undefined || hour < retrainedAtHour + RETRAINING_TAKES_HOURS);

    const { activities: base, calls } = mockActivities();
    const activities: typeof base = {
      ...base,
      async consolidateCapture(input) {
        const windowEnd = new Date(Date.UTC(2026, 0, 1, hour)).toISOString();
        if (isNight(hour)) return { filesRead: 0, windowStart: windowEnd, windowEnd };
        return base.consolidateCapture(input);
      },
      async runDataQualityMonitor(input) {
        const report = await base.runDataQualityMonitor(input);
        return { ...report, violations: driftNow() ? [MILEAGE_DRIFT] : [] };
      },
      async raiseDriftAlert(alert: DriftAlert) {
        calls.raisedAlerts.push(alert);
        return realAlert.raiseDriftAlert(alert);
      },
      async startRetraining(input) {
        assert.equal(input.dataUri, 's3://mlops/training/cars.csv', 'retraining runs on the configured latest training data');
        retrainedAtHour ??= hour;
        return base.startRetraining(input);
      },
    };

    const [orchestration, compute] = await Promise.all(
      [queues.orchestration, queues.compute].map((taskQueue) => Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities })),
    );
    const results: MonitoringResult[] = [];
    await compute!.runUntil(orchestration!.runUntil(async () => {
      const input = { ...monitoringInput(queues.compute, 'schedule'), config: { ...monitoringInput(queues.compute).config, taskQueues: queues } };
      const taskQueue = queues.orchestration;
      for (hour = 0; hour < HOURS_IN_WEEK; hour++) {
        await env.sleep('1 hour');
        const scheduledAt = new Date(Date.UTC(2026, 0, 1, hour)).toISOString();
        results.push(await client.workflow.execute(monitoringPipeline, { taskQueue, workflowId: `monitoring-xgboost-${scheduledAt}`, args: [input] }));
        // The lifecycle handles each alert before the next hour's run, as it would within an hour. Its
        // last step per alert is a notification: until then an activity may be in flight, and
        // skipping an hour under it would time it out (and retry it).
        if (results.at(-1)!.outcome === 'drift') {
          const alerts = calls.raisedAlerts.length;
          const handled = () => calls.notifications.filter((n) => n.kind.startsWith('lifecycle.')).length >= alerts;
          for (let i = 0; i < 1000 && !handled(); i++) await new Promise((r) => setTimeout(r, 10));
          assert.ok(handled(), `the lifecycle handled alert ${alerts} within 10 s`);
          await noActivityInFlight(client.workflow.getHandle(lifecycleId));
        }
      }
      const state = await client.workflow.getHandle(lifecycleId).query(lifecycleStateQuery);

      const outcomes = (o: MonitoringResult['outcome']) => results.filter((r) => r.outcome === o).length;
      const driftHours = results.flatMap((r, h) => (r.outcome === 'drift' ? [h] : []));
      assert.equal(results.length, HOURS_IN_WEEK);
      assert.equal(outcomes('no-data'), 7 * 3, 'every night hour ends quietly');
      // What the product decides, not what this script injects: the first monitoring run after the
      // shift finds it; every drift run alerts the lifecycle once; the first alert starts the one
      // retraining (a retried start names the same run); the others fall in the cool-down.
      assert.equal(driftHours[0], DRIFT_FROM_HOUR, 'the first run after the shift finds the drift');
      assert.ok(driftHours.length >= 2, `several runs alert within the cool-down: ${driftHours.join(', ')}`);
      assert.equal(outcomes('no-drift'), HOURS_IN_WEEK - 21 - driftHours.length);
      assert.equal(retrainedAtHour, DRIFT_FROM_HOUR, 'retraining starts on the first alert');
      assert.equal(new Set(calls.retrainings.map((r) => r.runName)).size, 1, `one retraining despite ${driftHours.length} alerts`);
      assert.equal(state.counts.alerts, driftHours.length, 'every drift run alerted the lifecycle once');
      assert.equal(state.counts.retrainingsStarted, 1);
      assert.equal(state.counts.suppressedByCoolDown, driftHours.length - 1);
      // Delivered once per id (a retried send is the same notification).
      const kinds = [...new Map(calls.notifications.map((n) => [n.id, n.kind])).values()];
      assert.equal(kinds.filter((k) => k === 'drift.detected').length, driftHours.length);
      assert.equal(kinds.filter((k) => k === 'lifecycle.retraining-started').length, 1);
      assert.equal(kinds.filter((k) => k === 'lifecycle.drift-cool-down').length, driftHours.length - 1);
      assert.ok(!kinds.some((k) => k.startsWith('monitoring.')), `no run failed and no-data runs notify nothing: ${kinds.join(', ')}`);
      assert.equal(state.policy, 'retrain', 'the lifecycle started with the configured policy');
    }));
  });
});
