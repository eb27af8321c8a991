import assert from 'node:assert/strict';
import type { Backend, RegisterModelVersionInput } from '../../activities/backends/types';
import type { ModelFamily } from '../../common/types/model';
import { BOTH_PROJECTS, contractSuite, projectNames } from './backends';

/** A registration in `project` (absent: the demo project, whose inputs name none). */
function registration(family: ModelFamily, trainingJobName: string, project?: string): RegisterModelVersionInput {
  return {
    family,
    ...(project ? projectNames(project).field : {}),
    modelName: `model-${trainingJobName}`,
    artifactUri: `s3://mlops/runs/k/models/${trainingJobName}/output/model.tar.gz`,
    trainingJobName,
    workflowId: 'training/mlops/training/cars.csv@etag',
    runId: 'run-1',
    featureSchemaUri: 's3://mlops/runs/k/preprocess/schema/feature-schema.json',
    dataUri: 's3://mlops/training/cars.csv',
    hyperparameters: { num_round: '50', max_depth: '5', eta: '0.2', objective: 'reg:squarederror' },
  };
}

/** Two xgboost versions and one linear-learner version, registered in that order. */
async function registerThree(backend: Backend, project?: string) {
  const v1 = await backend.registry.registerVersion(registration('xgboost', 'train-xgboost-a', project));
  const v2 = await backend.registry.registerVersion(registration('xgboost', 'train-xgboost-b', project));
  const ll = await backend.registry.registerVersion(registration('linear-learner', 'train-ll-a', project));
  return { v1, v2, ll };
}

/** Runs for the demo project and a second one: every call names the suite's project (`p`). */
contractSuite('contract: ModelRegistry', (target, _kind, p) => {
  it('registers versions numbered from 1 per family, PendingManualApproval, with every field kept', async () => {
    const { backend } = target();
    const { v1, v2, ll } = await registerThree(backend, p);
    assert.deepEqual([v1.version, v2.version, ll.version], [1, 2, 1]);
    assert.equal(v1.status, 'PendingManualApproval');
    const { version: _v, status: _s, createdAt, updatedAt, ...fields } = v1;
    assert.deepEqual(fields, registration('xgboost', 'train-xgboost-a', p));
    assert.ok(Date.parse(updatedAt) >= Date.parse(createdAt));
    assert.deepEqual(await backend.registry.getVersion('xgboost', 1, p), v1);
  });

  it('registering the same training job again returns the existing version', async () => {
    const { backend } = target();
    await registerThree(backend, p);
    const again = await backend.registry.registerVersion(registration('xgboost', 'train-xgboost-a', p));
    assert.equal(again.version, 1);
    assert.equal((await backend.registry.listVersions('xgboost', p)).length, 2);
  });

  it('listVersions is sorted by family then version; an unknown version is undefined', async () => {
    const { backend } = target();
    await registerThree(backend, p);
    const all = await backend.registry.listVersions(undefined, p);
    assert.deepEqual(all.map((v) => `${v.family}/${v.version}`), ['linear-learner/1', 'xgboost/1', 'xgboost/2']);
    assert.equal(await backend.registry.getVersion('xgboost', 99, p), undefined);
  });

  it('when another project registers the same families and training jobs, then each project numbers, lists, reads and updates only its own versions', async () => {
    const { backend, other } = target();
    const mine = await registerThree(backend, p);
    // The other project's runs use the same job names: its registrations are its own, not adopted ones of this project.
    const theirs = await registerThree(backend, other);
    assert.deepEqual([theirs.v1.version, theirs.v2.version, theirs.ll.version], [1, 2, 1]);
    assert.deepEqual(theirs.v1.project, projectNames(other).field.project);
    await backend.registry.registerVersion(registration('xgboost', 'train-xgboost-c', other));
    assert.deepEqual((await backend.registry.listVersions(undefined, p)).map((v) => `${v.family}/${v.version}/${v.project ?? '-'}`), ['linear-learner/1', 'xgboost/1', 'xgboost/2'].map((k) => `${k}/${projectNames(p).field.project ?? '-'}`));
    assert.equal((await backend.registry.listVersions('xgboost', other)).length, 3);
    assert.equal(await backend.registry.getVersion('xgboost', 3, p), undefined);
    await backend.registry.updateVersion('xgboost', 1, { status: 'Rejected' }, other);
    assert.equal((await backend.registry.getVersion('xgboost', 1, p))?.status, 'PendingManualApproval');
    assert.deepEqual(await backend.registry.getVersion('xgboost', 1, p), mine.v1);
    await assert.rejects(backend.registry.updateVersion('xgboost', 3, { status: 'Approved' }, p), /no version 3 of model family 'xgboost'/);
  });

  it('updateVersion sets status, decision, metrics and merges baselines', async () => {
    const { backend } = target();
    await registerThree(backend, p);
    const decision = { outcome: 'accepted' as const, reason: 'validation RMSE 2950.1 is below the threshold 3000 and beats v1 (3120.4)', decidedBy: 'pipeline', decidedAt: '2026-01-01T00:00:00.000Z' };
    const metrics = { validation: { rmse: 2950.1, mae: 2000.5, r2: 0.91 }, test: { rmse: 3001.2, mae: 2100, r2: 0.9 } };
    await backend.registry.updateVersion('xgboost', 2, { status: 'Approved', decision, metrics, baselines: { dataQuality: { statisticsUri: 's3://mlops/b/dq/statistics.json', constraintsUri: 's3://mlops/b/dq/constraints.json' } } }, p);
    const updated = await backend.registry.updateVersion('xgboost', 2, { baselines: { modelQuality: { statisticsUri: 's3://mlops/b/mq/statistics.json', constraintsUri: 's3://mlops/b/mq/constraints.json' } } }, p);
    assert.equal(updated.status, 'Approved');
    assert.deepEqual(updated.decision, decision);
    assert.deepEqual(updated.metrics, metrics);
    assert.deepEqual(Object.keys(updated.baselines ?? {}).sort(), ['dataQuality', 'modelQuality']);
    assert.deepEqual(await backend.registry.getVersion('xgboost', 2, p), updated);
    const rejected = await backend.registry.updateVersion('xgboost', 1, { status: 'Rejected' }, p);
    assert.equal(rejected.status, 'Rejected');
    assert.equal(rejected.trainingJobName, 'train-xgboost-a');
  });

  it('updating an unknown version fails naming family and version', async () => {
    const { backend } = target();
    await assert.rejects(backend.registry.updateVersion('linear-learner', 7, { status: 'Approved' }, p), /no version 7 of model family 'linear-learner'/);
  });

  it('keeps long records (hyperparameters beyond one metadata value) intact', async () => {
    const { backend } = target();
    const input = { ...registration('linear-learner', 'train-ll-long', p), hyperparameters: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`param_${i}`, 'x'.repeat(40)])) };
    const v = await backend.registry.registerVersion(input);
    assert.deepEqual((await backend.registry.getVersion('linear-learner', v.version, p))?.hyperparameters, input.hyperparameters);
  });
}, { projects: BOTH_PROJECTS });
