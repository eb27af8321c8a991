import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { createActivities } from '../../../../activities';
import { InvalidObjectKeyError } from '../../../../activities/backends/errors';
import { createLocalBackend } from '../../../../activities/backends/local';
import { permanentFailureOf, withPermanentFailures } from '../../../../activities/shared/permanent-failures';
import { ErrorType } from '../../../../common/errors';
import { quietActivityEnvironment, runInActivity } from '../../../helpers/activity-env';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

/** A non-retryable InvalidInput failure, what a workflow never retries. */
function isNonRetryableInvalidInput(err: unknown): boolean {
  return err instanceof ApplicationFailure && err.type === ErrorType.InvalidInput && err.nonRetryable === true;
}

describe('activities/shared/permanent-failures', () => {
  let tmp: string;

  beforeEach(async () => {
    tmp = await createTempDir('mlops-permanent-');
  });

  afterEach(async () => {
    await removeTempDir(tmp);
  });

  it('when an activity fails with a key that can never be a file, then the failure is a non-retryable InvalidInput naming the key and rule', async () => {
    const activities = withPermanentFailures({
      read: async (_input: { uri: string }) => {
        throw new InvalidObjectKeyError('s3://mlops/a/../b', "the key has a '.' or '..' segment");
      },
    });

    await assert.rejects(activities.read({ uri: 'x' }), (err: unknown) => isNonRetryableInvalidInput(err) && /s3:\/\/mlops\/a\/\.\.\/b.*'\.\.' segment/.test((err as Error).message));
  });

  it('when the file system says a name is too long (a real ENAMETOOLONG), then the failure is a non-retryable InvalidInput', async () => {
    const activities = withPermanentFailures({ write: () => fs.writeFile(path.join(tmp, 'n'.repeat(300)), 'x') });

    await assert.rejects(activities.write(), (err: unknown) => isNonRetryableInvalidInput(err) && /ENAMETOOLONG/.test((err as Error).message));
  });

  it('when the error is transient or already typed, then it is passed on unchanged', async () => {
    const transient = new Error('socket hang up');
    const typed = ApplicationFailure.retryable('busy', 'EndpointBusy');

    assert.equal(permanentFailureOf(transient), undefined);
    assert.equal(permanentFailureOf(typed), undefined);
    await assert.rejects(withPermanentFailures({ a: async () => Promise.reject(transient) }).a(), (err) => err === transient);
    await assert.rejects(withPermanentFailures({ a: async () => Promise.reject(typed) }).a(), (err) => err === typed);
  });

  it('when a permanent error is the cause of another, then it is still recognised', () => {
    const wrapped = new Error('job setup failed', { cause: new InvalidObjectKeyError('s3://mlops//x', 'empty segment') });

    assert.ok(isNonRetryableInvalidInput(permanentFailureOf(wrapped)));
  });

  it("when a scoring run's data key has a '..' segment, then its pre-processing activity fails once, non-retryably, instead of retrying for minutes", async () => {
    const backend = createLocalBackend({ home: tmp, python: 'python3', algorithmsDir: path.join(tmp, 'none'), endpointHostUrl: 'http://127.0.0.1:1' });
    const activities = createActivities(backend, { pollIntervalMs: 10 });
    const input = {
      jobName: 'score-prep-0-abc',
      dataUri: 's3://mlops/scoring/../registry/x.csv',
      featureSchemaUri: 's3://mlops/models/feature-schema.json',
      outputPrefix: 's3://mlops/runs/scoring/k/preprocess/0',
      resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
      maxRuntimeSeconds: 60,
    };

    await assert.rejects(runInActivity(quietActivityEnvironment(), () => activities.runScoringPreprocessingJob(input)), (err: unknown) => isNonRetryableInvalidInput(err) && /'\.\.' segment/.test((err as Error).message));
  });
});
