import type { TaskQueues } from '../task-queues';
import type { JobSummary, ResourceConfig } from './jobs';
import type { AlgorithmSpec } from './algorithm';
import type { ModelFamily } from './model';

/** SageMaker's DataProcessing: JSONPath filters over each record (CSV lines are arrays of fields). */
export interface DataProcessing {
  inputFilter: string;
  joinSource: 'None' | 'Input';
  outputFilter: string;
}

export interface ScoringConfig {
  bucket: string;
  /** The project whose champions score the file (absent: the demo project). */
  project?: string;
  /** Families to score with (their latest approved model); default every family with a champion. */
  families?: ModelFamily[];
  /** Where outputs go: `<outputPrefix>/<family>/<input file>.out`. */
  outputPrefix: string;
  /** Scored payload for monitoring: `<captureUri>/<family>/yyyy/mm/dd/hh/<run>/...`. */
  captureUri: string;
  /**
   * Columns of the scoring file passed around the model and joined back to each prediction, in
   * this order (`[]`: none, a row number instead). Absent: every column that is neither a feature
   * nor the label. Only feature columns ever reach the model.
   */
  idColumns?: string[];
  /**
   * Fixed filters, recorded by runs started before pass-through columns (ids first: `$[1:]` /
   * `Input` / `$[0,-1]`); newer runs compute them from the feature count after pre-processing.
   */
  dataProcessing?: DataProcessing;
  generateInferenceId: boolean;
  resources: ResourceConfig;
  maxJobRuntimeSeconds: number;
  taskQueues: TaskQueues;
}

export interface ScoringInput {
  /** The scoring file, `s3://bucket/key`. */
  dataUri: string;
  config: ScoringConfig;
  trigger: string;
}

/** The champion a batch transform uses, as the training pipeline exported it. */
export interface ScoringModel {
  family: ModelFamily;
  /** What serves it; absent: the built-in algorithm the family names. */
  algorithm?: AlgorithmSpec;
  modelName: string;
  modelVersion: number;
  artifactUri: string;
  featureSchemaUri: string;
}

export interface ScoredOutput {
  family: ModelFamily;
  modelName: string;
  modelVersion: number;
  /** `<input file>.out`, as SageMaker names batch transform outputs. */
  outputUris: string[];
  captureUris: string[];
  job: JobSummary;
}

export interface ScoringResult {
  workflowId: string;
  runId: string;
  dataUri: string;
  preprocessedPrefix: string;
  outputs: ScoredOutput[];
}

export type ScoringStage = 'resolving-models' | 'preprocessing' | 'scoring' | 'completed' | 'failed';
