import path from 'node:path';
import { readLockState } from './file-lock';
import { deathOf } from './job-process';
import type { JobProcessRef, JobRecord } from './job-record';
import { currentProcess, livenessOf, ranBeforeReboot } from './process-identity';

/**
 * Whether a job's process still runs, decided from what every process sharing the jobs dir can see
 * (the record, the runner's lease, the marker a runner leaves when its child dies) plus, for a job a
 * worker spawned on its own machine, that machine's process table:
 *
 * - `running`: it runs (or its runner, alive, answers for it);
 * - `died`: it ended without an exit code while its runner lived (killed): the job failed;
 * - `lost`: its runner is gone, and the process with it (the job runner service stopped, its
 *   container restarted; the machine rebooted): the job is started again by its name;
 * - `elsewhere`: a worker of another machine or container spawned it, and this process cannot see
 *   whether it still runs: the caller fails retryably, so a worker that can see it (or the job's own
 *   exit code) settles it;
 * - `not-started`: no process yet (its start is under way, or the starter crashed before it: the
 *   retried start spawns it).
 */
export type ProcessState =
  | { state: 'not-started' }
  | { state: 'running' }
  | { state: 'died'; reason: string }
  | { state: 'lost'; spawnId: string; reason: string }
  | { state: 'elsewhere'; reason: string };

/** Where the job runner service `id` keeps its lease: one runner per id at a time. */
export function runnerLeasePath(jobsRoot: string, id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(id)) throw new Error(`invalid job runner id '${id}'`);
  return path.join(jobsRoot, '.runners', `${id}.lock`);
}

/** A runner's id from the URL workers reach it at: its host and port (`job-runner-8240`). */
export function runnerIdOf(url: string): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return `${u.hostname.replace(/[^A-Za-z0-9.-]/g, '_')}-${port}`;
}

export interface LivenessContext {
  jobsRoot: string;
  /** Whether this process holds the live child of that spawn (it spawned it). */
  holdsLive?: (spawnId: string) => boolean;
}

export async function processStateOf(record: JobRecord, dir: string, context: LivenessContext): Promise<ProcessState> {
  const ref = record.process;
  if (!ref) {
    if (record.pid === undefined) return { state: 'not-started' };
    // A record of an older version: a detached process of the machine that reads it, known by its pid only.
    const legacy = { ...currentProcess(), pid: record.pid };
    delete legacy.startTicks;
    return livenessOf(legacy) === 'dead' ? { state: 'died', reason: 'the job process ended without reporting an exit status' } : { state: 'running' };
  }
  const death = await deathOf(dir, ref.spawnId);
  if (death) return { state: 'died', reason: `the job process ${death} without reporting an exit status` };
  return ref.runner.kind === 'service' ? serviceState(ref, context) : embeddedState(ref, context);
}

/** A job of the job runner service runs while the runner instance that spawned it holds its lease. */
async function serviceState(ref: JobProcessRef, context: LivenessContext): Promise<ProcessState> {
  const id = ref.runner.id ?? '';
  let lease;
  try {
    lease = await readLockState(runnerLeasePath(context.jobsRoot, id));
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('invalid job runner id')) return { state: 'lost', spawnId: ref.spawnId, reason: `its runner (${err.message}) cannot answer for it` };
    throw err;
  }
  if (lease && lease.token === ref.runner.leaseToken && !lease.expired) return { state: 'running' };
  const why = !lease ? 'stopped' : lease.token !== ref.runner.leaseToken ? 'was replaced by a new instance' : 'stopped renewing its lease';
  return { state: 'lost', spawnId: ref.spawnId, reason: `the job runner ${id} that ran it ${why}` };
}

/** A detached process of a worker's machine: only that machine (host, boot, pid namespace) can tell. */
function embeddedState(ref: JobProcessRef, context: LivenessContext): ProcessState {
  if (context.holdsLive?.(ref.spawnId)) return { state: 'running' };
  if (ranBeforeReboot(ref.identity)) return { state: 'lost', spawnId: ref.spawnId, reason: `its machine (${ref.identity.host}) restarted since it was spawned` };
  switch (livenessOf(ref.identity)) {
    case 'alive':
      return { state: 'running' };
    case 'dead':
      return { state: 'died', reason: 'the job process ended without reporting an exit status' };
    case 'unknown':
      return {
        state: 'elsewhere',
        reason: `its process (pid ${ref.identity.pid} on ${ref.identity.host}) runs in another machine or container, which this worker cannot see into; set MLOPS_JOB_RUNNER_URL so that one job runner owns the jobs of every worker`,
      };
  }
}
