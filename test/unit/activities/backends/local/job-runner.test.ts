import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import * as tar from 'tar';
import { JobInputError, LocalJobRunner } from '../../../../../activities/backends/local/job-runner';
import { LocalObjectStore } from '../../../../../activities/backends/local/object-store';
import type { JobDescription, JobKind, ProcessingJobSpec, TrainingJobSpec } from '../../../../../activities/backends/types';
import { runJobToCompletion } from '../../../../../activities/shared/run-job';
import { runInActivity } from '../../../../helpers/activity-env';
import { runChildScript, type ChildScript } from '../../../../helpers/children';
import { isRunning, writeFakeAlgorithms, XGB_METRICS } from '../../../../helpers/fake-algorithms';
import { PYTHON } from '../../../../helpers/temporal-env';
import { createTempDir, pollUntil, removeTempDir } from '../../../../helpers/temp-dir';

describe('activities/backends/local/job-runner', function () {
  this.timeout(20_000);
  let tmp: string;
  let jobsRoot: string;
  let store: LocalObjectStore;
  let runner: LocalJobRunner;
  const started: { kind: JobKind; jobName: string }[] = [];

  beforeEach(async () => {
    tmp = await createTempDir();
    const algorithmsDir = path.join(tmp, 'algorithms');
    await writeFakeAlgorithms(algorithmsDir);
    jobsRoot = path.join(tmp, 'home', 'jobs');
    store = new LocalObjectStore(path.join(tmp, 'home', 'objects'));
    runner = new LocalJobRunner({ jobsRoot, python: PYTHON, algorithmsDir, objectStore: store });
    await store.put('s3://mlops/run/train/part-0.csv', '1,2\n');
    await store.put('s3://mlops/run/train/part-1.csv', '3,4\n');
    await store.put('s3://mlops/run/validation/part-0.csv', '5,6\n');
  });

  afterEach(async () => {
    // No job may outlive its test: stop whatever is still running, then delete the dir.
    for (const job of started.splice(0)) await runner.stopJob(job.kind, job.jobName).catch(() => undefined);
    await removeTempDir(tmp);
  });

  function trainingSpec(jobName: string, hyperparameters: Record<string, string> = {}, overrides: Partial<TrainingJobSpec> = {}): TrainingJobSpec {
    started.push({ kind: 'training', jobName });
    return {
      jobName,
      image: 'xgboost',
      metricDefinitions: XGB_METRICS,
      hyperparameters,
      channels: [
        { name: 'train', s3Uri: 's3://mlops/run/train/', contentType: 'text/csv' },
        { name: 'validation', s3Uri: 's3://mlops/run/validation/', contentType: 'text/csv' },
      ],
      outputPath: 's3://mlops/run/models',
      resources: { instanceType: 'ml.m5.large', instanceCount: 2 },
      maxRuntimeSeconds: 60,
      ...overrides,
    };
  }

  function waitForEnd(kind: JobKind, jobName: string, on: LocalJobRunner = runner): Promise<JobDescription | undefined> {
    return pollUntil(() => on.describeJob(kind, jobName), (d) => d !== undefined && d.status !== 'InProgress');
  }

  async function invocations(file: string): Promise<number> {
    const text = await fs.readFile(file, 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).length;
  }

  describe('training jobs', () => {
    it('when a training job runs to the end, then it is Completed with the model tarred into the object store', async () => {
      const start = await runner.startTrainingJob(trainingSpec('train-ok'));

      const done = await waitForEnd('training', 'train-ok');

      assert.deepEqual(start, { alreadyExisted: false });
      assert.equal(done?.status, 'Completed');
      assert.equal(done?.secondaryStatus, 'Completed');
      assert.equal(done?.modelArtifactUri, 's3://mlops/run/models/train-ok/output/model.tar.gz');
      assert.ok(done?.startTime && done.endTime && Date.parse(done.endTime) >= Date.parse(done.startTime));
      const archive = path.join(tmp, 'model.tar.gz');
      await store.download('s3://mlops/run/models/train-ok/output/model.tar.gz', archive);
      const entries: string[] = [];
      await tar.t({ file: archive, onReadEntry: (entry) => void entries.push(entry.path) });
      assert.deepEqual(entries, ['model.json']);
    });

    it('when the log prints metric lines with TABs, then the final metrics are the last matches per definition', async () => {
      await runner.startTrainingJob(trainingSpec('train-metrics'));

      const done = await waitForEnd('training', 'train-metrics');

      assert.deepEqual(done?.finalMetrics, [
        { name: 'train:rmse', value: 5.5 },
        { name: 'validation:rmse', value: 6.75 },
      ]);
    });

    it('when a training job starts, then its config files and channel data are staged under the job opt/ml', async () => {
      await runner.startTrainingJob(trainingSpec('train-staged', { eta: '0.1', num_round: '3' }));
      await waitForEnd('training', 'train-staged');
      const base = path.join(jobsRoot, 'training', 'train-staged', 'opt', 'ml');
      const readJson = async (rel: string) => JSON.parse(await fs.readFile(path.join(base, rel), 'utf8')) as Record<string, unknown>;

      assert.deepEqual(await readJson('input/config/hyperparameters.json'), { eta: '0.1', num_round: '3' });
      assert.deepEqual(await readJson('input/config/inputdataconfig.json'), {
        train: { ContentType: 'text/csv', TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None' },
        validation: { ContentType: 'text/csv', TrainingInputMode: 'File', S3DistributionType: 'FullyReplicated', RecordWrapperType: 'None' },
      });
      const resources = await readJson('input/config/resourceconfig.json');
      assert.equal(resources.current_host, 'algo-1');
      assert.equal(resources.current_instance_type, 'ml.m5.large');
      assert.deepEqual(resources.hosts, ['algo-1', 'algo-2']);
      assert.equal(await fs.readFile(path.join(base, 'input/data/train/part-0.csv'), 'utf8'), '1,2\n');
      assert.equal(await fs.readFile(path.join(base, 'input/data/train/part-1.csv'), 'utf8'), '3,4\n');
      assert.equal(await fs.readFile(path.join(base, 'input/data/validation/part-0.csv'), 'utf8'), '5,6\n');
      const log = await fs.readFile(path.join(jobsRoot, 'training', 'train-staged', 'logs.txt'), 'utf8');
      assert.match(log, /started with \['train'\] train-staged/);
    });

    it('when the algorithm writes a failure file and exits 2, then the job is Failed with that text as the reason', async () => {
      await runner.startTrainingJob(trainingSpec('train-fail', { mode: 'fail', failure: 'ClientError: column price is missing' }));

      const done = await waitForEnd('training', 'train-fail');

      assert.equal(done?.status, 'Failed');
      assert.equal(done?.failureReason, 'ClientError: column price is missing');
      assert.equal(done?.modelArtifactUri, undefined);
    });

    it('when the failure file is longer than 1024 characters, then the reason is cut to 1024', async () => {
      const failure = `AlgorithmError: ${'x'.repeat(3000)}`;
      await runner.startTrainingJob(trainingSpec('train-long-fail', { mode: 'fail', failure }));

      const done = await waitForEnd('training', 'train-long-fail');

      assert.equal(done?.failureReason?.length, 1024);
      assert.equal(done?.failureReason, failure.slice(0, 1024));
    });

    it('when the algorithm exits non-zero without a failure file, then the reason names the exit code', async () => {
      await runner.startTrainingJob(trainingSpec('train-exit', { mode: 'exit', code: '3' }));

      const done = await waitForEnd('training', 'train-exit');

      assert.equal(done?.status, 'Failed');
      assert.ok(done?.failureReason?.startsWith('AlgorithmError: the process exited with code 3'), done?.failureReason);
      assert.match(done?.failureReason ?? '', /last words before dying/);
    });

    it('when the algorithm exits 0 but writes no model, then the job is Failed with a ClientError', async () => {
      await runner.startTrainingJob(trainingSpec('train-no-model', { mode: 'no-model' }));

      const done = await waitForEnd('training', 'train-no-model');

      assert.equal(done?.status, 'Failed');
      assert.match(done?.failureReason ?? '', /^ClientError: .*wrote nothing to \/opt\/ml\/model/);
    });

    it('when a channel prefix has no objects, then start fails with JobInputError and the name stays free', async () => {
      const spec = trainingSpec('train-no-input', {}, { channels: [{ name: 'train', s3Uri: 's3://mlops/run/missing/', contentType: 'text/csv' }] });

      await assert.rejects(runner.startTrainingJob(spec), (err: unknown) => err instanceof JobInputError && /channel 'train'/.test(err.message));

      assert.equal(await runner.describeJob('training', 'train-no-input'), undefined);
      assert.deepEqual(await fs.readdir(path.join(jobsRoot, '.staging')), []);
    });

    it('when the job name breaks the naming rule, then the runner refuses it', async () => {
      await assert.rejects(runner.startTrainingJob(trainingSpec('../escape')), /invalid job name/);
      await assert.rejects(runner.describeJob('training', 'a/b'), /invalid job name/);
    });

    it('when no job has the name, then describeJob returns undefined and stopJob does nothing', async () => {
      assert.equal(await runner.describeJob('training', 'never-started'), undefined);
      await runner.stopJob('training', 'never-started');
    });
  });

  describe('idempotent starts', () => {
    it('when the same job name is started twice, then the second start adopts it and the process runs once', async () => {
      const countFile = path.join(tmp, 'count.txt');
      const spec = trainingSpec('train-twice', { count_file: countFile });

      const first = await runner.startTrainingJob(spec);
      const second = await runner.startTrainingJob(spec);
      const done = await waitForEnd('training', 'train-twice');
      const third = await runner.startTrainingJob(spec);

      assert.deepEqual([first.alreadyExisted, second.alreadyExisted, third.alreadyExisted], [false, true, true]);
      assert.equal(done?.status, 'Completed');
      assert.equal(await invocations(countFile), 1);
    });

    it('when two starts of one job race, then exactly one creates it and the process runs once', async () => {
      const countFile = path.join(tmp, 'count.txt');
      const spec = trainingSpec('train-race', { count_file: countFile });

      const results = await Promise.all([runner.startTrainingJob(spec), runner.startTrainingJob(spec), runner.startTrainingJob(spec)]);
      const done = await waitForEnd('training', 'train-race');

      assert.deepEqual(results.map((r) => r.alreadyExisted).sort(), [false, true, true]);
      assert.equal(done?.status, 'Completed');
      assert.equal(await invocations(countFile), 1);
      assert.deepEqual(await fs.readdir(path.join(jobsRoot, '.staging')), []);
    });

    it('when two runner instances share the jobs dir and race, then the process still runs once', async () => {
      const countFile = path.join(tmp, 'count.txt');
      const other = new LocalJobRunner({ jobsRoot, python: PYTHON, algorithmsDir: path.join(tmp, 'algorithms'), objectStore: store });
      const spec = trainingSpec('train-race-two', { count_file: countFile });

      const results = await Promise.all([runner.startTrainingJob(spec), other.startTrainingJob(spec)]);
      await waitForEnd('training', 'train-race-two');

      assert.deepEqual(results.map((r) => r.alreadyExisted).sort(), [false, true]);
      assert.equal(await invocations(countFile), 1);
    });

    it('when a new runner instance describes a job another one started, then it finishes the bookkeeping', async () => {
      await runner.startTrainingJob(trainingSpec('train-adopted'));
      const restarted = new LocalJobRunner({ jobsRoot, python: PYTHON, algorithmsDir: path.join(tmp, 'algorithms'), objectStore: store });

      const done = await waitForEnd('training', 'train-adopted', restarted);

      assert.equal(done?.status, 'Completed');
      assert.ok(await store.head('s3://mlops/run/models/train-adopted/output/model.tar.gz'));
    });
  });

  describe('processing jobs', () => {
    function processingSpec(jobName: string, overrides: Partial<ProcessingJobSpec> = {}): ProcessingJobSpec {
      started.push({ kind: 'processing', jobName });
      return {
        jobName,
        image: 'preprocess',
        arguments: ['--input-dir', '/opt/ml/processing/input/raw', '--output-dir', '/opt/ml/processing/output'],
        environment: { data_path: '/opt/ml/processing/input/raw', plain: 'unchanged' },
        inputs: [
          { name: 'raw', s3Uri: 's3://mlops/run/train/', localPath: '/opt/ml/processing/input/raw' },
          { name: 'schema', s3Uri: 's3://mlops/schema/feature-schema.json', localPath: '/opt/ml/processing/input/schema' },
        ],
        outputs: [{ name: 'train', s3Uri: 's3://mlops/run/out/train/', localPath: '/opt/ml/processing/output/train' }],
        resources: { instanceType: 'ml.t3.medium', instanceCount: 1 },
        maxRuntimeSeconds: 60,
        ...overrides,
      };
    }

    beforeEach(async () => {
      await store.put('s3://mlops/schema/feature-schema.json', '{}');
    });

    it('when a processing job completes, then its outputs are uploaded under their S3 prefixes', async () => {
      await runner.startProcessingJob(processingSpec('prep-ok'));

      const done = await waitForEnd('processing', 'prep-ok');

      assert.equal(done?.status, 'Completed');
      assert.deepEqual(done?.outputs, { train: 's3://mlops/run/out/train/' });
      assert.deepEqual(await store.list('s3://mlops/run/out/'), ['s3://mlops/run/out/train/meta/seen.json', 's3://mlops/run/out/train/part.csv']);
      assert.equal((await store.get('s3://mlops/run/out/train/part.csv')).toString(), '1,2\n3,4\n');
    });

    it('when arguments and environment name /opt/ml paths, then the process sees paths inside the job dir', async () => {
      await runner.startProcessingJob(processingSpec('prep-paths'));
      await waitForEnd('processing', 'prep-paths');
      const base = path.join(jobsRoot, 'processing', 'prep-paths', 'opt', 'ml');

      const seen = JSON.parse((await store.get('s3://mlops/run/out/train/meta/seen.json')).toString()) as { args: string[]; data_path: string; plain: string; schema: string[] };

      assert.deepEqual(seen.args, ['--input-dir', `${base}/processing/input/raw`, '--output-dir', `${base}/processing/output`]);
      assert.equal(seen.data_path, `${base}/processing/input/raw`);
      assert.equal(seen.plain, 'unchanged');
      assert.deepEqual(seen.schema, ['feature-schema.json']);
    });

    it('when an input prefix has no objects, then start fails with JobInputError', async () => {
      const spec = processingSpec('prep-missing', { inputs: [{ name: 'raw', s3Uri: 's3://mlops/nothing-here/', localPath: '/opt/ml/processing/input/raw' }] });

      await assert.rejects(runner.startProcessingJob(spec), (err: unknown) => err instanceof JobInputError && /input 'raw'/.test(err.message));

      assert.equal(await runner.describeJob('processing', 'prep-missing'), undefined);
    });

    it('when a processing job fails writing output/message, then that message is the failure reason', async () => {
      await runner.startProcessingJob(processingSpec('prep-fail', { environment: { FAIL_WITH: 'ClientError: the dataset has no price column' } }));

      const done = await waitForEnd('processing', 'prep-fail');

      assert.equal(done?.status, 'Failed');
      assert.equal(done?.failureReason, 'ClientError: the dataset has no price column');
      assert.equal(await store.head('s3://mlops/run/out/train/part.csv'), undefined);
    });

    it('when a container path lies outside /opt/ml, then start refuses it', async () => {
      const spec = processingSpec('prep-bad-path', { outputs: [{ name: 'x', s3Uri: 's3://mlops/x/', localPath: '/etc/x' }] });

      await assert.rejects(runner.startProcessingJob(spec), /must be under \/opt\/ml\//);
    });

    it('when a container path climbs out of /opt/ml with .., then start refuses it', async () => {
      const spec = processingSpec('prep-climb', { outputs: [{ name: 'x', s3Uri: 's3://mlops/x/', localPath: '/opt/ml/../../../tmp/x' }] });

      await assert.rejects(runner.startProcessingJob(spec), /escapes \/opt\/ml/);
    });
  });

  describe('stopping and lost processes', () => {
    async function pidOfAlgorithm(kind: JobKind, jobName: string): Promise<number> {
      const file = path.join(jobsRoot, kind, jobName, 'opt', 'ml', 'pid');
      const text = await pollUntil(() => fs.readFile(file, 'utf8').catch(() => ''), (t) => t.length > 0);
      return Number(text);
    }

    it('when a running job is stopped, then its process is killed and the job is Stopped', async () => {
      await runner.startTrainingJob(trainingSpec('train-stop', { mode: 'sleep', seconds: '30' }));
      const pid = await pidOfAlgorithm('training', 'train-stop');

      await runner.stopJob('training', 'train-stop');

      const done = await runner.describeJob('training', 'train-stop');
      assert.equal(done?.status, 'Stopped');
      assert.equal(done?.secondaryStatus, 'Stopped');
      assert.equal(done?.failureReason, 'Stopped by request');
      await pollUntil(() => isRunning(pid), (running) => !running);
    });

    it('when a job runs longer than maxRuntimeSeconds, then describeJob stops it with MaxRuntimeExceeded', async () => {
      await runner.startTrainingJob(trainingSpec('train-timeout', { mode: 'sleep', seconds: '30' }, { maxRuntimeSeconds: 0.3 }));
      const pid = await pidOfAlgorithm('training', 'train-timeout');

      const done = await waitForEnd('training', 'train-timeout');

      assert.equal(done?.status, 'Stopped');
      assert.equal(done?.secondaryStatus, 'MaxRuntimeExceeded');
      assert.match(done?.failureReason ?? '', /^MaxRuntimeExceeded: the job ran longer than 0\.3 s/);
      await pollUntil(() => isRunning(pid), (running) => !running);
    });

    it('when the job process dies without reporting an exit code, then the job is Failed with an InternalServerError', async () => {
      await runner.startTrainingJob(trainingSpec('train-killed', { mode: 'sleep', seconds: '30' }));
      await pidOfAlgorithm('training', 'train-killed');
      const record = JSON.parse(await fs.readFile(path.join(jobsRoot, 'training', 'train-killed', 'job.json'), 'utf8')) as { pid: number };

      process.kill(-record.pid, 'SIGKILL');
      const done = await waitForEnd('training', 'train-killed');

      assert.equal(done?.status, 'Failed');
      assert.match(done?.failureReason ?? '', /^InternalServerError: /);
    });

    it('when a job has exited but nobody has described it yet, then stopping it keeps the outcome of the run', async () => {
      await runner.startTrainingJob(trainingSpec('train-exited'));
      const exitFile = path.join(jobsRoot, 'training', 'train-exited', 'exit_code');
      await pollUntil(() => fs.access(exitFile).then(() => true, () => false), (found) => found);

      await runner.stopJob('training', 'train-exited');

      const done = await runner.describeJob('training', 'train-exited');
      assert.equal(done?.status, 'Completed');
      assert.ok(await store.head('s3://mlops/run/models/train-exited/output/model.tar.gz'));
    });

    it('when a finished job is stopped, then it keeps its final state', async () => {
      await runner.startTrainingJob(trainingSpec('train-finished'));
      await waitForEnd('training', 'train-finished');

      await runner.stopJob('training', 'train-finished');

      assert.equal((await runner.describeJob('training', 'train-finished'))?.status, 'Completed');
    });
  });

  describe('waiting for a job', () => {
    it('when a job ends while an activity waits a long poll interval, then the activity notices at once instead of after the interval', async () => {
      const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
      const begun = Date.now();

      const { description } = await runInActivity(env, () =>
        runJobToCompletion(runner, { kind: 'training', jobName: 'train-watched', pollIntervalMs: 60_000, start: () => runner.startTrainingJob(trainingSpec('train-watched', { mode: 'sleep', seconds: '0.3' })) }),
      );

      assert.equal(description.status, 'Completed');
      assert.ok(Date.now() - begun < 10_000, `took ${Date.now() - begun} ms with a 60 s poll interval`);
    });

    it('when the job exits, then waitForChange wakes with true; when nothing changes, it returns false after its timeout', async () => {
      await runner.startTrainingJob(trainingSpec('train-wake', { mode: 'sleep', seconds: '0.5' }));
      const idle = Date.now();
      assert.equal(await runner.waitForChange('training', 'train-wake', 100, new AbortController().signal), false);
      assert.ok(Date.now() - idle >= 90, 'waited its timeout');

      const woken = await runner.waitForChange('training', 'train-wake', 30_000, new AbortController().signal);

      assert.equal(woken, true);
      assert.ok(await fs.access(path.join(jobsRoot, 'training', 'train-wake', 'exit_code')).then(() => true, () => false), 'woken by the exit code');
    });

    it('when the exit code is already there, then waitForChange returns true at once (a change just before the watch is not missed)', async () => {
      await runner.startTrainingJob(trainingSpec('train-early'));
      await pollUntil(() => fs.access(path.join(jobsRoot, 'training', 'train-early', 'exit_code')).then(() => true, () => false), (found) => found);

      assert.equal(await runner.waitForChange('training', 'train-early', 30_000, new AbortController().signal), true);
    });

    it('when another process stops the job, then a waiting caller wakes (its record was replaced)', async () => {
      await runner.startTrainingJob(trainingSpec('train-stopped-elsewhere', { mode: 'sleep', seconds: '30' }));
      const other = new LocalJobRunner({ jobsRoot, python: PYTHON, algorithmsDir: path.join(tmp, 'algorithms'), objectStore: store });
      const waiting = runner.waitForChange('training', 'train-stopped-elsewhere', 30_000, new AbortController().signal);

      await other.stopJob('training', 'train-stopped-elsewhere');

      assert.equal(await waiting, true);
      assert.equal((await runner.describeJob('training', 'train-stopped-elsewhere'))?.status, 'Stopped');
    });

    it('when the signal aborts, then waitForChange returns false at once', async () => {
      await runner.startTrainingJob(trainingSpec('train-abort', { mode: 'sleep', seconds: '30' }));
      const abort = new AbortController();
      const waiting = runner.waitForChange('training', 'train-abort', 30_000, abort.signal);
      const begun = Date.now();

      abort.abort();

      assert.equal(await waiting, false);
      assert.ok(Date.now() - begun < 1000);
    });
  });

  describe('the job lock', () => {
    const holders: ChildScript[] = [];
    afterEach(async () => {
      for (const h of holders.splice(0)) {
        if (h.child.exitCode === null && h.child.signalCode === null) {
          h.child.kill('SIGKILL');
          await h.exited;
        }
      }
    });

    /** A finished job nobody has described yet (so the next describe finalizes it under the job lock). */
    async function exitedJob(jobName: string): Promise<string> {
      await runner.startTrainingJob(trainingSpec(jobName));
      const dir = path.join(jobsRoot, 'training', jobName);
      await pollUntil(() => fs.access(path.join(dir, 'exit_code')).then(() => true, () => false), (found) => found);
      return dir;
    }

    /** Another process (a worker, in real life) holding the job's lock until released. */
    async function holdJobLock(dir: string, leaseMs: number): Promise<{ holder: ChildScript; release: () => Promise<void> }> {
      const releaseFile = path.join(tmp, `release-${holders.length}`);
      const holder = runChildScript('lock-holder.ts', [path.join(dir, 'job.lock'), String(leaseMs), releaseFile, path.join(tmp, 'lock-journal.txt')]);
      holders.push(holder);
      await holder.printed('locked');
      return { holder, release: () => fs.writeFile(releaseFile, '') };
    }

    it('when the process finalizing a job died holding its lock (a worker crash), then the next describe takes the lock over and finalizes at once', async () => {
      const dir = await exitedJob('train-crashed-finalize');
      const { holder } = await holdJobLock(dir, 10 * 60_000);
      holder.child.kill('SIGKILL');
      await holder.exited;
      const started = Date.now();

      const done = await runner.describeJob('training', 'train-crashed-finalize');

      assert.equal(done?.status, 'Completed');
      assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    });

    it('when an activity polling a job waits for a lock another live process holds, then it heartbeats about every second until the lock is free', async () => {
      const dir = await exitedJob('train-busy-lock');
      const { holder, release } = await holdJobLock(dir, 300);
      // A heartbeat timeout of 1 s: the wait below lasts more than twice that.
      const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 1000 }, { logger: new DefaultLogger('ERROR') });
      const beats: { at: number; details: Record<string, unknown> }[] = [];
      env.on('heartbeat', (details: Record<string, unknown>) => beats.push({ at: Date.now(), details }));
      const waitingBeats = () => beats.filter((b) => b.details.waitingForLock === path.join(dir, 'job.lock'));

      const run = runInActivity(env, () =>
        runJobToCompletion(runner, { kind: 'training', jobName: 'train-busy-lock', pollIntervalMs: 50, start: () => runner.startTrainingJob(trainingSpec('train-busy-lock')) }),
      );
      await pollUntil(async () => waitingBeats().length, (n) => n >= 3, { timeoutMs: 6000 });
      const releasedAt = Date.now();
      await release();
      const { description } = await run;

      assert.equal(description.status, 'Completed');
      const waiting = waitingBeats();
      assert.deepEqual((waiting[0]!.details.holder as { pid: number }).pid, holder.child.pid);
      const during = beats.filter((b) => b.at <= releasedAt);
      const gaps = during.slice(1).map((b, i) => b.at - during[i]!.at);
      assert.ok(during.at(-1)!.at - during[0]!.at >= 2000, `waited past twice the heartbeat timeout: ${JSON.stringify(gaps)}`);
      assert.ok(Math.max(...gaps) < 1500, `a heartbeat at least every 1.5 s while waiting, gaps: ${JSON.stringify(gaps)}`);
    });
  });
});
