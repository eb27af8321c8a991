import type { AlgorithmSpec } from './algorithm';
import type { GovernanceRecord } from './governance';
import type { SplitMetrics } from './metrics';

/**
 * A model family: the name of one algorithm of a project (`xgboost`, `linear-learner`, `hgb`),
 * what the project file calls it. Open: a project names its own. Every edge that takes one from
 * outside checks it with `isModelFamily` (or `modelFamilySchema` in common/schemas/project.ts)
 * and against the project's algorithms; inside, a family is whatever the project file declared.
 * Which code trains it is its algorithm's `kind` (common/types/algorithm.ts), not its name.
 */
export type ModelFamily = string;

/** Lower-case letters, digits and inner hyphens, 1-32 characters: safe in job, endpoint, SSM and schedule names. */
export const MODEL_FAMILY_PATTERN = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;

/** The families of the demo project (the built-in algorithms under their own names). */
export const DEMO_MODEL_FAMILIES: readonly ModelFamily[] = ['xgboost', 'linear-learner'];

/** Whether a name can be a model family (the project decides whether it is one of its own). */
export function isModelFamily(value: unknown): value is ModelFamily {
  return typeof value === 'string' && MODEL_FAMILY_PATTERN.test(value) && !value.includes('--');
}

export type { RegressionMetrics, SplitMetrics } from './metrics';

/** Where a model-monitor baseline lives (Model Monitor's two files). */
export interface BaselineUris {
  statisticsUri: string;
  constraintsUri: string;
}

/** Registry status, named as SageMaker's ModelApprovalStatus. */
export type ModelApprovalStatus = 'PendingManualApproval' | 'Approved' | 'Rejected';

export interface ModelDecision {
  outcome: 'accepted' | 'rejected';
  /** One sentence a person can act on, e.g. "validation RMSE 3120.4 exceeds the threshold 3000". */
  reason: string;
  /** `pipeline` for automatic checks; a person's name for manual decisions. */
  decidedBy: string;
  decidedAt: string;
}

/** One registered version of a model family (SageMaker: a model package in its group). */
export interface ModelVersion {
  family: ModelFamily;
  /** The project the version belongs to; absent in the demo project (and in versions registered before projects). */
  project?: string;
  /** What trains and serves it; absent: the built-in algorithm its family names. */
  algorithm?: AlgorithmSpec;
  version: number;
  modelName: string;
  artifactUri: string;
  trainingJobName: string;
  workflowId: string;
  runId: string;
  featureSchemaUri: string;
  /** The raw training data the version was trained on (the lifecycle retrains on the champion's). */
  dataUri?: string;
  hyperparameters: Record<string, string>;
  metrics?: SplitMetrics;
  status: ModelApprovalStatus;
  decision?: ModelDecision;
  /** Earlier decisions on this version, oldest first (a rollback, a forced promotion): nothing is overwritten unseen. */
  previousDecisions?: ModelDecision[];
  baselines?: { dataQuality?: BaselineUris; modelQuality?: BaselineUris };
  /** Step 6 against the champion on the same rows, the data-shift check, warnings (absent before they existed). */
  governance?: GovernanceRecord;
  createdAt: string;
  updatedAt: string;
}
