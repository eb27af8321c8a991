import path from 'node:path';
import { createBackend } from '../../activities/backends';
import { ConfigError, parseConfig } from '../../common/config/parse';
import { stackPorts } from '../../common/config/schema';
import { connectClient, TemporalUnavailableError } from '../temporal';
import { resolveWebhookCredentials } from './auth';
import { loadRoutes, RoutesError } from './routes';
import { buildWebhookServer } from './server';
import { createTemporalStarter, isPermanentStartError } from './start-run';
import { EventInbox } from './inbox';

/** The S3-event webhook process (started by `mlops stack up`): POST /hooks[/s3|eventbridge|sns|minio]. */
async function main(): Promise<void> {
  const config = parseConfig();
  const port = stackPorts(config.portBase).webhook;
  const routes = await loadRoutes(config);
  const credentials = await resolveWebhookCredentials(config, { create: true });
  const { client, connection } = await connectClient(config);
  const direct = createTemporalStarter({ client, backend: createBackend(config), config });
  const inbox =
    config.webhookDispatch === 'queued'
      ? new EventInbox({ dir: path.join(config.home, 'webhook'), start: direct, isPermanent: isPermanentStartError, log: (m) => console.log(`${new Date().toISOString()} ${m}`) })
      : undefined;
  await inbox?.open();
  const { app, close } = buildWebhookServer({
    routes,
    starter: inbox ? inbox.starter : direct,
    credentials,
    sns: { certHostPattern: new RegExp(config.webhookSnsCertHosts), topics: config.webhookSnsTopics, maxAgeMs: config.webhookSnsMaxAgeSeconds * 1000 },
    maxBodyBytes: config.webhookMaxBodyBytes,
  });
  await app.listen({ host: '127.0.0.1', port });
  const auth = [credentials.token ? (credentials.tokenFile ? `token in ${credentials.tokenFile}` : 'token from MLOPS_WEBHOOK_TOKEN') : '', credentials.hmacSecret ? 'HMAC' : ''].filter(Boolean).join(' or ');
  console.log(`webhook listening on http://127.0.0.1:${port}/hooks (auth: ${auth}; SNS by signature; dispatch: ${config.webhookDispatch})`);
  for (const r of routes) console.log(`  route ${r.name}: s3://${r.bucket}/${r.prefix ?? ''}*${r.suffix ?? ''} -> ${r.pipeline}`);
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    await close();
    await inbox?.close();
    await connection.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof RoutesError) {
    console.error(err.message);
    process.exit(2);
  }
  if (err instanceof TemporalUnavailableError) {
    console.error(err.message);
    process.exit(3);
  }
  console.error(`webhook failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
