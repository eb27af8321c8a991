import { createEndpointHost } from '../hosting';
import { ConfigError, parseConfig } from '../common/config/parse';
import { stackPorts } from '../common/config/schema';
import { buildEndpointHostServer } from '../hosting/endpoint-host/server';
import { addHealthRoute, dirAccessible } from '../client/shared/health';

/**
 * The local endpoint host process (started by `mlops stack up`): serves every endpoint recorded in
 * the hosting state, restores them after its own restart, and reconciles every 2 s (the control
 * plane also nudges it). SIGTERM/SIGINT: stop accepting, finish requests, flush capture, exit.
 */
async function main(): Promise<void> {
  const config = parseConfig();
  const host = createEndpointHost(config, { log: (m) => console.log(`${new Date().toISOString()} ${m}`) });
  const app = buildEndpointHostServer(host);
  const port = stackPorts(config.portBase).endpointHost;
  addHealthRoute(app, [{ name: 'data-dir', check: dirAccessible(config.home, true) }]);
  await app.listen({ host: config.listenHost, port });
  console.log(`endpoint host listening on ${config.listenHost}:${port} (reached as ${config.endpointHostUrl})`);
  await host.reconcile();
  const timer = setInterval(() => void host.reconcile(), 2000);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the endpoint host`);
    clearInterval(timer);
    await app.close();
    await host.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(`endpoint host failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
