import assert from 'node:assert/strict';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { MockActivityEnvironment } from '@temporalio/testing';
import { createLocalBackend } from '../../../../activities/backends/local';
import type { Backend, RegisterModelVersionInput } from '../../../../activities/backends/types';
import { createRegistryActivities } from '../../../../activities/registry/model-registry';
import { readChampion } from '../../../../activities/registry/champion-store';
import { ErrorType } from '../../../../common/errors';
import type { ModelApprovalStatus, ModelFamily, SplitMetrics } from '../../../../common/types/model';
import { PYTHON } from '../../../helpers/temporal-env';
import { quietActivityEnvironment, runInActivity } from '../../../helpers/activity-env';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

function registration(family: ModelFamily, trainingJobName: string): RegisterModelVersionInput {
  return {
    family,
    modelName: `model-${trainingJobName}`,
    artifactUri: `s3://mlops/runs/k/models/${trainingJobName}/output/model.tar.gz`,
    trainingJobName,
    workflowId: 'training/mlops/cars.csv@etag',
    runId: 'run-1',
    featureSchemaUri: 's3://mlops/runs/k/preprocess/schema/feature-schema.json',
    hyperparameters: {},
  };
}

function metrics(validationRmse: number): SplitMetrics {
  return { validation: { rmse: validationRmse, mae: validationRmse * 0.7, r2: 0.9 }, test: { rmse: validationRmse + 50, mae: validationRmse * 0.7, r2: 0.89 } };
}

describe('activities/registry/model-registry', () => {
  let tmp: string;
  let backend: Backend;
  let activities: ReturnType<typeof createRegistryActivities>;
  let env: MockActivityEnvironment;

  beforeEach(async () => {
    tmp = await createTempDir();
    backend = createLocalBackend({ home: path.join(tmp, 'home'), python: PYTHON, algorithmsDir: path.join(tmp, 'algorithms') });
    activities = createRegistryActivities(backend);
    env = quietActivityEnvironment();
  });

  afterEach(async () => {
    await removeTempDir(tmp);
  });

  /** Registers a version and sets its status and (optionally) metrics, as a finished run leaves it. */
  async function version(family: ModelFamily, job: string, status: ModelApprovalStatus, validationRmse?: number): Promise<number> {
    const { version: v } = await runInActivity(env, () => activities.registerModelVersion(registration(family, job)));
    await runInActivity(env, () => activities.recordModelDecision({ family, version: v, status, ...(validationRmse !== undefined ? { metrics: metrics(validationRmse) } : {}) }));
    return v;
  }

  describe('registerModelVersion', () => {
    it('when a model is registered, then it gets the next version and its name is stored as the latest model', async () => {
      const first = await runInActivity(env, () => activities.registerModelVersion(registration('xgboost', 'job-1')));
      const second = await runInActivity(env, () => activities.registerModelVersion(registration('xgboost', 'job-2')));

      assert.deepEqual(first, { version: 1, modelName: 'model-job-1' });
      assert.deepEqual(second, { version: 2, modelName: 'model-job-2' });
      assert.equal((await backend.parameters.get('/mlops/xgboost/latest/model-name'))?.value, 'model-job-2');
    });

    it('when a retried activity registers the same training job again, then it returns the same version', async () => {
      const first = await runInActivity(env, () => activities.registerModelVersion(registration('linear-learner', 'job-1')));

      const retried = await runInActivity(env, () => activities.registerModelVersion(registration('linear-learner', 'job-1')));

      assert.deepEqual(retried, first);
      assert.equal((await backend.parameters.get('/mlops/linear-learner/latest/model-name'))?.version, 1);
    });
  });

  describe('findPreviousBest', () => {
    it('when several versions exist, then it picks the lowest validation RMSE among Approved ones, excluding the candidate', async () => {
      await version('xgboost', 'v1', 'Approved', 2500);
      await version('xgboost', 'v2', 'Rejected', 2000);
      await version('xgboost', 'v3', 'PendingManualApproval', 1900);
      await version('xgboost', 'v4', 'Approved', 2300);
      await version('xgboost', 'v5', 'Approved');
      const candidate = await version('xgboost', 'v6', 'Approved', 2100);
      await version('linear-learner', 'l1', 'Approved', 100);

      const best = await runInActivity(env, () => activities.findPreviousBest({ family: 'xgboost', excludeVersion: candidate }));

      assert.deepEqual(best, { version: 4, validationRmse: 2300 });
    });

    it('when the excluded version is not the best, then the best approved one is still returned', async () => {
      await version('xgboost', 'v1', 'Approved', 2500);
      await version('xgboost', 'v2', 'Approved', 2200);

      assert.deepEqual(await runInActivity(env, () => activities.findPreviousBest({ family: 'xgboost', excludeVersion: 1 })), { version: 2, validationRmse: 2200 });
    });

    it('when two approved versions tie, then the first one keeps the title', async () => {
      await version('xgboost', 'v1', 'Approved', 2200);
      await version('xgboost', 'v2', 'Approved', 2200);

      assert.deepEqual(await runInActivity(env, () => activities.findPreviousBest({ family: 'xgboost', excludeVersion: 99 })), { version: 1, validationRmse: 2200 });
    });

    it('when no version is Approved, then it returns null', async () => {
      await version('xgboost', 'v1', 'Rejected', 2000);
      await version('xgboost', 'v2', 'PendingManualApproval', 1000);

      assert.equal(await runInActivity(env, () => activities.findPreviousBest({ family: 'xgboost', excludeVersion: 2 })), null);
    });

    it('when the family has no versions, then it returns null', async () => {
      assert.equal(await runInActivity(env, () => activities.findPreviousBest({ family: 'linear-learner', excludeVersion: 1 })), null);
    });
  });

  describe('recordModelDecision', () => {
    it('when a decision is recorded, then status, decision, metrics and baselines land on the version', async () => {
      const { version: v } = await runInActivity(env, () => activities.registerModelVersion(registration('xgboost', 'job-1')));
      const decision = { outcome: 'rejected' as const, reason: 'validation RMSE 3400.0 exceeds the threshold 3000.0', decidedBy: 'pipeline', decidedAt: '2024-06-11T00:00:00.000Z' };

      await runInActivity(env, () => activities.recordModelDecision({ family: 'xgboost', version: v, status: 'Rejected', decision, metrics: metrics(3400) }));

      const stored = await backend.registry.getVersion('xgboost', v);
      assert.equal(stored?.status, 'Rejected');
      assert.deepEqual(stored?.decision, decision);
      assert.deepEqual(stored?.metrics, metrics(3400));
    });

    it('when the version does not exist, then it throws a non-retryable NotFound', async () => {
      await assert.rejects(runInActivity(env, () => activities.recordModelDecision({ family: 'xgboost', version: 7, status: 'Approved' })), (err: unknown) => {
        return err instanceof ApplicationFailure && err.type === ErrorType.NotFound && err.nonRetryable;
      });
    });
  });

  describe('exportChampionConfig', () => {
    it('when the version records its training data, then the champion keys name it, so retraining finds the latest data', async () => {
      const { version: v } = await runInActivity(env, () => activities.registerModelVersion({ ...registration('xgboost', 'job-data'), dataUri: 's3://mlops/training/cars-2026.csv' }));

      const written = await runInActivity(env, () => activities.exportChampionConfig({ family: 'xgboost', version: v }));

      assert.ok(written.includes('/mlops/xgboost/champion/training-data-uri'));
      assert.equal((await backend.parameters.get('/mlops/xgboost/champion/training-data-uri'))?.value, 's3://mlops/training/cars-2026.csv');
    });

    it('when the champion has baselines and an endpoint, then every champion key is written', async () => {
      const { version: v } = await runInActivity(env, () => activities.registerModelVersion(registration('xgboost', 'job-1')));
      await runInActivity(env, () => activities.recordModelDecision({
        family: 'xgboost',
        version: v,
        status: 'Approved',
        baselines: {
          dataQuality: { statisticsUri: 's3://mlops/dq/statistics.json', constraintsUri: 's3://mlops/dq/constraints.json' },
          modelQuality: { statisticsUri: 's3://mlops/mq/statistics.json', constraintsUri: 's3://mlops/mq/constraints.json' },
        },
      }));

      const written = await runInActivity(env, () => activities.exportChampionConfig({ family: 'xgboost', version: v, endpointName: 'ep', endpointConfigName: 'ep-config' }));

      const { record, ...values } = Object.fromEntries((await backend.parameters.getByPath('/mlops/xgboost/champion')).map((p) => [p.name.split('/').pop(), p.value]));
      assert.deepEqual(values, {
        'model-name': 'model-job-1',
        'model-version': '1',
        'model-artifact-uri': 's3://mlops/runs/k/models/job-1/output/model.tar.gz',
        'feature-schema-uri': 's3://mlops/runs/k/preprocess/schema/feature-schema.json',
        'data-quality-statistics-uri': 's3://mlops/dq/statistics.json',
        'data-quality-constraints-uri': 's3://mlops/dq/constraints.json',
        'model-quality-statistics-uri': 's3://mlops/mq/statistics.json',
        'model-quality-constraints-uri': 's3://mlops/mq/constraints.json',
        'endpoint-name': 'ep',
        'endpoint-config-name': 'ep-config',
      });
      assert.equal(written.length, 11);
      assert.equal(written.at(-1), '/mlops/xgboost/champion/record', 'the record is written last: readers see the old champion or the new one, never a mix');
      assert.ok(written.every((name) => name.startsWith('/mlops/xgboost/champion/')));
      assert.deepEqual(JSON.parse(record!), {
        family: 'xgboost',
        modelName: 'model-job-1',
        modelVersion: 1,
        modelArtifactUri: 's3://mlops/runs/k/models/job-1/output/model.tar.gz',
        featureSchemaUri: 's3://mlops/runs/k/preprocess/schema/feature-schema.json',
        dataQualityBaseline: { statisticsUri: 's3://mlops/dq/statistics.json', constraintsUri: 's3://mlops/dq/constraints.json' },
        modelQualityBaseline: { statisticsUri: 's3://mlops/mq/statistics.json', constraintsUri: 's3://mlops/mq/constraints.json' },
        endpointName: 'ep',
        endpointConfigName: 'ep-config',
      });
      assert.deepEqual(await readChampion(backend.parameters, 'xgboost'), JSON.parse(record!));
    });

    it('when step 11 passes the approval along, then the version is recorded as Approved with its decision, metrics and baselines before the champion is exported from it, and a retry changes nothing', async () => {
      const { version: v } = await runInActivity(env, () => activities.registerModelVersion(registration('xgboost', 'job-accept')));
      const decision = { outcome: 'accepted' as const, reason: 'validation RMSE 2300.0: no threshold set; no previous approved version', decidedBy: 'pipeline', decidedAt: '2026-12-07T06:00:00.000Z' };
      const baselines = {
        dataQuality: { statisticsUri: 's3://mlops/dq/statistics.json', constraintsUri: 's3://mlops/dq/constraints.json' },
        modelQuality: { statisticsUri: 's3://mlops/mq/statistics.json', constraintsUri: 's3://mlops/mq/constraints.json' },
      };
      const input = { family: 'xgboost', version: v, endpointName: 'ep', approval: { decision, metrics: metrics(2300), baselines } };

      const written = await runInActivity(env, () => activities.exportChampionConfig(input));
      const again = await runInActivity(env, () => activities.exportChampionConfig(input));

      const recorded = await backend.registry.getVersion('xgboost', v);
      assert.equal(recorded?.status, 'Approved');
      assert.deepEqual(recorded?.decision, decision);
      assert.deepEqual(recorded?.metrics, metrics(2300));
      assert.deepEqual(recorded?.previousDecisions, undefined, 'the retry recorded the same decision, not a second one');
      assert.deepEqual(written, again);
      const champion = await readChampion(backend.parameters, 'xgboost');
      assert.deepEqual([champion?.modelVersion, champion?.dataQualityBaseline, champion?.modelQualityBaseline, champion?.endpointName], [v, baselines.dataQuality, baselines.modelQuality, 'ep'], 'exported from the version as just recorded');
    });

    it('when baselines and endpoint are missing, then only the keys with values are written', async () => {
      const { version: v } = await runInActivity(env, () => activities.registerModelVersion(registration('linear-learner', 'job-1')));
      await runInActivity(env, () => activities.recordModelDecision({
        family: 'linear-learner',
        version: v,
        status: 'Approved',
        baselines: { dataQuality: { statisticsUri: 's3://mlops/dq/statistics.json', constraintsUri: 's3://mlops/dq/constraints.json' } },
      }));

      const written = await runInActivity(env, () => activities.exportChampionConfig({ family: 'linear-learner', version: v }));

      assert.deepEqual(written, [
        '/mlops/linear-learner/champion/model-name',
        '/mlops/linear-learner/champion/model-version',
        '/mlops/linear-learner/champion/model-artifact-uri',
        '/mlops/linear-learner/champion/feature-schema-uri',
        '/mlops/linear-learner/champion/data-quality-statistics-uri',
        '/mlops/linear-learner/champion/data-quality-constraints-uri',
        '/mlops/linear-learner/champion/record',
      ]);
      assert.equal(await backend.parameters.get('/mlops/linear-learner/champion/endpoint-name'), undefined);
      assert.equal(await backend.parameters.get('/mlops/linear-learner/champion/model-quality-statistics-uri'), undefined);
    });

    it('when a newer champion is exported, then the changed keys get a new parameter version', async () => {
      await version('xgboost', 'job-1', 'Approved', 2500);
      await version('xgboost', 'job-2', 'Approved', 2400);
      await runInActivity(env, () => activities.exportChampionConfig({ family: 'xgboost', version: 1 }));

      await runInActivity(env, () => activities.exportChampionConfig({ family: 'xgboost', version: 2 }));

      const name = await backend.parameters.get('/mlops/xgboost/champion/model-name');
      const schema = await backend.parameters.get('/mlops/xgboost/champion/feature-schema-uri');
      assert.deepEqual([name?.value, name?.version], ['model-job-2', 2]);
      assert.equal(schema?.version, 1, 'an unchanged value keeps its version');
    });

    it('when the version does not exist, then it throws a non-retryable NotFound and writes nothing', async () => {
      await assert.rejects(runInActivity(env, () => activities.exportChampionConfig({ family: 'xgboost', version: 3 })), (err: unknown) => err instanceof ApplicationFailure && err.type === ErrorType.NotFound);

      assert.deepEqual(await backend.parameters.getByPath('/mlops'), []);
    });
  });

  describe('prepareRollback', () => {
    const baselines = { dataQuality: { statisticsUri: 's3://mlops/dq/statistics.json', constraintsUri: 's3://mlops/dq/constraints.json' } };
    async function approvedWithBaselines(job: string): Promise<number> {
      const v = await version('xgboost', job, 'Approved', 2400);
      await runInActivity(env, () => activities.recordModelDecision({ family: 'xgboost', version: v, status: 'Approved', baselines }));
      return v;
    }

    it('when no version is named, then the newest approved version older than the champion is the target', async () => {
      await approvedWithBaselines('job-1');
      await approvedWithBaselines('job-2');
      await version('xgboost', 'job-3', 'Rejected', 2500);
      const champion = await approvedWithBaselines('job-4');
      await runInActivity(env, () => activities.exportChampionConfig({ family: 'xgboost', version: champion }));

      const plan = await runInActivity(env, () => activities.prepareRollback({ family: 'xgboost', force: false }));

      assert.deepEqual(plan, { target: { version: 2, modelName: 'model-job-2', status: 'Approved' }, current: { version: 4, modelName: 'model-job-4' } });
    });

    it('when the named version is rejected, the champion already, or unknown, then it is refused for good naming the rule; --force promotes a rejected one', async () => {
      await approvedWithBaselines('job-1');
      const rejected = await version('xgboost', 'job-2', 'Rejected', 2500);
      await runInActivity(env, () => activities.recordModelDecision({ family: 'xgboost', version: rejected, status: 'Rejected', baselines }));
      await runInActivity(env, () => activities.exportChampionConfig({ family: 'xgboost', version: 1 }));
      const refused = (toVersion: number, type: string, message: RegExp) =>
        assert.rejects(runInActivity(env, () => activities.prepareRollback({ family: 'xgboost', toVersion, force: false })), (err: unknown) => err instanceof ApplicationFailure && err.type === type && err.nonRetryable && message.test(err.message));
      await refused(2, ErrorType.Conflict, /version 2 is Rejected: promote it only with --force and a reason/);
      await refused(1, ErrorType.Conflict, /version 1 is the champion already/);
      await refused(9, ErrorType.NotFound, /has no version 9 \(versions: 1, 2\)/);
      const forced = await runInActivity(env, () => activities.prepareRollback({ family: 'xgboost', toVersion: 2, force: true }));
      assert.equal(forced.target.status, 'Rejected');
    });

    it('when a decision is replaced, then the earlier one is kept, and recording the same decision again keeps no duplicate', async () => {
      const v = await approvedWithBaselines('job-1');
      const first = { outcome: 'accepted' as const, reason: 'better than the champion', decidedBy: 'pipeline', decidedAt: '2026-01-01T00:00:00Z' };
      const rollback = { outcome: 'rejected' as const, reason: 'rolled back by lena to version 0: bad', decidedBy: 'lena', decidedAt: '2026-01-02T00:00:00Z' };
      await runInActivity(env, () => activities.recordModelDecision({ family: 'xgboost', version: v, status: 'Approved', decision: first }));
      await runInActivity(env, () => activities.recordModelDecision({ family: 'xgboost', version: v, status: 'Rejected', decision: rollback }));
      await runInActivity(env, () => activities.recordModelDecision({ family: 'xgboost', version: v, status: 'Rejected', decision: rollback }));
      const stored = await backend.registry.getVersion('xgboost', v);
      assert.deepEqual(stored?.decision, rollback);
      assert.deepEqual(stored?.previousDecisions, [first]);
    });
  });
});
