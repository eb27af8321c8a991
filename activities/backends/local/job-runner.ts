import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MAX_FAILURE_REASON_CHARS } from '../../../common/container-contract';
import type { FinalMetric } from '../../../common/types/jobs';
import type { JobDescription, JobKind, JobRunner, ProcessingJobSpec, TrainingJobSpec, TransformJobSpec } from '../types';
import { collectOutputs, failureReasonOf } from './job-outputs';
import { waitForFileEvent } from './file-watch';
import { processStateOf, type ProcessState } from './job-liveness';
import { clearProcessFiles, DIED_FILE, EXIT_CODE_FILE, exitStatus, hasExited, jobLogFile } from './job-process';
import { JobProcessHost } from './job-process-host';
import { JOB_RECORD_FILE, jobDirOf, jobExists, maxRuntimeOf, newJobRecord, readJobRecord, updateJobRecord, withJobLock, writeJobRecord, type JobRecord } from './job-record';
import { JobRunnerClient } from './job-runner-client';
import { stageProcessingJob, stageTrainingJob, stageTransformJob } from './job-staging';
import { scanMetrics } from './metrics-scanner';
import type { LocalObjectStore } from './object-store';
import { currentProcess } from './process-identity';

export { JobInputError } from './job-staging';

export interface LocalJobRunnerOptions {
  /** `<home>/jobs` */
  jobsRoot: string;
  python: string;
  /** Dir put on PYTHONPATH (the repo's `algorithms/`). */
  algorithmsDir: string;
  /** Python jobs as forks of the warm fork server (default true). */
  forkServer?: boolean;
  objectStore: LocalObjectStore;
  /**
   * The job runner service that owns the jobs' processes (MLOPS_JOB_RUNNER_URL). Unset: this
   * process spawns them, detached, on its own machine.
   */
  runnerUrl?: string;
}

/** A job whose runner went away is started again this many times at most, then fails. */
export const MAX_RESTARTS = 2;

/** The job's process runs where this process cannot see (another container or machine): retryable. */
export class JobProcessElsewhereError extends Error {
  constructor(kind: JobKind, jobName: string, reason: string) {
    super(`cannot tell whether ${kind} job ${jobName} still runs: ${reason}`);
    this.name = 'JobProcessElsewhereError';
  }
}

/**
 * Runs SageMaker-style jobs as local processes. Each job lives in its own dir with a container-like
 * `/opt/ml` tree (job-staging.ts) and a record (job-record.ts); its process records its exit code
 * (job-process.ts), so any later caller finishes its bookkeeping (job-outputs.ts). Names are
 * unique: starting a job whose name exists adopts it.
 *
 * Who owns the processes (job-process-host.ts): this process itself, which spawns them detached so
 * they outlive it (one machine, `mlops stack up`); or the job runner service, which every worker
 * asks over HTTP (a compose deployment: the jobs do not live in a worker's container). Either way
 * the record names the runner and the process, so whoever describes the job can tell a running job
 * from one whose process died (it failed) or whose runner is gone (it is started again, by name,
 * at most MAX_RESTARTS times), and a stop reaches only the job's own process (job-liveness.ts).
 */
export class LocalJobRunner implements JobRunner {
  private readonly processes: JobProcessHost;
  private readonly service?: JobRunnerClient;

  constructor(private readonly options: LocalJobRunnerOptions) {
    this.processes = new JobProcessHost({
      jobsRoot: options.jobsRoot,
      python: options.python,
      algorithmsDir: options.algorithmsDir,
      forkServer: options.forkServer,
      runner: () => ({ kind: 'embedded', instance: currentProcess() }),
    });
    if (options.runnerUrl) this.service = new JobRunnerClient(options.runnerUrl);
  }

  jobDir(kind: JobKind, jobName: string): string {
    return jobDirOf(this.options.jobsRoot, kind, jobName);
  }

  async startTrainingJob(spec: TrainingJobSpec): Promise<{ alreadyExisted: boolean }> {
    return this.start('training', spec.jobName, { kind: 'training', training: spec }, spec.resources);
  }

  async startProcessingJob(spec: ProcessingJobSpec): Promise<{ alreadyExisted: boolean }> {
    return this.start('processing', spec.jobName, { kind: 'processing', processing: spec }, spec.resources);
  }

  async startTransformJob(spec: TransformJobSpec): Promise<{ alreadyExisted: boolean }> {
    return this.start('transform', spec.jobName, { kind: 'transform', transform: spec }, spec.resources);
  }

  async describeJob(kind: JobKind, jobName: string): Promise<JobDescription | undefined> {
    const dir = this.jobDir(kind, jobName);
    const record = await readJobRecord(dir);
    if (!record) return undefined;
    if (record.description.status !== 'InProgress') return record.description;
    if (await hasExited(dir)) return this.finalize(dir);
    const state = await this.processState(record, dir);
    switch (state.state) {
      case 'not-started':
        return record.description;
      case 'died':
        // The shell writes exit_code before it exits; look once more to avoid a race.
        if (await hasExited(dir)) return this.finalize(dir);
        return updateJobRecord(dir, (r) => {
          if (r.description.status !== 'InProgress' || r.process?.spawnId !== record.process?.spawnId) return; // settled meanwhile
          r.description.status = 'Failed';
          r.description.secondaryStatus = 'Failed';
          r.description.failureReason = `InternalServerError: ${state.reason}`;
          r.description.endTime = new Date().toISOString();
        });
      case 'lost':
        return this.restart(kind, jobName, dir, state);
      case 'elsewhere':
        throw new JobProcessElsewhereError(kind, jobName, state.reason);
      case 'running':
        break;
    }
    const maxRuntime = maxRuntimeOf(record);
    if (record.description.startTime && Date.now() - Date.parse(record.description.startTime) > maxRuntime * 1000) {
      await this.stopJob(kind, jobName, `MaxRuntimeExceeded: the job ran longer than ${maxRuntime} s`);
      return (await readJobRecord(dir))?.description;
    }
    return record.description;
  }

  /**
   * Wakes a waiting activity when the job's exit code appears (the shell moves it into place when
   * the process ends), its runner records that it died, or its record is replaced (stopped,
   * restarted or finalized by another process), instead of a whole poll interval later. A job whose exit code is already there wakes it at once: its
   * next describe finalizes it, so this never spins.
   */
  waitForChange(kind: JobKind, jobName: string, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    const dir = this.jobDir(kind, jobName);
    return waitForFileEvent(dir, [EXIT_CODE_FILE, DIED_FILE, JOB_RECORD_FILE], timeoutMs, signal, () => hasExited(dir));
  }

  async stopJob(kind: JobKind, jobName: string, reason = 'Stopped by request'): Promise<void> {
    const dir = this.jobDir(kind, jobName);
    const record = await readJobRecord(dir);
    if (!record || record.description.status !== 'InProgress') return;
    // A process that already exited has an outcome to record; stopping it now would discard it.
    if (await hasExited(dir)) {
      await this.finalize(dir);
      return;
    }
    await this.endProcess(kind, jobName, record, dir);
    await updateJobRecord(dir, (r) => {
      if (r.description.status !== 'InProgress') return; // finalized meanwhile by a describeJob
      r.description.status = 'Stopped';
      r.description.secondaryStatus = reason.startsWith('MaxRuntimeExceeded') ? 'MaxRuntimeExceeded' : 'Stopped';
      r.description.failureReason = reason;
      r.description.endTime = new Date().toISOString();
    });
  }

  private processState(record: JobRecord, dir: string): Promise<ProcessState> {
    return processStateOf(record, dir, { jobsRoot: this.options.jobsRoot, holdsLive: (spawnId) => this.processes.holdsLive(spawnId) });
  }

  /** Spawns the job's process unless it has one: through the runner service, or here. */
  private async launch(kind: JobKind, jobName: string): Promise<void> {
    if (this.service) await this.service.start(kind, jobName);
    else await this.processes.ensureStarted(kind, jobName);
  }

  /** Ends the job's own process, and nothing else: a process only its runner can prove is the job's. */
  private async endProcess(kind: JobKind, jobName: string, record: JobRecord, dir: string): Promise<void> {
    const ref = record.process;
    if (!ref) {
      if (record.pid !== undefined) await this.processes.terminateLegacy(kind, jobName, record.pid);
      return;
    }
    if (ref.runner.kind === 'embedded') {
      await this.processes.terminate(kind, jobName, ref.spawnId);
      return;
    }
    // The runner service's child: when the runner is gone, so is the process.
    if ((await this.processState(record, dir)).state !== 'running') return;
    const runner = this.service ?? (ref.runner.url ? new JobRunnerClient(ref.runner.url) : undefined);
    if (!runner) throw new Error(`${kind} job ${jobName} runs on the job runner ${ref.runner.id ?? '?'}, whose URL is unknown: set MLOPS_JOB_RUNNER_URL`);
    await runner.stop(kind, jobName, ref.spawnId);
  }

  /**
   * The runner of the job's process is gone (and the process with it): the job is staged afresh and
   * started again under the same name, once, however many callers see it lost at the same time.
   */
  private async restart(kind: JobKind, jobName: string, dir: string, lost: Extract<ProcessState, { state: 'lost' }>): Promise<JobDescription | undefined> {
    const again = await withJobLock(dir, async () => {
      const record = (await readJobRecord(dir))!;
      if (record.description.status !== 'InProgress' || record.process?.spawnId !== lost.spawnId || (await hasExited(dir))) return false;
      const starts = (record.restarts ?? 0) + 1;
      if (starts > MAX_RESTARTS) {
        const d = record.description;
        d.status = 'Failed';
        d.secondaryStatus = 'Failed';
        d.failureReason = `InternalServerError: ${lost.reason}; the job was started ${starts} times and lost its process each time`.slice(0, MAX_FAILURE_REASON_CHARS);
        d.endTime = new Date().toISOString();
        await writeJobRecord(dir, record);
        return false;
      }
      await this.restage(dir, record);
      await clearProcessFiles(dir, starts);
      delete record.process;
      delete record.pid;
      record.restarts = starts;
      record.description.secondaryStatus = 'Restarting';
      await writeJobRecord(dir, record);
      return true;
    });
    if (again) await this.launch(kind, jobName);
    return (await readJobRecord(dir))?.description;
  }

  /** A fresh container tree for the job (its inputs again, no outputs of the lost attempt). */
  private async restage(dir: string, record: JobRecord): Promise<void> {
    const fresh = path.join(dir, `.restage-${randomUUID()}`);
    try {
      await this.stage(record.spec, path.join(fresh, 'opt', 'ml'));
      await fs.rm(path.join(dir, 'opt'), { recursive: true, force: true });
      await fs.rename(path.join(fresh, 'opt'), path.join(dir, 'opt'));
    } finally {
      await fs.rm(fresh, { recursive: true, force: true });
    }
  }

  private stage(spec: JobRecord['spec'], base: string): Promise<void> {
    const store = this.options.objectStore;
    switch (spec.kind) {
      case 'training':
        return stageTrainingJob(store, spec.training, base);
      case 'processing':
        return stageProcessingJob(store, spec.processing, base);
      case 'transform':
        return stageTransformJob(store, spec.transform, base);
    }
  }

  private async start(kind: JobKind, jobName: string, spec: JobRecord['spec'], resources: JobDescription['resources']): Promise<{ alreadyExisted: boolean }> {
    const dir = this.jobDir(kind, jobName);
    if (await jobExists(dir)) {
      await this.launch(kind, jobName);
      return { alreadyExisted: true };
    }
    // Stage everything in a private dir, then rename it into place: the rename is the commit
    // point, so two concurrent attempts cannot both create the job.
    const staging = path.join(this.options.jobsRoot, '.staging', `${jobName}-${randomUUID()}`);
    await fs.mkdir(staging, { recursive: true });
    try {
      await this.stage(spec, path.join(staging, 'opt', 'ml'));
      await fs.writeFile(path.join(staging, JOB_RECORD_FILE), JSON.stringify(newJobRecord(jobName, kind, spec, resources), null, 2));
      await fs.mkdir(path.dirname(dir), { recursive: true });
      try {
        await fs.rename(staging, dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' || code === 'ENOTEMPTY') {
          await this.launch(kind, jobName);
          return { alreadyExisted: true };
        }
        throw err;
      }
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
    await this.launch(kind, jobName);
    return { alreadyExisted: false };
  }

  /**
   * Turns a finished process into a Completed or Failed job: uploads outputs, reads metrics. The
   * upload can take a while for big jobs; the job lock's lease is renewed meanwhile.
   */
  private async finalize(dir: string): Promise<JobDescription> {
    const noticed = new Date().toISOString();
    return withJobLock(dir, async () => {
      const record = (await readJobRecord(dir))!;
      if (record.description.status !== 'InProgress') return record.description;
      record.exitNoticedTime = noticed;
      const { code, endTime } = await exitStatus(dir);
      const base = path.join(dir, 'opt', 'ml');
      const d = record.description;
      d.endTime = endTime;
      // The log's metrics are read while the outputs are packed and uploaded (both only read the job dir).
      const metrics = record.spec.kind === 'training' ? scanMetrics(jobLogFile(dir), record.spec.training.metricDefinitions).catch((): FinalMetric[] => []) : undefined;
      if (code === 0) {
        try {
          await collectOutputs(this.options.objectStore, record, base, dir);
          d.status = 'Completed';
          d.secondaryStatus = 'Completed';
        } catch (err) {
          d.status = 'Failed';
          d.secondaryStatus = 'Failed';
          d.failureReason = `ClientError: uploading the job's output failed: ${(err as Error).message}`.slice(0, MAX_FAILURE_REASON_CHARS);
        }
      } else {
        d.status = 'Failed';
        d.secondaryStatus = 'Failed';
        d.failureReason = (await failureReasonOf(record, base, dir, code)).slice(0, MAX_FAILURE_REASON_CHARS);
      }
      if (metrics) d.finalMetrics = await metrics;
      record.finalizedTime = new Date().toISOString();
      await writeJobRecord(dir, record);
      return d;
    });
  }
}
