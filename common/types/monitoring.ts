import type { TaskQueues } from '../task-queues';
import type { ResourceConfig } from './jobs';
import type { ModelFamily } from './model';

/** Where a monitoring run of one model family reads and writes. */
export interface MonitoringConfig {
  bucket: string;
  /** Real-time data capture root: records at `<captureUri>/<endpoint>/<variant>/yyyy/mm/dd/hh/`. */
  captureUri: string;
  /** Batch scoring capture root: `<batchCaptureUri>/<family>/yyyy/mm/dd/hh/<run>/*.captured.csv`. */
  batchCaptureUri: string;
  /** Ground truth: `<groundTruthUri>/yyyy/mm/dd/hh/*.jsonl`. */
  groundTruthUri: string;
  /** Reports: `<outputUri>/<family>/<run>/{data-quality,model-quality}/`. */
  outputUri: string;
  resources: ResourceConfig;
  maxJobRuntimeSeconds: number;
  taskQueues: TaskQueues;
  /** Bookmark entries this far behind the newest file are pruned; later arrivals are too late (default 48). */
  lateFileHorizonHours?: number;
  /** New labels are merged with the real-time capture of this many hours before them (default 48). */
  groundTruthLookbackHours?: number;
  /**
   * A real-time capture file is taken once its minute has been over this many seconds (default
   * 90: its writer may still append to it). `mlops monitor run-now --include-current-minute` waits
   * for the current minute to close and sets a few seconds, so the run takes that minute too.
   */
  captureSettleSeconds?: number;
}

export interface MonitoringInput {
  family: ModelFamily;
  /** The project (absent: the demo project); its URIs in `config` are the project's own. */
  project?: string;
  config: MonitoringConfig;
  trigger: string;
}

/** One violated constraint, enriched for reporting (drift records). */
export interface DriftViolation {
  checkType: string;
  description: string;
  /** Data quality: the feature; model quality: the metric. */
  feature?: string;
  metric?: string;
  baselineValue?: number | null;
  currentValue?: number | null;
}

/** What one Model Monitor job (data or model quality) found. */
export interface MonitorReport {
  evaluated: boolean;
  /** The data checked: real-time capture, batch capture, or new training data (before training). */
  dataUri?: string;
  source?: 'realtime' | 'batch' | 'training';
  /** Why nothing was evaluated (e.g. no prediction matched a label). */
  reason?: string;
  reportUri: string;
  violations: DriftViolation[];
}

/**
 * One violated constraint of one monitoring run, enriched for reporting: a line of the run's
 * `drift-records.jsonl`, a row of the `drift_records` insights table (snake_case there), a record
 * of the dashboard's API and of `mlops monitor run-now`.
 */
export interface DriftRecord {
  /** The run's window end: a retried write dates the record the same way. */
  detectedAt: string;
  /** The project (the demo project's name for records written before projects). */
  project: string;
  family: string;
  modelName: string;
  modelVersion: number;
  endpointName: string | null;
  kind: 'data' | 'model';
  source: 'realtime' | 'batch';
  monitoringWorkflowId: string;
  monitoringRunId: string;
  windowStart: string;
  windowEnd: string;
  feature: string | null;
  metric: string | null;
  checkType: string;
  baselineValue: number | null;
  currentValue: number | null;
  description: string;
  reportUri: string;
  /** The captured data the run checked. */
  dataUri: string;
}

/** Sent to the family's lifecycle workflow when a monitoring run finds drift. */
export interface DriftAlert {
  family: ModelFamily;
  /** The project whose lifecycle gets the alert (absent: the demo project). */
  project?: string;
  modelVersion: number;
  modelName: string;
  endpointName?: string;
  monitoringWorkflowId: string;
  monitoringRunId: string;
  windowStart: string;
  windowEnd: string;
  kinds: ('data' | 'model')[];
  violations: DriftViolation[];
  reportUri: string;
  detectedAt: string;
}

export interface MonitoringResult {
  family: ModelFamily;
  outcome: 'no-data' | 'no-drift' | 'drift';
  windowStart: string;
  windowEnd: string;
  /** Capture files read by this run (each exactly once across runs). */
  filesRead: number;
  /** Ground-truth files merged by this run (each exactly once across runs). */
  groundTruthFilesRead?: number;
  dataQuality?: { violations: number; reportUri: string };
  modelQuality?: { violations: number; reportUri: string };
  driftRecordsUri?: string;
}

/** What a family's lifecycle does on a drift alert. */
export type RetrainingPolicy = 'notify' | 'retrain' | 'approve-then-retrain';

export interface LifecycleConfig {
  policy: RetrainingPolicy;
  /** After a retraining starts, further alerts within this window only notify (e.g. '24 hours'). */
  coolDown: string;
  /** Retraining runs on this data (the latest training data), `s3://bucket/key`. */
  trainingDataUri?: string;
  /** How long `approve-then-retrain` waits for a decision (default '3 days'). */
  approvalTimeout?: string;
  taskQueues: TaskQueues;
}
