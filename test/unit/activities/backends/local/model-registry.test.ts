import assert from 'node:assert/strict';
import path from 'node:path';
import { LocalModelRegistry, RegistryNotFoundError } from '../../../../../activities/backends/local/model-registry';
import type { RegisterModelVersionInput } from '../../../../../activities/backends/types';
import type { ModelFamily } from '../../../../../common/types/model';
import { createTempDir, removeTempDir } from '../../../../helpers/temp-dir';

function registration(family: ModelFamily, trainingJobName: string): RegisterModelVersionInput {
  return {
    family,
    modelName: `model-${trainingJobName}`,
    artifactUri: `s3://mlops/runs/${trainingJobName}/output/model.tar.gz`,
    trainingJobName,
    workflowId: 'training/mlops/cars.csv@etag',
    runId: 'run-1',
    featureSchemaUri: 's3://mlops/runs/schema/feature-schema.json',
    hyperparameters: { num_round: '10' },
  };
}

const metrics = { validation: { rmse: 2300, mae: 1600, r2: 0.93 }, test: { rmse: 2400, mae: 1700, r2: 0.92 } };

describe('activities/backends/local/model-registry', () => {
  let tmp: string;
  let file: string;
  let registry: LocalModelRegistry;

  beforeEach(async () => {
    tmp = await createTempDir();
    file = path.join(tmp, 'registry', 'model-registry.json');
    registry = new LocalModelRegistry(file);
  });

  afterEach(async () => {
    await removeTempDir(tmp);
  });

  it('when versions are registered, then they count from 1 per family', async () => {
    const x1 = await registry.registerVersion(registration('xgboost', 'job-x1'));
    const l1 = await registry.registerVersion(registration('linear-learner', 'job-l1'));
    const x2 = await registry.registerVersion(registration('xgboost', 'job-x2'));

    assert.deepEqual([x1.version, x2.version, l1.version], [1, 2, 1]);
    assert.equal(x1.status, 'PendingManualApproval');
    assert.equal(x1.modelName, 'model-job-x1');
    assert.deepEqual(x1.hyperparameters, { num_round: '10' });
  });

  it('when the same training job is registered twice, then the second call returns the same version', async () => {
    const first = await registry.registerVersion(registration('xgboost', 'job-a'));

    const second = await registry.registerVersion(registration('xgboost', 'job-a'));

    assert.deepEqual(second, first);
    assert.equal((await registry.listVersions('xgboost')).length, 1);
  });

  it('when ten different jobs register at once, then they get versions 1 to 10 with none lost', async () => {
    const jobs = Array.from({ length: 10 }, (_, i) => `job-${i}`);

    const versions = await Promise.all(jobs.map((job) => registry.registerVersion(registration('xgboost', job))));

    assert.deepEqual(versions.map((v) => v.version).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const stored = await registry.listVersions('xgboost');
    assert.deepEqual(stored.map((v) => v.version), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(stored.map((v) => v.trainingJobName).sort(), [...jobs].sort());
  });

  it('when two registry instances share the file and register at once, then no update is lost', async () => {
    const other = new LocalModelRegistry(file);

    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? registry : other).registerVersion(registration('xgboost', `job-${i}`))));

    assert.deepEqual((await registry.listVersions('xgboost')).map((v) => v.version), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('when a version is updated, then only the given fields change and updatedAt moves', async () => {
    const created = await registry.registerVersion(registration('xgboost', 'job-a'));
    const decision = { outcome: 'accepted' as const, reason: 'within the threshold', decidedBy: 'pipeline', decidedAt: '2024-06-11T00:00:00.000Z' };

    await registry.updateVersion('xgboost', 1, { metrics });
    await registry.updateVersion('xgboost', 1, { baselines: { dataQuality: { statisticsUri: 's3://b/s.json', constraintsUri: 's3://b/c.json' } } });
    await registry.updateVersion('xgboost', 1, { baselines: { modelQuality: { statisticsUri: 's3://b/ms.json', constraintsUri: 's3://b/mc.json' } } });
    const updated = await registry.updateVersion('xgboost', 1, { status: 'Approved', decision });

    assert.equal(updated.status, 'Approved');
    assert.deepEqual(updated.decision, decision);
    assert.deepEqual(updated.metrics, metrics);
    assert.deepEqual(updated.baselines, {
      dataQuality: { statisticsUri: 's3://b/s.json', constraintsUri: 's3://b/c.json' },
      modelQuality: { statisticsUri: 's3://b/ms.json', constraintsUri: 's3://b/mc.json' },
    });
    assert.equal(updated.artifactUri, created.artifactUri);
    assert.ok(updated.updatedAt >= created.updatedAt);
    assert.deepEqual(await registry.getVersion('xgboost', 1), updated);
  });

  it('when an unknown version or family is updated, then it throws RegistryNotFoundError', async () => {
    await registry.registerVersion(registration('xgboost', 'job-a'));

    await assert.rejects(registry.updateVersion('xgboost', 2, { status: 'Approved' }), RegistryNotFoundError);
    await assert.rejects(registry.updateVersion('linear-learner', 1, { status: 'Approved' }), RegistryNotFoundError);
  });

  it('when a version does not exist, then getVersion returns undefined', async () => {
    assert.equal(await registry.getVersion('xgboost', 1), undefined);
  });

  it('when listing without a family, then versions of all families come sorted by family and version', async () => {
    await registry.registerVersion(registration('xgboost', 'x1'));
    await registry.registerVersion(registration('linear-learner', 'l1'));
    await registry.registerVersion(registration('xgboost', 'x2'));

    const all = await registry.listVersions();

    assert.deepEqual(all.map((v) => `${v.family}:${v.version}`), ['linear-learner:1', 'xgboost:1', 'xgboost:2']);
  });

  it('when a new instance opens the same file, then it sees the versions and continues numbering', async () => {
    await registry.registerVersion(registration('xgboost', 'x1'));
    await registry.updateVersion('xgboost', 1, { status: 'Rejected' });

    const reopened = new LocalModelRegistry(file);
    const next = await reopened.registerVersion(registration('xgboost', 'x2'));

    assert.equal((await reopened.getVersion('xgboost', 1))?.status, 'Rejected');
    assert.equal(next.version, 2);
  });
});
