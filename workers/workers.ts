import { type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Client } from '@temporalio/client';
import type { Config } from '../common/config/schema';
import { createWorkflowPort } from '../services/workflow-port';
import type { Backend } from '../activities/backends/types';
import type { TaskQueues } from '../common/task-queues';

export const WORKFLOWS_PATH = require.resolve('../workflows');

export interface WorkerSetOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueues: TaskQueues;
  backend: Backend;
  pollIntervalMs: number;
  /** A Temporal client and the config, for activities that start or signal workflows (retraining, drift alerts). */
  lifecycle?: { client: Client; config: Config };
  /** A prebuilt bundle (production); without it the worker bundles `workflows/` at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/**
 * The two workers of the project: orchestration (workflows only, cheap) and compute (activities
 * that start and watch jobs). They run in one process locally and can be scaled apart.
 */
export async function createWorkers(options: WorkerSetOptions): Promise<Worker[]> {
  const { connection, namespace, taskQueues } = options;
  const orchestration = await Worker.create({
    connection,
    namespace,
    taskQueue: taskQueues.orchestration,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: WORKFLOWS_PATH }),
  });
  const compute = await Worker.create({
    connection,
    namespace,
    taskQueue: taskQueues.compute,
    activities: createActivities(
      options.backend,
      { pollIntervalMs: options.pollIntervalMs },
      options.lifecycle ? createWorkflowPort(options.lifecycle.client, options.backend, options.lifecycle.config) : undefined,
    ),
    maxConcurrentActivityTaskExecutions: 32,
    // Let a job-waiting activity notice the shutdown and leave its job running for the next worker.
    shutdownGraceTime: '5 seconds',
  });
  return [orchestration, compute];
}

/** Runs workers until one stops (a shutdown signal stops all of them). */
export async function runWorkers(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map((w) => w.run()));
}
