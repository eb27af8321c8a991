import assert from 'node:assert/strict';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createLocalBackend } from '../../../../activities/backends/local';
import type { Backend, JobDescription, JobRunner, ProcessingJobSpec } from '../../../../activities/backends/types';
import { createPreprocessActivities, type PreprocessInput } from '../../../../activities/training/preprocess';
import { ErrorType } from '../../../../common/errors';
import { quietActivityEnvironment, runInActivity } from '../../../helpers/activity-env';
import { PYTHON } from '../../../helpers/temporal-env';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

const DATA = 's3://mlops/training/cars.csv';

describe('activities/training/preprocess: runPreprocessingJob', function () {
  this.timeout(20_000);
  let tmp: string;
  let backend: Backend;
  let started: ProcessingJobSpec[];
  let failure: string | undefined;

  beforeEach(async () => {
    tmp = await createTempDir('mlops-preprocess-activity-');
    started = [];
    failure = undefined;
    const local = createLocalBackend({ home: path.join(tmp, 'home'), python: PYTHON, algorithmsDir: path.join(tmp, 'algorithms') });
    const described = (jobName: string): JobDescription => ({
      jobName, kind: 'processing', status: failure ? 'Failed' : 'Completed', secondaryStatus: failure ? 'Failed' : 'Completed',
      ...(failure ? { failureReason: failure } : {}), creationTime: '2026-12-06T10:00:00.000Z', endTime: '2026-12-06T10:01:00.000Z',
      resources: { instanceType: 'ml.t3.medium', instanceCount: 1 }, finalMetrics: [],
    });
    const jobs: JobRunner = {
      startTrainingJob: () => Promise.reject(new Error('not used')),
      startProcessingJob: async (spec) => {
        started.push(spec);
        return { alreadyExisted: false };
      },
      startTransformJob: () => Promise.reject(new Error('not used')),
      describeJob: async (_kind, jobName) => (started.some((s) => s.jobName === jobName) ? described(jobName) : undefined),
      stopJob: () => Promise.resolve(),
    };
    backend = { ...local, jobs };
    await backend.objectStore.put(DATA, 'rownames,Price,Mileage\n1,20000,100\n');
  });

  afterEach(async () => removeTempDir(tmp));

  const run = (extra: Partial<PreprocessInput> = {}) =>
    runInActivity(quietActivityEnvironment(), () =>
      createPreprocessActivities(backend, { pollIntervalMs: 5 }).runPreprocessingJob({
        jobName: 'preprocess-x', dataUri: DATA, outputPrefix: 's3://mlops/runs/training/k/preprocess',
        split: { seed: 42, validationFraction: 0.15, testFraction: 0.15 },
        resources: { instanceType: 'ml.t3.medium', instanceCount: 1 }, maxRuntimeSeconds: 60, ...extra,
      }));

  function option(args: string[], flag: string): string | undefined {
    const at = args.indexOf(flag);
    return at === -1 ? undefined : args[at + 1];
  }

  it('when the run configures data checks, then the job gets each limit as its argument', async () => {
    await run({ dataChecks: { minRowsPerSplit: 25, maxDuplicateShare: 0.2 } });
    const args = started[0]!.arguments;
    assert.equal(option(args, '--min-rows-per-split'), '25');
    assert.equal(option(args, '--max-duplicate-share'), '0.2');
    assert.equal(option(args, '--validation-fraction'), '0.15');
  });

  it('when the run has no data checks (recorded before they existed) or only one, then the job keeps its defaults for the rest', async () => {
    await run();
    assert.equal(option(started[0]!.arguments, '--min-rows-per-split'), undefined);
    assert.equal(option(started[0]!.arguments, '--max-duplicate-share'), undefined);
    await run({ jobName: 'preprocess-y', dataChecks: { maxDuplicateShare: 0 } });
    assert.equal(option(started[1]!.arguments, '--min-rows-per-split'), undefined);
    assert.equal(option(started[1]!.arguments, '--max-duplicate-share'), '0');
  });

  it('when the job refuses the data (a sanity gate), then the step fails without retry as DatasetSchemaInvalid with the job\'s message', async () => {
    failure = "ClientError: cars.csv: column 'Price': the label is 20000.0 in all 804 rows, so there is nothing to learn (rule: label varies)";
    await assert.rejects(run(), (err: unknown) =>
      err instanceof ApplicationFailure && err.nonRetryable && err.type === ErrorType.DatasetSchemaInvalid && /column 'Price'.*\(rule: label varies\)/.test(err.message));
  });
});
