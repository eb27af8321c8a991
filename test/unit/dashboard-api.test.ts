import assert from 'node:assert/strict';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createLocalBackend } from '../../activities/backends/local';
import type { Backend } from '../../activities/backends/types';
import { writeInsightRows } from '../../activities/insights/parquet';
import { buildDashboardServer } from '../../client/dashboard/server';
import type { DriftRecordView as DriftRecord, Filters, InferenceHour, ModelVersionSummary, ScoringRecord } from '../../client/dashboard/queries';
import type { DriftRecordRow, InferenceVolumeRow, ScoringRecordRow } from '../../common/types/insights';
import { createTempDir, removeTempDir } from '../helpers/temp-dir';

const BUCKET = 'mlops-dash';
const UI = 'http://127.0.0.1:8233/namespaces/default/workflows';

function drift(over: Partial<DriftRecordRow>): DriftRecordRow {
  return {
    detected_at: new Date('2026-03-02T10:15:00Z'),
    project: 'used-cars',
    family: 'xgboost',
    model_name: 'xgboost-m1',
    model_version: 1,
    endpoint_name: 'mlops-xgboost',
    kind: 'data',
    source: 'realtime',
    monitoring_workflow_id: 'monitoring/xgboost/a',
    monitoring_run_id: 'run-a',
    window_start: new Date('2026-03-02T09:00:00Z'),
    window_end: new Date('2026-03-02T10:00:00Z'),
    feature: 'Mileage',
    metric: 'baseline_drift_check',
    check_type: 'baseline_drift_check',
    baseline_value: 0.1,
    current_value: 0.42,
    description: 'distance: 0.42 exceeds threshold: 0.1',
    report_uri: `s3://${BUCKET}/monitoring/xgboost/a/data-quality/realtime`,
    data_uri: `s3://${BUCKET}/monitoring/xgboost/a/input/capture/`,
    ...over,
  };
}

function volume(over: Partial<InferenceVolumeRow>): InferenceVolumeRow {
  return {
    hour: new Date('2026-03-02T09:00:00Z'),
    project: 'used-cars',
    family: 'xgboost',
    model_name: 'xgboost-m1',
    model_version: 1,
    endpoint_name: 'mlops-xgboost',
    variant_name: 'AllTraffic',
    requests: 10,
    prediction_mean: 100,
    monitoring_workflow_id: 'monitoring/xgboost/a',
    monitoring_run_id: 'run-a',
    ...over,
  };
}

function scoring(over: Partial<ScoringRecordRow>): ScoringRecordRow {
  return {
    scored_at: new Date('2026-03-03T08:00:00Z'),
    project: 'used-cars',
    family: 'linear-learner',
    model_name: 'll-m1',
    model_version: 1,
    scoring_workflow_id: 'scoring/x',
    scoring_run_id: 'run-s',
    input_uri: `s3://${BUCKET}/scoring/input/cars.csv`,
    output_uri: `s3://${BUCKET}/scoring/output/cars.csv.out`,
    capture_uri: `s3://${BUCKET}/scoring/capture/cars.captured.csv`,
    records: 3,
    prediction_mean: 20,
    prediction_min: 10,
    prediction_max: 30,
    ...over,
  };
}

describe('dashboard API (fastify inject over a local backend)', () => {
  let home: string;
  let backend: Backend;
  let app: FastifyInstance;

  const get = async <T>(url: string): Promise<{ status: number; body: T; type: string }> => {
    const res = await app.inject({ method: 'GET', url });
    const type = String(res.headers['content-type'] ?? '');
    return { status: res.statusCode, body: (type.includes('json') ? res.json() : res.body) as T, type };
  };

  before(async () => {
    home = await createTempDir('mlops-dashboard-');
    backend = createLocalBackend({ home, python: 'python3', algorithmsDir: path.join(home, 'algorithms') });
    const store = backend.objectStore;
    await writeInsightRows(store, BUCKET, 'drift_records', 'run-a', [drift({}), drift({ feature: 'Year', current_value: 0.3 })]);
    await writeInsightRows(store, BUCKET, 'drift_records', 'run-b', [
      drift({ detected_at: new Date('2026-03-04T11:00:00Z'), monitoring_workflow_id: 'monitoring/xgboost/b', monitoring_run_id: 'run-b', current_value: 0.5 }),
    ]);
    await writeInsightRows(store, BUCKET, 'drift_records', 'run-c', [
      drift({
        detected_at: new Date('2026-03-04T12:00:00Z'),
        family: 'linear-learner',
        model_name: 'll-m1',
        endpoint_name: 'mlops-linear-learner',
        monitoring_workflow_id: 'monitoring/linear-learner/c',
        monitoring_run_id: 'run-c',
        kind: 'model',
        feature: null,
        metric: 'rmse',
        data_uri: 's3://other-bucket/somewhere/',
      }),
    ]);
    await writeInsightRows(store, BUCKET, 'inference_volumes', 'v-a', [
      volume({}),
      volume({ requests: 30, prediction_mean: 200, monitoring_run_id: 'run-b' }),
      volume({ hour: new Date('2026-03-02T10:00:00Z'), requests: 5, prediction_mean: null }),
      volume({ family: 'linear-learner', endpoint_name: 'mlops-linear-learner', requests: 7 }),
    ]);
    await writeInsightRows(store, BUCKET, 'scoring_records', 'job-1', [scoring({}), scoring({ family: 'xgboost', scored_at: new Date('2026-03-05T08:00:00Z') })]);
    const v1 = await backend.registry.registerVersion({
      family: 'xgboost',
      modelName: 'xgboost-m1',
      artifactUri: `s3://${BUCKET}/models/m1/model.tar.gz`,
      trainingJobName: 'train-1',
      workflowId: 'training/xgboost/1',
      runId: 'trun-1',
      featureSchemaUri: `s3://${BUCKET}/schema.json`,
      hyperparameters: {},
    });
    await backend.registry.updateVersion('xgboost', v1.version, {
      status: 'Approved',
      metrics: { validation: { rmse: 2900, mae: 2100, r2: 0.91 }, test: { rmse: 3000, mae: 2200, r2: 0.9 } },
      decision: { outcome: 'accepted', reason: 'validation RMSE 2900 is within 3000', decidedBy: 'pipeline', decidedAt: '2026-03-01T00:00:00Z' },
    });
    await backend.registry.registerVersion({ ...v1, family: 'linear-learner', modelName: 'll-m1', trainingJobName: 'train-2', workflowId: 'training/ll/1', runId: 'trun-2' });
    await store.put(`s3://${BUCKET}/monitoring/xgboost/a/input/capture/ep/AllTraffic/2026/03/02/09/00-00-000-x.jsonl`, '{"captureData":{}}\n');
    await store.put(`s3://${BUCKET}/monitoring/xgboost/a/input/capture/ep/AllTraffic/2026/03/02/09/01-00-000-y.jsonl`, '{"captureData":{}}\n');
    await store.put(`s3://${BUCKET}/big.txt`, 'x'.repeat(5000));
    await store.put(`s3://${BUCKET}/blob.bin`, Buffer.from([1, 0, 2, 3]));
    await store.put('s3://other-bucket/secret.txt', 'not yours');
    app = buildDashboardServer({ backend, bucket: BUCKET, temporalUiUrl: (wf, run) => `${UI}/${encodeURIComponent(wf)}${run ? `/${run}/history` : ''}`, maxDataBytes: 4096 });
  });

  after(async () => {
    await app?.close();
    await removeTempDir(home);
  });

  it('GET /ping answers ok', async () => {
    assert.deepEqual((await get('/ping')).body, { status: 'ok' });
  });

  it('GET /api/filters lists the families, endpoints and time bounds that exist', async () => {
    const { status, body } = await get<Filters>('/api/filters');
    assert.equal(status, 200);
    assert.deepEqual(body.families, ['linear-learner', 'xgboost']);
    assert.deepEqual(body.endpoints, [
      { name: 'mlops-linear-learner', family: 'linear-learner' },
      { name: 'mlops-xgboost', family: 'xgboost' },
    ]);
    assert.deepEqual(body.timeRange, { from: '2026-03-02T09:00:00.000Z', to: '2026-03-05T08:00:00.000Z' });
  });

  it('GET /api/drift returns every record oldest first, each linked to its run and its data', async () => {
    const { body } = await get<{ records: DriftRecord[] }>('/api/drift');
    assert.equal(body.records.length, 4);
    assert.deepEqual(
      body.records.map((r) => r.detectedAt),
      ['2026-03-02T10:15:00.000Z', '2026-03-02T10:15:00.000Z', '2026-03-04T11:00:00.000Z', '2026-03-04T12:00:00.000Z'],
    );
    const first = body.records[0]!;
    assert.equal(first.runUrl, `${UI}/monitoring%2Fxgboost%2Fa/run-a/history`);
    assert.equal(first.dataUrl, `/data?uri=${encodeURIComponent(`s3://${BUCKET}/monitoring/xgboost/a/input/capture/`)}`);
    assert.equal(first.reportUrl, `/data?uri=${encodeURIComponent(`s3://${BUCKET}/monitoring/xgboost/a/data-quality/realtime`)}`);
    assert.equal(body.records[3]!.dataUrl, null, 'data outside the bucket is not linked');
  });

  it('GET /api/drift filters by family, endpoint and time window (dates and times)', async () => {
    const n = async (qs: string) => (await get<{ records: DriftRecord[] }>(`/api/drift?${qs}`)).body.records.length;
    assert.equal(await n('family=xgboost'), 3);
    assert.equal(await n('family=linear-learner'), 1);
    assert.equal(await n('endpoint=mlops-linear-learner'), 1);
    assert.equal(await n('family=xgboost&endpoint=mlops-linear-learner'), 0);
    assert.equal(await n('from=2026-03-03'), 2);
    assert.equal(await n('to=2026-03-02'), 2, 'a date as `to` includes that whole day');
    assert.equal(await n('from=2026-03-04T11:30:00Z'), 1);
    assert.equal(await n('from=2026-03-04T11:00:00Z&to=2026-03-04T12:00:00Z'), 1, 'from inclusive, to exclusive');
    assert.equal(await n('family=&endpoint=&from=&to='), 4, 'empty values mean "not set"');
  });

  it('GET /api/models lists versions with metrics, decision, status and created time', async () => {
    const all = (await get<{ versions: ModelVersionSummary[] }>('/api/models')).body.versions;
    assert.deepEqual(
      all.map((v) => `${v.family}:${v.version}:${v.status}`),
      ['linear-learner:1:PendingManualApproval', 'xgboost:1:Approved'],
    );
    const xgb = (await get<{ versions: ModelVersionSummary[] }>('/api/models?family=xgboost')).body.versions;
    assert.equal(xgb.length, 1);
    assert.equal(xgb[0]!.metrics?.validation.rmse, 2900);
    assert.equal(xgb[0]!.decision?.outcome, 'accepted');
    assert.ok(Number.isFinite(Date.parse(xgb[0]!.createdAt)));
    assert.equal(xgb[0]!.runUrl, `${UI}/training%2Fxgboost%2F1/trun-1/history`);
  });

  it('GET /api/inference sums hourly volumes over runs and weights the prediction mean by requests', async () => {
    const hours = (await get<{ hours: InferenceHour[] }>('/api/inference?family=xgboost')).body.hours;
    assert.deepEqual(hours, [
      { hour: '2026-03-02T09:00:00.000Z', family: 'xgboost', endpointName: 'mlops-xgboost', modelVersions: [1], requests: 40, predictionMean: 175 },
      { hour: '2026-03-02T10:00:00.000Z', family: 'xgboost', endpointName: 'mlops-xgboost', modelVersions: [1], requests: 5, predictionMean: null },
    ]);
    assert.equal((await get<{ hours: InferenceHour[] }>('/api/inference')).body.hours.length, 3);
    assert.equal((await get<{ hours: InferenceHour[] }>('/api/inference?endpoint=mlops-linear-learner')).body.hours[0]!.requests, 7);
    assert.equal((await get<{ hours: InferenceHour[] }>('/api/inference?from=2026-03-02T10:00:00Z')).body.hours.length, 1);
  });

  it('GET /api/scoring returns scoring records with links, filtered by family and window', async () => {
    const all = (await get<{ records: ScoringRecord[] }>('/api/scoring')).body.records;
    assert.equal(all.length, 2);
    assert.equal(all[0]!.records, 3);
    assert.equal(all[0]!.runUrl, `${UI}/scoring%2Fx/run-s/history`);
    assert.equal(all[0]!.dataUrl, `/data?uri=${encodeURIComponent(`s3://${BUCKET}/scoring/capture/cars.captured.csv`)}`);
    assert.equal((await get<{ records: ScoringRecord[] }>('/api/scoring?family=xgboost')).body.records.length, 1);
    assert.equal((await get<{ records: ScoringRecord[] }>('/api/scoring?to=2026-03-04')).body.records.length, 1);
  });

  it('answers bad input with 400 and a short message', async () => {
    const cases: [string, RegExp][] = [
      ['/api/drift?family=sklearn', /family must be one of xgboost, linear-learner/],
      ['/api/drift?from=yesterday', /from must be an ISO date/],
      ['/api/drift?to=2026-13-45', /to must be an ISO date/],
      ['/api/drift?from=2026-03-04&to=2026-03-02', /from must be before to/],
      ['/api/drift?endpoint=bad%20name', /endpoint must be an endpoint name/],
      ['/api/drift?family=xgboost&family=linear-learner', /family must be given once/],
      ['/api/drift?limit=3', /unknown query parameter: limit/],
      ['/api/models?family=nope', /family must be one of/],
      ['/api/models?from=2026-03-01', /unknown query parameter: from/],
      ['/api/inference?to=soon', /to must be an ISO date/],
      ['/api/scoring?endpoint=mlops-xgboost', /unknown query parameter: endpoint/],
      ['/api/filters?x=1', /unknown query parameter: x/],
      ['/data', /uri/],
    ];
    for (const [url, message] of cases) {
      const { status, body } = await get<{ error: string; message: string }>(url);
      assert.equal(status, 400, url);
      assert.equal(body.error, 'BadRequest', url);
      assert.match(body.message, message, url);
      assert.ok(body.message.length < 120, `${url}: short message`);
    }
  });

  it('GET /data lists a prefix and returns a small object as text', async () => {
    const prefix = `s3://${BUCKET}/monitoring/xgboost/a/input/capture/`;
    const listing = await get<{ kind: string; objects: { uri: string; url: string }[]; truncated: boolean }>(`/data?uri=${encodeURIComponent(prefix)}`);
    assert.equal(listing.status, 200);
    assert.equal(listing.body.objects.length, 2);
    assert.equal(listing.body.truncated, false);
    assert.ok(listing.body.objects[0]!.uri.startsWith(prefix));
    assert.equal(listing.body.objects[0]!.url, `/data?uri=${encodeURIComponent(listing.body.objects[0]!.uri)}`);
    // A prefix without its trailing slash lists too.
    assert.equal((await get<{ objects: unknown[] }>(`/data?uri=${encodeURIComponent(prefix.slice(0, -1))}`)).body.objects.length, 2);
    const object = await get<string>(`/data?uri=${encodeURIComponent(listing.body.objects[0]!.uri)}`);
    assert.equal(object.status, 200);
    assert.equal(object.body, '{"captureData":{}}\n');
    assert.match(object.type, /^text\/plain/);
  });

  it('GET /data stays inside the configured bucket and refuses what it cannot show', async () => {
    const status = async (uri: string) => (await get(`/data?uri=${encodeURIComponent(uri)}`)).status;
    assert.equal(await status('s3://other-bucket/secret.txt'), 400);
    assert.equal(await status('s3://other-bucket/'), 400);
    assert.equal(await status(`s3://${BUCKET}/../other-bucket/secret.txt`), 400);
    assert.equal(await status(`s3://${BUCKET}/monitoring/../../other-bucket/secret.txt`), 400);
    assert.equal(await status(`s3://${BUCKET}/a\\..\\b`), 400);
    assert.equal(await status('file:///etc/passwd'), 400);
    assert.equal(await status('/etc/passwd'), 400);
    assert.equal(await status(`s3://${BUCKET}/no/such/thing`), 404);
    assert.equal(await status(`s3://${BUCKET}/big.txt`), 413);
    assert.equal(await status(`s3://${BUCKET}/blob.bin`), 415);
    const body = (await get<{ message: string }>(`/data?uri=${encodeURIComponent('s3://other-bucket/secret.txt')}`)).body;
    assert.match(body.message, new RegExp(`only objects in bucket '${BUCKET}'`));
    assert.doesNotMatch(JSON.stringify(body), /not yours/);
  });

  it('serves the page and Chart.js from the dashboard itself', async () => {
    const page = await get<string>('/');
    assert.equal(page.status, 200);
    assert.match(page.type, /text\/html/);
    assert.match(page.body, /src="\/vendor\/chart\.umd\.js"/);
    assert.doesNotMatch(page.body, /https?:\/\/(?!127\.0\.0\.1)/, 'nothing from the internet');
    const app_ = await get<string>('/app.js');
    assert.match(app_.type, /javascript/);
    const chart = await get<string>('/vendor/chart.umd.js');
    assert.equal(chart.status, 200);
    assert.match(chart.body, /Chart\.js v4\.6\.1/);
    assert.equal((await get('/nope')).status, 404);
  });

  it('when a table file is unreadable, then the others still show; when reading fails outright, then 500 with a short message (details in the log only)', async () => {
    await backend.objectStore.put(`s3://${BUCKET}/insights/drift_records/dt=2026-03-04/broken.parquet`, 'not parquet');
    const warn = console.warn;
    const warned: string[] = [];
    console.warn = (m: string) => warned.push(m);
    try {
      const ok = await get<{ records: unknown[] }>('/api/drift');
      assert.equal(ok.status, 200);
      assert.ok(ok.body.records.length >= 4);
      assert.ok(warned.some((m) => m.includes('broken.parquet')), warned.join('\n'));
    } finally {
      console.warn = warn;
      await backend.objectStore.put(`s3://${BUCKET}/insights/drift_records/dt=2026-03-04/broken.parquet`, '');
    }
    const failing = buildDashboardServer({
      backend: { ...backend, registry: { ...backend.registry, listVersions: async () => Promise.reject(new Error('EACCES: permission denied, open /secret/registry.json')) } },
      bucket: BUCKET,
      temporalUiUrl: (w) => `http://ui/${w}`,
    });
    const error = console.error;
    console.error = () => undefined;
    try {
      const res = await failing.inject({ method: 'GET', url: '/api/models' });
      assert.equal(res.statusCode, 500);
      assert.doesNotMatch(res.body, /secret|EACCES/);
      assert.equal(res.json<{ error: string }>().error, 'InternalError');
    } finally {
      console.error = error;
      await failing.close();
    }
  });
});
