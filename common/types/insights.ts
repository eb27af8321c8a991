/**
 * Insights tables (replace Athena + QuickSight): Hive-partitioned Parquet under
 * `s3://<bucket>/insights/<table>/dt=YYYY-MM-DD/<file>.parquet`, which DuckDB and Athena read as
 * they are. Column names are snake_case so SQL needs no quoting.
 */
export const INSIGHT_TABLES = ['drift_records', 'scoring_records', 'inference_volumes'] as const;
export type InsightTable = (typeof INSIGHT_TABLES)[number];

/** One violated constraint found by a monitoring run. */
export interface DriftRecordRow {
  detected_at: Date;
  /** The project (absent in files written before projects: the demo project). */
  project: string;
  family: string;
  model_name: string;
  model_version: number;
  endpoint_name: string | null;
  /** 'data' (data quality) or 'model' (model quality). */
  kind: string;
  /** 'realtime' or 'batch' capture. */
  source: string;
  monitoring_workflow_id: string;
  monitoring_run_id: string;
  window_start: Date;
  window_end: Date;
  feature: string | null;
  metric: string | null;
  check_type: string;
  baseline_value: number | null;
  current_value: number | null;
  description: string;
  report_uri: string;
  /** The captured data the run checked. */
  data_uri: string;
}

/** One batch scoring run of one model. */
export interface ScoringRecordRow {
  scored_at: Date;
  /** The project (absent in files written before projects: the demo project). */
  project: string;
  family: string;
  model_name: string;
  model_version: number;
  scoring_workflow_id: string;
  scoring_run_id: string;
  input_uri: string;
  output_uri: string;
  capture_uri: string;
  records: number;
  prediction_mean: number | null;
  prediction_min: number | null;
  prediction_max: number | null;
}

/** Real-time requests of one endpoint variant in one hour, as consolidated by a monitoring run. */
export interface InferenceVolumeRow {
  hour: Date;
  /** The project (absent in files written before projects: the demo project). */
  project: string;
  family: string;
  model_name: string;
  model_version: number;
  endpoint_name: string;
  variant_name: string;
  requests: number;
  prediction_mean: number | null;
  monitoring_workflow_id: string;
  monitoring_run_id: string;
}

export interface InsightRows {
  drift_records: DriftRecordRow;
  scoring_records: ScoringRecordRow;
  inference_volumes: InferenceVolumeRow;
}
