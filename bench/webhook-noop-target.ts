/**
 * Child process of `bench/webhook.bench.ts` for the webhook's own overhead: the same server as
 * client/webhook/main.ts (config, routes, token auth, request log to stdout) with a starter that
 * starts NOTHING and answers at once. Never used outside the benchmark.
 */
import { parseConfig } from '../common/config/parse';
import { stackPorts } from '../common/config/schema';
import { resolveWebhookCredentials } from '../client/webhook/auth';
import { loadRoutes } from '../client/webhook/routes';
import { buildWebhookServer } from '../client/webhook/server';
import type { PipelineStarter } from '../client/webhook/start-run';

async function main(): Promise<void> {
  const config = parseConfig();
  const noop: PipelineStarter = async (route, event) => ({ workflowId: `${route.pipeline}/${event.bucket}/${event.key}@${event.etag ?? event.sequencer}`, started: true });
  const { app } = buildWebhookServer({
    routes: await loadRoutes(config),
    starter: noop,
    credentials: await resolveWebhookCredentials(config, { create: true }),
    sns: { certHostPattern: new RegExp(config.webhookSnsCertHosts), topics: config.webhookSnsTopics, maxAgeMs: config.webhookSnsMaxAgeSeconds * 1000 },
    maxBodyBytes: config.webhookMaxBodyBytes,
  });
  await app.listen({ host: '127.0.0.1', port: stackPorts(config.portBase).webhook });
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
