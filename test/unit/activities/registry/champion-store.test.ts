import assert from 'node:assert/strict';
import path from 'node:path';
import { LocalParameterStore } from '../../../../activities/backends/local/parameter-store';
import { readChampion, writeChampion } from '../../../../activities/registry/champion-store';
import type { ParameterStore } from '../../../../activities/backends/types';
import type { Champion } from '../../../../common/types/champion';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

const CHAMPION: Champion = {
  family: 'xgboost',
  modelName: 'model-a',
  modelVersion: 3,
  modelArtifactUri: 's3://mlops/runs/k/models/a/output/model.tar.gz',
  featureSchemaUri: 's3://mlops/runs/k/preprocess/schema/feature-schema.json',
  trainingDataUri: 's3://mlops/training/cars.csv',
  dataQualityBaseline: { statisticsUri: 's3://mlops/dq/statistics.json', constraintsUri: 's3://mlops/dq/constraints.json' },
  endpointName: 'mlops-xgboost',
  endpointConfigName: 'endpoint-config-xgboost-1',
};

describe('activities/registry/champion-store', () => {
  let tmp: string;
  let store: LocalParameterStore;

  beforeEach(async () => {
    tmp = await createTempDir();
    store = new LocalParameterStore(path.join(tmp, 'parameters.json'));
  });

  afterEach(async () => {
    await removeTempDir(tmp);
  });

  it('when a champion is written, then it reads back whole, and the per-field keys hold the same values', async () => {
    await writeChampion(store, CHAMPION);

    assert.deepEqual(await readChampion(store, 'xgboost'), CHAMPION);
    assert.equal((await store.get('/mlops/xgboost/champion/endpoint-name'))?.value, 'mlops-xgboost');
    assert.equal(await readChampion(store, 'linear-learner'), undefined);
  });

  it('when only per-field keys exist (exported before the record), then the champion is assembled from them', async () => {
    const fields: Record<string, string> = {
      'model-name': 'model-a',
      'model-version': '3',
      'model-artifact-uri': CHAMPION.modelArtifactUri,
      'feature-schema-uri': CHAMPION.featureSchemaUri,
      'training-data-uri': CHAMPION.trainingDataUri!,
      'data-quality-statistics-uri': CHAMPION.dataQualityBaseline!.statisticsUri,
      'data-quality-constraints-uri': CHAMPION.dataQualityBaseline!.constraintsUri,
      'endpoint-name': 'mlops-xgboost',
      'endpoint-config-name': 'endpoint-config-xgboost-1',
    };
    for (const [field, value] of Object.entries(fields)) await store.put(`/mlops/xgboost/champion/${field}`, value);

    assert.deepEqual(await readChampion(store, 'xgboost'), CHAMPION);
  });

  it('when the record names another family or lacks a required field, then there is no champion (never a half-read one)', async () => {
    await store.put('/mlops/xgboost/champion/record', JSON.stringify({ ...CHAMPION, family: 'linear-learner' }));
    assert.equal(await readChampion(store, 'xgboost'), undefined);
    await store.put('/mlops/xgboost/champion/record', '{"family":"xgboost","modelName":"m"}');
    assert.equal(await readChampion(store, 'xgboost'), undefined);
    await store.put('/mlops/xgboost/champion/record', 'not json');
    assert.equal(await readChampion(store, 'xgboost'), undefined);
  });
  it('when the store puts many at once, then the champion is written in one change, its record last', async () => {
    const calls: string[][] = [];
    const batching: ParameterStore = {
      put: () => assert.fail('one change, not a put per field'),
      get: (name) => store.get(name),
      getByPath: (prefix) => store.getByPath(prefix),
      putMany: async (entries) => {
        calls.push(entries.map((e) => e.name));
        return store.putMany(entries);
      },
    };

    const written = await writeChampion(batching, CHAMPION);

    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0], written);
    assert.equal(written.at(-1), '/mlops/xgboost/champion/record');
    assert.deepEqual(await readChampion(store, 'xgboost'), CHAMPION);
  });

  it('when the store has no batch put (SSM), then the fields go one by one and the record last', async () => {
    const order: string[] = [];
    const plain: ParameterStore = {
      put: async (name, value) => {
        order.push(name);
        return store.put(name, value);
      },
      get: (name) => store.get(name),
      getByPath: (prefix) => store.getByPath(prefix),
    };

    await writeChampion(plain, CHAMPION);

    assert.equal(order.length, 10);
    assert.equal(order.at(-1), '/mlops/xgboost/champion/record');
    assert.deepEqual(await readChampion(store, 'xgboost'), CHAMPION);
  });
});
