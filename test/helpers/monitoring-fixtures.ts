import type { DriftViolation, MonitoringConfig, MonitoringInput } from '../../common/types/monitoring';

/** The monitoring locations of the local layout, on one task queue for both roles. */
export function monitoringConfig(taskQueue: string): MonitoringConfig {
  return {
    bucket: 'mlops',
    captureUri: 's3://mlops/capture',
    batchCaptureUri: 's3://mlops/capture/batch',
    groundTruthUri: 's3://mlops/ground-truth',
    outputUri: 's3://mlops/monitoring',
    resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
    maxJobRuntimeSeconds: 600,
    taskQueues: { orchestration: taskQueue, compute: taskQueue },
  };
}

export function monitoringInput(taskQueue: string, trigger = 'test'): MonitoringInput {
  return { family: 'xgboost', trigger, config: monitoringConfig(taskQueue) };
}

/** A data-quality violation as Model Monitor reports a drifted Mileage, enriched. */
export const MILEAGE_DRIFT: DriftViolation = { checkType: 'baseline_drift_check', feature: 'Mileage', description: 'Numerical distance: 0.3 exceeds numerical threshold: 0.1', currentValue: 0.3, baselineValue: 0.1 };
