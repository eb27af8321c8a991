import { createBackend } from '../../activities/backends';
import { ConfigError, parseConfig } from '../../common/config/parse';
import { stackPorts } from '../../common/config/schema';
import { temporalUiUrl } from '../temporal';
import { buildDashboardServer } from './server';

/** The dashboard process (started by `mlops stack up`): the insights page, its JSON API, `/data`. */
async function main(): Promise<void> {
  const config = parseConfig();
  const port = stackPorts(config.portBase).dashboard;
  const app = buildDashboardServer({
    backend: createBackend(config),
    bucket: config.bucket,
    temporalUiUrl: (workflowId, runId) => temporalUiUrl(config, workflowId, runId),
  });
  await app.listen({ host: '127.0.0.1', port });
  console.log(`dashboard listening on http://127.0.0.1:${port} (insights of s3://${config.bucket}/insights/)`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await app.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(`dashboard failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
