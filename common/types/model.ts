import type { GovernanceRecord } from './governance';
import type { SplitMetrics } from './metrics';

/** Model families the framework trains side by side. */
export const MODEL_FAMILIES = ['xgboost', 'linear-learner'] as const;
export type ModelFamily = (typeof MODEL_FAMILIES)[number];

export function isModelFamily(value: string): value is ModelFamily {
  return (MODEL_FAMILIES as readonly string[]).includes(value);
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
