import { createBackend } from '../../activities/backends';
import { parseConfig } from '../../common/config/parse';
import { temporalNamespaceReachable } from '../shared/health';
import { runService } from '../shared/service-process';
import { connectClient, TemporalUnavailableError } from '../temporal';
import { WebhookCredentialsError } from './auth';
import { RoutesError } from './routes';
import { startWebhookService } from './service';
import { createTemporalStarter } from './start-run';

/** The S3-event webhook process (started by `mlops stack up`): POST /hooks[/s3|eventbridge|sns|minio]. */
async function main(): Promise<{ stop: () => Promise<void> }> {
  const config = parseConfig();
  const backend = createBackend(config);
  return startWebhookService(config, {
    backend,
    connect: async () => {
      const { client, connection } = await connectClient(config);
      return {
        direct: createTemporalStarter({ client, backend, config }),
        close: () => connection.close(),
        health: [{ name: 'temporal', check: temporalNamespaceReachable(connection, config.namespace) }],
      };
    },
  });
}

runService('webhook', main, { usage: (err) => err instanceof RoutesError || err instanceof WebhookCredentialsError, unavailable: (err) => err instanceof TemporalUnavailableError });
