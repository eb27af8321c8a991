import Fastify, { type FastifyInstance } from 'fastify';
import type { EndpointHost } from './endpoint-host';

/** InvokeEndpoint's body limit: 6 MiB. */
export const MAX_INVOCATION_BYTES = 6 * 1024 * 1024;
const INFERENCE_ID = /^[\x21-\x7e][\x20-\x7e]{0,63}$/;

/**
 * The endpoint host's HTTP face: SageMaker's runtime API (`POST /endpoints/:name/invocations`),
 * `GET /metrics` (what the deployment alarms and the autoscaler read) and a small admin API for
 * the control plane and `mlops endpoints list`.
 */
export function buildEndpointHostServer(host: EndpointHost): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: MAX_INVOCATION_BYTES, keepAliveTimeout: 30_000 });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.get('/ping', async () => ({ status: 'ok' }));

  // Per-variant invocations, failures, latency, instances, weights, shadow comparisons (Prometheus text).
  app.get('/metrics', async (_request, reply) => reply.header('content-type', host.metrics.contentType).send(await host.metrics.exposition()));

  app.post<{ Params: { name: string } }>('/endpoints/:name/invocations', async (request, reply) => {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const inferenceId = header(request.headers['x-amzn-sagemaker-inference-id']);
    if (inferenceId !== undefined && !INFERENCE_ID.test(inferenceId)) {
      return reply.code(400).send({ ErrorCode: 'ValidationError', Message: 'InferenceId must be 1-64 printable ASCII characters without leading whitespace' });
    }
    const outcome = await host.invoke(request.params.name, {
      body,
      contentType: header(request.headers['content-type']) ?? 'application/octet-stream',
      ...(header(request.headers.accept) ? { accept: header(request.headers.accept)! } : {}),
      ...(inferenceId ? { inferenceId } : {}),
      ...(header(request.headers['x-amzn-sagemaker-custom-attributes']) ? { customAttributes: header(request.headers['x-amzn-sagemaker-custom-attributes'])! } : {}),
    });
    switch (outcome.kind) {
      case 'not-found':
        return reply.code(400).send({ ErrorCode: 'ValidationError', Message: outcome.message });
      case 'not-ready':
        return reply.code(503).send({ ErrorCode: 'ServiceUnavailable', Message: outcome.message });
      case 'model-error': {
        const original = outcome.result.body.toString('utf8');
        const kind = outcome.result.statusCode >= 500 ? 'server' : 'client';
        return reply
          .code(424)
          .header('x-amzn-invoked-production-variant', outcome.variantName)
          .send({
            ErrorCode: 'ModelError',
            Message: `Received ${kind} error (${outcome.result.statusCode}) from primary with message "${original}".`,
            OriginalStatusCode: outcome.result.statusCode,
            OriginalMessage: original,
          });
      }
      case 'ok':
        reply.code(outcome.result.statusCode).header('content-type', outcome.result.contentType).header('x-amzn-invoked-production-variant', outcome.variantName);
        if (outcome.result.customAttributes) reply.header('x-amzn-sagemaker-custom-attributes', outcome.result.customAttributes);
        return reply.send(outcome.result.body);
    }
  });

  app.post('/admin/reconcile', async (_request, reply) => {
    void host.reconcile();
    return reply.code(202).send({ accepted: true });
  });

  app.get('/admin/endpoints', async () => ({
    endpoints: host.liveView(),
    served: Object.fromEntries(host.served),
    capture: { captured: host.capture.captured, written: host.capture.written },
  }));

  app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
    if (error.statusCode === 413) return reply.code(413).send({ ErrorCode: 'ValidationError', Message: `the request body exceeds ${MAX_INVOCATION_BYTES} bytes` });
    const status = error.statusCode && error.statusCode < 500 ? error.statusCode : 500;
    return reply.code(status).send({ ErrorCode: status === 500 ? 'InternalFailure' : 'ValidationError', Message: error.message });
  });
  return app;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
