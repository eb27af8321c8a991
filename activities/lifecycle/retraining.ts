import type { Client } from '@temporalio/client';
import { parameterNames } from '../../common/artifacts';
import type { Config } from '../../common/config/schema';
import { backendMisconfigured, invalidInput } from '../../common/errors';
import type { StartRetrainingInput } from '../../common/types/lifecycle';
import { startTraining } from '../../client/training/start-training';
import type { Backend } from '../backends/types';

/** What the lifecycle activities need besides the backend; the worker passes them. */
export interface LifecycleDeps {
  client: Client;
  config: Config;
}

export function createLifecycleActivities(backend: Backend, deps?: LifecycleDeps) {
  return {
    /**
     * Starts the training pipeline as an independent run (not a child: it outlives the lifecycle's
     * continue-as-new) on the given data, the way `mlops train --new-run` does, with trigger
     * 'drift-alert'. The run name comes from the workflow, so a retried activity adopts its run.
     */
    async startRetraining(input: StartRetrainingInput): Promise<{ workflowId: string; started: boolean }> {
      if (!deps) throw backendMisconfigured('startRetraining needs a Temporal client and the config: the worker must pass them to createActivities');
      // The latest training data: the lifecycle's configured data, else what the champion was trained on.
      const dataUri = input.dataUri ?? (await backend.parameters.get(parameterNames.champion(input.family, 'training-data-uri')))?.value;
      if (!dataUri) throw invalidInput(`no training data to retrain ${input.family} on: set trainingDataUri in the lifecycle config (no champion records its data either)`);
      const run = await startTraining(deps.client, backend, deps.config, { data: dataUri, newRun: true, runName: input.runName, trigger: 'drift-alert' });
      return { workflowId: run.workflowId, started: run.started };
    },
  };
}
