import { CancelledFailure, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType, notFound } from '../../common/errors';
import type { JobSummary } from '../../common/types/jobs';
import { MissingInputError } from '../backends/errors';
import type { JobDescription, JobKind, JobRunner, ProcessingJobSpec } from '../backends/types';

export interface RunJobOptions {
  kind: JobKind;
  jobName: string;
  /** Starts the job; must be idempotent by name (the backend adopts an existing job). */
  start: () => Promise<{ alreadyExisted: boolean }>;
  pollIntervalMs: number;
  /** Failure type for `ClientError:` reasons (the user's input was wrong); default JobFailed. */
  clientErrorType?: string;
}

/**
 * Starts a job (or adopts the one an earlier attempt started under the same name) and polls it
 * until it ends, heartbeating every poll. A Failed or Stopped job is a non-retryable failure: its
 * name is taken, so only a new run can try again.
 */
export async function runJobToCompletion(jobs: JobRunner, options: RunJobOptions): Promise<{ description: JobDescription; summary: JobSummary }> {
  const ctx = Context.current();
  const { kind, jobName } = options;
  const { alreadyExisted } = await options.start().catch((err: unknown) => {
    if (err instanceof MissingInputError) throw notFound(`${kind} job ${jobName}: ${err.message}`);
    throw err;
  });
  ctx.heartbeat({ jobName, status: 'Started', adopted: alreadyExisted });
  if (alreadyExisted) ctx.log.info('adopted an existing job instead of starting a second one', { jobName });
  let intervalMs = options.pollIntervalMs;
  let describeFailures = 0;
  try {
    for (;;) {
      let description: JobDescription | undefined;
      try {
        description = await jobs.describeJob(kind, jobName);
        describeFailures = 0;
      } catch (err) {
        // A throttled or briefly unreachable control plane: keep polling (heartbeats go on) instead
        // of failing the attempt; bad input and repeated failures still end it.
        if (err instanceof ApplicationFailure || ++describeFailures >= MAX_DESCRIBE_FAILURES) throw err;
        ctx.log.warn('describing the job failed; polling again', { jobName, error: err instanceof Error ? err.message : String(err), attempt: describeFailures });
        await sleepHeartbeating(ctx, intervalMs, { jobName, status: 'Unknown', describeFailures });
        intervalMs = nextInterval(intervalMs, jobs.pollBackoff ?? { factor: 2, maxIntervalMs: Math.max(options.pollIntervalMs, 5_000) });
        continue;
      }
      if (!description) throw new Error(`${kind} job ${jobName} vanished after it was started`);
      ctx.heartbeat({ jobName, status: description.status, secondaryStatus: description.secondaryStatus });
      if (description.status === 'Completed') return { description, summary: summarize(description, alreadyExisted) };
      if (description.status === 'Failed' || description.status === 'Stopped') {
        const reason = description.failureReason ?? description.status;
        const type = reason.startsWith('ClientError') && options.clientErrorType ? options.clientErrorType : ErrorType.JobFailed;
        throw ApplicationFailure.create({
          message: `${kind} job ${jobName} ${description.status.toLowerCase()}: ${reason}`,
          type,
          nonRetryable: true,
          details: [summarize(description, alreadyExisted)],
        });
      }
      await waitForJob(ctx, jobs, kind, jobName, intervalMs, { jobName, status: description.status, secondaryStatus: description.secondaryStatus });
      const backoff = jobs.pollBackoff ?? (jobs.waitForChange ? WOKEN_WAIT_BACKOFF : undefined);
      if (backoff) intervalMs = nextInterval(intervalMs, backoff);
    }
  } catch (err) {
    // Stop the job only when the workflow asked for cancellation, not when this worker shuts
    // down: the next worker adopts the running job.
    if (err instanceof CancelledFailure && ctx.cancellationDetails?.cancelRequested) {
      await jobs.stopJob(kind, jobName).catch(() => undefined);
    }
    throw err;
  }
}

/** A processing job started (or adopted, by its name) from its spec and waited for. */
export function runProcessingJob(jobs: JobRunner, pollIntervalMs: number, spec: ProcessingJobSpec, options: { clientErrorType?: string } = {}): Promise<{ description: JobDescription; summary: JobSummary }> {
  return runJobToCompletion(jobs, { kind: 'processing', jobName: spec.jobName, pollIntervalMs, start: () => jobs.startProcessingJob(spec), ...options });
}

/** Consecutive failed Describe* calls before the attempt fails (Temporal then retries it; the retry adopts the job). */
const MAX_DESCRIBE_FAILURES = 5;

/**
 * A runner that ends the wait as soon as its job changes (the local one watches the job's files:
 * its exit code, a recorded death, its record) is described on that wake-up; the timed describes
 * are only the fallback for what no event reports (a process that died unrecorded, the job's
 * maximum runtime), so they back off: a long job costs a describe every 2 s instead of ten a
 * second, CPU the jobs themselves share with the worker on one machine.
 */
const WOKEN_WAIT_BACKOFF = { factor: 2, maxIntervalMs: 2_000 };

/** Heartbeats at least every few seconds while waiting, so long poll intervals stay within the heartbeat timeout (10 s). */
const HEARTBEAT_EVERY_MS = 3_000;

export async function sleepHeartbeating(ctx: Context, ms: number, details: Record<string, unknown>): Promise<void> {
  for (let left = ms; left > 0; left -= HEARTBEAT_EVERY_MS) {
    await ctx.sleep(Math.min(left, HEARTBEAT_EVERY_MS));
    if (left > HEARTBEAT_EVERY_MS) ctx.heartbeat(details);
  }
}

/**
 * Waits one poll interval like `sleepHeartbeating`, but returns as soon as the runner reports that
 * the job may have changed (the local runner watches for its exit), so the end of a job is noticed
 * at once instead of up to an interval later. Cancellation ends the wait as `ctx.sleep` does.
 */
async function waitForJob(ctx: Context, jobs: JobRunner, kind: JobKind, jobName: string, ms: number, details: Record<string, unknown>): Promise<void> {
  if (!jobs.waitForChange) return sleepHeartbeating(ctx, ms, details);
  for (let left = ms; left > 0; left -= HEARTBEAT_EVERY_MS) {
    const changed = await Promise.race([ctx.cancelled, jobs.waitForChange(kind, jobName, Math.min(left, HEARTBEAT_EVERY_MS), ctx.cancellationSignal)]);
    if (changed) return;
    if (left > HEARTBEAT_EVERY_MS) ctx.heartbeat(details);
  }
}

/** The next poll interval: grown by the backoff's factor up to its maximum, never below the current one (a configured interval above the maximum stays). */
export function nextInterval(currentMs: number, backoff: { factor: number; maxIntervalMs: number }): number {
  return Math.max(currentMs, Math.min(Math.round(currentMs * backoff.factor), backoff.maxIntervalMs));
}

export function summarize(d: JobDescription, adopted: boolean): JobSummary {
  const durationSeconds = d.startTime && d.endTime ? (Date.parse(d.endTime) - Date.parse(d.startTime)) / 1000 : undefined;
  return {
    jobName: d.jobName,
    status: d.status,
    ...(d.startTime ? { startTime: d.startTime } : {}),
    ...(d.endTime ? { endTime: d.endTime } : {}),
    ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    resources: d.resources,
    adopted,
  };
}
