import type { BuiltinAlgorithm } from '../../common/types/algorithm';
import type { TrainingConfig } from '../../common/types/training';
import type { TaskQueues } from '../../common/task-queues';
import { DEFAULT_INSTANCE_TYPES } from '../../common/config/instance-types';

/**
 * Default hyperparameters, in SageMaker's built-in algorithm names (all values strings). Chosen on
 * the demo dataset (seed 42, 70/15/15 split); see algorithms/README.md for the measured metrics.
 */
export const DEFAULT_HYPERPARAMETERS: Record<BuiltinAlgorithm, Record<string, string>> = {
  xgboost: {
    objective: 'reg:squarederror',
    num_round: '300',
    eta: '0.05',
    max_depth: '4',
    min_child_weight: '3',
    subsample: '0.8',
    colsample_bytree: '0.8',
    eval_metric: 'rmse,mae,r2',
    seed: '42',
  },
  'linear-learner': {
    predictor_type: 'regressor',
    loss: 'squared_loss',
    optimizer: 'auto',
    wd: '0.03',
    l1: '0',
    use_bias: 'true',
    normalize_data: 'true',
    normalize_label: 'true',
  },
};

export const DEFAULT_INSTANCE_TYPE = DEFAULT_INSTANCE_TYPES.training;

export function defaultTrainingConfig(bucket: string, taskQueues: TaskQueues): TrainingConfig {
  const resources = { instanceType: DEFAULT_INSTANCE_TYPE, instanceCount: 1 };
  return {
    bucket,
    models: (['xgboost', 'linear-learner'] as const).map((family) => ({
      family,
      hyperparameters: { ...DEFAULT_HYPERPARAMETERS[family] },
      resources: { ...resources },
    })),
    split: { seed: 42, validationFraction: 0.15, testFraction: 0.15 },
    // The smallest data that still measures a model (RMSE over 10 rows), and a file mostly made of
    // copies is a broken data drop; both are per-run settings (`dataChecks` in --config).
    dataChecks: { minRowsPerSplit: 10, maxDuplicateShare: 0.5 },
    // Each job kind has its own list of instance types (common/config/instance-types.ts).
    preprocessing: { resources: { instanceType: DEFAULT_INSTANCE_TYPES.processing, instanceCount: 1 } },
    baselines: {
      resources: { instanceType: DEFAULT_INSTANCE_TYPES.processing, instanceCount: 1 },
      transformResources: { instanceType: DEFAULT_INSTANCE_TYPES.transform, instanceCount: 1 },
    },
    maxJobRuntimeSeconds: 3600,
    taskQueues,
    approval: { policy: 'auto', reminderAfter: '4 hours', timeoutAfter: '3 days', onTimeout: 'reject' },
    // Step 6: strictly better than the champion on the same rows; a champion that cannot be scored
    // on the new data, and new data that shifted from the champion's, are a person's call.
    comparison: { minImprovement: 0, minRelativeImprovement: 0, onIncomparable: 'require-approval' },
    dataShift: { onShift: 'require-approval' },
    deployment: {
      endpointNamePrefix: 'mlops',
      instanceType: DEFAULT_INSTANCE_TYPES.endpoint,
      instanceCount: 1,
      dataCapture: { enabled: true, samplingPercentage: 100, destinationUri: `s3://${bucket}/capture`, captureModes: ['Input', 'Output'] },
    },
  };
}
