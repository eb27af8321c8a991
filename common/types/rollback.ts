import type { TaskQueues } from '../task-queues';
import type { ModelFamily } from './model';
import type { DeploymentConfig } from './training';

/**
 * `mlops models rollback`: an earlier version becomes the family's champion again, through the
 * same steps a training run takes (registry status, endpoint create-or-update, export, lifecycle).
 */
export interface RollbackInput {
  family: ModelFamily;
  /** The project (absent: the demo project, whose names carry none). */
  project?: string;
  /** The version to make champion; absent: the newest approved version older than the champion. */
  toVersion?: number;
  /** Who decided and why (required: every decision names both). */
  by: string;
  reason: string;
  /** Promote a version that is not Approved (rejected, or never decided). */
  force: boolean;
  /** How the endpoint serves the version (absent: the champion had no endpoint; only the export moves). */
  deployment?: DeploymentConfig;
  taskQueues: TaskQueues;
}

/** What `prepareRollback` found: the version to promote and the champion it replaces. */
export interface RollbackPlan {
  target: { version: number; modelName: string; status: string };
  /** Absent when the family has no champion today. */
  current?: { version: number; modelName: string; endpointName?: string };
}

export interface RollbackResult extends RollbackPlan {
  family: ModelFamily;
  endpoint?: { endpointName: string; endpointConfigName: string; action: 'created' | 'updated' | 'unchanged' };
  exportedParameters: string[];
}
