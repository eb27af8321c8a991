/**
 * Child process of `bench/webhook.bench.ts`, the baseline: the webhook exactly as
 * client/webhook/main.ts runs it (config, routes, token auth, the durable inbox with its journal
 * and fsync, the ETag check against the object store, the request log) except that its starter
 * starts NOTHING and answers at once, so the ratio to the real run is what Temporal costs. Its
 * journal is MLOPS_WEBHOOK_BENCH_INBOX_DIR, apart from the real webhook's. Never used outside the
 * benchmark.
 */
import { createBackend } from '../activities/backends';
import { parseConfig } from '../common/config/parse';
import { startWebhookService } from '../client/webhook/service';
import { workflowIdForEvent, type PipelineStarter } from '../client/webhook/start-run';

async function main(): Promise<void> {
  const config = parseConfig();
  const noop: PipelineStarter = async (route, event) => ({ workflowId: workflowIdForEvent(route, event) ?? `${route.pipeline}/${event.bucket}/${event.key}`, started: true });
  const service = await startWebhookService(config, {
    backend: createBackend(config),
    connect: async () => ({ direct: noop, close: async () => undefined }),
    ...(process.env.MLOPS_WEBHOOK_BENCH_INBOX_DIR ? { inboxDir: process.env.MLOPS_WEBHOOK_BENCH_INBOX_DIR } : {}),
  });
  process.on('SIGTERM', () => void service.stop().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
