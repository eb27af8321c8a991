import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import type { MonitoringResult } from '../../../common/types/monitoring';
import path from 'node:path';
import { createLocalBackend } from '../../../activities/backends/local';
import { createConsolidationActivities } from '../../../activities/monitoring/consolidate';
import { monitoringPipeline } from '../../../workflows';
import { MILEAGE_DRIFT, monitoringInput } from '../../helpers/monitoring-fixtures';
import { createTempDir, removeTempDir } from '../../helpers/temp-dir';
import { createTimeSkippingEnv } from '../../helpers/temporal-env';
import { mockActivities, type MockBehaviour, type MockCalls } from '../../helpers/training-fixtures';
import { bundleWorkflows } from '../../helpers/workflow-bundle';


describe('monitoringPipeline workflow (mocked activities)', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundle;

  before(async () => {
    [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
  });

  after(async () => {
    await env?.teardown();
  });

  async function run(behaviour: MockBehaviour): Promise<{ result?: MonitoringResult; error?: WorkflowFailedError; calls: MockCalls }> {
    const taskQueue = `monitoring-${randomUUID()}`;
    const { activities, calls } = mockActivities(behaviour);
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities });
    return worker.runUntil(async () => {
      try {
        return { result: await env.client.workflow.execute(monitoringPipeline, { taskQueue, workflowId: `monitoring-xgboost/${randomUUID()}`, args: [monitoringInput(taskQueue)] }), calls };
      } catch (err) {
        if (err instanceof WorkflowFailedError) return { error: err, calls };
        throw err;
      }
    });
  }

  it('when nothing new was captured, then the run ends quietly: no checks, no notification', async () => {
    const { result, calls } = await run({ consolidated: { filesRead: 0, realtimePrefix: undefined } });
    assert.equal(result?.outcome, 'no-data');
    assert.deepEqual(calls.monitorJobs, []);
    assert.deepEqual(calls.notifications, []);
  });

  it('when the captured data matches the baseline, then the run reports no drift and raises nothing', async () => {
    const { result, calls } = await run({});
    assert.equal(result?.outcome, 'no-drift');
    assert.equal(result?.dataQuality?.violations, 0);
    assert.equal(result?.modelQuality, undefined, 'no ground truth: no model-drift check');
    assert.ok(!calls.activities.includes('runModelQualityMonitor'));
    assert.deepEqual(calls.raisedAlerts, []);
    assert.deepEqual(calls.notifications, []);
  });

  it('when data drift is found, then a notification details every violation and a drift alert goes to the lifecycle', async () => {
    const { result, calls } = await run({ dataViolations: [MILEAGE_DRIFT] });
    assert.equal(result?.outcome, 'drift');
    const note = calls.notifications.find((n) => n.kind === 'drift.detected')!;
    assert.match(note.message, /Mileage baseline_drift_check: Numerical distance: 0\.3 exceeds/);
    assert.equal(calls.raisedAlerts.length, 1);
    const alert = calls.raisedAlerts[0]!;
    assert.deepEqual(alert.kinds, ['data']);
    assert.equal(alert.modelVersion, 3);
    assert.equal(alert.endpointName, 'mlops-xgboost');
    assert.match(alert.reportUri, /drift-records\.jsonl$/);
  });

  it('when ground truth arrived, then model drift is checked in parallel with data drift, and its violations count', async () => {
    const rmse = { checkType: 'GreaterThanThreshold', metric: 'rmse', description: "Metric rmse with 4100 +/- 50 was GreaterThanThreshold '2400'", currentValue: 4100, baselineValue: 2400 };
    // Each monitor job waits until the other one has started: run one after the other, they would never meet.
    const started = new Set<string>();
    let meet!: () => void;
    const bothStarted = new Promise<void>((r) => (meet = r));
    const duringMonitor = async (kind: 'data' | 'model') => {
      started.add(kind);
      if (started.size === 2) meet();
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the ${kind} monitor ran alone: the checks are not concurrent`)), 15_000).unref());
      await Promise.race([bothStarted, timeout]);
    };
    const { result, calls } = await run({ consolidated: { groundTruthPrefix: 's3://mlops/monitoring/in/ground-truth/' }, modelViolations: [rmse], duringMonitor });
    assert.deepEqual([...started].sort(), ['data', 'model'], 'data and model drift ran at the same time');
    assert.ok(calls.activities.includes('runModelQualityMonitor'));
    assert.equal(result?.modelQuality?.violations, 1);
    assert.deepEqual(calls.raisedAlerts[0]?.kinds, ['model']);
  });

  it('when batch scoring output was captured, then it is checked too', async () => {
    const { calls } = await run({ consolidated: { batchPrefix: 's3://mlops/monitoring/in/batch/' } });
    assert.deepEqual(calls.activities.filter((a) => a.startsWith('runDataQualityMonitor')).sort(), ['runDataQualityMonitor:batch-csv', 'runDataQualityMonitor:capture']);
    assert.equal(new Set(calls.monitorJobs).size, 2, 'one job per source, distinct names');
  });

  it('when the family has no approved model, then the run fails with a notification', async () => {
    const { error, calls } = await run({ noMonitoredModel: true });
    assert.ok(error);
    assert.ok(calls.notifications.some((n) => n.kind === 'monitoring.failed'));
  });

  it('when consolidation fails after taking its files and is retried, then the retry gets the same files and the next run reads none of them', async () => {
    const home = await createTempDir('mlops-monitoring-retry-');
    try {
      const backend = createLocalBackend({ home, python: 'python3', algorithmsDir: path.join(home, 'none'), endpointHostUrl: 'http://127.0.0.1:1' });
      const real = createConsolidationActivities(backend);
      for (const id of ['a', 'b', 'c']) await backend.objectStore.put(`s3://mlops/capture/mlops-xgboost/AllTraffic/2026/01/01/00/0${id === 'a' ? 1 : id === 'b' ? 2 : 3}-00-000-${id}.jsonl`, '{}\n');
      let attempts = 0;
      const taskQueue = `monitoring-${randomUUID()}`;
      const { activities, calls } = mockActivities();
      const worker = await Worker.create({
        connection: env.nativeConnection,
        taskQueue,
        workflowBundle: bundle,
        activities: {
          ...activities,
          async consolidateCapture(input: Parameters<typeof real.consolidateCapture>[0]) {
            const result = await real.consolidateCapture({ ...input, now: '2026-01-02T00:00:00Z' });
            if (++attempts === 1) throw new Error('worker lost after the bookmark was written');
            return result;
          },
        },
      });
      const results = await worker.runUntil(async () => {
        const out: MonitoringResult[] = [];
        for (let i = 0; i < 2; i++) out.push(await env.client.workflow.execute(monitoringPipeline, { taskQueue, workflowId: `monitoring-xgboost/${randomUUID()}`, args: [monitoringInput(taskQueue)] }));
        return out;
      });
      assert.equal(attempts, 3, 'first run: failed attempt + retry; second run: one attempt');
      assert.equal(results[0]!.filesRead, 3);
      assert.equal(results[1]!.filesRead, 0);
      assert.equal(results[1]!.outcome, 'no-data');
      assert.equal(calls.monitorJobs.length, 1, 'only the first run checked data');
    } finally {
      await removeTempDir(home);
    }
  });

  it('when a run finishes, then it settles its claims as done; when it fails after consolidating, then it releases them for the next run', async () => {
    const ok = await run({});
    assert.equal(ok.result?.outcome, 'no-drift');
    assert.deepEqual(ok.calls.settled.map((x) => x.outcome), ['done']);
    const failed = await run({ dataQualityError: ApplicationFailure.nonRetryable('processing job monitor-x failed: AlgorithmError: out of memory', 'JobFailed') });
    assert.ok(failed.error);
    assert.deepEqual(failed.calls.settled.map((x) => x.outcome), ['release']);
    assert.ok(failed.calls.notifications.some((n) => n.kind === 'monitoring.failed'));
  });

  it('when only new labels arrived (no new capture), then model drift is checked against the capture of the lookback window, and the run is not a quiet no-data run', async () => {
    const { result, calls } = await run({
      consolidated: { filesRead: 0, realtimePrefix: undefined, groundTruthPrefix: 's3://mlops/monitoring/in/ground-truth/', groundTruthFilesRead: 2, modelQualityCapturePrefix: 's3://mlops/monitoring/in/model-quality-capture/' },
    });
    assert.equal(result?.outcome, 'no-drift');
    assert.equal(result?.groundTruthFilesRead, 2);
    assert.deepEqual(calls.modelQualityInputs, [{ capturePrefix: 's3://mlops/monitoring/in/model-quality-capture/', groundTruthPrefix: 's3://mlops/monitoring/in/ground-truth/' }]);
    assert.ok(!calls.activities.some((a) => a.startsWith('runDataQualityMonitor')), 'no new capture: no data-drift check');
  });
});
