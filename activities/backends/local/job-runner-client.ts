import { z } from 'zod';
import type { JobKind } from '../types';

/** The job runner service did not answer (or answered 5xx): retryable, as it may be restarting. */
export class JobRunnerUnavailableError extends Error {
  constructor(url: string, detail: string) {
    super(`the job runner at ${url} is not reachable: ${detail}`);
    this.name = 'JobRunnerUnavailableError';
  }
}

const startAnswer = z.object({ spawned: z.boolean(), spawnId: z.string().max(64).optional() }).strict();
const stopAnswer = z.object({ signalled: z.boolean() }).strict();

/**
 * The worker's side of the job runner service (workers/job-runner.ts): it asks the service to spawn
 * a job it staged on the shared volume, or to end one, by kind and name only. The service reads
 * everything else from the job's record, so no command line ever travels over the network.
 */
export class JobRunnerClient {
  constructor(
    readonly url: string,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Spawns the job's process unless it has one; idempotent by name. */
  async start(kind: JobKind, jobName: string): Promise<z.infer<typeof startAnswer>> {
    return startAnswer.parse(await this.post(`/v1/jobs/${kind}/${encodeURIComponent(jobName)}/start`, {}));
  }

  /** Ends the process of spawn `spawnId` if the runner still holds it; never another process. */
  async stop(kind: JobKind, jobName: string, spawnId: string): Promise<z.infer<typeof stopAnswer>> {
    return stopAnswer.parse(await this.post(`/v1/jobs/${kind}/${encodeURIComponent(jobName)}/stop`, { spawnId }));
  }

  private async post(route: string, body: Record<string, string>): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(`${this.url}${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new JobRunnerUnavailableError(this.url, err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err));
    }
    const text = await response.text();
    if (response.status >= 500) throw new JobRunnerUnavailableError(this.url, `${response.status} ${text.slice(0, 200)}`);
    if (!response.ok) throw new Error(`the job runner at ${this.url} refused ${route}: ${response.status} ${text.slice(0, 200)}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new Error(`the job runner at ${this.url} answered ${route} with something other than JSON`);
    }
  }
}
