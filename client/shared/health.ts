import { constants, promises as fs } from 'node:fs';
import type { FastifyInstance } from 'fastify';

/** One thing a service needs to do its work; `check` throws (with a short reason) when it cannot. */
export interface HealthCheck {
  name: string;
  check: () => Promise<void>;
}

/** How long one check may take before it counts as failed (a health probe must answer quickly). */
const CHECK_TIMEOUT_MS = 2000;

/**
 * Adds `GET /health` beside `GET /ping`: /ping says the process answers, /health that it can reach
 * what it needs (200, or 503 naming each failed check). Container health checks call /health, so a
 * service cut off from its dependencies (a renamed or unreachable service, a lost volume) shows as
 * unhealthy and is restarted instead of answering with errors forever.
 */
export function addHealthRoute(app: FastifyInstance, checks: HealthCheck[]): void {
  app.get('/health', async (_request, reply) => {
    const results = await runChecks(checks);
    const failed = Object.values(results).some((r) => r !== 'ok');
    return reply.code(failed ? 503 : 200).send({ status: failed ? 'unhealthy' : 'ok', checks: results });
  });
}

/** Runs every check at once, each within CHECK_TIMEOUT_MS: `ok` or the reason it failed, by name. */
export async function runChecks(checks: HealthCheck[], timeoutMs = CHECK_TIMEOUT_MS): Promise<Record<string, string>> {
  const outcomes = await Promise.all(checks.map(async ({ name, check }) => [name, await within(check(), timeoutMs).then(() => 'ok', (err: unknown) => reasonOf(err))] as const));
  return Object.fromEntries(outcomes);
}

/** The service at `baseUrl` answers `GET <baseUrl><route>` with 2xx (`/ping`: it runs; `/health`: it is healthy). */
export function answersPing(baseUrl: string, route: '/ping' | '/health' = '/ping'): () => Promise<void> {
  return async () => {
    const response = await fetch(`${baseUrl}${route}`, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`${baseUrl}${route} answered ${response.status}`);
  };
}

/** A client or worker connection to Temporal (both carry the workflow service). */
interface TemporalConnection {
  workflowService: { describeNamespace(request: { namespace: string }): Promise<unknown> };
}

/** Temporal answers through this connection, and knows the namespace the service works in. */
export function temporalNamespaceReachable(connection: TemporalConnection, namespace: string): () => Promise<void> {
  return async () => {
    await connection.workflowService.describeNamespace({ namespace });
  };
}

/** The dir exists and this process may read (and, with `write`, write) it. */
export function dirAccessible(dir: string, write = false): () => Promise<void> {
  return () => fs.access(dir, constants.R_OK | (write ? constants.W_OK : 0));
}

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function reasonOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`.slice(0, 300);
}
