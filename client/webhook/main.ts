import path from 'node:path';
import { createBackend } from '../../activities/backends';
import { parseConfig } from '../../common/config/parse';
import { addHealthRoute, dirAccessible, temporalNamespaceReachable } from '../shared/health';
import { runService } from '../shared/service-process';
import { stackPorts } from '../../common/config/schema';
import { connectClient, TemporalUnavailableError } from '../temporal';
import { resolveWebhookCredentials } from './auth';
import { loadRoutes, RoutesError } from './routes';
import { buildWebhookServer } from './server';
import { createTemporalStarter, isPermanentStartError } from './start-run';
import { EventInbox } from './inbox';

/** The S3-event webhook process (started by `mlops stack up`): POST /hooks[/s3|eventbridge|sns|minio]. */
async function main(): Promise<{ stop: () => Promise<void> }> {
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
  addHealthRoute(app, [
    { name: 'temporal', check: temporalNamespaceReachable(connection, config.namespace) },
    { name: 'journal', check: dirAccessible(config.home, true) },
  ]);
  await app.listen({ host: config.listenHost, port });
  const auth = [credentials.token ? (credentials.tokenFile ? `token in ${credentials.tokenFile}` : 'token from MLOPS_WEBHOOK_TOKEN') : '', credentials.hmacSecret ? 'HMAC' : ''].filter(Boolean).join(' or ');
  console.log(`webhook listening on ${config.listenHost}:${port}, /hooks (auth: ${auth}; SNS by signature; dispatch: ${config.webhookDispatch})`);
  for (const r of routes) console.log(`  route ${r.name}: s3://${r.bucket}/${r.prefix ?? ''}*${r.suffix ?? ''} -> ${r.pipeline}`);
  return {
    stop: async () => {
      await close();
      await inbox?.close();
      await connection.close();
    },
  };
}

runService('webhook', main, { usage: (err) => err instanceof RoutesError, unavailable: (err) => err instanceof TemporalUnavailableError });
