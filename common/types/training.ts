import type { AlgorithmSpec } from './algorithm';
import type { BaselineUris, ModelDecision, ModelFamily, SplitMetrics } from './model';
import type { JobSummary, ResourceConfig } from './jobs';
import type { TaskQueues } from '../task-queues';
import type { ApprovalConfig } from './approval';
import type { ComparisonRule, DataShiftPolicy, GovernanceRecord } from './governance';
import type { AutoscalingConfig, DeploymentPolicy, RollbackAlarms } from './deployment';

/** Per-family training settings: SageMaker's hyperparameter names, values as strings. */
export interface ModelTrainingConfig {
  family: ModelFamily;
  /** What trains and serves it (a project's algorithm); absent (the demo, runs before projects): the built-in its family names. */
  algorithm?: AlgorithmSpec;
  hyperparameters: Record<string, string>;
  resources: ResourceConfig;
  /** Reject the model when its validation RMSE exceeds this; overrides the run-wide threshold. */
  rmseThreshold?: number;
  /** Step 6 for this family; its fields override the run-wide rule. */
  comparison?: ComparisonRule;
  /** Step 10 for this family: its policy, alarms and autoscaling override the run-wide ones. */
  deployment?: DeploymentOverrides;
}

/** What a model may set for its own step 10 (the rest of the run-wide deployment settings apply). */
export interface DeploymentOverrides {
  policy?: DeploymentPolicy;
  alarms?: RollbackAlarms;
  /** `null`: no autoscaling for this model even when the run sets it. */
  autoscaling?: AutoscalingConfig | null;
}

export interface SplitConfig {
  seed: number;
  validationFraction: number;
  testFraction: number;
}

/**
 * Limits of the data sanity gates at step 1 (the pre-processing job refuses the file, nothing is
 * trained). Absent fields keep the job's defaults. The other gates (a constant label, a feature
 * equal to the label, an all-empty column) have no setting.
 */
export interface DataChecksConfig {
  /** Fewest rows each requested split (train, validation, test) may get. */
  minRowsPerSplit?: number;
  /** Largest share (0-1) of rows that may repeat an earlier row in the label and every feature. */
  maxDuplicateShare?: number;
}

/** Everything a training run needs, resolved by the client so a replay never reads today's config. */
export interface TrainingConfig {
  /** Bucket for run artifacts (splits, models, baselines). */
  bucket: string;
  /** The project whose models the run trains (absent: the demo project, with its names of before projects). */
  project?: string;
  /** The project's dataset spec as the pre-processing job reads it (absent: the job's own used-car spec). */
  datasetSpecUri?: string;
  models: ModelTrainingConfig[];
  /** Run-wide RMSE threshold (validation RMSE); undefined means no threshold. */
  rmseThreshold?: number;
  split: SplitConfig;
  /** Absent in runs recorded before the gates had settings: the job's defaults apply. */
  dataChecks?: DataChecksConfig;
  preprocessing: { resources: ResourceConfig };
  /**
   * Step 7: `resources` runs the baseline processing jobs; `transformResources` the batch transform
   * that scores the test split (SageMaker's transform types differ from the processing ones; runs
   * recorded before it existed have none and use a transform type of the activity's choosing).
   */
  baselines: { resources: ResourceConfig; transformResources?: ResourceConfig };
  /** Job limits, seconds: a job running longer is stopped (SageMaker's StoppingCondition). */
  maxJobRuntimeSeconds: number;
  taskQueues: TaskQueues;
  /** Step 8; absent means `auto` (runs recorded before approvals existed have none). */
  approval?: ApprovalConfig;
  /** Steps 9-10; absent means the accepted model is exported without an endpoint. */
  deployment?: DeploymentConfig;
  /**
   * Step 6: the rule a challenger must pass against the champion on the same rows. Absent in runs
   * recorded before it existed (they compare with the previous best's own validation RMSE).
   */
  comparison?: ComparisonRule;
  /** What a shift of the new data against the champion's data-quality baseline does (default: ask a person). */
  dataShift?: DataShiftPolicy;
}

/** SageMaker's DataCaptureConfig, in our words. */
export interface DataCaptureConfig {
  enabled: boolean;
  /** 0-100, SageMaker's InitialSamplingPercentage. */
  samplingPercentage: number;
  /** DestinationS3Uri: records land at `<uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/...jsonl`. */
  destinationUri: string;
  captureModes: ('Input' | 'Output')[];
}

export interface DeploymentConfig {
  /** Endpoint of a family: `<prefix>-<family>`; stable, so a new champion updates it in place. */
  endpointNamePrefix: string;
  instanceType: string;
  instanceCount: number;
  dataCapture: DataCaptureConfig;
  /**
   * How step 10 moves traffic (the deployment workflow). Absent in runs recorded before it
   * existed, and the default: all at once without baking, as step 10 always did.
   */
  policy?: DeploymentPolicy;
  /** What rolls a deployment back while it bakes (absent: the defaults of common/types/deployment.ts). */
  alarms?: RollbackAlarms;
  /** Target tracking between a minimum and a maximum of instances (absent: a fixed instanceCount). */
  autoscaling?: AutoscalingConfig;
}

export interface TrainingInput {
  /** Raw training data, `s3://bucket/key`. */
  dataUri: string;
  config: TrainingConfig;
  /** Who or what started the run (`cli:alice`, `s3-event`, `drift-alert`), for notifications. */
  trigger: string;
}

/** The model-level stages shown by the progress query, in order. */
export type ModelStage =
  | 'waiting'
  | 'training'
  | 'registering'
  | 'evaluating'
  | 'baselining'
  | 'awaiting-approval'
  | 'deploying'
  | 'exporting'
  | 'accepted'
  | 'rejected'
  | 'failed';

export type RunStage = 'preprocessing' | 'training' | 'notifying' | 'completed' | 'failed';

export interface TrainingProgress {
  stage: RunStage;
  models: Partial<Record<ModelFamily, ModelStage>>;
  /** Set once pre-processing finished. */
  featureSchemaUri?: string;
}

export interface ModelOutcome {
  family: ModelFamily;
  version?: number;
  modelName?: string;
  decision: ModelDecision | { outcome: 'failed'; reason: string; decidedBy: string; decidedAt: string };
  threshold?: number;
  previousBest?: { version: number; validationRmse: number };
  /** Step 6 against the champion on the same rows, the data-shift check and warnings. */
  governance?: GovernanceRecord;
  metrics?: SplitMetrics;
  artifactUri?: string;
  baselines?: { dataQuality: BaselineUris; modelQuality?: BaselineUris };
  trainingJob?: JobSummary;
  /** Parameter-store names written by the export step. */
  exportedParameters?: string[];
  approval?: { required: boolean; outcome: 'approved' | 'rejected' | 'timed-out'; by?: string; reason: string };
  endpoint?: { endpointName: string; endpointConfigName: string; action: 'created' | 'updated' | 'unchanged' };
  /** Step 10's deployment workflow (runs since it existed): its id, outcome and why. */
  deployment?: { workflowId: string; outcome: 'deployed' | 'rolled-back'; reason: string };
}

export interface TrainingResult {
  workflowId: string;
  runId: string;
  dataUri: string;
  featureSchemaUri: string;
  dataQualityBaseline: BaselineUris;
  models: ModelOutcome[];
  jobs: JobSummary[];
}
