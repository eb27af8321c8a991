import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { acquireFileLock, type HeldLock } from '../../../../../activities/backends/local/file-lock';
import { LocalJobRunner } from '../../../../../activities/backends/local/job-runner';
import { LocalObjectStore } from '../../../../../activities/backends/local/object-store';
import type { TrainingJobSpec } from '../../../../../activities/backends/types';
import { writeFakeAlgorithms, XGB_METRICS } from '../../../../helpers/fake-algorithms';
import { PYTHON } from '../../../../helpers/temporal-env';
import { createTempDir, pollUntil, removeTempDir } from '../../../../helpers/temp-dir';

type Json = Record<string, unknown>;

/** Linux /proc: the process's own identity fields, as a job record stores them. */
async function procStartTicks(pid: number): Promise<string> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

/**
 * Whether SIGTERM was sent to `pid` (it blocks SIGTERM, so a SIGTERM stays pending, visible in
 * /proc/<pid>/status: no waiting for a process to die to know it was signalled).
 */
async function sigtermPending(pid: number): Promise<boolean> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const mask = (name: string) => BigInt(`0x${/^(\w+):\s*([0-9a-f]+)$/m.exec(status.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '')?.[2] ?? '0'}`);
  const bit = 1n << 14n; // SIGTERM is signal 15
  return ((mask('SigPnd') | mask('ShdPnd')) & bit) !== 0n;
}

/**
 * The rules that keep a job record's process id from being read or signalled where it means
 * something else: in another container (pid namespace) or after the number was reused. Each test
 * rewrites a real job's record as another container, a later boot or a gone runner would leave it,
 * and checks what describing and stopping the job then do (issue 17, defect 1).
 */
describe('activities/backends/local: job process identity', function () {
  this.timeout(30_000);
  let tmp: string;
  let jobsRoot: string;
  let store: LocalObjectStore;
  let runner: LocalJobRunner;
  const bystanders: ChildProcess[] = [];
  const leases: HeldLock[] = [];
  const jobs: string[] = [];
  /** The process groups of the jobs the tests spawned: a rewritten record no longer names them, so a stop would not reach them. */
  const jobGroups: number[] = [];

  beforeEach(async () => {
    tmp = await createTempDir();
    const algorithmsDir = path.join(tmp, 'algorithms');
    await writeFakeAlgorithms(algorithmsDir);
    jobsRoot = path.join(tmp, 'home', 'jobs');
    store = new LocalObjectStore(path.join(tmp, 'home', 'objects'));
    runner = new LocalJobRunner({ jobsRoot, python: PYTHON, algorithmsDir, objectStore: store });
    await store.put('s3://mlops/run/train/part-0.csv', '1,2\n');
    await store.put('s3://mlops/run/validation/part-0.csv', '5,6\n');
  });

  afterEach(async () => {
    for (const group of jobGroups.splice(0)) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        /* ended already */
      }
    }
    for (const b of bystanders.splice(0)) b.kill('SIGKILL');
    for (const l of leases.splice(0)) await l.release();
    for (const name of jobs.splice(0)) await runner.stopJob('training', name).catch(() => undefined);
    await removeTempDir(tmp);
  });

  function trainingSpec(jobName: string, hyperparameters: Record<string, string>): TrainingJobSpec {
    jobs.push(jobName);
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

  const recordFile = (jobName: string) => path.join(jobsRoot, 'training', jobName, 'job.json');
  const readRecord = async (jobName: string): Promise<Json> => JSON.parse(await fs.readFile(recordFile(jobName), 'utf8')) as Json;
  const rewriteRecord = async (jobName: string, change: (record: Json & { process: Json & { identity: Json; runner: Json } }) => void): Promise<void> => {
    const record = (await readRecord(jobName)) as Json & { process: Json & { identity: Json; runner: Json } };
    change(record);
    await fs.writeFile(recordFile(jobName), JSON.stringify(record));
  };
  const runs = async (file: string): Promise<number> => (await fs.readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

  /** A held training job (the fake waits for `<tmp>/release`), once its algorithm runs. */
  async function heldJob(jobName: string, count = path.join(tmp, `${jobName}.runs`)): Promise<{ count: string }> {
    await runner.startTrainingJob(trainingSpec(jobName, { mode: 'hold', hold_file: path.join(tmp, 'release'), count_file: count }));
    await pollUntil(() => runs(count), (n) => n === 1);
    jobGroups.push(((await readRecord(jobName)) as { pid: number }).pid);
    return { count };
  }

  /** An unrelated process of this machine, leader of its own group, that blocks SIGTERM (so a SIGTERM sent to it stays visible). */
  async function bystander(): Promise<number> {
    const child = spawn(PYTHON, ['-c', 'import signal, sys, time\nsignal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})\nprint("ready", flush=True)\ntime.sleep(60)'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
    bystanders.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`the bystander exited (${code})`)));
    });
    return child.pid!;
  }

  /** A pid no process has right now (a process that ran and was reaped). */
  async function deadPid(): Promise<number> {
    const child = spawn('true');
    await new Promise((resolve) => child.once('exit', resolve));
    return child.pid!;
  }

  it('when a job record names a process of another container whose pid number is, here, an unrelated process, then stopping the job does not signal that process', async () => {
    await heldJob('train-foreign-stop');
    const other = await bystander();
    await rewriteRecord('train-foreign-stop', (r) => {
      r.pid = other;
      r.process = { ...r.process, spawnId: '11111111-1111-4111-8111-111111111111', identity: { pid: other, host: 'worker-2-container', pidNamespace: 'pid:[4026532999]', startTicks: '12345' } };
    });

    await runner.stopJob('training', 'train-foreign-stop');

    assert.equal(await sigtermPending(other), false, 'a SIGTERM reached the unrelated process');
    assert.equal(((await readRecord('train-foreign-stop')).description as Json).status, 'Stopped');
  });

  it('when a job record names a process of this machine whose pid was reused (another start time), then stopping the job does not signal the new process; with the right start time it does', async () => {
    await heldJob('train-recycled');
    const other = await bystander();
    const { identity } = (await readRecord('train-recycled')).process as { identity: Json };
    await rewriteRecord('train-recycled', (r) => {
      r.pid = other;
      r.process = { ...r.process, spawnId: '22222222-2222-4222-8222-222222222222', identity: { ...identity, pid: other, startTicks: '1' } };
    });

    await runner.stopJob('training', 'train-recycled');
    assert.equal(await sigtermPending(other), false, 'a SIGTERM reached the process that now has the pid');

    // The check is live: the same record naming the process's true start time (a worker of this
    // machine that spawned it and restarted since) does reach it.
    await heldJob('train-adopted');
    await rewriteRecord('train-adopted', (r) => {
      r.pid = other;
      r.process = { ...r.process, spawnId: '33333333-3333-4333-8333-333333333333', identity: { ...identity, pid: other } };
    });
    const startTicks = await procStartTicks(other);
    await rewriteRecord('train-adopted', (r) => {
      r.process.identity.startTicks = startTicks;
    });
    await runner.stopJob('training', 'train-adopted');
    assert.equal(await sigtermPending(other), true);
  });

  it('when a job of the job runner service is described where its pid number is free (another container), then it runs on and completes instead of failing', async () => {
    await heldJob('train-runner-job');
    // The runner that spawned it is alive (in its own container): it holds its lease.
    await fs.mkdir(path.join(jobsRoot, '.runners'), { recursive: true });
    const lease = await acquireFileLock(path.join(jobsRoot, '.runners', 'job-runner-8240.lock'), { leaseMs: 60_000 });
    leases.push(lease);
    const free = await deadPid();
    await rewriteRecord('train-runner-job', (r) => {
      r.pid = free;
      r.process = {
        spawnId: '44444444-4444-4444-8444-444444444444',
        identity: { pid: free, host: 'job-runner-container', pidNamespace: 'pid:[4026532888]', startTicks: '777' },
        runner: { kind: 'service', id: 'job-runner-8240', url: 'http://job-runner:8240', instance: { pid: 1, host: 'job-runner-container' }, leaseToken: lease.token },
        spawnedAt: new Date().toISOString(),
      };
    });

    const described = await runner.describeJob('training', 'train-runner-job');
    assert.equal(described?.status, 'InProgress', described?.failureReason);

    await fs.writeFile(path.join(tmp, 'release'), '');
    const done = await pollUntil(() => runner.describeJob('training', 'train-runner-job'), (d) => d?.status !== 'InProgress');
    assert.equal(done?.status, 'Completed');
  });

  it("when a job's runner is gone but its pid number belongs to a live process here, then the job is started again at once instead of waited on until its maximum runtime", async () => {
    const { count } = await heldJob('train-runner-gone');
    const { pid: jobPid } = (await readRecord('train-runner-gone')) as { pid: number };
    process.kill(-jobPid, 'SIGKILL'); // the runner's container is gone, and its processes with it
    const other = await bystander();
    await rewriteRecord('train-runner-gone', (r) => {
      r.pid = other;
      r.process = {
        spawnId: '55555555-5555-4555-8555-555555555555',
        identity: { pid: other, host: 'job-runner-container', pidNamespace: 'pid:[4026532777]', startTicks: '99' },
        runner: { kind: 'service', id: 'job-runner-8240', url: 'http://job-runner:8240', instance: { pid: 1, host: 'job-runner-container' }, leaseToken: 'a-lease-nobody-holds' },
        spawnedAt: new Date().toISOString(),
      };
    });

    await runner.describeJob('training', 'train-runner-gone');

    await pollUntil(() => runs(count), (n) => n === 2);
    jobGroups.push(((await readRecord('train-runner-gone')) as { pid: number }).pid);
    assert.equal((await readRecord('train-runner-gone')).restarts, 1);
    assert.equal(await sigtermPending(other), false);
    await fs.writeFile(path.join(tmp, 'release'), '');
    const done = await pollUntil(() => runner.describeJob('training', 'train-runner-gone'), (d) => d?.status !== 'InProgress');
    assert.equal(done?.status, 'Completed');
    assert.equal(await runs(count), 2);
  });

  it('when a job was spawned by a worker of another container (no job runner), then describing it fails retryably instead of guessing', async () => {
    await heldJob('train-elsewhere');
    await rewriteRecord('train-elsewhere', (r) => {
      r.process = { ...r.process, spawnId: '66666666-6666-4666-8666-666666666666', identity: { pid: 1, host: 'worker-3-container', pidNamespace: 'pid:[4026532666]' }, runner: { kind: 'embedded', instance: { pid: 1, host: 'worker-3-container' } } };
    });

    await assert.rejects(runner.describeJob('training', 'train-elsewhere'), (err: Error) => err.name === 'JobProcessElsewhereError' && /MLOPS_JOB_RUNNER_URL/.test(err.message));
    assert.equal(((await readRecord('train-elsewhere')).description as Json).status, 'InProgress');
  });

  it('when the machine rebooted since a worker spawned the job (another boot id), then the job is started again', async () => {
    const { count } = await heldJob('train-rebooted');
    const { pid: jobPid } = (await readRecord('train-rebooted')) as { pid: number };
    process.kill(-jobPid, 'SIGKILL');
    await rewriteRecord('train-rebooted', (r) => {
      r.process = { ...r.process, spawnId: '77777777-7777-4777-8777-777777777777', identity: { ...r.process.identity, boot: '00000000-0000-0000-0000-000000000000' } };
    });

    await runner.describeJob('training', 'train-rebooted');

    await pollUntil(() => runs(count), (n) => n === 2);
    jobGroups.push(((await readRecord('train-rebooted')) as { pid: number }).pid);
    assert.equal((await readRecord('train-rebooted')).restarts, 1);
  });
});
