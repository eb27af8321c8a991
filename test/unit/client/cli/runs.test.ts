import assert from 'node:assert/strict';
import path from 'node:path';
import { ApplicationFailure, TypedSearchAttributes } from '@temporalio/common';
import { queryString, runRowOf, runsQuery, runsTable, type RunRow } from '../../../../client/cli/commands/runs';
import { PROJECT } from '../../../../common/search-attributes';
import { LocalObjectStore } from '../../../../activities/backends/local/object-store';
import { parseConfig, REPO_ROOT } from '../../../../common/config/parse';
import type { Config } from '../../../../common/config/schema';
import { DATA_URI, MODEL_FAMILIES, OUTCOME, PIPELINE } from '../../../../common/search-attributes';
import type { LifecycleState } from '../../../../common/types/lifecycle';
import type { DriftRecord, MonitoringResult } from '../../../../common/types/monitoring';
import type { ScoringResult } from '../../../../common/types/scoring';
import { runInProcess, TestCliContext } from '../../../helpers/cli-in-process';
import { fakeClient, type FakeRun } from '../../../helpers/fake-temporal-client';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

const DRIFT_URI = 's3://mlops/monitoring/xgboost/abc/drift-records.jsonl';

function driftRecord(over: Partial<DriftRecord>): DriftRecord {
  return {
    detectedAt: '2026-03-02T11:00:00.000Z',
    project: 'used-cars',
    family: 'xgboost',
    modelName: 'xgboost-1',
    modelVersion: 1,
    endpointName: 'mlops-xgboost',
    kind: 'data',
    source: 'realtime',
    monitoringWorkflowId: 'monitoring-xgboost/manual',
    monitoringRunId: 'r1',
    windowStart: '2026-03-02T10:00:00.000Z',
    windowEnd: '2026-03-02T11:00:00.000Z',
    feature: 'Mileage',
    metric: null,
    checkType: 'baseline_drift_check',
    baselineValue: 0.1,
    currentValue: 0.2292,
    description: 'distance 0.2292 exceeds 0.1',
    reportUri: 's3://mlops/monitoring/xgboost/abc/data-quality/realtime/',
    dataUri: 's3://mlops/monitoring/xgboost/abc/input/capture/',
    ...over,
  };
}

const MONITORING_RESULT: MonitoringResult = {
  family: 'xgboost',
  outcome: 'drift',
  windowStart: '2026-03-02T10:00:00.000Z',
  windowEnd: '2026-03-02T11:00:00.000Z',
  filesRead: 3,
  dataQuality: { violations: 1, reportUri: 's3://mlops/monitoring/xgboost/abc/data-quality/realtime/' },
  driftRecordsUri: DRIFT_URI,
};

const LIFECYCLE_STATE: LifecycleState = {
  family: 'xgboost',
  policy: 'notify',
  coolDown: '24 hours',
  recentAlerts: [],
  champion: { family: 'xgboost', version: 2, modelName: 'xgboost-2', at: '2026-03-02T09:00:00.000Z' },
  counts: { alerts: 4, championChanges: 2, retrainingsStarted: 0, retrainingFailures: 0, notifiedOnly: 4, suppressedByCoolDown: 0, approvalsRequested: 0, approved: 0, rejected: 0, approvalTimeouts: 0 },
};

const SCORING_RESULT: ScoringResult = {
  workflowId: 'scoring/mlops/scoring/s.csv@e1',
  runId: 'r',
  dataUri: 's3://mlops/scoring/s.csv',
  preprocessedPrefix: 's3://mlops/x/',
  outputs: [
    {
      family: 'xgboost',
      modelName: 'xgboost-2',
      modelVersion: 2,
      outputUris: ['s3://mlops/scoring-output/xgboost/s.csv.out'],
      captureUris: ['s3://mlops/capture/batch/xgboost/2026/03/02/10/r/s.captured.csv'],
      job: { jobName: 'transform-1', status: 'Completed', resources: { instanceType: 'ml.m5.large', instanceCount: 1 } } as ScoringResult['outputs'][number]['job'],
    },
  ],
};

/** Every kind of run `mlops` starts, as Temporal's visibility lists them. */
const RUNS: FakeRun[] = [
  {
    type: 'trainingPipeline',
    workflowId: 'training/mlops/training/cars.csv@e1',
    status: 'COMPLETED',
    closeTime: new Date('2026-03-02T10:05:00Z'),
    memo: { trigger: 'cli:ann', dataUri: 's3://mlops/training/cars.csv' },
    attributes: [
      { key: PIPELINE, value: 'training' },
      { key: MODEL_FAMILIES, value: ['xgboost', 'linear-learner'] },
      { key: DATA_URI, value: 's3://mlops/training/cars.csv' },
      { key: OUTCOME, value: 'accepted' },
    ],
  },
  {
    type: 'modelLifecycle',
    workflowId: 'lifecycle/xgboost',
    status: 'RUNNING',
    queries: { lifecycleState: LIFECYCLE_STATE },
  },
  {
    type: 'batchScoringPipeline',
    workflowId: 'scoring/mlops/scoring/s.csv@e1',
    status: 'COMPLETED',
    closeTime: new Date('2026-03-02T10:20:00Z'),
    memo: { trigger: 'webhook:minio', dataUri: 's3://mlops/scoring/s.csv', config: {} },
    attributes: [
      { key: PIPELINE, value: 'scoring' },
      { key: DATA_URI, value: 's3://mlops/scoring/s.csv' },
      { key: OUTCOME, value: 'scored' },
    ],
    result: SCORING_RESULT,
  },
  {
    type: 'monitoringPipeline',
    workflowId: 'monitoring-xgboost/manual',
    status: 'COMPLETED',
    closeTime: new Date('2026-03-02T11:01:00Z'),
    memo: { trigger: 'cli:ann', family: 'xgboost' },
    attributes: [
      { key: PIPELINE, value: 'monitoring' },
      { key: MODEL_FAMILIES, value: ['xgboost'] },
      { key: OUTCOME, value: 'drift' },
    ],
    result: MONITORING_RESULT,
  },
  {
    type: 'monitoringPipeline',
    workflowId: 'monitoring-linear-learner-2026-03-02T12:00:00Z',
    status: 'RUNNING',
    memo: { trigger: 'schedule:monitoring-linear-learner', family: 'linear-learner' },
    attributes: [
      { key: PIPELINE, value: 'monitoring' },
      { key: MODEL_FAMILIES, value: ['linear-learner'] },
    ],
    queries: { monitoringProgress: { stage: 'checking' } },
  },
  {
    type: 'monitoringPipeline',
    workflowId: 'monitoring-xgboost/manual-failed',
    status: 'FAILED',
    attributes: [
      { key: PIPELINE, value: 'monitoring' },
      { key: MODEL_FAMILIES, value: ['xgboost'] },
      { key: OUTCOME, value: 'failed' },
    ],
    failure: ApplicationFailure.nonRetryable('no approved xgboost model with baselines to monitor', 'NotFound'),
  },
];

describe('mlops runs (client/cli/commands/runs)', () => {
  let dir: string;
  let config: Config;
  let store: LocalObjectStore;

  beforeEach(async () => {
    dir = await createTempDir('mlops-cli-runs-');
    config = parseConfig({ MLOPS_HOME: dir }, REPO_ROOT);
    store = new LocalObjectStore(path.join(dir, 'objects'));
    await store.put(DRIFT_URI, [driftRecord({}), driftRecord({ kind: 'model', feature: null, metric: 'rmse', checkType: 'LessThanThreshold', baselineValue: 3000, currentValue: 4100.5 })].map((r) => JSON.stringify(r)).join('\n') + '\n');
    await store.put('s3://mlops/scoring-output/xgboost/s.csv.out', 'id,prediction\n1,17000\n');
  });
  afterEach(() => removeTempDir(dir));

  const cli = (...args: string[]) => runInProcess(new TestCliContext(config, fakeClient(RUNS.map((r) => ({ ...r })))), ...args);

  describe('runs list', () => {
    it('when no pipeline is named, then the query takes every pipeline and the current run of each lifecycle', () => {
      assert.equal(runsQuery(), "MlopsPipeline IN ('training', 'scoring', 'monitoring') OR (WorkflowType = 'modelLifecycle' AND ExecutionStatus != 'ContinuedAsNew')");
      assert.equal(runsQuery('monitoring'), "MlopsPipeline = 'monitoring'");
      assert.equal(runsQuery('lifecycle'), "(WorkflowType = 'modelLifecycle' AND ExecutionStatus != 'ContinuedAsNew')");
    });

    it('when runs of every pipeline exist, then --json lists each with its pipeline, families, data, trigger and outcome', async () => {
      const result = await cli('runs', 'list', '--json');

      assert.equal(result.code, 0, result.stderr);
      const rows = (JSON.parse(result.stdout) as { runs: RunRow[] }).runs;
      assert.deepEqual(
        rows.map((r) => [r.pipeline, r.workflowId, r.status, r.outcome, r.families, r.dataUri, r.trigger]),
        [
          ['monitoring', 'monitoring-xgboost/manual-failed', 'failed', 'failed', ['xgboost'], null, null],
          ['monitoring', 'monitoring-linear-learner-2026-03-02T12:00:00Z', 'running', null, ['linear-learner'], null, 'schedule:monitoring-linear-learner'],
          ['monitoring', 'monitoring-xgboost/manual', 'completed', 'drift', ['xgboost'], null, 'cli:ann'],
          ['scoring', 'scoring/mlops/scoring/s.csv@e1', 'completed', 'scored', null, 's3://mlops/scoring/s.csv', 'webhook:minio'],
          ['lifecycle', 'lifecycle/xgboost', 'running', null, ['xgboost'], null, null],
          ['training', 'training/mlops/training/cars.csv@e1', 'completed', 'accepted', ['xgboost', 'linear-learner'], 's3://mlops/training/cars.csv', 'cli:ann'],
        ],
      );
      assert.equal(rows[2]!.closeTime, '2026-03-02T11:01:00.000Z');
      assert.match(rows[2]!.uiUrl, /\/workflows\/monitoring-xgboost%2Fmanual\//);
    });

    it('when the text table is printed, then every value it shows is in the JSON row, and each pipeline gets its own columns', async () => {
      const rows = (JSON.parse((await cli('runs', 'list', '--json')).stdout) as { runs: RunRow[] }).runs;
      for (const pipeline of [undefined, 'training', 'scoring', 'monitoring', 'lifecycle'] as const) {
        const table = runsTable(rows, pipeline);
        table.cells.forEach((cells, i) => {
          const values = Object.values(rows[i]!).flatMap((v) => (Array.isArray(v) ? [v.join(','), ...v] : [String(v)]));
          for (const cell of cells) if (cell !== null && cell !== 'every champion') assert.ok(values.includes(cell), `${cell} of ${rows[i]!.workflowId} is in its JSON row`);
        });
      }
      assert.deepEqual(runsTable(rows, 'monitoring').headers, ['WORKFLOW ID', 'STATUS', 'OUTCOME', 'MODEL', 'TRIGGER', 'STARTED', 'CLOSED']);
      assert.deepEqual(runsTable(rows).headers, ['PIPELINE', 'WORKFLOW ID', 'STATUS', 'OUTCOME', 'MODELS', 'STARTED']);
      const text = await cli('runs', 'list');
      assert.match(text.stdout, /^PIPELINE\s+WORKFLOW ID/);
      assert.match(text.stdout, /monitoring\s+monitoring-xgboost\/manual\s+completed\s+drift\s+xgboost/);
    });

    it('when the rows come from more than one project, then the table has a PROJECT column; from one, it has none', () => {
      const row = (workflowId: string, project: string): RunRow => ({ pipeline: 'training', workflowId, runId: 'r', type: 'trainingPipeline', project, status: 'completed', outcome: 'accepted', families: ['xgboost'], dataUri: null, trigger: null, startTime: '2026-12-07T00:00:00.000Z', closeTime: null, uiUrl: '' });
      const mixed = [row('training/a', 'used-cars'), row('training/b', 'houses')];
      assert.deepEqual(runsTable(mixed).headers.slice(0, 3), ['PIPELINE', 'PROJECT', 'WORKFLOW ID']);
      assert.deepEqual(runsTable(mixed, 'training').headers.slice(0, 2), ['PROJECT', 'WORKFLOW ID']);
      assert.deepEqual(runsTable(mixed, 'training').cells.map((c) => c[0]), ['used-cars', 'houses']);
      assert.ok(!runsTable([row('training/a', 'houses'), row('training/b', 'houses')]).headers.includes('PROJECT'));
    });

    it('when --project names a project, then the query adds its MlopsProject; the demo project also takes runs from before projects', () => {
      assert.equal(runsQuery('training', 'penguins'), "(MlopsPipeline = 'training') AND MlopsProject = 'penguins'");
      assert.equal(runsQuery(undefined, 'used-cars'), `(${runsQuery()}) AND (MlopsProject = 'used-cars' OR MlopsProject IS NULL)`);
    });

    it('when a value carries a quote or a backslash, then the literal escapes it, so it cannot end the string and add a clause', () => {
      assert.equal(queryString("x' OR MlopsProject != 'y"), "'x\\' OR MlopsProject != \\'y'");
      assert.equal(queryString('a\\'), "'a\\\\'");
    });

    it('when --project is not a project name, then it exits 2 naming the option and the rule, and nothing is listed', async () => {
      const result = await cli('runs', 'list', '--project', "penguins' OR 'a'='a");
      assert.equal(result.code, 2);
      assert.match(result.stderr, /--project: .* must be 2-24 lower-case letters/);
      assert.equal(result.stdout, '');
    });

    it('when a run carries MlopsProject, then its row names that project; a run from before projects names the demo project', () => {
      const base = { type: 'trainingPipeline', workflowId: 'training/x', runId: 'r', status: { code: 1, name: 'RUNNING' as const }, startTime: new Date(0) };
      assert.equal(runRowOf({ ...base, typedSearchAttributes: new TypedSearchAttributes([{ key: PROJECT, value: 'penguins' }]) }, 'http://ui').project, 'penguins');
      assert.equal(runRowOf({ ...base, typedSearchAttributes: new TypedSearchAttributes([]) }, 'http://ui').project, 'used-cars');
    });

    it('when --pipeline names no pipeline mlops knows, then it exits 2', async () => {
      assert.equal((await cli('runs', 'list', '--pipeline', 'deploy')).code, 2);
    });

    it('when a lifecycle has no search attributes, then its row still names its pipeline and family', () => {
      const row = runRowOf(
        { type: 'modelLifecycle', workflowId: 'lifecycle/linear-learner', runId: 'r', status: { code: 1, name: 'RUNNING' }, startTime: new Date(0), typedSearchAttributes: new TypedSearchAttributes([]) },
        'http://ui',
      );
      assert.equal(row.pipeline, 'lifecycle');
      assert.deepEqual(row.families, ['linear-learner']);
    });
  });

  describe('runs show', () => {
    it('when the run is a finished monitoring run, then it prints its outcome and every violation, and --json carries them as drift records', async () => {
      const text = await cli('runs', 'show', 'monitoring-xgboost/manual');

      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /Run monitoring-xgboost\/manual: drift/);
      assert.match(text.stdout, /3 capture file\(s\) read/);
      assert.match(text.stdout, /data drift: Mileage baseline_drift_check: 0\.2292 \(baseline \/ threshold 0\.1\)/);
      assert.match(text.stdout, /model drift: rmse LessThanThreshold: 4101 \(baseline \/ threshold 3000\)/);

      const json = JSON.parse((await cli('runs', 'show', 'monitoring-xgboost/manual', '--json')).stdout) as { pipeline: string; status: string; result: MonitoringResult; driftRecords: DriftRecord[] };
      assert.equal(json.pipeline, 'monitoring');
      assert.equal(json.status, 'completed');
      assert.deepEqual(json.result, MONITORING_RESULT);
      assert.deepEqual(json.driftRecords.map((r) => [r.kind, r.feature ?? r.metric, r.currentValue]), [['data', 'Mileage', 0.2292], ['model', 'rmse', 4100.5]]);
    });

    it('when the monitoring run failed, then it prints the failure and exits 0 (showing worked)', async () => {
      const text = await cli('runs', 'show', 'monitoring-xgboost/manual-failed');

      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /Run monitoring-xgboost\/manual-failed: failed/);
      assert.match(text.stdout, /error \(NotFound\): no approved xgboost model with baselines to monitor/);
    });

    it('when the monitoring run is still going, then it prints its stage', async () => {
      const text = await cli('runs', 'show', 'monitoring-linear-learner-2026-03-02T12:00:00Z');
      assert.match(text.stdout, /running \(checking\)/);
      const json = JSON.parse((await cli('runs', 'show', 'monitoring-linear-learner-2026-03-02T12:00:00Z', '--json')).stdout) as { pipeline: string; progress: { stage: string } };
      assert.deepEqual([json.pipeline, json.progress.stage], ['monitoring', 'checking']);
    });

    it('when the run is a lifecycle, then it prints the lifecycle state', async () => {
      const text = await cli('runs', 'show', 'lifecycle/xgboost');

      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /lifecycle: policy notify, cool-down 24 hours/);
      assert.match(text.stdout, /champion: version 2 \(xgboost-2\)/);
      assert.match(text.stdout, /alerts: 4 /);
      const json = JSON.parse((await cli('runs', 'show', 'lifecycle/xgboost', '--json')).stdout) as { pipeline: string; state: LifecycleState };
      assert.equal(json.pipeline, 'lifecycle');
      assert.deepEqual(json.state, LIFECYCLE_STATE);
    });

    it('when the run is a scoring run, then it prints each output with its first lines', async () => {
      const text = await cli('runs', 'show', 'scoring/mlops/scoring/s.csv@e1');

      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /xgboost version 2\n\s+output: s3:\/\/mlops\/scoring-output\/xgboost\/s\.csv\.out\n\s+id,prediction\n\s+1,17000/);
      const json = JSON.parse((await cli('runs', 'show', 'scoring/mlops/scoring/s.csv@e1', '--json')).stdout) as { pipeline: string; outputs: { outputUris: string[] }[] };
      assert.equal(json.pipeline, 'scoring');
      assert.deepEqual(json.outputs[0]!.outputUris, ['s3://mlops/scoring-output/xgboost/s.csv.out']);
    });

    it('when no run has the id, then it exits 2 naming it', async () => {
      const result = await cli('runs', 'show', 'training/nope');
      assert.equal(result.code, 2);
      assert.match(result.stderr, /no run with workflow id 'training\/nope'/);
    });
  });
});
