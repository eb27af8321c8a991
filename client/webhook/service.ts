import path from 'node:path';
import type { Backend } from '../../activities/backends/types';
import type { Config } from '../../common/config/schema';
import { stackPorts } from '../../common/config/schema';
import { addHealthRoute, dirAccessible, type HealthCheck } from '../shared/health';
import { resolveWebhookCredentials } from './auth';
import { EventInbox } from './inbox';
import { objectETagCheck } from './object-check';
import { loadRoutes } from './routes';
import { buildWebhookServer } from './server';
import { isPermanentStartError, type PipelineStarter } from './start-run';

export interface WebhookServiceOptions {
  backend: Backend;
  /**
   * Makes the starter of a routed event's run (the Temporal starter; the benchmark's baseline
   * makes one that starts nothing) once routes and credentials are known to be good, with the
   * function that releases it.
   */
  connect: () => Promise<{ direct: PipelineStarter; close: () => Promise<void>; health?: HealthCheck[] }>;
  /** Where the inbox journals (default `<home>/webhook`). */
  inboxDir?: string;
  log?: (message: string) => void;
}

/**
 * The webhook as the stack runs it: routes, credentials, the durable inbox (queued dispatch), the
 * ETag check against the backend's object store, the HTTP server on the stack's port. One place,
 * so the process entry point and the benchmark's baseline pay the same costs.
 */
export async function startWebhookService(config: Config, options: WebhookServiceOptions): Promise<{ stop: () => Promise<void> }> {
  const log = options.log ?? ((m: string) => console.log(`${new Date().toISOString()} ${m}`));
  const port = stackPorts(config.portBase).webhook;
  const routes = await loadRoutes(config);
  const credentials = await resolveWebhookCredentials(config, { create: true });
  const { direct, close: disconnect, health = [] } = await options.connect();
  let inbox: EventInbox | undefined;
  try {
    if (config.webhookDispatch === 'queued') {
      inbox = new EventInbox({ dir: options.inboxDir ?? path.join(config.home, 'webhook'), start: direct, isPermanent: isPermanentStartError, log });
      await inbox.open();
    }
    const { app, close } = buildWebhookServer({
      routes,
      starter: inbox ? inbox.starter : direct,
      credentials,
      sns: { certHostPattern: new RegExp(config.webhookSnsCertHosts), topics: config.webhookSnsTopics, maxAgeMs: config.webhookSnsMaxAgeSeconds * 1000 },
      maxBodyBytes: config.webhookMaxBodyBytes,
      checkObject: objectETagCheck(options.backend.objectStore, log),
    });
    // `/health` fails when what the webhook needs is unreachable (Temporal, its journal's dir).
    addHealthRoute(app, [...health, { name: 'journal', check: dirAccessible(config.home, true) }]);
    await app.listen({ host: config.listenHost, port });
    const auth = [credentials.token ? (credentials.tokenFile ? `token in ${credentials.tokenFile}` : 'token from MLOPS_WEBHOOK_TOKEN') : '', credentials.hmacSecret ? 'HMAC' : ''].filter(Boolean).join(' or ');
    console.log(`webhook listening on ${config.listenHost}:${port}, /hooks (auth: ${auth}; SNS by signature; dispatch: ${config.webhookDispatch}; ETags checked against the ${options.backend.name} object store)`);
    for (const r of routes) console.log(`  route ${r.name}: s3://${r.bucket}/${r.prefix ?? ''}*${r.suffix ?? ''} -> ${r.pipeline}`);
    const started = inbox;
    return {
      stop: async () => {
        await close();
        await started?.close();
        await disconnect();
      },
    };
  } catch (err) {
    await inbox?.close();
    await disconnect();
    throw err;
  }
}
