import assert from 'node:assert/strict';
import path from 'node:path';
import { createLocalBackend } from '../../activities/backends/local';
import type { ObjectStore } from '../../activities/backends/types';
import { writeInsightRows } from '../../activities/insights/parquet';
import { DashboardQueries } from '../../client/dashboard/queries';
import type { InferenceVolumeRow } from '../../common/types/insights';
import { createTempDir, removeTempDir } from '../helpers/temp-dir';

function volume(hour: Date, endpoint: string): InferenceVolumeRow {
  return { hour, project: 'used-cars', family: 'xgboost', model_name: 'm', model_version: 1, endpoint_name: endpoint, variant_name: 'AllTraffic', requests: 1, prediction_mean: 1, monitoring_workflow_id: 'w', monitoring_run_id: 'r' };
}

describe('dashboard filters over many days of insights', () => {
  let home: string;
  beforeEach(async () => {
    home = await createTempDir('mlops-dashboard-filters-');
  });
  afterEach(() => removeTempDir(home));

  it('reads the oldest and the newest month of partitions only, and still spans the whole time range', async () => {
    const backend = createLocalBackend({ home, python: 'python3', algorithmsDir: path.join(home, 'none') });
    const start = Date.UTC(2026, 0, 1);
    for (let day = 0; day < 90; day++) {
      const endpoint = day < 30 ? 'mlops-old' : 'mlops-xgboost';
      await writeInsightRows(backend.objectStore, 'mlops', 'inference_volumes', `run-${day}`, [volume(new Date(start + day * 86_400_000 + 3_600_000), endpoint)]);
    }
    let reads = 0;
    const counting: ObjectStore = Object.assign(Object.create(backend.objectStore) as ObjectStore, {
      get: async (uri: string) => {
        reads++;
        return backend.objectStore.get(uri);
      },
    });
    const queries = new DashboardQueries({ objectStore: counting, registry: backend.registry }, 'mlops', { run: () => '', data: () => '' });
    const filters = await queries.filters();
    assert.deepEqual(filters.timeRange, { from: '2026-01-01T01:00:00.000Z', to: '2026-03-31T01:00:00.000Z' });
    assert.deepEqual(filters.endpoints.map((e) => e.name), ['mlops-old', 'mlops-xgboost'], 'the oldest day still names its endpoint');
    assert.ok(reads <= 32, `bounded reads: ${reads} files for 90 days`);
  });
});
