import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createLocalBackend } from '../../../../activities/backends/local';
import type { Backend } from '../../../../activities/backends/types';
import { readInsightRows } from '../../../../activities/insights/parquet';
import { createConsolidationActivities, type MonitoredModel } from '../../../../activities/monitoring/consolidate';
import { runChildScript } from '../../../helpers/children';
import { monitoringConfig } from '../../../helpers/monitoring-fixtures';
import { barrier, pausingObjectStore } from '../../../helpers/pausing-object-store';
import { createTempDir, pollUntil, removeTempDir } from '../../../helpers/temp-dir';

const CONFIG = monitoringConfig('q');

const MODEL: MonitoredModel = {
  family: 'xgboost',
  modelName: 'model-xgboost-1',
  modelVersion: 1,
  endpointName: 'mlops-xgboost',
  featureSchemaUri: 's3://mlops/schema.json',
  dataQualityStatisticsUri: 's3://mlops/dq/statistics.json',
  dataQualityConstraintsUri: 's3://mlops/dq/constraints.json',
};

/** A real-time capture file of `records` requests in SageMaker's layout for the given minute. */
function captureUri(minuteIso: string, id: string): string {
  const d = new Date(minuteIso);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `s3://mlops/capture/mlops-xgboost/AllTraffic/${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${p(d.getUTCHours())}/${p(d.getUTCMinutes())}-00-000-${id}.jsonl`;
}

function captureBody(records: number, prediction = 100): string {
  const line = JSON.stringify({ captureData: { endpointInput: { data: '1,2,3', encoding: 'CSV' }, endpointOutput: { data: `${prediction}\n`, encoding: 'CSV' } } });
  return `${Array.from({ length: records }, () => line).join('\n')}\n`;
}

describe('consolidateCapture (durable bookmark over a local object store)', () => {
  let home: string;
  let backend: Backend;
  let activities: ReturnType<typeof createConsolidationActivities>;

  beforeEach(async () => {
    home = await createTempDir('mlops-consolidate-');
    backend = createLocalBackend({ home, python: 'python3', algorithmsDir: path.join(home, 'none'), endpointHostUrl: 'http://127.0.0.1:1' });
    activities = createConsolidationActivities(backend);
  });
  afterEach(() => removeTempDir(home));

  const consolidate = (runKey: string, now: string) => activities.consolidateCapture({ family: 'xgboost', model: MODEL, config: CONFIG, runKey, now });

  it('when a run is retried, then it gets the same files again; the next run reads none of them', async () => {
    await backend.objectStore.put(captureUri('2026-03-02T09:10:00Z', 'a'), captureBody(2));
    await backend.objectStore.put(captureUri('2026-03-02T09:20:00Z', 'b'), captureBody(3));
    const first = await consolidate('run-1', '2026-03-02T10:00:00Z');
    const retried = await consolidate('run-1', '2026-03-02T10:00:30Z');
    const next = await consolidate('run-2', '2026-03-02T11:00:00Z');
    assert.equal(first.filesRead, 2);
    assert.deepEqual(retried, { ...first, windowEnd: retried.windowEnd });
    assert.equal(next.filesRead, 0);
    assert.equal((await backend.objectStore.list(first.realtimePrefix!)).length, 2);
  });

  it('when a file arrives late with an older time, then the next run still takes it (nothing skipped)', async () => {
    await backend.objectStore.put(captureUri('2026-03-02T09:30:00Z', 'a'), captureBody(1));
    assert.equal((await consolidate('run-1', '2026-03-02T10:00:00Z')).filesRead, 1);
    await backend.objectStore.put(captureUri('2026-03-02T09:05:00Z', 'late'), captureBody(1));
    const next = await consolidate('run-2', '2026-03-02T11:00:00Z');
    assert.equal(next.filesRead, 1);
    assert.deepEqual((await backend.objectStore.list(next.realtimePrefix!)).map((u) => u.endsWith('-late.jsonl')), [true]);
  });

  it('when a capture file is still being written (its minute is not over), then it waits for a later run', async () => {
    await backend.objectStore.put(captureUri('2026-03-02T09:59:00Z', 'open'), captureBody(1));
    assert.equal((await consolidate('run-1', '2026-03-02T10:00:10Z')).filesRead, 0);
    assert.equal((await consolidate('run-2', '2026-03-02T10:05:00Z')).filesRead, 1);
  });

  it('when batch scoring captured files, then they are consolidated beside real-time capture', async () => {
    await backend.objectStore.put('s3://mlops/capture/batch/xgboost/2026/03/02/09/run-x/cars.csv.captured.csv', 'record_id,Mileage,prediction\na,1,2\n');
    const got = await consolidate('run-1', '2026-03-02T10:00:00Z');
    assert.equal(got.filesRead, 1);
    assert.ok(got.batchPrefix);
    assert.equal(got.realtimePrefix, undefined);
  });

  it('writes hourly inference volumes once per run: a retry overwrites its own rows', async () => {
    await backend.objectStore.put(captureUri('2026-03-02T09:10:00Z', 'a'), captureBody(2, 10));
    await backend.objectStore.put(captureUri('2026-03-02T10:01:00Z', 'b'), captureBody(3, 40));
    await consolidate('run-1', '2026-03-02T11:00:00Z');
    await consolidate('run-1', '2026-03-02T11:00:30Z');
    const rows = await readInsightRows(backend.objectStore, 'mlops', 'inference_volumes');
    assert.deepEqual(
      rows.map((r) => [r.hour.toISOString(), r.endpoint_name, r.requests, r.prediction_mean, r.model_version]),
      [
        ['2026-03-02T09:00:00.000Z', 'mlops-xgboost', 2, 10, 1],
        ['2026-03-02T10:00:00.000Z', 'mlops-xgboost', 3, 40, 1],
      ],
    );
  });

  it('when two runs of the family consolidate at the same time, then each file goes to exactly one of them', async () => {
    for (let i = 0; i < 12; i++) await backend.objectStore.put(captureUri(`2026-03-02T09:${String(10 + i).padStart(2, '0')}:00Z`, `f${i}`), captureBody(1));
    const [a, b] = await Promise.all([consolidate('run-a', '2026-03-02T10:00:00Z'), consolidate('run-b', '2026-03-02T10:00:00Z')]);
    assert.equal(a.filesRead + b.filesRead, 12, `${a.filesRead} + ${b.filesRead}`);
    const read = [...(a.realtimePrefix ? await backend.objectStore.list(a.realtimePrefix) : []), ...(b.realtimePrefix ? await backend.objectStore.list(b.realtimePrefix) : [])].map((u) => u.slice(u.lastIndexOf('/')));
    assert.equal(new Set(read).size, 12);
  });

  it('when a run fails after taking its files, then releasing them gives them to the next run; a finished run settles them for good', async () => {
    await backend.objectStore.put(captureUri('2026-03-02T09:10:00Z', 'a'), captureBody(2));
    assert.equal((await consolidate('run-1', '2026-03-02T10:00:00Z')).filesRead, 1);
    await activities.settleCapture({ family: 'xgboost', config: CONFIG, runKey: 'run-1', outcome: 'release', now: '2026-03-02T10:01:00Z' });
    assert.equal((await consolidate('run-2', '2026-03-02T11:00:00Z')).filesRead, 1, 'the failed run gave its file back');
    await activities.settleCapture({ family: 'xgboost', config: CONFIG, runKey: 'run-2', outcome: 'done', now: '2026-03-02T11:01:00Z' });
    assert.equal((await consolidate('run-3', '2026-03-05T11:00:00Z')).filesRead, 0, 'done stays done, also after the lease');
  });

  it('when labels arrive hours after their predictions were consolidated, then the next run merges them with the capture of the lookback window; each label file is read once', async () => {
    const withQuality: MonitoredModel = { ...MODEL, modelQualityConstraintsUri: 's3://mlops/mq/constraints.json' };
    const run = (runKey: string, now: string) => activities.consolidateCapture({ family: 'xgboost', model: withQuality, config: CONFIG, runKey, now });
    await backend.objectStore.put(captureUri('2026-03-02T09:10:00Z', 'predictions'), captureBody(3));
    const first = await run('run-1', '2026-03-02T10:00:00Z');
    assert.equal(first.groundTruthPrefix, undefined, 'no labels yet');
    await activities.settleCapture({ family: 'xgboost', config: CONFIG, runKey: 'run-1', outcome: 'done', now: '2026-03-02T10:01:00Z' });
    await backend.objectStore.put('s3://mlops/ground-truth/2026/03/02/15/0000-labels.jsonl', '{"groundTruthData":{"data":"1","encoding":"CSV"},"eventMetadata":{"eventId":"x"},"eventVersion":"0"}\n');
    const second = await run('run-2', '2026-03-02T16:00:00Z');
    assert.equal(second.filesRead, 0, 'no new capture');
    assert.equal(second.groundTruthFilesRead, 1);
    assert.equal((await backend.objectStore.list(second.groundTruthPrefix!)).length, 1);
    assert.deepEqual((await backend.objectStore.list(second.modelQualityCapturePrefix!)).map((u) => u.endsWith('-predictions.jsonl')), [true], 'the earlier predictions come along');
    await activities.settleCapture({ family: 'xgboost', config: CONFIG, runKey: 'run-2', outcome: 'done', now: '2026-03-02T16:01:00Z' });
    const third = await run('run-3', '2026-03-02T17:00:00Z');
    assert.equal(third.groundTruthPrefix, undefined, 'the labels were merged once');
  });

  it('when the champion has no model-quality baseline, then labels wait in the store', async () => {
    await backend.objectStore.put('s3://mlops/ground-truth/2026/03/02/15/0000-labels.jsonl', '{}\n');
    const got = await consolidate('run-1', '2026-03-02T16:00:00Z');
    assert.equal(got.groundTruthPrefix, undefined);
  });
});

describe('consolidateCapture: bookmark claims under a forced interleaving', function () {
  this.timeout(30_000);
  let home: string;
  let backend: Backend;

  beforeEach(async () => {
    home = await createTempDir('mlops-bookmark-race-');
    backend = createLocalBackend({ home, python: 'python3', algorithmsDir: path.join(home, 'none'), endpointHostUrl: 'http://127.0.0.1:1' });
    for (let i = 0; i < 12; i++) await backend.objectStore.put(captureUri(`2026-03-02T09:${String(10 + i).padStart(2, '0')}:00Z`, `f${i}`), captureBody(1));
  });
  afterEach(() => removeTempDir(home));

  /** Two runs that both read the bookmark before either writes it (the first two reads wait for each other). */
  async function interleaved(options: { ignoreConditions?: boolean } = {}) {
    const bothRead = barrier(2);
    const { store, log } = pausingObjectStore(backend.objectStore, (_uri, n) => (n <= 2 ? bothRead.arrive() : Promise.resolve()), options);
    const activities = createConsolidationActivities({ ...backend, objectStore: store });
    const run = (runKey: string) => activities.consolidateCapture({ family: 'xgboost', model: MODEL, config: CONFIG, runKey, now: '2026-03-02T10:00:00Z' });
    const [a, b] = await Promise.all([run('run-a'), run('run-b')]);
    const filesOf = async (prefix?: string) => (prefix ? (await backend.objectStore.list(prefix)).map((u) => u.slice(u.lastIndexOf('/') + 1)) : []);
    return { a, b, files: [...(await filesOf(a.realtimePrefix)), ...(await filesOf(b.realtimePrefix))], log };
  }

  it('when two runs read the bookmark before either writes it, then one conditional write loses, its run re-reads and every file goes to exactly one run', async () => {
    const { a, b, files, log } = await interleaved();

    assert.equal(files.length, 12, 'no file read twice');
    assert.equal(new Set(files).size, 12);
    assert.deepEqual([a.filesRead, b.filesRead].sort((x, y) => x - y), [0, 12]);
    assert.deepEqual(log.writes.map((w) => w.won).sort(), [false, true], 'one write won, the other lost');
    assert.equal(log.reads.length, 3, 'the loser read the bookmark again');
  });

  it('when the conditional write is replaced by a plain put (the race reintroduced), then the same interleaving hands every file to both runs, which the test above would catch', async () => {
    const { a, b, files } = await interleaved({ ignoreConditions: true });

    assert.deepEqual([a.filesRead, b.filesRead], [12, 12]);
    assert.equal(files.length, 24);
  });

  it('when two processes consolidate from one local store and both read the bookmark before either writes, then every file goes to exactly one of them', async () => {
    const syncDir = path.join(home, 'sync');
    await fs.mkdir(syncDir);
    const runs = ['run-p1', 'run-p2'].map((runKey) =>
      runChildScript('consolidate-run.ts', [JSON.stringify({ home, runKey, now: '2026-03-02T10:00:00Z', syncDir, model: MODEL, config: CONFIG })]),
    );
    await pollUntil(
      () => Promise.all(['run-p1', 'run-p2'].map((r) => fs.stat(path.join(syncDir, `${r}.read`)).then(() => true, () => false))),
      (read) => read.every(Boolean),
      { timeoutMs: 20_000 },
    );
    await fs.writeFile(path.join(syncDir, 'go'), '');
    const results = await Promise.all(
      runs.map(async (r) => {
        assert.equal(await r.exited, 0, r.stderr());
        return JSON.parse(/^result (.*)$/m.exec(r.stdout())![1]!) as { filesRead: number; files: string[]; writes: { won: boolean }[]; reads: number };
      }),
    );

    const files = results.flatMap((r) => r.files);
    assert.equal(files.length, 12, 'no file read by both processes');
    assert.equal(new Set(files).size, 12);
    assert.deepEqual(results.flatMap((r) => r.writes.map((w) => w.won)).sort(), [false, true], 'one process lost its conditional write');
    const bookmark = JSON.parse((await backend.objectStore.get('s3://mlops/monitoring/xgboost/bookmark.json')).toString()) as { capture: Record<string, { run: string }> };
    const owners = Object.values(bookmark.capture).map((c) => c.run);
    assert.equal(owners.length, 12);
    assert.equal(new Set(owners).size, 1, 'all claimed by the run that won');
  });
});

