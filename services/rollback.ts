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
import { isDefaultProject } from '../common/project';
import { defaultTrainingConfig } from './training/defaults';
import { loadProject } from './projects/project-file';
import { projectTrainingConfig } from './projects/training-config';
import { UsageError } from './usage-error';

export interface StartRollbackOptions {
  family: ModelFamily;
  /** A project of the stack (projects/<name>/project.yaml); absent: the demo project. */
  project?: string;
  toVersion?: number;
  by: string;
  reason: string;
  force?: boolean;
}

/**
 * Starts the rollback of a family to an earlier version. The endpoint is moved only when the
 * champion has one (with the deployment settings a training run of the project uses: its endpoint
 * names and capture prefix). The workflow id names the project's model, the champion it replaces
 * and the target, so the same command run twice finds the first rollback.
 */
export async function startRollback(client: Client, backend: Backend, config: Config, options: StartRollbackOptions): Promise<{ handle: WorkflowHandle<typeof rollbackChampion>; workflowId: string; started: boolean }> {
  if (!options.by.trim()) throw new UsageError('--by: who decides is required');
  if (!options.reason.trim()) throw new UsageError('--reason: why is required');
  const loaded = options.project !== undefined ? await loadProject(config.projectsDir, options.project) : undefined;
  // The demo project's rollback carries no project: its input and ids stay as before projects.
  const project = loaded && !isDefaultProject(loaded.project.name) ? loaded.project.name : undefined;
  const champion = await readChampion(backend.parameters, options.family, project);
  const defaults = loaded ? projectTrainingConfig(loaded.project, { bucket: config.bucket, taskQueues: taskQueuesOf(config) }) : defaultTrainingConfig(config.bucket, taskQueuesOf(config));
  const input: RollbackInput = {
    family: options.family,
    ...(project ? { project } : {}),
    ...(options.toVersion !== undefined ? { toVersion: options.toVersion } : {}),
    by: options.by.trim(),
    reason: options.reason.trim(),
    force: options.force ?? false,
    ...(champion?.endpointName && defaults.deployment ? { deployment: defaults.deployment } : {}),
    taskQueues: taskQueuesOf(config),
  };
  const workflowId = rollbackWorkflowId(options.family, champion?.modelVersion, options.toVersion, project);
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
        projectAttribute(project),
      ],
      memo: { by: input.by, reason: input.reason, force: input.force, ...(project ? { project } : {}) },
      staticSummary: `Rollback of ${project ? `${project}/` : ''}${options.family}${options.toVersion !== undefined ? ` to version ${options.toVersion}` : ''} by ${input.by}`,
    });
    return { handle: handle as WorkflowHandle<typeof rollbackChampion>, workflowId, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { handle: client.workflow.getHandle<typeof rollbackChampion>(workflowId), workflowId, started: false };
    throw err;
  }
}
