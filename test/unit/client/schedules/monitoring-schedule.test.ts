import assert from 'node:assert/strict';
import { parseConfig, REPO_ROOT, taskQueuesOf } from '../../../../common/config/parse';
import {
  CURRENT_MINUTE_SETTLE_SECONDS,
  currentMinuteClosedAt,
  defaultMonitoringConfig,
  monitoringScheduleId,
  runMonitorNow,
  ScheduleExistsError,
} from '../../../../client/schedules/monitoring-schedule';
import type { MonitoringInput } from '../../../../common/types/monitoring';
import { UsageError } from '../../../../services/usage-error';
import { fakeClient, type FakeRun } from '../../../helpers/fake-temporal-client';

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

  it("when a project is named, then its monitoring reads and writes under projects/<project>/ (capture, batch capture, ground truth, reports and bookmarks), and the demo's stays as it was", () => {
    const config = parseConfig({ MLOPS_HOME: '/tmp/mlops-unit', MLOPS_BUCKET: 'acme-ml', MLOPS_GROUND_TRUTH_URI: 's3://labels/gt' }, REPO_ROOT);

    const own = defaultMonitoringConfig(config, 'penguins');
    assert.deepEqual([own.captureUri, own.batchCaptureUri, own.groundTruthUri, own.outputUri], [
      's3://acme-ml/projects/penguins/capture',
      's3://acme-ml/projects/penguins/capture/batch',
      's3://labels/projects/penguins/gt',
      's3://acme-ml/projects/penguins/monitoring',
    ]);
    assert.deepEqual(defaultMonitoringConfig(config, 'used-cars'), defaultMonitoringConfig(config));
    assert.equal(monitoringScheduleId('xgboost', 'penguins'), 'monitoring-penguins-xgboost');
    assert.equal(monitoringScheduleId('xgboost', 'used-cars'), 'monitoring-xgboost');
  });

  it('when a schedule exists, then the error is a usage error that names the id and the way out', () => {
    const err = new ScheduleExistsError(monitoringScheduleId('linear-learner'));

    assert.ok(err instanceof UsageError);
    assert.match(err.message, /'monitoring-linear-learner' already exists \(use --replace/);
  });

  describe('runMonitorNow (no schedule; a fake client)', () => {
    const config = parseConfig({ MLOPS_HOME: '/tmp/mlops-unit' }, REPO_ROOT);
    const running = (workflowId: string): FakeRun => ({ type: 'monitoringPipeline', workflowId, status: 'RUNNING' });

    it('when no run goes, then it starts the family\'s manual run under its one fixed id, failing on a running one', async () => {
      const client = fakeClient([], running);

      const outcome = await runMonitorNow(client, config, { family: 'xgboost', trigger: 'test' });

      assert.equal(outcome.mode, 'started');
      assert.equal(outcome.mode === 'started' && outcome.workflowId, 'monitoring-xgboost/manual');
      assert.deepEqual(client.started.map((s) => [s.workflowId, s.options.workflowIdConflictPolicy, s.options.workflowIdReusePolicy]), [['monitoring-xgboost/manual', 'FAIL', 'ALLOW_DUPLICATE']]);
      assert.equal((client.started[0]!.options.args as MonitoringInput[])[0]!.config.captureSettleSeconds, undefined, 'the default settle time');
    });

    it("when a project's family is run now, then its manual run has an id of its own and its input names the project and the project's locations", async () => {
      const client = fakeClient([], running);

      const outcome = await runMonitorNow(client, config, { family: 'xgboost', project: 'penguins', trigger: 'test' });

      assert.equal(outcome.mode === 'started' && outcome.workflowId, 'monitoring-penguins-xgboost/manual');
      const input = (client.started[0]!.options.args as MonitoringInput[])[0]!;
      assert.equal(input.project, 'penguins');
      assert.equal(input.config.outputUri, 's3://mlops/projects/penguins/monitoring');
    });

    it('when the manual run still goes, then a second run-now starts nothing and names it (the server says so, not visibility)', async () => {
      const client = fakeClient([running('monitoring-xgboost/manual')], running);

      const outcome = await runMonitorNow(client, config, { family: 'xgboost', trigger: 'test' });

      assert.deepEqual(outcome, { mode: 'skipped', runningWorkflowIds: ['monitoring-xgboost/manual'] });
      assert.deepEqual(client.started, []);
    });

    it('when three run-nows race, then exactly one run starts and the others skip naming it', async () => {
      const client = fakeClient([], running);

      const outcomes = await Promise.all([1, 2, 3].map(() => runMonitorNow(client, config, { family: 'linear-learner', trigger: 'test' })));

      assert.deepEqual(outcomes.map((o) => o.mode).sort(), ['skipped', 'skipped', 'started']);
      assert.equal(client.started.length, 1);
    });

    it('when the current minute is asked for, then the run takes capture files a few seconds after their minute', async () => {
      const client = fakeClient([], running);

      await runMonitorNow(client, config, { family: 'xgboost', trigger: 'test', captureSettleSeconds: CURRENT_MINUTE_SETTLE_SECONDS });

      assert.equal((client.started[0]!.options.args as MonitoringInput[])[0]!.config.captureSettleSeconds, CURRENT_MINUTE_SETTLE_SECONDS);
    });
  });

  it('when run-now --include-current-minute asks at 10:41:30, then it waits for 10:42:00 plus the settle time', () => {
    const { minuteEnd, closedAt } = currentMinuteClosedAt(new Date('2026-03-02T10:41:30.250Z'));
    assert.equal(minuteEnd.toISOString(), '2026-03-02T10:42:00.000Z');
    assert.equal(closedAt.getTime() - minuteEnd.getTime(), CURRENT_MINUTE_SETTLE_SECONDS * 1000);
    assert.equal(currentMinuteClosedAt(new Date('2026-03-02T10:42:00.000Z')).minuteEnd.toISOString(), '2026-03-02T10:43:00.000Z');
  });
});
