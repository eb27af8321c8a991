import assert from 'node:assert/strict';
import path from 'node:path';
import { createLocalBackend } from '../../../../activities/backends/local';
import type { Backend } from '../../../../activities/backends/types';
import { createConsolidationActivities, type MonitoredModel } from '../../../../activities/monitoring/consolidate';
import { monitoringConfig } from '../../../helpers/monitoring-fixtures';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

const MODEL: MonitoredModel = {
  family: 'xgboost',
  modelName: 'model-xgboost-1',
  modelVersion: 1,
  endpointName: 'mlops-xgboost',
  featureSchemaUri: 's3://mlops/schema.json',
  dataQualityStatisticsUri: 's3://mlops/dq/statistics.json',
  dataQualityConstraintsUri: 's3://mlops/dq/constraints.json',
};

/** The capture file of minute 10:41 (SageMaker's layout: the file's name starts with its minute). */
const MINUTE_FILE = 's3://mlops/capture/mlops-xgboost/AllTraffic/2026/03/02/10/41-07-123-a.jsonl';

describe('consolidateCapture: how long a real-time capture file settles (captureSettleSeconds)', () => {
  let home: string;
  let backend: Backend;
  let activities: ReturnType<typeof createConsolidationActivities>;

  beforeEach(async () => {
    home = await createTempDir('mlops-consolidate-settle-');
    backend = createLocalBackend({ home, python: 'python3', algorithmsDir: path.join(home, 'none'), endpointHostUrl: 'http://127.0.0.1:1' });
    activities = createConsolidationActivities(backend);
    await backend.objectStore.put(MINUTE_FILE, '{"captureData":{}}\n');
  });
  afterEach(() => removeTempDir(home));

  const consolidate = (runKey: string, now: string, captureSettleSeconds?: number) =>
    activities.consolidateCapture({ family: 'xgboost', model: MODEL, config: { ...monitoringConfig('q'), ...(captureSettleSeconds !== undefined ? { captureSettleSeconds } : {}) }, runKey, now });

  it('when the minute closed 5 s ago and the run asks for 3 s, then the run takes it (the default 90 s would not)', async () => {
    assert.equal((await consolidate('default', '2026-03-02T10:42:05Z')).filesRead, 0, 'by default the file is too fresh');

    const got = await consolidate('current-minute', '2026-03-02T10:42:05Z', 3);

    assert.equal(got.filesRead, 1);
    assert.deepEqual(await backend.objectStore.list(got.realtimePrefix!), [`${got.realtimePrefix}mlops-xgboost/AllTraffic/2026/03/02/10/41-07-123-a.jsonl`]);
  });

  it('when the minute is not over yet, then even a settle time of 0 leaves its file for a later run', async () => {
    assert.equal((await consolidate('early', '2026-03-02T10:41:59Z', 0)).filesRead, 0);
    assert.equal((await consolidate('negative', '2026-03-02T10:41:59Z', -120)).filesRead, 0, 'a negative setting counts as 0');
  });
});
