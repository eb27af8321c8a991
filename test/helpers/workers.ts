import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Backend } from '../../activities/backends/types';
import { taskQueuesOf } from '../../common/config/parse';
import type { Config } from '../../common/config/schema';
import { createWorkers } from '../../workers/workers';

export interface RunningWorkers {
  /** Shuts every worker down and waits until they stopped. */
  stop(): Promise<void>;
}

/**
 * The project's workers (both task queues) on a test server, running until `stop`. With
 * `lifecycle`, the drift-alert and retraining activities get the server's client.
 */
export async function runWorkers(env: TestWorkflowEnvironment, config: Config, backend: Backend, options: { lifecycle?: boolean } = {}): Promise<RunningWorkers> {
  const workers = await createWorkers({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueues: taskQueuesOf(config),
    backend,
    pollIntervalMs: 50,
    ...(options.lifecycle ? { lifecycle: { client: env.client, config } } : {}),
    // The bundle scripts/test-all.sh built once for this run, as a production worker loads it.
    ...(process.env.MLOPS_WORKFLOW_BUNDLE ? { workflowBundle: { codePath: process.env.MLOPS_WORKFLOW_BUNDLE } } : {}),
  });
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    async stop() {
      for (const w of workers) w.shutdown();
      await running.catch(() => undefined);
    },
  };
}
