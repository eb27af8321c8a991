import type { FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { EdgeError } from '../edge-errors';
import { deploymentId, DeploymentNotFoundError } from '../../services/deployments/deployments';
import type { DataBrowser } from './data';
import type { DashboardDeployments } from './deployments';
import { dataQuery, deploymentQuery, deploymentsQuery, driftQuery, filtersQuery, firstIssue, inferenceQuery, modelsQuery, scoringQuery } from './params';
import type { DashboardQueries } from './queries';


/** Validates the query with zod; answers 400 with the first issue, or calls `handle`. */
function route<S extends z.ZodType>(app: FastifyInstance, url: string, schema: S, handle: (query: z.output<S>, reply: FastifyReply) => Promise<unknown>): void {
  app.get(url, async (request, reply) => {
    const parsed = schema.safeParse(request.query ?? {});
    if (!parsed.success) throw new EdgeError('bad-request', 'BadRequest', firstIssue(parsed.error));
    return handle(parsed.data, reply);
  });
}

/** The dashboard's JSON API (the page's only data source) and `/data`. */
export function registerApi(app: FastifyInstance, queries: DashboardQueries, data: DataBrowser, deployments?: DashboardDeployments): void {
  // `deployments`: whether this dashboard reads Temporal (the page asks for deployments only then).
  route(app, '/api/filters', filtersQuery, async () => ({ ...(await queries.filters()), deployments: deployments !== undefined }));
  route(app, '/api/drift', driftQuery, async (q) => ({ records: await queries.drift(q) }));
  route(app, '/api/models', modelsQuery, async (q) => ({ versions: await queries.models(q) }));
  route(app, '/api/inference', inferenceQuery, async (q) => ({ hours: await queries.inference(q) }));
  route(app, '/api/scoring', scoringQuery, async (q) => ({ records: await queries.scoring(q) }));

  // Deployments live in Temporal (the deployment workflows), not in the insights tables.
  const live = (): DashboardDeployments => {
    if (!deployments) throw new EdgeError('unavailable', 'NoTemporal', 'this dashboard reads no Temporal server: deployments cannot be shown');
    return deployments;
  };
  route(app, '/api/deployments', deploymentsQuery, async (q) => ({ deployments: await live().list(q) }));
  route(app, '/api/deployment', deploymentQuery, async (q) => {
    const id = deploymentId(q.id);
    try {
      return { deployment: await live().detail(id, q.project) };
    } catch (err) {
      if (err instanceof DeploymentNotFoundError) throw new EdgeError('not-found', 'NotFound', err.message);
      throw err;
    }
  });

  route(app, '/data', dataQuery, async (q, reply) => {
    const answer = await data.browse(q.uri);
    if (answer.kind === 'listing') return answer;
    return reply.header('content-type', answer.contentType).header('x-content-type-options', 'nosniff').send(answer.text);
  });
}
