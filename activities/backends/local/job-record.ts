import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { JobDescription, JobKind, ProcessingJobSpec, TrainingJobSpec, TransformJobSpec } from '../types';
import { withFileLock } from './file-lock';
import { isNotFound, readJsonFile, writeFileAtomic } from './fs-utils';

/**
 * The persisted record of one local job: `<jobs>/<kind>/<name>/job.json`, what describeJob answers
 * from. Fields are only ever added (records outlive the code that wrote them); who runs the process
 * (a runner's identity beside `pid`, for jobs run by another host) would be one more optional field.
 */
export interface JobRecord {
  description: JobDescription;
  spec: { kind: 'training'; training: TrainingJobSpec } | { kind: 'processing'; processing: ProcessingJobSpec } | { kind: 'transform'; transform: TransformJobSpec };
  /** The job's process (the session leader of its process group), once spawned. */
  pid?: number;
  /**
   * When a describe first found the exit code, and when the outputs were uploaded and the record
   * final: the part of a job's wall time that is bookkeeping, not the job (`make bench-training`
   * reports it).
   */
  exitNoticedTime?: string;
  finalizedTime?: string;
}

export const JOB_RECORD_FILE = 'job.json';

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
