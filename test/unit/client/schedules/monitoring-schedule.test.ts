import assert from 'node:assert/strict';
import { parseConfig, REPO_ROOT, taskQueuesOf } from '../../../../common/config/parse';
import { defaultMonitoringConfig, monitoringScheduleId, ScheduleExistsError } from '../../../../client/schedules/monitoring-schedule';
import { UsageError } from '../../../../services/usage-error';

describe('client/schedules/monitoring-schedule', () => {
  it('when the config names a bucket and ground truth, then the monitoring config derives every location from them', () => {
    const config = parseConfig({ MLOPS_HOME: '/tmp/mlops-unit', MLOPS_BUCKET: 'acme-ml', MLOPS_GROUND_TRUTH_URI: 's3://labels/gt', MLOPS_TASK_QUEUE_SUFFIX: '-t1' }, REPO_ROOT);

    assert.deepEqual(defaultMonitoringConfig(config), {
      bucket: 'acme-ml',
      captureUri: 's3://acme-ml/capture',
      batchCaptureUri: 's3://acme-ml/capture/batch',
      groundTruthUri: 's3://labels/gt',
      outputUri: 's3://acme-ml/monitoring',
      resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
      maxJobRuntimeSeconds: 3600,
      taskQueues: taskQueuesOf(config),
    });
  });

  it('when a schedule exists, then the error is a usage error that names the id and the way out', () => {
    const err = new ScheduleExistsError(monitoringScheduleId('linear-learner'));

    assert.ok(err instanceof UsageError);
    assert.match(err.message, /'monitoring-linear-learner' already exists \(use --replace/);
  });
});
