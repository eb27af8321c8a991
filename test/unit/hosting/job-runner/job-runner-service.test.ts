import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readLockState } from '../../../../activities/backends/local/file-lock';
import { runnerLeasePath } from '../../../../activities/backends/local/job-liveness';
import type { JobRecord } from '../../../../activities/backends/local/job-record';
import { JobRunnerClient } from '../../../../activities/backends/local/job-runner-client';
import { LocalJobRunner, MAX_RESTARTS } from '../../../../activities/backends/local/job-runner';
import { LocalObjectStore } from '../../../../activities/backends/local/object-store';
import type { JobDescription, TrainingJobSpec } from '../../../../activities/backends/types';
import { parseConfig } from '../../../../common/config/parse';
import { stackPorts, type Config } from '../../../../common/config/schema';
import { startJobRunner, type JobRunnerOptions, type RunningJobRunner } from '../../../../hosting/job-runner/job-runner-service';
import { isRunning, writeFakeAlgorithms, XGB_METRICS } from '../../../helpers/fake-algorithms';
import { freePortBase, releasePortBase } from '../../../helpers/integration';
import { PYTHON } from '../../../helpers/temporal-env';
import { createTempDir, pollUntil, removeTempDir } from '../../../helpers/temp-dir';

/** The parent pid of a process (Linux /proc). */
async function parentOf(pid: number): Promise<number> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/**
 * The job runner service in this process (fake algorithms, a real HTTP server, real job processes)
 * and a worker's LocalJobRunner that reaches it by URL and shares its jobs dir, as the worker and
 * job-runner containers of the compose deployment share the mlops-home volume.
 */
describe('hosting/job-runner (the job runner service)', function () {
  this.timeout(60_000);
  let tmp: string;
  let jobsRoot: string;
  let algorithmsDir: string;
  let config: Config;
  let store: LocalObjectStore;
  let worker: LocalJobRunner;
  let runner: RunningJobRunner | undefined;
  let logs: string[];
  let leaseLost: number;

  async function startRunner(overrides: Partial<JobRunnerOptions> = {}): Promise<RunningJobRunner> {
    return startJobRunner(config, { log: (m) => logs.push(m), algorithmsDir, onLeaseLost: () => leaseLost++, leaseMs: 1500, ...overrides });
  }

  let base: number;
  before(async () => {
    base = await freePortBase();
  });
  after(() => releasePortBase(base));

  beforeEach(async () => {
    tmp = await createTempDir();
    algorithmsDir = path.join(tmp, 'algorithms');
    await writeFakeAlgorithms(algorithmsDir);
    const home = path.join(tmp, 'home');
    jobsRoot = path.join(home, 'jobs');
    config = parseConfig({ MLOPS_CONFIG_FILE: 'none', MLOPS_HOME: home, MLOPS_PORT_BASE: String(base), MLOPS_PYTHON: PYTHON, MLOPS_JOB_RUNNER_URL: `http://127.0.0.1:${stackPorts(base).jobRunner}` }, tmp);
    logs = [];
    leaseLost = 0;
    runner = await startRunner();
    store = new LocalObjectStore(path.join(home, 'objects'));
    // The worker cannot run a job itself: its algorithms dir does not exist. Only the runner's can.
    worker = new LocalJobRunner({ jobsRoot, python: PYTHON, algorithmsDir: path.join(tmp, 'no-algorithms-here'), objectStore: store, runnerUrl: config.jobRunnerUrl! });
    await store.put('s3://mlops/run/train/part-0.csv', '1,2\n');
    await store.put('s3://mlops/run/validation/part-0.csv', '5,6\n');
  });

  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    await removeTempDir(tmp);
  });

  function trainingSpec(jobName: string, hyperparameters: Record<string, string> = {}): TrainingJobSpec {
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
      resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
      maxRuntimeSeconds: 60,
    };
  }

  const record = async (jobName: string): Promise<JobRecord> => JSON.parse(await fs.readFile(path.join(jobsRoot, 'training', jobName, 'job.json'), 'utf8')) as JobRecord;
  const waitForEnd = (jobName: string): Promise<JobDescription | undefined> => pollUntil(() => worker.describeJob('training', jobName), (d) => d !== undefined && d.status !== 'InProgress', { timeoutMs: 20_000 });
  /** The algorithm's pid once it runs (the fake writes it into its /opt/ml). */
  const algorithmPid = async (jobName: string): Promise<number> =>
    Number(await pollUntil(() => fs.readFile(path.join(jobsRoot, 'training', jobName, 'opt', 'ml', 'pid'), 'utf8').catch(() => ''), (t) => t.length > 0));
  const runs = async (file: string): Promise<number> => (await fs.readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

  it('when a worker starts a job through the runner, then the runner spawns it as its own child, the record names the runner and its lease, and the job completes', async () => {
    await worker.startTrainingJob(trainingSpec('train-on-runner'));

    const done = await waitForEnd('train-on-runner');

    assert.equal(done?.status, 'Completed', done?.failureReason);
    const ref = (await record('train-on-runner')).process!;
    assert.equal(ref.runner.kind, 'service');
    assert.equal(ref.runner.id, runner!.id);
    assert.equal(ref.runner.url, config.jobRunnerUrl);
    assert.equal(ref.runner.leaseToken, (await readLockState(runnerLeasePath(jobsRoot, runner!.id)))?.token);
    assert.equal(logs.filter((l) => l.includes('spawned training job train-on-runner')).length, 1);
  });

  it('when a job runs, then its process is a child of the runner (not of the worker that asked for it)', async () => {
    const hold = path.join(tmp, 'release');
    await worker.startTrainingJob(trainingSpec('train-child', { mode: 'hold', hold_file: hold }));
    await algorithmPid('train-child');
    const ref = (await record('train-child')).process!;

    // The runner runs in this test's process here; in compose it is the job-runner container's main process.
    assert.equal(await parentOf(ref.identity.pid), process.pid);
    assert.equal((await worker.describeJob('training', 'train-child'))?.status, 'InProgress');
    await fs.writeFile(hold, '');
    assert.equal((await waitForEnd('train-child'))?.status, 'Completed');
  });

  it('when the runner stops while a job runs (its jobs end with it), then the next describe stages the job afresh and starts it again through the next instance, and it completes', async () => {
    const hold = path.join(tmp, 'release');
    const count = path.join(tmp, 'runs');
    await worker.startTrainingJob(trainingSpec('train-lost', { mode: 'hold', hold_file: hold, count_file: count }));
    const firstPid = await algorithmPid('train-lost');
    const first = (await record('train-lost')).process!;

    await runner!.stop();
    await pollUntil(() => isRunning(firstPid), (running) => !running);
    runner = await startRunner();
    const restarted = await worker.describeJob('training', 'train-lost');

    assert.equal(restarted?.status, 'InProgress');
    await pollUntil(() => runs(count), (n) => n === 2);
    const second = await record('train-lost');
    assert.equal(second.restarts, 1);
    assert.notEqual(second.process?.spawnId, first.spawnId);
    assert.notEqual(second.process?.runner.leaseToken, first.runner.leaseToken);
    await fs.access(path.join(jobsRoot, 'training', 'train-lost', 'logs.lost-1.txt'));
    await fs.writeFile(hold, '');
    const done = await waitForEnd('train-lost');
    assert.equal(done?.status, 'Completed', done?.failureReason);
    assert.equal(await runs(count), 2, 'one run per start: the lost one and the one that finished');
  });

  it(`when a job's runner is lost more than ${MAX_RESTARTS} times, then the job fails with an InternalServerError naming the runner`, async () => {
    const count = path.join(tmp, 'runs');
    await worker.startTrainingJob(trainingSpec('train-lost-often', { mode: 'hold', hold_file: path.join(tmp, 'never'), count_file: count }));
    for (let lost = 1; lost <= MAX_RESTARTS; lost++) {
      await pollUntil(() => runs(count), (n) => n === lost);
      await runner!.stop();
      runner = await startRunner();
      assert.equal((await worker.describeJob('training', 'train-lost-often'))?.status, 'InProgress');
    }
    await pollUntil(() => runs(count), (n) => n === MAX_RESTARTS + 1);
    await runner!.stop();
    runner = await startRunner();

    const done = await worker.describeJob('training', 'train-lost-often');

    assert.equal(done?.status, 'Failed');
    assert.match(done?.failureReason ?? '', new RegExp(`^InternalServerError: the job runner ${runner.id} that ran it (stopped|was replaced by a new instance); the job was started ${MAX_RESTARTS + 1} times`));
  });

  it('when the worker stops a running job, then the runner ends its process and the job is Stopped', async () => {
    await worker.startTrainingJob(trainingSpec('train-stop', { mode: 'sleep', seconds: '30' }));
    const pid = await algorithmPid('train-stop');

    await worker.stopJob('training', 'train-stop');

    assert.equal((await worker.describeJob('training', 'train-stop'))?.status, 'Stopped');
    await pollUntil(() => isRunning(pid), (running) => !running);
  });

  it('when a stop names a spawn the runner does not hold, then nothing is signalled and the job runs on', async () => {
    await worker.startTrainingJob(trainingSpec('train-other-spawn', { mode: 'sleep', seconds: '30' }));
    const pid = await algorithmPid('train-other-spawn');

    const answer = await new JobRunnerClient(config.jobRunnerUrl!).stop('training', 'train-other-spawn', '00000000-0000-4000-8000-000000000000');

    assert.deepEqual(answer, { signalled: false });
    assert.ok(await isRunning(pid));
    assert.equal((await worker.describeJob('training', 'train-other-spawn'))?.status, 'InProgress');
  });

  it('when a request names an unknown kind, a bad job name or a job with no record, then the runner answers 400 or 404 and spawns nothing', async () => {
    const post = (route: string, body: unknown = {}) => fetch(`${config.jobRunnerUrl}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    assert.equal((await post('/v1/jobs/endpoint/x/start')).status, 400);
    assert.equal((await post('/v1/jobs/training/..%2F..%2Fetc/start')).status, 400);
    assert.equal((await post('/v1/jobs/training/no-such-job/start')).status, 404);
    assert.equal((await post('/v1/jobs/training/no-such-job/stop', { spawnId: 'not-a-uuid' })).status, 400);
    assert.equal((await post('/v1/jobs/training/x/start', 'x'.repeat(4096))).status, 413);
    assert.equal(logs.filter((l) => l.includes('spawned')).length, 0);
  });

  it('when the runner loses its lease (another instance took it over), then /health answers 503, it starts nothing, and it stops', async () => {
    assert.equal((await fetch(`${config.jobRunnerUrl}/health`)).status, 200);
    await fs.rm(runnerLeasePath(jobsRoot, runner!.id));

    const health = await fetch(`${config.jobRunnerUrl}/health`).catch(() => undefined);
    assert.ok(!health || health.status === 503, `health: ${health?.status}`);
    await pollUntil(async () => leaseLost, (n) => n === 1);
    await assert.rejects(worker.startTrainingJob(trainingSpec('train-after-loss')), /job runner at .* is not reachable/);
    runner = undefined;
  });

  it('when a second instance starts while the first holds the lease, then it waits, and takes over once the first stops', async () => {
    const second = startRunner();
    await pollUntil(async () => logs.filter((l) => l.includes('waiting for the lease')).length, (n) => n >= 1, { timeoutMs: 15_000 });

    await runner!.stop();
    runner = await second;

    assert.equal((await fetch(`${config.jobRunnerUrl}/health`)).status, 200);
    await worker.startTrainingJob(trainingSpec('train-second-instance'));
    assert.equal((await waitForEnd('train-second-instance'))?.status, 'Completed');
  });
});
