import { readChampion } from '../registry/champion-store';
import { backendMisconfigured, invalidInput } from '../../common/errors';
import type { StartRetrainingInput } from '../../common/types/lifecycle';
import type { Backend } from '../backends/types';
import type { WorkflowPort } from './workflow-port';

export function createLifecycleActivities(backend: Backend, workflows?: WorkflowPort) {
  return {
    /**
     * Starts the training pipeline as an independent run (not a child: it outlives the lifecycle's
     * continue-as-new) on the given data, the way `mlops train --new-run` does, with trigger
     * 'drift-alert'. The run name comes from the workflow, so a retried activity adopts its run.
     */
    async startRetraining(input: StartRetrainingInput): Promise<{ workflowId: string; started: boolean }> {
      if (!workflows) throw backendMisconfigured('startRetraining needs a Temporal client: the worker must pass a WorkflowPort to createActivities');
      // The latest training data: the lifecycle's configured data, else what the champion was trained on.
      const dataUri = input.dataUri ?? (await readChampion(backend.parameters, input.family, input.project))?.trainingDataUri;
      if (!dataUri) throw invalidInput(`no training data to retrain ${input.family} on: set trainingDataUri in the lifecycle config (no champion records its data either)`);
      return workflows.startTraining({ dataUri, runName: input.runName, trigger: 'drift-alert', ...(input.project ? { project: input.project } : {}) });
    },
  };
}
