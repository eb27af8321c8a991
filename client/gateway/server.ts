import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Backend } from '../../activities/backends/types';
import { EdgeError, toEdgeProblem } from '../edge-errors';
import { projectUri } from '../../common/project';
import { ChampionResolver } from './champions';
import { CombinerError, requestCombiner, type NamedCombiner } from './combiners';
import { EndpointClient, type EndpointInvoker } from './endpoint-client';
import { FairLanes } from './fair-lanes';
import { GatewayMetrics } from './gateway-metrics';
import { groundTruthBodySchema, storeGroundTruth } from './ground-truth';
import { readPredictionRecords } from './payload';
import { Predictor } from './predict';
import { ServingModels, type ServingBackend } from './serving-models';

export interface GatewayOptions {
  /** Champions (parameters), who served an answer (registry, hosting), schemas and ground truth (object store). */
  backend: Pick<Backend, 'parameters' | 'objectStore'> & ServingBackend;
  /** SageMaker runtime API base URL (the local endpoint host). */
  runtimeUrl: string;
  /** Another runtime (the aws backend: SageMaker Runtime); default: HTTP to `runtimeUrl`. */
  endpoints?: EndpointInvoker;
  /** Per endpoint call. */
  timeoutMs: number;
  /** Calls in flight to one endpoint, shared fairly between requests (MLOPS_GATEWAY_ENDPOINT_CONCURRENCY). */
  endpointConcurrency: number;
  /** Of those, at most this many for requests of more than 8 records together (MLOPS_GATEWAY_BULK_CONCURRENCY). */
  bulkConcurrency: number;
  /** One endpoint failed: answer from the others and say so, or fail with 503. */
  onPartial: 'answer' | 'fail';
  /** The combiner of requests that name none (the operator's; the only one that may be a module). */
  defaultCombiner: NamedCombiner;
  groundTruthUri: string;
  maxBodyBytes: number;
  maxRecords: number;
  /**
   * The projects of the stack (their families), for `/v1/projects/<name>/predict`: undefined for a
   * name that is no project (404). Without it, only the demo's `/v1/predict` is served.
   */
  projects?: (name: string) => Promise<{ families: string[] } | undefined>;
}

/**
 * The inference gateway (replaces API Gateway + Lambda): validates and pre-processes with the
 * feature schema, calls every champion endpoint (bounded and fair per endpoint), labels each
 * answer with the model that served it, and combines the answers.
 */
export function buildGatewayServer(options: GatewayOptions): { app: FastifyInstance; close: () => Promise<void> } {
  const app = Fastify({ logger: false, bodyLimit: options.maxBodyBytes, keepAliveTimeout: 30_000 });
  const serving = new ServingModels(options.backend);
  const champions = new ChampionResolver(options.backend, (uri) => serving.schema(uri));
  const endpoints: EndpointInvoker = options.endpoints ?? new EndpointClient(options.runtimeUrl, options.timeoutMs);
  // One set of lanes: a project's endpoints have names of their own, so they get lanes of their own.
  const lanes = new FairLanes(options.endpointConcurrency, options.bulkConcurrency);
  const metrics = new GatewayMetrics();
  const predictor = new Predictor(endpoints, lanes, serving, metrics);
  // Per project, built on first use: its champions, the registry group its answers are labelled from.
  const scopes = new Map<string, { champions: ChampionResolver; predictor: Predictor }>();
  const projectScope = async (name: string) => {
    // The name is a path segment a caller chose: only a project of the stack goes further.
    const project = /^[a-z][a-z0-9-]{0,23}$/.test(name) && options.projects ? await options.projects(name) : undefined;
    if (!project) throw new EdgeError('not-found', 'UnknownProject', `no project named '${name.slice(0, 40)}' on this stack`);
    let scope = scopes.get(name);
    if (!scope) {
      const own = new ServingModels(options.backend, name);
      scope = { champions: new ChampionResolver(options.backend, (uri) => own.schema(uri), 2000, { project: name, families: project.families }), predictor: new Predictor(endpoints, lanes, own, metrics) };
      scopes.set(name, scope);
    }
    return scope;
  };

  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.get('/ping', async () => ({ status: 'ok' }));

  // Endpoint calls, failures and latency per variant, predictions' label positions (the deployment alarms read them).
  app.get('/metrics', async (_request, reply) => reply.header('content-type', metrics.contentType).send(await metrics.exposition()));

  app.get('/v1/models', async () => ({
    models: (await champions.champions()).map((c) => ({ family: c.family, endpointName: c.endpointName, modelVersion: c.modelVersion, featureSchemaUri: c.featureSchemaUri })),
    combiner: options.defaultCombiner.name,
  }));

  app.post<{ Querystring: { combiner?: string | string[] } }>('/v1/predict', async (request, reply) => predict(request, reply, { champions, predictor }));

  app.post<{ Params: { name: string }; Querystring: { combiner?: string | string[] } }>('/v1/projects/:name/predict', async (request, reply) =>
    predict(request, reply, await projectScope(request.params.name), request.params.name),
  );

  app.get<{ Params: { name: string } }>('/v1/projects/:name/models', async (request) => {
    const scope = await projectScope(request.params.name);
    return { project: request.params.name, models: (await scope.champions.champions()).map((c) => ({ family: c.family, endpointName: c.endpointName, modelVersion: c.modelVersion, featureSchemaUri: c.featureSchemaUri })) };
  });

  async function predict(
    request: FastifyRequest<{ Querystring: { combiner?: string | string[] } }>,
    reply: FastifyReply,
    scope: { champions: ChampionResolver; predictor: Predictor },
    project?: string,
  ) {
    const { champions, predictor } = scope;
    const deployed = await champions.champions();
    if (deployed.length === 0) throw new EdgeError('unavailable', 'NoModelDeployed', `no model${project ? ` of project ${project}` : ''} is deployed yet: run the training pipeline with deployment`);
    const named = request.query.combiner ?? header(request.headers['x-mlops-combiner']);
    if (Array.isArray(named)) throw new CombinerError('name one combiner per request');
    const combiner = named === undefined ? options.defaultCombiner : requestCombiner(named, champions.families);
    const contentType = header(request.headers['content-type']) ?? '';
    // Raw records keyed by column name; a header-less CSV row follows the first champion's schema.
    const records = readPredictionRecords(contentType, request.body, predictor.expected(deployed[0]!).schema, options.maxRecords);
    const abandoned = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abandoned.abort();
    });
    const outcome = await predictor.predict(deployed, records, combiner, abandoned.signal);
    if (outcome.kind === 'unavailable' || (outcome.degraded.length > 0 && options.onPartial === 'fail')) {
      const unavailable = outcome.kind === 'unavailable' ? outcome.unavailable : outcome.degraded;
      throw new EdgeError('unavailable', 'EndpointUnavailable', unavailable.map((d) => d.reason).join('; '), { unavailable });
    }
    return reply.send({
      predictions: outcome.predictions,
      combiner: combiner.name,
      modelVersions: outcome.modelVersions,
      ...(outcome.degraded.length ? { degraded: { unavailable: outcome.degraded, note: 'answered from the remaining model(s)' } } : {}),
    });
  }

  app.post('/v1/ground-truth', async (request, reply) => groundTruth(request, reply, options.groundTruthUri));

  app.post<{ Params: { name: string } }>('/v1/projects/:name/ground-truth', async (request, reply) => {
    await projectScope(request.params.name);
    // A project's labels under its own root, where its monitoring reads them.
    return groundTruth(request, reply, projectUri(options.groundTruthUri, request.params.name));
  });

  async function groundTruth(request: FastifyRequest, reply: FastifyReply, root: string) {
    const parsed = groundTruthBodySchema.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? `record ${String(issue.path[0])}${issue.path.length > 1 ? `, field '${issue.path.slice(1).join('.')}'` : ''}` : 'body';
      throw new EdgeError('bad-request', 'InvalidGroundTruth', `${where}: ${issue.message}`);
    }
    const uri = await storeGroundTruth(options.backend.objectStore, root, parsed.data);
    return reply.code(202).send({ accepted: parsed.data.length, uri });
  }

  app.setErrorHandler((error: Error, request, reply) => {
    const answer = toEdgeProblem(error, { service: 'gateway', maxBodyBytes: options.maxBodyBytes, acceptedMediaTypes: 'application/json or text/csv' });
    if (answer.internal) logInternalError(request.id, error);
    return reply.code(answer.status).send(answer.body);
  });

  return {
    app,
    close: async () => {
      await app.close();
      await endpoints.close();
    },
  };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function logInternalError(requestId: string, error: Error): void {
  console.error(`${new Date().toISOString()} gateway error (request ${requestId}): ${error.stack ?? error.message}`);
}
