import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { JobDescription, JobKind, ProcessingJobSpec, TrainingJobSpec, TransformJobSpec } from '../types';
import { withFileLock } from './file-lock';
import { isNotFound, readJsonFile, writeFileAtomic } from './fs-utils';
import type { ProcessIdentity } from './process-identity';

/**
 * Who started a job's process and answers for it:
 * - `embedded`: a worker ran it as a detached process of its own machine (`mlops stack up`); the
 *   process outlives that worker, and only a process of the same host, boot and pid namespace can
 *   see whether it still runs;
 * - `service`: the job runner service (workers/job-runner.ts) runs it as its child. Its processes
 *   end with it (it runs as a container's main process), and it holds a lease on the shared volume
 *   (`<jobs>/.runners/<id>.lock`) for as long as it runs: a job whose runner's lease is gone, or
 *   taken by a later instance, lost its process.
 */
export interface RunnerRef {
  kind: 'embedded' | 'service';
  /** `service`: the runner's id (from its URL: host and port), which names its lease file. */
  id?: string;
  /** `service`: where workers reach it. */
  url?: string;
  /** The process of the runner (for `embedded`: the worker that spawned the job). */
  instance: ProcessIdentity;
  /** `service`: the token of the runner's lease when it spawned the job. */
  leaseToken?: string;
}

/** The job's process, as recorded when it was spawned. */
export interface JobProcessRef {
  /** New for every spawn: a stop or a restart names the spawn it saw, so it never acts on a later one. */
  spawnId: string;
  /** The session leader of the job's process group (the shell that records the exit code). */
  identity: ProcessIdentity;
  runner: RunnerRef;
  spawnedAt: string;
}

/**
 * The persisted record of one local job: `<jobs>/<kind>/<name>/job.json`, what describeJob answers
 * from. Fields are only ever added (records outlive the code that wrote them).
 */
export interface JobRecord {
  description: JobDescription;
  spec: { kind: 'training'; training: TrainingJobSpec } | { kind: 'processing'; processing: ProcessingJobSpec } | { kind: 'transform'; transform: TransformJobSpec };
  /**
   * The job's process id (the session leader of its process group), once spawned: meaningful only
   * in the pid namespace named by `process.identity` (records of older versions have only this).
   */
  pid?: number;
  /** Who runs the job's process, once spawned. */
  process?: JobProcessRef;
  /** How many times the job was started again because the runner of its process was gone. */
  restarts?: number;
  /**
   * When a describe first found the exit code, and when the outputs were uploaded and the record
   * final: the part of a job's wall time that is bookkeeping, not the job (`make bench-training`
   * reports it).
   */
  exitNoticedTime?: string;
  finalizedTime?: string;
}

export const JOB_RECORD_FILE = 'job.json';

/** A job's dir: `<jobs>/<kind>/<name>`; the name is checked first, as it may come from a request. */
export function jobDirOf(jobsRoot: string, kind: JobKind, jobName: string): string {
  if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(jobName)) throw new Error(`invalid job name '${jobName}'`);
  return path.join(jobsRoot, kind, jobName);
}

/** The record of a job before its process starts. */
export function newJobRecord(jobName: string, kind: JobKind, spec: JobRecord['spec'], resources: JobDescription['resources']): JobRecord {
  return {
    description: {
      jobName,
      kind,
      status: 'InProgress',
      secondaryStatus: 'Starting',
      creationTime: new Date().toISOString(),
      resources,
      finalMetrics: [],
    },
    spec,
  };
}

/** Whether the job exists (its dir is renamed into place with its record, so the record marks it). */
export async function jobExists(dir: string): Promise<boolean> {
  return fs.access(path.join(dir, JOB_RECORD_FILE)).then(
    () => true,
    (err: unknown) => {
      if (isNotFound(err)) return false;
      throw err;
    },
  );
}

export function readJobRecord(dir: string): Promise<JobRecord | undefined> {
  return readJsonFile<JobRecord>(path.join(dir, JOB_RECORD_FILE));
}

export function writeJobRecord(dir: string, record: JobRecord): Promise<void> {
  return writeFileAtomic(path.join(dir, JOB_RECORD_FILE), JSON.stringify(record, null, 2));
}

/**
 * Runs `fn` holding the job's lock: every change of a job's record (spawn, finalize, stop) happens
 * under it, so each happens once whichever process (worker, CLI) describes the job.
 */
export function withJobLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  return withFileLock(path.join(dir, 'job.lock'), fn);
}

/** Applies `change` to the record under the job's lock and persists it. */
export function updateJobRecord(dir: string, change: (record: JobRecord) => void): Promise<JobDescription> {
  return withJobLock(dir, async () => {
    const record = (await readJobRecord(dir))!;
    change(record);
    await writeJobRecord(dir, record);
    return record.description;
  });
}

export function maxRuntimeOf(record: JobRecord): number {
  switch (record.spec.kind) {
    case 'training':
      return record.spec.training.maxRuntimeSeconds;
    case 'processing':
      return record.spec.processing.maxRuntimeSeconds;
    case 'transform':
      return record.spec.transform.maxRuntimeSeconds;
  }
}
