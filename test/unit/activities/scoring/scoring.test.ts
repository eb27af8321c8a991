import assert from 'node:assert/strict';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createLocalBackend } from '../../../../activities/backends/local';
import type { Backend, JobDescription, JobRunner, ProcessingJobSpec } from '../../../../activities/backends/types';
import { createScoringActivities, type ScoringPreprocessInput } from '../../../../activities/scoring/scoring';
import { ErrorType } from '../../../../common/errors';
import { quietActivityEnvironment, runInActivity } from '../../../helpers/activity-env';
import { PYTHON } from '../../../helpers/temporal-env';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

const SCHEMA_URI = 's3://mlops/runs/training/k/preprocess/schema/feature-schema.json';

describe('activities/scoring/scoring: runScoringPreprocessingJob', function () {
  this.timeout(20_000);
  let tmp: string;
  let backend: Backend;
  let started: ProcessingJobSpec[];

  beforeEach(async () => {
    tmp = await createTempDir('mlops-scoring-activity-');
    started = [];
    const local = createLocalBackend({ home: path.join(tmp, 'home'), python: PYTHON, algorithmsDir: path.join(tmp, 'algorithms') });
    const completed = (jobName: string): JobDescription => ({
      jobName, kind: 'processing', status: 'Completed', secondaryStatus: 'Completed', creationTime: '2026-12-06T10:00:00.000Z',
      endTime: '2026-12-06T10:01:00.000Z', resources: { instanceType: 'ml.m5.large', instanceCount: 1 }, finalMetrics: [],
    });
    const jobs: JobRunner = {
      startTrainingJob: () => Promise.reject(new Error('not used')),
      startProcessingJob: async (spec) => {
        started.push(spec);
        return { alreadyExisted: false };
      },
      startTransformJob: () => Promise.reject(new Error('not used')),
      describeJob: async (_kind, jobName) => (started.some((s) => s.jobName === jobName) ? completed(jobName) : undefined),
      stopJob: () => Promise.resolve(),
    };
    backend = { ...local, jobs };
    const features = ['Mileage', 'Cylinder', 'Doors'].map((name) => ({ name, type: 'integer' }));
    await backend.objectStore.put(SCHEMA_URI, JSON.stringify({ schemaVersion: 1, label: { name: 'Price', type: 'float' }, idColumns: ['rownames'], features }));
  });

  afterEach(async () => removeTempDir(tmp));

  function input(extra: Partial<ScoringPreprocessInput> = {}): ScoringPreprocessInput {
    return {
      jobName: 'scoring-preprocess-x', dataUri: 's3://mlops/scoring/cars.csv', featureSchemaUri: SCHEMA_URI,
      outputPrefix: 's3://mlops/runs/scoring/k/preprocess/0', resources: { instanceType: 'ml.m5.large', instanceCount: 1 }, maxRuntimeSeconds: 60, ...extra,
    };
  }

  const run = (extra: Partial<ScoringPreprocessInput> = {}) =>
    runInActivity(quietActivityEnvironment(), () => createScoringActivities(backend, { pollIntervalMs: 5 }).runScoringPreprocessingJob(input(extra)));

  it('when no id columns are configured, then the job gets no --id-columns (every non-feature column but the label passes) and the feature count comes from the schema', async () => {
    const result = await run();
    assert.equal(result.featureCount, 3);
    assert.equal(result.featuresPrefix, 's3://mlops/runs/scoring/k/preprocess/0/features/');
    assert.ok(!started[0]!.arguments.includes('--id-columns'), started[0]!.arguments.join(' '));
  });

  it('when id columns are configured, then the job gets them in order as one --id-columns argument; an empty list means none', async () => {
    await run({ idColumns: ['car_id', 'note'] });
    const args = started[0]!.arguments;
    assert.deepEqual(args.slice(args.indexOf('--id-columns'), args.indexOf('--id-columns') + 2), ['--id-columns', 'car_id,note']);
    await run({ jobName: 'scoring-preprocess-y', idColumns: [] });
    const none = started[1]!.arguments;
    assert.deepEqual(none.slice(none.indexOf('--id-columns'), none.indexOf('--id-columns') + 2), ['--id-columns', '']);
  });

  it('when an id column name is empty or holds a comma, then the activity fails without retry and starts no job', async () => {
    for (const idColumns of [['car,id'], [' ']]) {
      await assert.rejects(run({ idColumns }), (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable && err.type === ErrorType.InvalidInput && /idColumns: '.*' is not a usable column name/.test(err.message));
    }
    assert.deepEqual(started, []);
  });
});
