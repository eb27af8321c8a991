import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Backend } from '../../activities/backends/types';
import type { ModelFamily } from '../../common/types/model';
import { ChampionResolver, type DeployedChampion } from './champions';
import { combine, CombinerError, requestCombiner, type NamedCombiner } from './combiners';
import { EndpointCallError, EndpointClient, type EndpointInvoker } from './endpoint-client';
import { PayloadError } from './feature-vector';
import { groundTruthBodySchema, storeGroundTruth } from './ground-truth';
import { parsePredictionPayload, UnsupportedMediaError, type ParsedRecord } from './payload';

export interface GatewayOptions {
  backend: Pick<Backend, 'parameters' | 'objectStore'>;
  /** SageMaker runtime API base URL (the local endpoint host). */
  runtimeUrl: string;
  /** Another runtime (the aws backend: SageMaker Runtime); default: HTTP to `runtimeUrl`. */
  endpoints?: EndpointInvoker;
  /** Per endpoint call. */
  timeoutMs: number;
  /** One endpoint failed: answer from the others and say so, or fail with 503. */
  onPartial: 'answer' | 'fail';
  /** The combiner of requests that name none (the operator's; the only one that may be a module). */
  defaultCombiner: NamedCombiner;
  groundTruthUri: string;
  maxBodyBytes: number;
  maxRecords: number;
}

interface RecordAnswer {
  inferenceId: string;
  prediction: number;
  models: Partial<Record<ModelFamily, number>>;
  ids?: Record<string, unknown>;
  unavailable?: ModelFamily[];
}

/**
 * The inference gateway (replaces API Gateway + Lambda): validates and pre-processes with the
 * feature schema, calls every champion endpoint concurrently, and combines their answers.
 */
export function buildGatewayServer(options: GatewayOptions): { app: FastifyInstance; close: () => Promise<void> } {
  const app = Fastify({ logger: false, bodyLimit: options.maxBodyBytes, keepAliveTimeout: 30_000 });
  const champions = new ChampionResolver(options.backend);
  const endpoints: EndpointInvoker = options.endpoints ?? new EndpointClient(options.runtimeUrl, options.timeoutMs);

  app.addContentTypeParser(['text/csv', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.get('/ping', async () => ({ status: 'ok' }));

  app.get('/v1/models', async () => ({
    models: (await champions.champions()).map((c) => ({ family: c.family, endpointName: c.endpointName, modelVersion: c.modelVersion, featureSchemaUri: c.featureSchemaUri })),
    combiner: options.defaultCombiner.name,
  }));

  app.post<{ Querystring: { combiner?: string | string[] } }>('/v1/predict', async (request, reply) => {
    const deployed = await champions.champions();
    if (deployed.length === 0) return reply.code(503).send(problem('NoModelDeployed', 'no model is deployed yet: run the training pipeline with deployment'));
    const named = request.query.combiner ?? header(request.headers['x-mlops-combiner']);
    if (Array.isArray(named)) throw new CombinerError('name one combiner per request');
    const combiner = named === undefined ? options.defaultCombiner : requestCombiner(named);
    const contentType = header(request.headers['content-type']) ?? '';
    // Each family's own schema (they match unless champions come from different datasets).
    const parsed = new Map<DeployedChampion, ParsedRecord[]>();
    for (const c of deployed) parsed.set(c, parsePredictionPayload(contentType, request.body, c.schema, options.maxRecords));
    const count = parsed.values().next().value!.length;
    const unavailable = new Map<ModelFamily, string>();
    const answers: RecordAnswer[] = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const inferenceId = randomUUID();
        const models: Partial<Record<ModelFamily, number>> = {};
        await Promise.all(
          deployed.map(async (c) => {
            try {
              models[c.family] = await endpoints.invoke(c.endpointName, parsed.get(c)![i]!.features.join(','), inferenceId);
            } catch (err) {
              if (!(err instanceof EndpointCallError)) throw err;
              unavailable.set(c.family, err.message);
            }
          }),
        );
        const missing = deployed.filter((c) => models[c.family] === undefined).map((c) => c.family);
        const ids = parsed.values().next().value![i]!.ids;
        let prediction = Number.NaN;
        try {
          if (Object.keys(models).length) prediction = combine(combiner, models);
        } catch (err) {
          // A combiner that needs a model which did not answer (model:<family>): the endpoint is
          // unavailable (503), the request is not at fault.
          if (!(err instanceof CombinerError) || missing.length === 0) throw err;
        }
        return {
          inferenceId,
          prediction,
          models,
          ...(Object.keys(ids).length ? { ids } : {}),
          ...(missing.length ? { unavailable: missing } : {}),
        };
      }),
    );
    const degraded = [...unavailable.entries()].map(([family, reason]) => ({ family, reason }));
    if (answers.some((a) => Number.isNaN(a.prediction)) || (degraded.length > 0 && options.onPartial === 'fail')) {
      return reply.code(503).send({ ...problem('EndpointUnavailable', degraded.map((d) => d.reason).join('; ')), unavailable: degraded });
    }
    return reply.send({
      predictions: answers,
      combiner: combiner.name,
      modelVersions: Object.fromEntries(deployed.map((c) => [c.family, c.modelVersion])),
      ...(degraded.length ? { degraded: { unavailable: degraded, note: 'answered from the remaining model(s)' } } : {}),
    });
  });

  app.post('/v1/ground-truth', async (request, reply) => {
    const parsed = groundTruthBodySchema.safeParse(request.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length ? `record ${String(issue.path[0])}${issue.path.length > 1 ? `, field '${issue.path.slice(1).join('.')}'` : ''}` : 'body';
      return reply.code(400).send(problem('InvalidGroundTruth', `${where}: ${issue.message}`));
    }
    const uri = await storeGroundTruth(options.backend.objectStore, options.groundTruthUri, parsed.data);
    return reply.code(202).send({ accepted: parsed.data.length, uri });
  });

  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    if (error instanceof PayloadError) return reply.code(400).send(problem('InvalidPayload', error.message));
    if (error instanceof UnsupportedMediaError) return reply.code(415).send(problem('UnsupportedMediaType', error.message));
    if (error instanceof CombinerError) return reply.code(400).send(problem('InvalidCombiner', error.message));
    if (error.statusCode === 413) return reply.code(413).send(problem('PayloadTooLarge', `the body exceeds ${options.maxBodyBytes} bytes`));
    if (error.statusCode === 415) return reply.code(415).send(problem('UnsupportedMediaType', 'send application/json or text/csv'));
    if (error.statusCode && error.statusCode < 500) return reply.code(error.statusCode).send(problem('BadRequest', error.message));
    logInternalError(error);
    return reply.code(500).send(problem('InternalError', 'the gateway failed; see its log'));
  });

  return {
    app,
    close: async () => {
      await app.close();
      await endpoints.close();
    },
  };
}

function problem(error: string, message: string) {
  return { error, message };
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function logInternalError(error: Error): void {
  console.error(`${new Date().toISOString()} gateway error: ${error.stack ?? error.message}`);
}
