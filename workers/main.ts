import { NativeConnection } from '@temporalio/worker';
import { createBackend } from '../activities/backends';
import { forkServerFor } from '../activities/backends/local/python-fork-server';
import { ConfigError, parseConfig, taskQueuesOf } from '../common/config/parse';
import { connectClient } from '../client/temporal';
import { answersPing, temporalNamespaceReachable } from '../client/shared/health';
import { registerSearchAttributes, SearchAttributesMissingError } from '../client/search-attributes';
import { startHealthProbe } from './health-probe';
import { createWorkers, runWorkers } from './workers';

/** How often the worker checks that it reaches Temporal (and the job runner), refreshing its ready file. */
const HEALTH_PROBE_EVERY_MS = 5000;

/**
 * Worker process entry point (`npm run worker`, or started by `mlops stack up`). Reads the
 * configuration from the environment, connects to Temporal and runs both task queues until
 * SIGINT/SIGTERM, then shuts down gracefully.
 */
async function main(): Promise<void> {
  const config = parseConfig();
  // This worker spawns the jobs itself: its fork server warms up while it connects (decision 0024).
  if (config.backend === 'local' && !config.jobRunnerUrl) forkServerFor(config.python, config.forkServer);
  const connection = await connectWithRetry(config.temporalAddress);
  const bundlePath = process.env.MLOPS_WORKFLOW_BUNDLE;
  const { client, connection: clientConnection } = await connectClient(config, { timeoutMs: 60_000 });
  // The stack's dev server gets them at start; a server someone else runs (or a dev server older
  // than an attribute) gets them here, before this worker starts any run that sets them.
  await registerSearchAttributes(clientConnection, config.namespace);
  const workers = await createWorkers({
    lifecycle: { client, config },
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
    connection,
    namespace: config.namespace,
    taskQueues: taskQueuesOf(config),
    backend: createBackend(config),
    pollIntervalMs: config.jobPollIntervalMs,
  });
  const readyFile = process.env.MLOPS_WORKER_READY_FILE;
  const probe = readyFile
    ? await startHealthProbe({
        readyFile,
        everyMs: HEALTH_PROBE_EVERY_MS,
        log: (m) => console.log(`${new Date().toISOString()} ${m}`),
        checks: [
          { name: 'temporal', check: temporalNamespaceReachable(connection, config.namespace) },
          ...(config.backend === 'local' && config.jobRunnerUrl ? [{ name: 'job-runner', check: answersPing(config.jobRunnerUrl, '/health') }] : []),
        ],
      })
    : undefined;
  console.log(`worker ready: task queues ${Object.values(taskQueuesOf(config)).join(', ')} on ${config.temporalAddress}${config.jobRunnerUrl ? `, jobs on the job runner at ${config.jobRunnerUrl}` : ''}`);
  try {
    await runWorkers(workers);
  } finally {
    probe?.stop();
    await clientConnection.close();
    await connection.close();
  }
}

async function connectWithRetry(address: string): Promise<NativeConnection> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await NativeConnection.connect({ address });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof SearchAttributesMissingError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(`worker failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
