/** Backend-neutral descriptions of SageMaker-style jobs (no AWS SDK types). */

export type JobStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';

export interface ResourceConfig {
  instanceType: string;
  instanceCount: number;
}

export interface MetricDefinition {
  name: string;
  regex: string;
}

export interface FinalMetric {
  name: string;
  value: number;
}

/** What the workflow learns about a finished job: small, so it fits in history. */
export interface JobSummary {
  jobName: string;
  status: JobStatus;
  startTime?: string;
  endTime?: string;
  /** Seconds from start to end, as the job itself ran (the backend's clock). */
  durationSeconds?: number;
  resources: ResourceConfig;
  /** True when a retried activity found the job already started and adopted it. */
  adopted: boolean;
}
