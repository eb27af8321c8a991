import assert from 'node:assert/strict';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { createLocalBackend } from '../../activities/backends/local';
import { writeInsightRows } from '../../activities/insights/parquet';
import { buildDashboardServer } from '../../client/dashboard/server';
import type { DriftRecordView, Filters } from '../../client/dashboard/queries';
import type { DriftRecordRow } from '../../common/types/insights';
import { createTempDir, removeTempDir } from '../helpers/temp-dir';

const BUCKET = 'mlops-dash';

function drift(project: string, family: string, endpoint: string, feature: string): DriftRecordRow {
  return {
    detected_at: new Date('2026-03-02T10:15:00Z'),
    project,
    family,
    model_name: `${family}-m1`,
    model_version: 1,
    endpoint_name: endpoint,
    kind: 'data',
    source: 'realtime',
    monitoring_workflow_id: `monitoring-${endpoint}`,
    monitoring_run_id: 'r',
    window_start: new Date('2026-03-02T09:00:00Z'),
    window_end: new Date('2026-03-02T10:00:00Z'),
    feature,
    metric: 'baseline_drift_check',
    check_type: 'baseline_drift_check',
    baseline_value: 0.1,
    current_value: 0.4,
    description: 'distance: 0.4 exceeds threshold: 0.1',
    report_uri: `s3://${BUCKET}/monitoring/r`,
    data_uri: `s3://${BUCKET}/monitoring/r/input/`,
  };
}

describe('dashboard API: projects', () => {
  let home: string;
  let app: FastifyInstance;

  before(async () => {
    home = await createTempDir('mlops-dashboard-projects-');
    const backend = createLocalBackend({ home, python: 'python3', algorithmsDir: path.join(home, 'algorithms') });
    // Two projects with a family of the same name: the filter tells them apart.
    await writeInsightRows(backend.objectStore, BUCKET, 'drift_records', 'run-a', [drift('used-cars', 'xgboost', 'mlops-xgboost', 'Mileage'), drift('penguins', 'xgboost', 'mlops-penguins-xgboost', 'species')]);
    await writeInsightRows(backend.objectStore, BUCKET, 'drift_records', 'run-b', [drift('penguins', 'hgb', 'mlops-penguins-hgb', 'sex')]);
    app = buildDashboardServer({ backend, bucket: BUCKET, temporalUiUrl: (wf) => wf, maxDataBytes: 4096 });
  });

  after(async () => {
    await app?.close();
    await removeTempDir(home);
  });

  it('when insights of two projects exist, then the filters list both projects and a project filter shows only its records', async () => {
    const filters = (await app.inject({ method: 'GET', url: '/api/filters' })).json<Filters>();
    assert.deepEqual(filters.projects, ['penguins', 'used-cars']);

    const penguins = (await app.inject({ method: 'GET', url: '/api/drift?project=penguins' })).json<{ records: DriftRecordView[] }>().records;
    assert.deepEqual(penguins.map((r) => [r.family, r.feature]).sort(), [['hgb', 'sex'], ['xgboost', 'species']]);
    const demoXgboost = (await app.inject({ method: 'GET', url: '/api/drift?project=used-cars&family=xgboost' })).json<{ records: DriftRecordView[] }>().records;
    assert.deepEqual(demoXgboost.map((r) => r.feature), ['Mileage']);
    // A project's own family names are accepted with its project, refused without one.
    assert.equal((await app.inject({ method: 'GET', url: '/api/drift?project=penguins&family=hgb' })).statusCode, 200);
    const refused = await app.inject({ method: 'GET', url: '/api/drift?family=hgb' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.json<{ message: string }>().message, /family must be one of xgboost, linear-learner/);
    assert.equal((await app.inject({ method: 'GET', url: '/api/drift?project=Not%20one' })).statusCode, 400);
  });
});
