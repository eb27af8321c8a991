import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { MockActivityEnvironment } from '@temporalio/testing';
import { createLocalBackend } from '../../../../activities/backends/local';
import type { Backend } from '../../../../activities/backends/types';
import { createTrainingJobActivities, type TrainingJobInput } from '../../../../activities/training/train';
import { ErrorType } from '../../../../common/errors';
import type { ModelFamily } from '../../../../common/types/model';
import { PYTHON } from '../../../helpers/temporal-env';
import { quietActivityEnvironment, runInActivity } from '../../../helpers/activity-env';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

/** Both fake images print the log lines handed to them in the `log` hyperparameter and save a model. */
const FAKE_ALGORITHM = String.raw`
import json, os, sys
base = os.environ['SAGEMAKER_BASE_DIR']
with open(os.path.join(base, 'input', 'config', 'hyperparameters.json')) as f:
    hp = json.load(f)
print(hp.get('log', ''))
with open(os.path.join(base, 'model', 'model.json'), 'w') as f:
    f.write('{}')
`;

const XGBOOST_LOG = [
  '[0]\ttrain-rmse:9000\tvalidation-rmse:9100\tvalidation-mae:7000\tvalidation-r2:0.1\ttest-rmse:9200\ttest-mae:7100\ttest-r2:0.09',
  '[299]\ttrain-rmse:1500.5\tvalidation-rmse:2300.25\tvalidation-mae:1600.5\tvalidation-r2:0.93\ttest-rmse:2400.75\ttest-mae:1700.25\ttest-r2:0.92',
].join('\n');

const LINEAR_LOG = [
  '#quality_metric: host=algo-1, epoch=3, validation mse_objective <loss>=9000000.0',
  '#quality_metric: host=algo-1, validation rmse <loss>=3106.4',
  '#quality_metric: host=algo-1, validation absolute_loss <loss>=2200.5',
  '#quality_metric: host=algo-1, validation r2 <loss>=0.88',
  '#quality_metric: host=algo-1, test rmse <loss>=3150.0',
  '#quality_metric: host=algo-1, test absolute_loss <loss>=2250.0',
  '#quality_metric: host=algo-1, test r2 <loss>=0.87',
].join('\n');

describe('activities/training/train', function () {
  this.timeout(20_000);
  let tmp: string;
  let backend: Backend;
  let activities: ReturnType<typeof createTrainingJobActivities>;
  let env: MockActivityEnvironment;

  beforeEach(async () => {
    tmp = await createTempDir();
    const algorithmsDir = path.join(tmp, 'algorithms');
    for (const module of ['xgboost', 'linear_learner']) {
      await fs.mkdir(path.join(algorithmsDir, 'mlops_algorithms', module), { recursive: true });
      await fs.writeFile(path.join(algorithmsDir, 'mlops_algorithms', module, '__init__.py'), '');
      await fs.writeFile(path.join(algorithmsDir, 'mlops_algorithms', module, '__main__.py'), FAKE_ALGORITHM);
    }
    await fs.writeFile(path.join(algorithmsDir, 'mlops_algorithms', '__init__.py'), '');
    backend = createLocalBackend({ home: path.join(tmp, 'home'), python: PYTHON, algorithmsDir });
    for (const split of ['train', 'validation', 'test']) await backend.objectStore.put(`s3://mlops/run/${split}/part.csv`, '1,2\n');
    activities = createTrainingJobActivities(backend, { pollIntervalMs: 10 });
    env = quietActivityEnvironment();
  });

  afterEach(async () => {
    await removeTempDir(tmp);
  });

  function readMetrics(family: ModelFamily, jobName: string) {
    return runInActivity(env, () => activities.readTrainingMetrics({ family, jobName }));
  }

  function input(family: ModelFamily, jobName: string, log: string): TrainingJobInput {
    return {
      jobName,
      family,
      hyperparameters: { log },
      channels: { train: 's3://mlops/run/train/', validation: 's3://mlops/run/validation/', test: 's3://mlops/run/test/' },
      outputPath: 's3://mlops/run/models',
      resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
      maxRuntimeSeconds: 60,
    };
  }

  describe('runTrainingJob', () => {
    it('when the job completes, then it returns the model artifact URI and a Completed summary', async () => {
      const result = await runInActivity(env, () => activities.runTrainingJob(input('xgboost', 'train-xgb', XGBOOST_LOG)));

      assert.equal(result.artifactUri, 's3://mlops/run/models/train-xgb/output/model.tar.gz');
      assert.ok(await backend.objectStore.head(result.artifactUri));
      assert.equal(result.job.status, 'Completed');
      assert.equal(result.job.adopted, false);
      assert.equal(typeof result.job.durationSeconds, 'number');
    });

    it('when the activity is retried after the job was started, then it adopts the job instead of starting another', async () => {
      await runInActivity(env, () => activities.runTrainingJob(input('xgboost', 'train-retried', XGBOOST_LOG)));

      const retried = await runInActivity(env, () => activities.runTrainingJob(input('xgboost', 'train-retried', XGBOOST_LOG)));

      assert.equal(retried.job.adopted, true);
    });
  });

  describe('readTrainingMetrics', () => {
    it('when an XGBoost job logged its rounds, then validation and test metrics come from the last round', async () => {
      await runInActivity(env, () => activities.runTrainingJob(input('xgboost', 'train-xgb', XGBOOST_LOG)));

      const metrics = await readMetrics('xgboost', 'train-xgb');

      assert.deepEqual(metrics, {
        validation: { rmse: 2300.25, mae: 1600.5, r2: 0.93 },
        test: { rmse: 2400.75, mae: 1700.25, r2: 0.92 },
      });
    });

    it('when a Linear Learner job logged its final quality lines, then MAE is read from absolute_loss', async () => {
      await runInActivity(env, () => activities.runTrainingJob(input('linear-learner', 'train-ll', LINEAR_LOG)));

      const metrics = await readMetrics('linear-learner', 'train-ll');

      assert.deepEqual(metrics, {
        validation: { rmse: 3106.4, mae: 2200.5, r2: 0.88 },
        test: { rmse: 3150, mae: 2250, r2: 0.87 },
      });
    });

    it('when validation MAE is missing from the log, then it throws a non-retryable JobFailed naming what is missing and what was reported', async () => {
      await runInActivity(env, () => activities.runTrainingJob(input('xgboost', 'train-partial', '[5]\ttrain-rmse:1.0\tvalidation-rmse:2.0')));

      await assert.rejects(readMetrics('xgboost', 'train-partial'), (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure);
        assert.equal(err.type, ErrorType.JobFailed);
        assert.equal(err.nonRetryable, true);
        assert.match(err.message, /reported no validation RMSE and MAE \(reported: train:rmse, validation:rmse\)/);
        return true;
      });
    });

    it('when the job logged no metric at all, then the message says none were reported', async () => {
      await runInActivity(env, () => activities.runTrainingJob(input('linear-learner', 'train-silent', 'nothing useful')));

      await assert.rejects(readMetrics('linear-learner', 'train-silent'), /reported no validation RMSE and MAE \(reported: none\)/);
    });

    it('when the job reported no test split, then the metrics have validation only (built-in XGBoost trains without a test channel)', async () => {
      await runInActivity(env, () => activities.runTrainingJob(input('xgboost', 'train-no-test', '[5]\ttrain-rmse:1.0\tvalidation-rmse:2.0\tvalidation-mae:1.5')));

      assert.deepEqual(await readMetrics('xgboost', 'train-no-test'), { validation: { rmse: 2, mae: 1.5 } });
    });

    it('when no job has the name, then it throws a non-retryable NotFound', async () => {
      await assert.rejects(readMetrics('xgboost', 'never-ran'), (err: unknown) => {
        return err instanceof ApplicationFailure && err.type === ErrorType.NotFound && err.nonRetryable;
      });
    });
  });
});
