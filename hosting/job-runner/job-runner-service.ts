import { promises as fs } from 'node:fs';
import path from 'node:path';
import { acquireFileLock, type HeldLock } from '../../activities/backends/local/file-lock';
import { runnerIdOf, runnerLeasePath } from '../../activities/backends/local/job-liveness';
import { JobProcessHost } from '../../activities/backends/local/job-process-host';
import { currentProcess } from '../../activities/backends/local/process-identity';
import { forkServerFor } from '../../activities/backends/local/python-fork-server';
import { REPO_ROOT } from '../../common/config/parse';
import { stackPorts, type Config } from '../../common/config/schema';
import { buildJobRunnerServer } from './server';

/** How long the runner's lease lasts without a renewal (renewed every third of it). */
export const RUNNER_LEASE_MS = 15_000;
/** How long a new instance waits for the previous one's lease to run out before it gives up. */
const LEASE_WAIT_MS = 5 * 60_000;
/** How long running jobs get to end on SIGTERM before they are killed. */
const JOB_GRACE_MS = 10_000;

export interface RunningJobRunner {
  id: string;
  stop(): Promise<void>;
}

/**
 * The job runner service (workers/job-runner.ts): the one process of a compose deployment that
 * owns the local backend's job processes, so that they do not live in a worker's container.
 *
 * It first takes its lease, `<jobs>/.runners/<id>.lock` on the shared volume, waiting for an
 * earlier instance's to run out: so at most one instance per id runs, and a job whose record names
 * an earlier instance (another lease token) lost its process with that instance (its container
 * took its process tree along). It renews the lease while it runs, and exits when it loses it.
 * On SIGTERM it ends its jobs' processes, releases the lease and exits; the workers then start
 * those jobs again through the next instance.
 */
export interface JobRunnerOptions {
  log: (message: string) => void;
  /** The algorithms put on the jobs' PYTHONPATH (default: the repo's `algorithms/`). */
  algorithmsDir?: string;
  /** Called once the runner stopped after losing its lease (default: exit 1, so its supervisor restarts it). */
  onLeaseLost?: () => void;
  /** The lease's length (default RUNNER_LEASE_MS); the runner checks it still holds it every third of it. */
  leaseMs?: number;
}

export async function startJobRunner(config: Config, options: JobRunnerOptions): Promise<RunningJobRunner> {
  const { log } = options;
  if (!config.jobRunnerUrl) throw new Error('MLOPS_JOB_RUNNER_URL must be set for the job runner: it is the URL the workers reach it at, and it names its lease');
  const id = runnerIdOf(config.jobRunnerUrl);
  const jobsRoot = path.join(config.home, 'jobs');
  const leasePath = runnerLeasePath(jobsRoot, id);
  await fs.mkdir(path.dirname(leasePath), { recursive: true });
  log(`job runner ${id}: taking its lease ${leasePath}`);
  const leaseMs = options.leaseMs ?? RUNNER_LEASE_MS;
  let lastReport = -Infinity;
  const lease: HeldLock = await acquireFileLock(leasePath, {
    leaseMs,
    timeoutMs: LEASE_WAIT_MS,
    onWait: (wait) => {
      if (wait.waitedMs - lastReport < 5000) return;
      lastReport = wait.waitedMs;
      log(`job runner ${id}: waiting for the lease of ${wait.holder ? `pid ${wait.holder.pid} on ${wait.holder.host}` : 'an earlier instance'} to end (until ${wait.expiresAt})`);
    },
  });
  const host = new JobProcessHost({
    jobsRoot,
    python: config.python,
    algorithmsDir: options.algorithmsDir ?? path.join(REPO_ROOT, 'algorithms'),
    forkServer: config.forkServer,
    runner: () => ({ kind: 'service', id, url: config.jobRunnerUrl!, instance: currentProcess(), leaseToken: lease.token }),
    log,
  });
  // Jobs start as forks of the warm fork server once it is ready (decision 0024).
  forkServerFor(config.python, config.forkServer);
  const app = buildJobRunnerServer({ host, jobsRoot, holdsLease: () => lease.isHeld(), log });
  const port = stackPorts(config.portBase).jobRunner;
  try {
    await app.listen({ host: config.listenHost, port });
  } catch (err) {
    await lease.release();
    throw err;
  }
  log(`job runner ${id} listening on ${config.listenHost}:${port} (reached as ${config.jobRunnerUrl}), jobs under ${jobsRoot}`);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(watch);
      await app.close();
      await host.shutdown(JOB_GRACE_MS);
      await lease.release();
      log(`job runner ${id}: stopped`);
    })();
    return stopping;
  };
  // A runner that lost its lease (stalled past it) may no longer answer for its jobs: another
  // instance may have taken over. It stops, and its supervisor starts it afresh.
  const watch = setInterval(() => {
    void lease.isHeld().then(async (held) => {
      if (held || stopping) return;
      log(`job runner ${id}: lost its lease; ending its jobs and stopping`);
      await stop();
      (options.onLeaseLost ?? (() => process.exit(1)))();
    });
  }, leaseMs / 3);
  watch.unref();
  return { id, stop };
}
