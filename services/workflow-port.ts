import type { Client } from '@temporalio/client';
import type { Backend } from '../activities/backends/types';
import type { WorkflowPort } from '../activities/lifecycle/workflow-port';
import type { Config } from '../common/config/schema';
import { signalChampionChanged, signalDriftAlert } from './lifecycle/ensure';
import { startTraining } from './training/start-training';

/** The workflow starts and signals activities need, over a Temporal client (built by the worker). */
export function createWorkflowPort(client: Client, backend: Backend, config: Config): WorkflowPort {
  return {
    async startTraining({ dataUri, runName, trigger, project }) {
      const run = await startTraining(client, backend, config, { data: dataUri, newRun: true, runName, trigger, ...(project ? { project } : {}) });
      return { workflowId: run.workflowId, started: run.started };
    },
    async signalDriftAlert(alert) {
      const handle = await signalDriftAlert(client, config, alert);
      return { workflowId: handle.workflowId };
    },
    async signalChampionChanged(change) {
      await signalChampionChanged(client, config, change);
    },
  };
}
