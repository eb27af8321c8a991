import { constants, promises as fs } from 'node:fs';
import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { JobNotFoundError, type JobProcessHost } from '../../activities/backends/local/job-process-host';

const params = z.object({
  kind: z.enum(['training', 'processing', 'transform']),
  name: z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/, 'a job name: letters, digits and inner hyphens, at most 63'),
});
const stopBody = z.object({ spawnId: z.string().uuid() }).strict();

export interface JobRunnerServerOptions {
  host: JobProcessHost;
  jobsRoot: string;
  /** Whether the runner still holds its lease (it may start and answer for jobs only then). */
  holdsLease: () => Promise<boolean>;
  log?: (message: string) => void;
}

/**
 * The job runner's HTTP face, for the workers of a compose network:
 * - `POST /v1/jobs/:kind/:name/start`: spawn the process of a job a worker staged on the shared
 *   volume, unless it has one (idempotent by name);
 * - `POST /v1/jobs/:kind/:name/stop` with `{ spawnId }`: end that spawn's process if this runner
 *   still holds it (never another process);
 * - `GET /ping` (alive), `GET /health` (holds its lease and can write the jobs dir).
 * A request carries a kind and a name, nothing else: the command comes from the job's record.
 */
export function buildJobRunnerServer(options: JobRunnerServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: 1024 });

  app.get('/ping', async () => ({ status: 'ok' }));

  app.get('/health', async (_request, reply) => {
    const problems: string[] = [];
    if (!(await options.holdsLease())) problems.push('the runner lost its lease');
    await fs.access(options.jobsRoot, constants.W_OK).catch((err: unknown) => problems.push(`the jobs dir ${options.jobsRoot} is not writable: ${(err as Error).message}`));
    if (problems.length) return reply.code(503).send({ status: 'unhealthy', problems });
    return { status: 'ok', jobs: options.host.liveSpawns().length };
  });

  app.post('/v1/jobs/:kind/:name/start', async (request, reply) => {
    const p = params.safeParse(request.params);
    if (!p.success) return reply.code(400).send({ error: 'InvalidInput', message: p.error.issues.map((i) => i.message).join('; ') });
    if (!(await options.holdsLease())) return reply.code(503).send({ error: 'Unavailable', message: 'the runner lost its lease' });
    try {
      const outcome = await options.host.ensureStarted(p.data.kind, p.data.name);
      return { spawned: outcome.spawned, ...(outcome.process ? { spawnId: outcome.process.spawnId } : {}) };
    } catch (err) {
      if (err instanceof JobNotFoundError) return reply.code(404).send({ error: 'NotFound', message: err.message });
      throw err;
    }
  });

  app.post('/v1/jobs/:kind/:name/stop', async (request, reply) => {
    const p = params.safeParse(request.params);
    const body = stopBody.safeParse(request.body);
    if (!p.success || !body.success) return reply.code(400).send({ error: 'InvalidInput', message: 'expected /v1/jobs/<kind>/<name>/stop with {"spawnId": "<uuid>"}' });
    const signalled = await options.host.terminate(p.data.kind, p.data.name, body.data.spawnId);
    if (signalled) options.log?.(`stopping ${p.data.kind} job ${p.data.name} (spawn ${body.data.spawnId})`);
    return { signalled };
  });

  app.setErrorHandler((err: { message?: string; statusCode?: number }, _request, reply) => {
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) options.log?.(`request failed: ${err.message ?? String(err)}`);
    return reply.code(status).send({ error: status === 500 ? 'InternalError' : 'InvalidInput', message: status === 500 ? 'the runner failed; see its log' : (err.message ?? 'bad request') });
  });
  return app;
}
