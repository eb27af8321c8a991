import { promises as fs } from 'node:fs';
import path from 'node:path';
import { NativeConnection } from '@temporalio/worker';
import { createBackend } from '../activities/backends';
import { ConfigError, parseConfig, taskQueuesOf } from '../common/config/parse';
import { connectClient } from '../client/temporal';
import { createWorkers, runWorkers } from './workers';

/**
 * Worker process entry point (`npm run worker`, or started by `mlops stack up`). Reads the
 * configuration from the environment, connects to Temporal and runs both task queues until
 * SIGINT/SIGTERM, then shuts down gracefully.
 */
async function main(): Promise<void> {
  const config = parseConfig();
  const connection = await connectWithRetry(config.temporalAddress);
  const bundlePath = process.env.MLOPS_WORKFLOW_BUNDLE;
  const { client, connection: clientConnection } = await connectClient(config, { timeoutMs: 60_000 });
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
  if (readyFile) {
    await fs.mkdir(path.dirname(readyFile), { recursive: true });
    await fs.writeFile(readyFile, String(process.pid));
  }
  console.log(`worker ready: task queues ${Object.values(taskQueuesOf(config)).join(', ')} on ${config.temporalAddress}`);
  try {
    await runWorkers(workers);
  } finally {
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
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(`worker failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
