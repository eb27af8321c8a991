import assert from 'node:assert/strict';
import path from 'node:path';
import { LocalObjectStore } from '../../../../activities/backends/local/object-store';
import type { Backend } from '../../../../activities/backends/types';
import { driftSummaryLine, driftSummaryLines } from '../../../../client/cli/commands/monitor';
import { parseConfig, REPO_ROOT } from '../../../../common/config/parse';
import type { DriftRecord, MonitoringResult } from '../../../../common/types/monitoring';
import { runInProcess, TestCliContext } from '../../../helpers/cli-in-process';
import { fakeClient } from '../../../helpers/fake-temporal-client';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

describe('mlops monitor run-now: the violations it prints', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await createTempDir('mlops-monitor-cli-');
  });
  afterEach(() => removeTempDir(dir));

  it('prints one line per drift record, and nothing when the records cannot be read', async () => {
    const objectStore = new LocalObjectStore(path.join(dir, 'objects'));
    const backend = { objectStore } as unknown as Backend;
    const uri = 's3://mlops/monitoring/xgboost/run/drift-records.jsonl';
    await objectStore.put(
      uri,
      [
        { kind: 'data', feature: 'Mileage', metric: 'baseline_drift_check', checkType: 'baseline_drift_check', baselineValue: 0.1, currentValue: 0.22919577721938741 },
        { kind: 'model', feature: null, metric: 'rmse', checkType: 'LessThanThreshold', baselineValue: null, currentValue: null },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n') + '\n',
    );
    assert.deepEqual(await driftSummaryLines(backend, uri), ['data drift: Mileage baseline_drift_check: 0.2292 (baseline / threshold 0.1)', 'model drift: rmse LessThanThreshold']);
    assert.deepEqual(await driftSummaryLines(backend, 's3://mlops/missing.jsonl'), []);
  });
});

describe('mlops monitor run-now --wait: text and --json say the same', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await createTempDir('mlops-monitor-cli-');
  });
  afterEach(() => removeTempDir(dir));

  it('when the run finds drift, then --json carries every violation the text prints, as drift records', async () => {
    const config = parseConfig({ MLOPS_HOME: dir }, REPO_ROOT);
    const uri = 's3://mlops/monitoring/xgboost/run/drift-records.jsonl';
    const records = [
      { kind: 'data', feature: 'Mileage', metric: null, checkType: 'baseline_drift_check', baselineValue: 0.1, currentValue: 0.22919577721938741, description: 'distance exceeds 0.1' },
      { kind: 'data', feature: 'Cylinder', metric: null, checkType: 'data_type_check', baselineValue: null, currentValue: null, description: 'Integral expected' },
    ];
    await new LocalObjectStore(path.join(dir, 'objects')).put(uri, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const result: MonitoringResult = { family: 'xgboost', outcome: 'drift', windowStart: 'a', windowEnd: 'b', filesRead: 2, dataQuality: { violations: 2, reportUri: 's3://mlops/monitoring/xgboost/run/data-quality/' }, driftRecordsUri: uri };
    const cli = (...args: string[]) => runInProcess(new TestCliContext(config, fakeClient([], (workflowId) => ({ type: 'monitoringPipeline', workflowId, status: 'COMPLETED', result }))), ...args);

    const text = await cli('monitor', 'run-now', '--model', 'xgboost', '--wait');
    const json = await cli('monitor', 'run-now', '--model', 'xgboost', '--wait', '--json');

    assert.equal(text.code, 0, text.stderr);
    assert.equal(json.code, 0, json.stderr);
    const printed = text.stdout.split('\n').filter((l) => / drift: /.test(l)).map((l) => l.trim());
    assert.deepEqual(printed, ['data drift: Mileage baseline_drift_check: 0.2292 (baseline / threshold 0.1)', 'data drift: Cylinder data_type_check']);
    const body = JSON.parse(json.stdout) as { mode: string; status: string; result: MonitoringResult; driftRecords: DriftRecord[] };
    assert.equal(body.mode, 'started');
    assert.deepEqual(body.result, result);
    assert.deepEqual(body.driftRecords, records);
    assert.deepEqual(body.driftRecords.map(driftSummaryLine), printed);
  });
});
