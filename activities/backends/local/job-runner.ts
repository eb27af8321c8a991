import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { MAX_FAILURE_REASON_CHARS } from '../../../common/container-contract';
import type { FinalMetric } from '../../../common/types/jobs';
import type { JobDescription, JobKind, JobRunner, ProcessingJobSpec, TrainingJobSpec, TransformJobSpec } from '../types';
import { jobCommand } from './job-command';
import { collectOutputs, failureReasonOf } from './job-outputs';
import { waitForFileEvent } from './file-watch';
import { EXIT_CODE_FILE, exitStatus, hasExited, isJobProcessAlive, jobLogFile, spawnJobProcess, terminateJobProcess } from './job-process';
import { JOB_RECORD_FILE, jobExists, maxRuntimeOf, newJobRecord, readJobRecord, updateJobRecord, withJobLock, writeJobRecord, type JobRecord } from './job-record';
import { stageProcessingJob, stageTrainingJob, stageTransformJob } from './job-staging';
import { scanMetrics } from './metrics-scanner';
import type { LocalObjectStore } from './object-store';

export { JobInputError } from './job-staging';

export interface LocalJobRunnerOptions {
  /** `<home>/jobs` */
  jobsRoot: string;
  python: string;
  /** Dir put on PYTHONPATH (the repo's `algorithms/`). */
  algorithmsDir: string;
  objectStore: LocalObjectStore;
}

/**
 * Runs SageMaker-style jobs as local processes. Each job lives in its own dir with a container-like
 * `/opt/ml` tree (job-staging.ts) and a record (job-record.ts); its process runs detached and
 * records its exit code (job-process.ts), so a job outlives the worker that started it and any
 * later caller finishes its bookkeeping (job-outputs.ts). Names are unique: starting a job whose
 * name exists adopts it.
 */
export class LocalJobRunner implements JobRunner {
  constructor(private readonly options: LocalJobRunnerOptions) {}

  jobDir(kind: JobKind, jobName: string): string {
    if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(jobName)) throw new Error(`invalid job name '${jobName}'`);
    return path.join(this.options.jobsRoot, kind, jobName);
  }

  async startTrainingJob(spec: TrainingJobSpec): Promise<{ alreadyExisted: boolean }> {
    return this.start('training', spec.jobName, { kind: 'training', training: spec }, spec.resources, (base) => stageTrainingJob(this.options.objectStore, spec, base));
  }

  async startProcessingJob(spec: ProcessingJobSpec): Promise<{ alreadyExisted: boolean }> {
    return this.start('processing', spec.jobName, { kind: 'processing', processing: spec }, spec.resources, (base) => stageProcessingJob(this.options.objectStore, spec, base));
  }

  async startTransformJob(spec: TransformJobSpec): Promise<{ alreadyExisted: boolean }> {
    return this.start('transform', spec.jobName, { kind: 'transform', transform: spec }, spec.resources, (base) => stageTransformJob(this.options.objectStore, spec, base));
  }

  async describeJob(kind: JobKind, jobName: string): Promise<JobDescription | undefined> {
    const dir = this.jobDir(kind, jobName);
    const record = await readJobRecord(dir);
    if (!record) return undefined;
    if (record.description.status !== 'InProgress') return record.description;
    if (await hasExited(dir)) return this.finalize(dir);
    if (record.pid !== undefined && !isJobProcessAlive(record.pid)) {
      // The shell writes exit_code before it exits; look once more to avoid a race.
      if (await hasExited(dir)) return this.finalize(dir);
      return updateJobRecord(dir, (r) => {
        r.description.status = 'Failed';
        r.description.secondaryStatus = 'Failed';
        r.description.failureReason = 'InternalServerError: the job process ended without reporting an exit status';
        r.description.endTime = new Date().toISOString();
      });
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
   * the process ends) or its record is replaced (stopped or finalized by another process), instead
   * of a whole poll interval later. A job whose exit code is already there wakes it at once: its
   * next describe finalizes it, so this never spins.
   */
  waitForChange(kind: JobKind, jobName: string, timeoutMs: number, signal: AbortSignal): Promise<boolean> {
    const dir = this.jobDir(kind, jobName);
    return waitForFileEvent(dir, [EXIT_CODE_FILE, JOB_RECORD_FILE], timeoutMs, signal, () => hasExited(dir));
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
    if (record.pid !== undefined) terminateJobProcess(record.pid);
    await updateJobRecord(dir, (r) => {
      if (r.description.status !== 'InProgress') return; // finalized meanwhile by a describeJob
      r.description.status = 'Stopped';
      r.description.secondaryStatus = reason.startsWith('MaxRuntimeExceeded') ? 'MaxRuntimeExceeded' : 'Stopped';
      r.description.failureReason = reason;
      r.description.endTime = new Date().toISOString();
    });
  }

  private async start(
    kind: JobKind,
    jobName: string,
    spec: JobRecord['spec'],
    resources: JobDescription['resources'],
    stage: (containerBase: string) => Promise<void>,
  ): Promise<{ alreadyExisted: boolean }> {
    const dir = this.jobDir(kind, jobName);
    if (await jobExists(dir)) {
      await this.ensureSpawned(dir);
      return { alreadyExisted: true };
    }
    // Stage everything in a private dir, then rename it into place: the rename is the commit
    // point, so two concurrent attempts cannot both create the job.
    const staging = path.join(this.options.jobsRoot, '.staging', `${jobName}-${randomUUID()}`);
    await fs.mkdir(staging, { recursive: true });
    try {
      await stage(path.join(staging, 'opt', 'ml'));
      await fs.writeFile(path.join(staging, JOB_RECORD_FILE), JSON.stringify(newJobRecord(jobName, kind, spec, resources), null, 2));
      await fs.mkdir(path.dirname(dir), { recursive: true });
      try {
        await fs.rename(staging, dir);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST' || code === 'ENOTEMPTY') {
          await this.ensureSpawned(dir);
          return { alreadyExisted: true };
        }
        throw err;
      }
    } finally {
      await fs.rm(staging, { recursive: true, force: true });
    }
    await this.ensureSpawned(dir);
    return { alreadyExisted: false };
  }

  /** Spawns the job's process unless an earlier attempt did; safe to call concurrently. */
  private async ensureSpawned(dir: string): Promise<void> {
    await withJobLock(dir, async () => {
      const record = await readJobRecord(dir);
      if (!record || record.pid !== undefined || record.description.status !== 'InProgress') return;
      const { command, env } = jobCommand(record, path.join(dir, 'opt', 'ml'), this.options);
      record.pid = spawnJobProcess(dir, command, env);
      record.description.startTime = new Date().toISOString();
      record.description.secondaryStatus = { training: 'Training', processing: 'Processing', transform: 'Transforming' }[record.description.kind];
      await writeJobRecord(dir, record);
    });
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
