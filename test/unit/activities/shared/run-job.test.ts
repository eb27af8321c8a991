import assert from 'node:assert/strict';
import { CancelledFailure } from '@temporalio/activity';
import { ActivityCancellationDetails, ApplicationFailure } from '@temporalio/common';
import type { MockActivityEnvironment } from '@temporalio/testing';
import type { JobDescription, JobKind, JobRunner } from '../../../../activities/backends/types';
import { runJobToCompletion, summarize, type RunJobOptions } from '../../../../activities/shared/run-job';
import { ErrorType } from '../../../../common/errors';
import { quietActivityEnvironment, runInActivity } from '../../../helpers/activity-env';

const resources = { instanceType: 'ml.m5.large', instanceCount: 1 };

function description(status: JobDescription['status'], extra: Partial<JobDescription> = {}): JobDescription {
  return { jobName: 'job-1', kind: 'training', status, secondaryStatus: status, creationTime: '2024-06-11T10:00:00.000Z', resources, finalMetrics: [], ...extra };
}

type FakeJobs = JobRunner & { described: number; stopped: { kind: JobKind; jobName: string }[] };

/** A JobRunner that replays a script of descriptions (repeating the last) and records what was asked. */
function fakeJobs(script: (JobDescription | undefined)[]): FakeJobs {
  let next = 0;
  const fake: FakeJobs = {
    described: 0,
    stopped: [],
    async startTrainingJob() {
      return { alreadyExisted: false };
    },
    async startProcessingJob() {
      return { alreadyExisted: false };
    },
    async startTransformJob() {
      return { alreadyExisted: false };
    },
    async describeJob() {
      fake.described++;
      return script[Math.min(next++, script.length - 1)];
    },
    async stopJob(kind: JobKind, jobName: string) {
      fake.stopped.push({ kind, jobName });
    },
  };
  return fake;
}

function runJob(env: MockActivityEnvironment, jobs: JobRunner, options: Partial<RunJobOptions> = {}) {
  return runInActivity(env, () =>
    runJobToCompletion(jobs, { kind: 'training', jobName: 'job-1', pollIntervalMs: 1, start: async () => ({ alreadyExisted: false }), ...options }),
  );
}

describe('activities/shared/run-job', () => {
  it('when the job completes, then it returns the description and a summary with the duration', async () => {
    const done = description('Completed', { startTime: '2024-06-11T10:00:00.000Z', endTime: '2024-06-11T10:01:30.500Z' });
    const jobs = fakeJobs([description('InProgress'), description('InProgress'), done]);

    const result = await runJob(quietActivityEnvironment(), jobs);

    assert.deepEqual(result.description, done);
    assert.deepEqual(result.summary, {
      jobName: 'job-1',
      status: 'Completed',
      startTime: '2024-06-11T10:00:00.000Z',
      endTime: '2024-06-11T10:01:30.500Z',
      durationSeconds: 90.5,
      resources,
      adopted: false,
    });
    assert.equal(jobs.described, 3);
  });

  it('when the start adopts an existing job, then the summary says adopted', async () => {
    const jobs = fakeJobs([description('Completed')]);

    const result = await runJob(quietActivityEnvironment(), jobs, { kind: 'processing', start: async () => ({ alreadyExisted: true }) });

    assert.equal(result.summary.adopted, true);
    assert.equal(result.summary.durationSeconds, undefined);
  });

  it('when the job is polled, then a heartbeat goes out after the start and after every poll', async () => {
    const jobs = fakeJobs([description('InProgress', { secondaryStatus: 'Training' }), description('Completed')]);
    const env = quietActivityEnvironment();
    const heartbeats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => heartbeats.push(details));

    await runJob(env, jobs);

    assert.deepEqual(heartbeats, [
      { jobName: 'job-1', status: 'Started', adopted: false },
      { jobName: 'job-1', status: 'InProgress', secondaryStatus: 'Training' },
      { jobName: 'job-1', status: 'Completed', secondaryStatus: 'Completed' },
    ]);
  });

  it('when the job fails with a ClientError and a client error type is set, then it throws a non-retryable failure of that type', async () => {
    const jobs = fakeJobs([description('Failed', { failureReason: 'ClientError: column price is missing' })]);

    const run = runJob(quietActivityEnvironment(), jobs, { kind: 'processing', clientErrorType: ErrorType.DatasetSchemaInvalid });

    await assert.rejects(run, (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, ErrorType.DatasetSchemaInvalid);
      assert.equal(err.nonRetryable, true);
      assert.equal(err.message, 'processing job job-1 failed: ClientError: column price is missing');
      assert.equal((err.details?.[0] as { status: string }).status, 'Failed');
      return true;
    });
  });

  it('when the job fails with a ClientError but no client error type is set, then the type is JobFailed', async () => {
    const jobs = fakeJobs([description('Failed', { failureReason: 'ClientError: bad input' })]);

    await assert.rejects(runJob(quietActivityEnvironment(), jobs), (err: unknown) => err instanceof ApplicationFailure && err.type === ErrorType.JobFailed && err.nonRetryable);
  });

  it('when the job fails for another reason, then it throws a non-retryable JobFailed even with a client error type', async () => {
    const jobs = fakeJobs([description('InProgress'), description('Failed', { failureReason: 'AlgorithmError: the process exited with code 1' })]);

    const run = runJob(quietActivityEnvironment(), jobs, { clientErrorType: ErrorType.DatasetSchemaInvalid });

    await assert.rejects(run, (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, ErrorType.JobFailed);
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, /^training job job-1 failed: AlgorithmError/);
      return true;
    });
  });

  it('when the job is Stopped without a reason, then it throws JobFailed naming the status', async () => {
    const jobs = fakeJobs([description('Stopped')]);

    await assert.rejects(runJob(quietActivityEnvironment(), jobs), (err: unknown) => {
      return err instanceof ApplicationFailure && err.type === ErrorType.JobFailed && err.message === 'training job job-1 stopped: Stopped';
    });
  });

  it('when the job vanishes after the start, then it throws a plain (retryable) error', async () => {
    const jobs = fakeJobs([undefined]);

    await assert.rejects(runJob(quietActivityEnvironment(), jobs), (err: unknown) => !(err instanceof ApplicationFailure) && err instanceof Error && /vanished/.test(err.message));
  });

  it('when the start throws, then the error passes through and nothing is described', async () => {
    const jobs = fakeJobs([description('Completed')]);

    const run = runJob(quietActivityEnvironment(), jobs, {
      start: async () => {
        throw new Error('backend down');
      },
    });

    await assert.rejects(run, /backend down/);
    assert.equal(jobs.described, 0);
  });

  it('when the backend asks for backoff, then the poll interval grows by its factor up to its maximum', async () => {
    const jobs = fakeJobs([description('InProgress'), description('InProgress'), description('InProgress'), description('InProgress'), description('Completed')]);
    const slept: number[] = [];
    const env = quietActivityEnvironment();
    const withBackoff: JobRunner = { ...jobs, pollBackoff: { factor: 2, maxIntervalMs: 5000 } };
    const sleep = env.context.sleep.bind(env.context);
    // Records the waits instead of waiting them (Context.sleep is read-only in its type).
    Object.defineProperty(env.context, 'sleep', {
      value: async (ms: number) => {
        slept.push(ms);
        return sleep(1);
      },
    });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    await runJob(env, withBackoff, { pollIntervalMs: 1000 });
    // 1 s, 2 s, 4 s (slept as 3 + 1 with a heartbeat between), then capped at 5 s (3 + 2)
    assert.deepEqual(slept, [1000, 2000, 3000, 1000, 3000, 2000]);
    assert.equal(beats.length, 1 + 5 + 2, 'after the start, after every poll, and inside the long waits');
  });

  it('when describing fails transiently, then polling goes on; after repeated failures the attempt fails (and a retry adopts the job)', async () => {
    let calls = 0;
    const flaky: JobRunner = {
      ...fakeJobs([]),
      async describeJob() {
        calls++;
        if (calls <= 2) throw new Error('ThrottlingException: Rate exceeded');
        return description('Completed');
      },
    };
    assert.equal((await runJob(quietActivityEnvironment(), flaky)).description.status, 'Completed');
    const down: JobRunner = {
      ...fakeJobs([]),
      async describeJob() {
        throw new Error('connect ECONNREFUSED');
      },
    };
    await assert.rejects(runJob(quietActivityEnvironment(), down), /ECONNREFUSED/);
    const invalid: JobRunner = {
      ...fakeJobs([]),
      async describeJob() {
        throw ApplicationFailure.nonRetryable('bad name', ErrorType.InvalidInput);
      },
    };
    await assert.rejects(runJob(quietActivityEnvironment(), invalid), /bad name/);
  });

  it('when the workflow cancels the activity while it polls, then the job is stopped', async () => {
    const jobs = fakeJobs([description('InProgress')]);
    const env = quietActivityEnvironment();
    env.once('heartbeat', () => env.cancel());

    await assert.rejects(runJob(env, jobs, { pollIntervalMs: 60_000 }), CancelledFailure);

    assert.deepEqual(jobs.stopped, [{ kind: 'training', jobName: 'job-1' }]);
  });

  it('when the activity is cancelled because the worker shuts down, then the job keeps running', async () => {
    const jobs = fakeJobs([description('InProgress')]);
    const env = quietActivityEnvironment();
    env.once('heartbeat', () => env.cancel('WORKER_SHUTDOWN', new ActivityCancellationDetails({ workerShutdown: true })));

    await assert.rejects(runJob(env, jobs, { pollIntervalMs: 60_000 }), CancelledFailure);

    assert.deepEqual(jobs.stopped, []);
  });

  describe('a runner that reports changes (the local runner watches for the exit code)', () => {
    /** The runner's waits: each resolves as `answer` says (true: the job changed). */
    function watching(script: JobDescription[], answer: (timeoutMs: number, signal: AbortSignal) => Promise<boolean>) {
      const waits: number[] = [];
      const signals: AbortSignal[] = [];
      const jobs: FakeJobs = Object.assign(fakeJobs(script), {
        waitForChange: (_kind: JobKind, _name: string, timeoutMs: number, signal: AbortSignal) => {
          waits.push(timeoutMs);
          signals.push(signal);
          return answer(timeoutMs, signal);
        },
      });
      return { jobs, waits, signals };
    }

    it('when the runner reports a change, then the job is described again at once instead of after the poll interval', async () => {
      const { jobs, waits } = watching([description('InProgress'), description('Completed')], async () => true);
      const env = quietActivityEnvironment();
      Object.defineProperty(env.context, 'sleep', { value: () => assert.fail('no sleeping while the runner can report changes') });

      const result = await runJob(env, jobs, { pollIntervalMs: 60_000 });

      assert.equal(result.description.status, 'Completed');
      assert.deepEqual(waits, [3000], 'one wait, of at most a heartbeat interval');
      assert.equal(jobs.described, 2);
    });

    it('when nothing changes, then it waits the whole interval in heartbeat-sized pieces, heartbeating between them', async () => {
      const { jobs, waits } = watching([description('InProgress'), description('Completed')], async () => false);
      const env = quietActivityEnvironment();
      const beats: unknown[] = [];
      env.on('heartbeat', (d: unknown) => beats.push(d));

      await runJob(env, jobs, { pollIntervalMs: 7000 });

      assert.deepEqual(waits, [3000, 3000, 1000]);
      assert.equal(beats.length, 1 + 2 + 2, 'after the start, inside the long wait twice, after both polls');
    });

    it('when nothing changes for long, then the timed describes back off to every 2 s (the change wakes the wait, polls are the fallback)', async () => {
      const script = [...Array.from({ length: 7 }, () => description('InProgress')), description('Completed')];
      const { jobs, waits } = watching(script, async () => false);

      await runJob(quietActivityEnvironment(), jobs, { pollIntervalMs: 100 });

      assert.deepEqual(waits, [100, 200, 400, 800, 1600, 2000, 2000]);
      assert.equal(jobs.described, 8);
    });

    it('when the configured interval is above the backoff maximum, then it stays (backoff never shortens it)', async () => {
      const { jobs, waits } = watching([description('InProgress'), description('InProgress'), description('Completed')], async () => false);

      await runJob(quietActivityEnvironment(), jobs, { pollIntervalMs: 2500 });

      assert.deepEqual(waits, [2500, 2500]);
    });

    it('when the workflow cancels the activity during the wait, then the wait is aborted and the job is stopped', async () => {
      const { jobs, signals } = watching([description('InProgress')], (_ms, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve(false))));
      const env = quietActivityEnvironment();
      env.once('heartbeat', () => setImmediate(() => env.cancel()));

      await assert.rejects(runJob(env, jobs, { pollIntervalMs: 60_000 }), CancelledFailure);

      assert.equal(signals[0]?.aborted, true);
      assert.deepEqual(jobs.stopped, [{ kind: 'training', jobName: 'job-1' }]);
    });
  });

  describe('summarize', () => {
    it('when the job has no end time yet, then the summary has no duration', () => {
      const summary = summarize(description('InProgress', { startTime: '2024-06-11T10:00:00.000Z' }), false);

      assert.deepEqual(summary, { jobName: 'job-1', status: 'InProgress', startTime: '2024-06-11T10:00:00.000Z', resources, adopted: false });
    });
  });
});
