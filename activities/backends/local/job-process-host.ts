import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { JobKind } from '../types';
import { jobCommand, type JobCommandOptions } from './job-command';
import { recordDeath, hasExited, signalJobGroup, spawnJobProcess } from './job-process';
import { jobDirOf, jobExists, readJobRecord, withJobLock, writeJobRecord, type JobProcessRef, type RunnerRef } from './job-record';
import { identityOfLocalProcess, isProvenAlive } from './process-identity';
import { forkServerFor } from './python-fork-server';

export interface JobProcessHostOptions extends JobCommandOptions {
  /** `<home>/jobs` */
  jobsRoot: string;
  /** Who this process is as a runner (read at each spawn: a service's lease token is known only once it holds its lease). */
  runner: () => RunnerRef;
  log?: (message: string) => void;
}

/** What `ensureStarted` found or did. */
export interface StartOutcome {
  /** The job's process (undefined when the job ended before it was spawned, e.g. stopped). */
  process?: JobProcessRef;
  /** True when this call spawned it. */
  spawned: boolean;
}

/** The job has no record (it was never staged, or its name is wrong). */
export class JobNotFoundError extends Error {
  constructor(kind: JobKind, jobName: string) {
    super(`no ${kind} job named ${jobName}`);
    this.name = 'JobNotFoundError';
  }
}

/**
 * The process that owns job processes: it spawns them (once per job, under the job's lock), keeps
 * a handle on each child it spawned, and signals only a process it can prove is the job's own: a
 * child it still holds that has not exited, or, for a job a previous worker of this machine spawned,
 * a process whose pid, namespace and start time all match the job's record. A pid alone is never
 * signalled (it may belong to another container's process, or have been reused).
 *
 * A worker of `mlops stack up` is one (its jobs are detached and outlive it); so is the job runner
 * service of the compose deployment (workers/job-runner.ts), whose jobs end with it.
 */
export class JobProcessHost {
  private readonly children = new Map<string, ChildProcess & { pid: number }>();
  /** The spawns of training jobs among them. */
  private readonly trainings = new Set<string>();
  private shuttingDown = false;

  constructor(private readonly options: JobProcessHostOptions) {}

  jobDir(kind: JobKind, jobName: string): string {
    return jobDirOf(this.options.jobsRoot, kind, jobName);
  }

  /** Spawns the job's process unless it has one (or ended); safe to call concurrently from any process. */
  async ensureStarted(kind: JobKind, jobName: string): Promise<StartOutcome> {
    if (this.shuttingDown) throw new Error('the job runner is shutting down');
    const dir = this.jobDir(kind, jobName);
    if (!(await jobExists(dir))) throw new JobNotFoundError(kind, jobName);
    return withJobLock(dir, async () => {
      const record = await readJobRecord(dir);
      if (!record) throw new JobNotFoundError(kind, jobName);
      if (record.description.status !== 'InProgress' || record.process || record.pid !== undefined) {
        return { ...(record.process ? { process: record.process } : {}), spawned: false };
      }
      const server = forkServerFor(this.options.python, this.options.forkServer);
      const { command, env } = jobCommand(record, path.join(dir, 'opt', 'ml'), this.options, server, { trainingRunning: this.trainingRunning() });
      const child = spawnJobProcess(dir, command, env);
      const ref: JobProcessRef = { spawnId: randomUUID(), identity: identityOfLocalProcess(child.pid), runner: this.options.runner(), spawnedAt: new Date().toISOString() };
      this.track(dir, ref.spawnId, child);
      if (kind === 'training') this.trainings.add(ref.spawnId);
      record.process = ref;
      record.pid = child.pid;
      record.description.startTime ??= ref.spawnedAt;
      record.description.secondaryStatus = { training: 'Training', processing: 'Processing', transform: 'Transforming' }[record.description.kind];
      await writeJobRecord(dir, record);
      this.options.log?.(`spawned ${kind} job ${jobName}: pid ${child.pid}, spawn ${ref.spawnId}${record.restarts ? `, start ${record.restarts + 1}` : ''}`);
      return { process: ref, spawned: true };
    });
  }

  /** Whether this process holds the live child of spawn `spawnId` (it spawned it, and it has not exited). */
  holdsLive(spawnId: string): boolean {
    const child = this.children.get(spawnId);
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /**
   * Sends SIGTERM to the process group of spawn `spawnId` of the job, if that spawn's process is
   * provably still the job's; returns whether it did.
   */
  async terminate(kind: JobKind, jobName: string, spawnId: string): Promise<boolean> {
    const child = this.children.get(spawnId);
    if (child) {
      if (!this.holdsLive(spawnId)) return false;
      signalJobGroup(child.pid);
      return true;
    }
    const record = await readJobRecord(this.jobDir(kind, jobName));
    const ref = record?.process;
    if (!ref || ref.spawnId !== spawnId || ref.runner.kind !== 'embedded' || !isProvenAlive(ref.identity)) return false;
    signalJobGroup(ref.identity.pid);
    return true;
  }

  /**
   * A record of an older version names only a pid: it is signalled only when that process's working
   * dir is the job's dir (the job's shell runs there), which no unrelated process shares.
   */
  async terminateLegacy(kind: JobKind, jobName: string, pid: number): Promise<boolean> {
    const dir = this.jobDir(kind, jobName);
    const cwd = await fs.readlink(`/proc/${pid}/cwd`).catch(() => undefined);
    if (cwd !== dir) return false;
    signalJobGroup(pid);
    return true;
  }

  /** Whether a training job this process spawned still runs (jobs adopted from an earlier process are not known). */
  private trainingRunning(): boolean {
    for (const spawnId of this.trainings) {
      if (this.holdsLive(spawnId)) return true;
      this.trainings.delete(spawnId);
    }
    return false;
  }

  /** The spawns whose children this process holds and that still run. */
  liveSpawns(): string[] {
    return [...this.children.keys()].filter((id) => this.holdsLive(id));
  }

  /**
   * Ends every job process this one holds (SIGTERM, then SIGKILL after `graceMs`) without marking
   * them dead: their runner going away is what the workers see, and they start the jobs again.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.shuttingDown = true;
    const live = [...this.children.values()].filter((c) => c.exitCode === null && c.signalCode === null);
    const exited = live.map((c) => new Promise<void>((resolve) => c.once('exit', () => resolve())));
    for (const c of live) signalJobGroup(c.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const outcome = await Promise.race([Promise.all(exited), timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') for (const c of live) signalJobGroup(c.pid, 'SIGKILL');
  }

  /** Keeps the child's handle; a child that ends without recording its exit code is recorded as dead. */
  private track(dir: string, spawnId: string, child: ChildProcess & { pid: number }): void {
    this.children.set(spawnId, child);
    child.once('exit', (code, signal) => {
      this.children.delete(spawnId);
      if (this.shuttingDown) return;
      void (async () => {
        // The shell records the code before it exits, so a missing code means it was killed.
        if (await hasExited(dir)) return;
        await recordDeath(dir, spawnId, signal ? `killed by ${signal}` : `ended with code ${code ?? '?'} before recording it`);
      })().catch((err: unknown) => this.options.log?.(`recording the end of ${path.basename(dir)} failed: ${err instanceof Error ? err.message : String(err)}`));
    });
  }
}
