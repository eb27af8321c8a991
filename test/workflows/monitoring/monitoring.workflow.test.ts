import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { MonitoringInput, MonitoringResult } from '../../../common/types/monitoring';
import { monitoringPipeline } from '../../../workflows';
import { createTimeSkippingEnv } from '../../helpers/temporal-env';
import { mockActivities, type MockBehaviour, type MockCalls } from '../../helpers/training-fixtures';
import { bundleWorkflows } from '../../helpers/workflow-bundle';


function monitoringInput(taskQueue: string): MonitoringInput {
  return {
    family: 'xgboost',
    trigger: 'test',
    config: {
      bucket: 'mlops',
      captureUri: 's3://mlops/capture',
      batchCaptureUri: 's3://mlops/capture/batch',
      groundTruthUri: 's3://mlops/ground-truth',
      outputUri: 's3://mlops/monitoring',
      resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
      maxJobRuntimeSeconds: 600,
      taskQueues: { orchestration: taskQueue, compute: taskQueue },
    },
  };
}

const MILEAGE_DRIFT = { checkType: 'baseline_drift_check', feature: 'Mileage', description: 'Numerical distance: 0.3 exceeds numerical threshold: 0.1', currentValue: 0.3, baselineValue: 0.1 };

describe('monitoringPipeline workflow (mocked activities)', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundleWithSourceMap;

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
    const { result, calls } = await run({ consolidated: { groundTruthPrefix: 's3://mlops/monitoring/in/ground-truth/' }, modelViolations: [rmse] });
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
});
