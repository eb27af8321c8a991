import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { taskQueuesOf } from '../../common/config/parse';
import type { Config } from '../../common/config/schema';
import { lifecycleWorkflowId } from '../../common/ids';
import { isDefaultProject, projectOf } from '../../common/project';
import type { ChampionChange, LifecycleState, ModelLifecycleInput } from '../../common/types/lifecycle';
import type { ModelFamily } from '../../common/types/model';
import type { DriftAlert, LifecycleConfig } from '../../common/types/monitoring';
import type { modelLifecycle } from '../../workflows';
import { championChangedSignal, driftAlertSignal, lifecycleStateQuery } from '../../workflows/lifecycle/lifecycle.messages';

/**
 * The lifecycle a family starts with: the MLOPS_RETRAINING_* settings (default: notify only, 24
 * hours cool-down). A running lifecycle keeps its own; `mlops models policy` changes them.
 */
export function defaultLifecycleInput(config: Config, family: ModelFamily, overrides: Partial<Omit<LifecycleConfig, 'taskQueues'>> = {}, project?: string): ModelLifecycleInput {
  return {
    family,
    ...(isDefaultProject(project) ? {} : { project: projectOf(project) }),
    config: {
      policy: config.retrainingPolicy,
      coolDown: config.retrainingCoolDown,
      approvalTimeout: config.retrainingApprovalTimeout,
      ...(config.retrainingDataUri ? { trainingDataUri: config.retrainingDataUri } : {}),
      ...overrides,
      taskQueues: taskQueuesOf(config),
    },
  };
}

/** Starts `lifecycle/<family>` unless it runs already (then the running one is kept, config and all). */
export async function ensureLifecycle(client: Client, config: Config, family: ModelFamily, overrides: Partial<Omit<LifecycleConfig, 'taskQueues'>> = {}, project?: string): Promise<WorkflowHandle<typeof modelLifecycle>> {
  const input = defaultLifecycleInput(config, family, overrides, project);
  return client.workflow.start<typeof modelLifecycle>('modelLifecycle', {
    workflowId: lifecycleWorkflowId(family, project),
    taskQueue: input.config.taskQueues.orchestration,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `Lifecycle of ${family} (policy ${input.config.policy})`,
  });
}

/** Sends a drift alert to the family's lifecycle, starting it with the default input if it is not running. */
export async function signalDriftAlert(client: Client, config: Config, alert: DriftAlert, overrides: Partial<Omit<LifecycleConfig, 'taskQueues'>> = {}): Promise<WorkflowHandle<typeof modelLifecycle>> {
  // Each project's alert reaches its own lifecycle (`lifecycle/<project>/<family>`).
  const input = defaultLifecycleInput(config, alert.family, overrides, alert.project);
  return client.workflow.signalWithStart<typeof modelLifecycle, [DriftAlert]>('modelLifecycle', {
    workflowId: lifecycleWorkflowId(alert.family, alert.project),
    taskQueue: input.config.taskQueues.orchestration,
    signal: driftAlertSignal,
    signalArgs: [alert],
    args: [input],
  });
}

/** Tells the family's lifecycle about a new champion, starting it with the default input if needed. */
export async function signalChampionChanged(client: Client, config: Config, change: ChampionChange): Promise<void> {
  const input = defaultLifecycleInput(config, change.family, {}, change.project);
  await client.workflow.signalWithStart<typeof modelLifecycle, [ChampionChange]>('modelLifecycle', {
    workflowId: lifecycleWorkflowId(change.family, change.project),
    taskQueue: input.config.taskQueues.orchestration,
    signal: championChangedSignal,
    signalArgs: [change],
    args: [input],
  });
}

/** The state of the family's lifecycle in its project (absent: the demo's), or undefined when no lifecycle workflow runs. */
export async function readLifecycleState(client: Client, family: ModelFamily, project?: string): Promise<LifecycleState | undefined> {
  const handle = client.workflow.getHandle<typeof modelLifecycle>(lifecycleWorkflowId(family, project));
  try {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') return undefined;
    return await handle.query(lifecycleStateQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}
