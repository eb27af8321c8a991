import { DEFAULT_PROJECT } from '../../common/project';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createBackend } from '../../activities/backends';
import { readInsightRows } from '../../activities/insights/parquet';
import { parameterNames } from '../../common/artifacts';
import { readChampion, writeChampion } from '../../activities/registry/champion-store';
import { readLifecycleState } from '../../services/lifecycle/ensure';
import type { Backend } from '../../activities/backends/types';
import { configToEnv, REPO_ROOT } from '../../common/config/parse';
import { mlops } from '../helpers/cli';
import type { Config } from '../../common/config/schema';
import type { MonitoringInput, MonitoringResult } from '../../common/types/monitoring';
import { defaultMonitoringConfig } from '../../client/schedules/monitoring-schedule';
import { startScoring } from '../../services/scoring/start-scoring';
import { waitForScoringReport } from '../../client/scoring/report';
import { waitForTrainingReport } from '../../client/training/report';
import { startTraining } from '../../services/training/start-training';
import { storeGroundTruth } from '../../client/gateway/ground-truth';
import { joinUri } from '../../common/uri';
import { monitoringPipeline } from '../../workflows';
import { createLocalEnv } from '../helpers/temporal-env';
import { runWorkers, type RunningWorkers } from '../helpers/workers';
import { DATASET, tempDir, testConfig } from '../helpers/integration';

const SAMPLE = path.join(REPO_ROOT, 'data', 'scoring-sample.csv');

const ISO = z.iso.datetime();
/** A line of drift-records.jsonl (README, "Model monitoring"). */
const DRIFT_RECORD = z.strictObject({
  detectedAt: ISO,
  project: z.literal(DEFAULT_PROJECT),
  kind: z.enum(['data', 'model']),
  source: z.enum(['realtime', 'batch']),
  family: z.enum(['xgboost', 'linear-learner']),
  modelName: z.string().min(1),
  modelVersion: z.number().int().positive(),
  endpointName: z.string().nullable(),
  monitoringWorkflowId: z.string().min(1),
  monitoringRunId: z.string().min(1),
  windowStart: ISO,
  windowEnd: ISO,
  feature: z.string().nullable(),
  metric: z.string().nullable(),
  checkType: z.string().min(1),
  baselineValue: z.number().nullable(),
  currentValue: z.number().nullable(),
  description: z.string().min(1),
  reportUri: z.string().startsWith('s3://'),
  dataUri: z.string().startsWith('s3://'),
});
const CLAIM = z.strictObject({ run: z.string(), state: z.enum(['claimed', 'done', 'released']), at: ISO, time: ISO.optional(), failures: z.number().int().optional(), quarantined: z.boolean().optional() });
const BOOKMARK = z.strictObject({ version: z.literal(2), watermark: ISO.optional(), capture: z.record(z.string().startsWith('s3://'), CLAIM), groundTruth: z.record(z.string().startsWith('s3://'), CLAIM) });

/** Monitoring on a real dev server with real jobs: batch-scored data is checked against the baselines. */
describe('monitoring pipeline (integration: real jobs, batch capture, bookmark)', function () {
  this.timeout(240_000);
  let env: TestWorkflowEnvironment;
  let home: string;
  let config: Config;
  let backend: Backend;
  let workers: RunningWorkers | undefined;
  let n = 0;

  before(async () => {
    env = await createLocalEnv();
    home = await tempDir('monitoring');
    config = testConfig({ home });
    backend = createBackend(config);
    workers = await runWorkers(env, config, backend, { lifecycle: true });
    const trained = await startTraining(env.client, backend, config, { data: DATASET, deploy: false, trigger: 'test' });
    assert.equal((await waitForTrainingReport(trained.handle, (r) => r)).status, 'completed');
  });

  after(async () => {
    await workers?.stop();
    await env?.teardown();
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  async function score(file: string): Promise<void> {
    const started = await startScoring(env.client, backend, config, { data: file, families: ['xgboost'], trigger: 'test' });
    assert.equal((await waitForScoringReport(started.handle, (r) => r)).status, 'completed');
  }

  async function monitor(): Promise<MonitoringResult> {
    const input: MonitoringInput = { family: 'xgboost', trigger: 'test', config: defaultMonitoringConfig(config) };
    return env.client.workflow.execute(monitoringPipeline, { taskQueue: input.config.taskQueues.orchestration, workflowId: `monitoring-xgboost/test-${++n}`, args: [input] });
  }

  it('when scored data follows the training distribution, then no drift; when Mileage shifts by 30 %, then drift on Mileage is reported and alerted; when nothing is new, then the run ends quietly', async () => {
    await score(SAMPLE);
    const clean = await monitor();
    assert.equal(clean.filesRead, 1);
    assert.equal(clean.outcome, 'no-drift', JSON.stringify(clean));

    const lines = (await fs.readFile(SAMPLE, 'utf8')).trim().split('\n');
    const header = lines[0]!.split(',');
    const mileage = header.indexOf('Mileage');
    const shifted = [lines[0], ...lines.slice(1).map((l) => l.split(',').map((v, i) => (i === mileage ? String(Math.round(Number(v) * 1.3)) : v)).join(','))].join('\n');
    const shiftedFile = path.join(home, 'shifted.csv');
    await fs.writeFile(shiftedFile, shifted);
    await score(shiftedFile);
    const drift = await monitor();
    assert.equal(drift.filesRead, 1, 'only the new capture is read (bookmark)');
    assert.equal(drift.outcome, 'drift', JSON.stringify(drift));
    // Every file the run wrote has its format: drift records (one JSON object per line) and the bookmark.
    const records = (await backend.objectStore.get(drift.driftRecordsUri!)).toString('utf8').trim().split('\n').map((l) => DRIFT_RECORD.parse(JSON.parse(l)));
    BOOKMARK.parse(JSON.parse((await backend.objectStore.get(`${defaultMonitoringConfig(config).outputUri}/xgboost/bookmark.json`)).toString('utf8')));
    assert.ok(records.some((r) => r.feature === 'Mileage' && r.checkType === 'baseline_drift_check'), JSON.stringify(records));
    assert.ok(records.every((r) => r.modelVersion === 1 && r.monitoringWorkflowId === 'monitoring-xgboost/test-2'));
    const notes = await backend.notifier.recent(20);
    assert.ok(notes.some((x) => x.kind === 'drift.detected' && /Mileage/.test(x.message)));
    const lifecycle = await env.client.workflow.getHandle('lifecycle/xgboost').describe();
    assert.equal(lifecycle.type, 'modelLifecycle', 'the family lifecycle runs');
    const state = await readLifecycleState(env.client, 'xgboost');
    assert.equal(state?.champion?.version, 1, 'the training run told the lifecycle its champion');
    assert.equal(state?.recentAlerts.length, 1, 'the drift alert reached the same lifecycle run');
    assert.equal((await backend.parameters.get(parameterNames.champion('xgboost', 'training-data-uri')))?.value, `s3://${config.bucket}/training/kbb-2005-gm-used-cars.csv`, 'retraining finds the latest training data');

    // The insights tables, written by the real runs: one drift row per violation, one scoring row per scored file.
    const driftRows = await readInsightRows(backend.objectStore, config.bucket, 'drift_records');
    assert.ok(driftRows.some((r) => r.feature === 'Mileage' && r.monitoring_workflow_id === 'monitoring-xgboost/test-2' && r.source === 'batch' && r.data_uri.includes('/input/batch/')), JSON.stringify(driftRows));
    assert.equal(driftRows.length, records.length);
    const scoringRows = await readInsightRows(backend.objectStore, config.bucket, 'scoring_records');
    assert.deepEqual(scoringRows.map((r) => [r.family, r.records]), [['xgboost', 200], ['xgboost', 200]]);
    assert.ok(scoringRows.every((r) => r.prediction_mean !== null && r.prediction_min! <= r.prediction_mean && r.prediction_mean <= r.prediction_max!));

    const quiet = await monitor();
    assert.equal(quiet.outcome, 'no-data');
    assert.equal(quiet.filesRead, 0);
  });

  it('when `mlops models policy` switches the family to retrain, then the next drift starts a real training run on the configured data; bad settings exit 2', async () => {
    const cliEnv = { ...configToEnv(config), MLOPS_CONFIG_FILE: 'none', MLOPS_TEMPORAL_ADDRESS: env.connection.options.address };
    const bad = await mlops(cliEnv, 'models', 'policy', 'xgboost', '--policy', 'panic', '--by', 'test');
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--policy must be one of notify, retrain, approve-then-retrain/);
    const data = `s3://${config.bucket}/training/kbb-2005-gm-used-cars.csv`;
    const set = await mlops(cliEnv, 'models', 'policy', 'xgboost', '--policy', 'retrain', '--cool-down', '1 hour', '--training-data', data, '--by', 'test', '--reason', 'integration', '--json');
    assert.equal(set.code, 0, set.stderr);
    const shown = JSON.parse((await mlops(cliEnv, 'models', 'show', 'xgboost', '--json')).stdout) as { lifecycle: { policy: string; coolDown: string; trainingDataUri: string; lastSettingsChange: { by: string } } };
    assert.deepEqual([shown.lifecycle.policy, shown.lifecycle.coolDown, shown.lifecycle.trainingDataUri, shown.lifecycle.lastSettingsChange.by], ['retrain', '1 hour', data, 'test']);

    const lines = (await fs.readFile(SAMPLE, 'utf8')).trim().split('\n');
    const mileage = lines[0]!.split(',').indexOf('Mileage');
    const shiftedFile = path.join(home, 'shifted-again.csv');
    await fs.writeFile(shiftedFile, [lines[0], ...lines.slice(1).map((l) => l.split(',').map((v, i) => (i === mileage ? String(Math.round(Number(v) * 1.4)) : v)).join(','))].join('\n'));
    await score(shiftedFile);
    assert.equal((await monitor()).outcome, 'drift');
    let state = await readLifecycleState(env.client, 'xgboost');
    for (let i = 0; i < 200 && !state?.lastRetraining; i++) {
      await new Promise((r) => setTimeout(r, 50));
      state = await readLifecycleState(env.client, 'xgboost');
    }
    assert.equal(state?.counts.retrainingsStarted, 1, JSON.stringify(state?.counts));
    const retraining = env.client.workflow.getHandle(state!.lastRetraining!.workflowId);
    const report = await waitForTrainingReport(retraining, (r) => r);
    assert.equal(report.status, 'completed', JSON.stringify(report.error));
    assert.equal(report.dataUri, data);
  });

  it('when labels arrive hours after their predictions were monitored, then the next run merges them by inference id and reports model drift with the real model-quality job; each label is read once', async () => {
    const endpoint = 'mlops-xgboost';
    const champion = await readChampion(backend.parameters, 'xgboost');
    await writeChampion(backend.parameters, { ...champion!, endpointName: endpoint });
    const rows = (await fs.readFile(DATASET, 'utf8')).trim().split('\n').slice(1, 121);
    const captured = new Date(Date.now() - 6 * 3_600_000);
    captured.setUTCSeconds(0, 0);
    const p = (n: number) => String(n).padStart(2, '0');
    const lines = rows.map((row, i) => {
      const [, price, ...features] = row.split(',');
      return JSON.stringify({
        captureData: {
          endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: features.join(','), encoding: 'CSV' },
          endpointOutput: { observedContentType: 'text/csv; charset=utf-8', mode: 'OUTPUT', data: `${price}\n`, encoding: 'CSV' },
        },
        eventMetadata: { eventId: `event-${i}`, inferenceId: `inference-${i}`, inferenceTime: captured.toISOString().replace(/\.\d{3}Z$/, 'Z') },
        eventVersion: '0',
      });
    });
    const hourPath = `${captured.getUTCFullYear()}/${p(captured.getUTCMonth() + 1)}/${p(captured.getUTCDate())}/${p(captured.getUTCHours())}`;
    await backend.objectStore.put(`s3://${config.bucket}/capture/${endpoint}/AllTraffic/${hourPath}/${p(captured.getUTCMinutes())}-00-000-labels-test.jsonl`, `${lines.join('\n')}\n`);
    const predictions = await monitor();
    assert.equal(predictions.filesRead, 1);
    assert.equal(predictions.modelQuality, undefined, 'no labels yet');

    // The labels: the cars sold for 60 % more than predicted, three hours later.
    const labels = rows.map((row, i) => ({ inferenceId: `inference-${i}`, groundTruth: Math.round(Number(row.split(',')[1]) * 1.6) }));
    await storeGroundTruth(backend.objectStore, config.groundTruthUri, labels, new Date(captured.getTime() + 3 * 3_600_000));
    const late = await monitor();
    assert.equal(late.filesRead, 0, 'no new capture');
    assert.equal(late.groundTruthFilesRead, 1);
    assert.equal(late.outcome, 'drift', JSON.stringify(late));
    assert.ok(late.modelQuality && late.modelQuality.violations > 0, JSON.stringify(late.modelQuality));
    const statistics = JSON.parse((await backend.objectStore.get(joinUri(late.modelQuality.reportUri, 'statistics.json'))).toString()) as { dataset: { item_count: number }; regression_metrics: { rmse: { value: number } } };
    assert.equal(statistics.dataset.item_count, 120, 'every label merged with its prediction by inference id');
    assert.ok(statistics.regression_metrics.rmse.value > 5000);
    const violations = JSON.parse((await backend.objectStore.get(joinUri(late.modelQuality.reportUri, 'constraint_violations.json'))).toString()) as { violations: { metric_name: string; constraint_check_type: string }[] };
    assert.ok(violations.violations.some((v) => v.metric_name === 'rmse'), JSON.stringify(violations));

    const again = await monitor();
    assert.equal(again.outcome, 'no-data', 'the labels were merged once');
  });
});
