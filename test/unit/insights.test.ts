import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalObjectStore } from '../../activities/backends/local/object-store';
import { decodeInsightRows, encodeInsightRows, readInsightRows, writeInsightRows } from '../../activities/insights/parquet';
import { batchCaptureStatsOfFile, HourlyVolumeCounter, predictionsOfResponse } from '../../activities/insights/summaries';
import type { DriftRecordRow } from '../../common/types/insights';

const PYTHON = path.resolve(__dirname, '../../.venv/bin/python');

function driftRow(over: Partial<DriftRecordRow> = {}): DriftRecordRow {
  return {
    detected_at: new Date('2026-03-02T10:15:00Z'),
    project: 'used-cars',
    family: 'xgboost',
    model_name: 'xgboost-abc',
    model_version: 3,
    endpoint_name: 'mlops-xgboost',
    kind: 'data',
    source: 'realtime',
    monitoring_workflow_id: 'monitoring/xgboost/1',
    monitoring_run_id: 'run-1',
    window_start: new Date('2026-03-02T09:00:00Z'),
    window_end: new Date('2026-03-02T10:00:00Z'),
    feature: 'Mileage',
    metric: 'baseline_drift_check',
    check_type: 'baseline_drift_check',
    baseline_value: 0.1,
    current_value: 0.42,
    description: 'distance: 0.42 exceeds threshold: 0.1',
    report_uri: 's3://mlops/monitoring/xgboost/run/data-quality/realtime',
    data_uri: 's3://mlops/monitoring/xgboost/run/input/capture/',
    ...over,
  };
}

describe('insights tables (partitioned Parquet)', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(path.join(os.tmpdir(), 'mlops-insights-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('round-trips rows through Parquet with nulls, timestamps and counts', async () => {
    const rows = [driftRow(), driftRow({ feature: null, metric: 'rmse', kind: 'model', baseline_value: null, endpoint_name: null })];
    const decoded = await decodeInsightRows('drift_records', await encodeInsightRows('drift_records', rows));
    assert.deepEqual(decoded, rows);
  });

  it('partitions by day (dt=YYYY-MM-DD), overwrites its own file on retry, and DuckDB reads the dataset as it is', async () => {
    const store = new LocalObjectStore(path.join(home, 'objects'));
    const rows = [driftRow(), driftRow({ detected_at: new Date('2026-03-03T00:30:00Z'), feature: 'Cylinder' })];
    const first = await writeInsightRows(store, 'mlops', 'drift_records', 'run-a', rows);
    const again = await writeInsightRows(store, 'mlops', 'drift_records', 'run-a', rows);
    assert.deepEqual(first, again);
    assert.deepEqual(first, ['s3://mlops/insights/drift_records/dt=2026-03-02/run-a.parquet', 's3://mlops/insights/drift_records/dt=2026-03-03/run-a.parquet']);
    assert.equal((await readInsightRows(store, 'mlops', 'drift_records')).length, 2);
    assert.equal((await readInsightRows(store, 'mlops', 'drift_records', { fromDay: '2026-03-03' })).length, 1);

    // The README's query, run by DuckDB over the files the object store holds.
    const root = path.join(home, 'objects', 'mlops', 'insights');
    const sql = `SELECT dt, feature, current_value, model_version FROM read_parquet('${root}/drift_records/*/*.parquet', hive_partitioning = true) ORDER BY detected_at`;
    const out = execFileSync(PYTHON, ['-c', `import duckdb, json; print(json.dumps([[str(c) for c in r] for r in duckdb.sql("""${sql}""").fetchall()]))`], { encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), [
      ['2026-03-02', 'Mileage', '0.42', '3'],
      ['2026-03-03', 'Cylinder', '0.42', '3'],
    ]);
  });

  it('summarises batch capture and real-time capture', async () => {
    const capture = async (csv: string) => {
      const file = path.join(home, 'capture.csv');
      writeFileSync(file, csv);
      return batchCaptureStatsOfFile(file);
    };
    assert.deepEqual(await capture('record_id,Mileage,prediction\na,1,10\nb,2,30\nc,3,not-a-number\n'), { records: 3, mean: 20, min: 10, max: 30 });
    assert.deepEqual(await capture('record_id,Mileage,prediction\na,1,10\nb,2,30\n'), { records: 2, mean: 20, min: 10, max: 30 });
    assert.deepEqual(await capture('record_id,Mileage\na,1\n'), { records: 1, mean: null, min: null, max: null });
    assert.deepEqual(predictionsOfResponse({ data: '1.5\n2.5\n', encoding: 'CSV' }), [1.5, 2.5]);
    assert.deepEqual(predictionsOfResponse({ data: Buffer.from('{"predictions":[{"score":4}]}').toString('base64'), encoding: 'BASE64', observedContentType: 'application/json' }), [4]);
    const line = (p: string) => JSON.stringify({ captureData: { endpointOutput: { data: p, encoding: 'CSV' } } });
    const counter = new HourlyVolumeCounter();
    counter.add('s3://mlops/capture/ep-a/AllTraffic/2026/03/02/09/05-00-000-x.jsonl', `${line('10')}\n${line('20')}\n`);
    counter.add('s3://mlops/capture/ep-a/AllTraffic/2026/03/02/09/06-00-000-y.jsonl', `${line('30')}\nnot json\n`);
    counter.add('s3://mlops/capture/ep-a/AllTraffic/2026/03/02/10/00-00-000-z.jsonl', `${line('5')}\n`);
    const volumes = counter.volumes();
    assert.deepEqual(
      volumes.map((v) => [v.hour.toISOString(), v.endpointName, v.requests, v.predictionMean]),
      [
        ['2026-03-02T09:00:00.000Z', 'ep-a', 4, 20],
        ['2026-03-02T10:00:00.000Z', 'ep-a', 1, 5],
      ],
    );
  });
});
