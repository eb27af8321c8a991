import assert from 'node:assert/strict';
import path from 'node:path';
import { LocalObjectStore } from '../../../../activities/backends/local/object-store';
import type { Backend } from '../../../../activities/backends/types';
import { driftSummaryLines } from '../../../../client/cli/commands/monitor';
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
