import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { Backend } from '../activities/backends/types';
import { readChampion } from '../activities/registry/champion-store';
import { taskQueuesOf } from '../common/config/parse';
import type { Config } from '../common/config/schema';
import { rollbackWorkflowId } from '../common/ids';
import { MODEL_FAMILIES, PIPELINE, projectAttribute } from '../common/search-attributes';
import type { ModelFamily } from '../common/types/model';
import type { RollbackInput } from '../common/types/rollback';
import type { rollbackChampion } from '../workflows';
import { defaultTrainingConfig } from './training/defaults';
import { UsageError } from './usage-error';

export interface StartRollbackOptions {
  family: ModelFamily;
  toVersion?: number;
  by: string;
  reason: string;
  force?: boolean;
}

/**
 * Starts the rollback of a family to an earlier version. The endpoint is moved only when the
 * champion has one (with the deployment settings a training run uses). The workflow id names the
 * champion it replaces and the target, so the same command run twice finds the first rollback.
 */
export async function startRollback(client: Client, backend: Backend, config: Config, options: StartRollbackOptions): Promise<{ handle: WorkflowHandle<typeof rollbackChampion>; workflowId: string; started: boolean }> {
  if (!options.by.trim()) throw new UsageError('--by: who decides is required');
  if (!options.reason.trim()) throw new UsageError('--reason: why is required');
  const champion = await readChampion(backend.parameters, options.family);
  const defaults = defaultTrainingConfig(config.bucket, taskQueuesOf(config));
  const input: RollbackInput = {
    family: options.family,
    ...(options.toVersion !== undefined ? { toVersion: options.toVersion } : {}),
    by: options.by.trim(),
    reason: options.reason.trim(),
    force: options.force ?? false,
    ...(champion?.endpointName && defaults.deployment ? { deployment: defaults.deployment } : {}),
    taskQueues: taskQueuesOf(config),
  };
  const workflowId = rollbackWorkflowId(options.family, champion?.modelVersion, options.toVersion);
  try {
    const handle = await client.workflow.start('rollbackChampion', {
      taskQueue: input.taskQueues.orchestration,
      workflowId,
      args: [input],
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: PIPELINE, value: 'rollback' },
        { key: MODEL_FAMILIES, value: [options.family] },
        // Rollback acts on the demo project's champions (it takes no project yet).
        projectAttribute(undefined),
      ],
      memo: { by: input.by, reason: input.reason, force: input.force },
      staticSummary: `Rollback of ${options.family}${options.toVersion !== undefined ? ` to version ${options.toVersion}` : ''} by ${input.by}`,
    });
    return { handle: handle as WorkflowHandle<typeof rollbackChampion>, workflowId, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { handle: client.workflow.getHandle<typeof rollbackChampion>(workflowId), workflowId, started: false };
    throw err;
  }
}
