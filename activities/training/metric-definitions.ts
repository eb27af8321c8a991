import type { AlgorithmSpec, BuiltinAlgorithm } from '../../common/types/algorithm';
import type { MetricDefinition } from '../../common/types/jobs';

const NUMBER = '([-+]?[0-9]*\\.?[0-9]+(?:[eE][-+]?[0-9]+)?)';

/** XGBoost's per-round and final lines: `[17]#011validation-rmse:1502.87`, as the built-in image registers them. */
function xgboostMetric(split: string, metric: string): MetricDefinition {
  return { name: `${split}:${metric}`, regex: `.*\\[[0-9]+\\].*#011${split}-${metric}:${NUMBER}.*` };
}

/** Linear Learner's final lines: `#quality_metric: host=algo-1, validation rmse <loss>=2950.1`. */
function linearMetric(split: string, metric: string): MetricDefinition {
  return { name: `${split}:${metric}`, regex: `#quality_metric: host=\\S+, ${split} ${metric} <loss>=(\\S+)` };
}

const SPLITS = ['train', 'validation', 'test'];

/** Metric definitions per algorithm, in SageMaker's form (AlgorithmSpecification.MetricDefinitions). */
export const METRIC_DEFINITIONS: Record<BuiltinAlgorithm, MetricDefinition[]> = {
  xgboost: SPLITS.flatMap((split) => ['rmse', 'mae', 'mse', 'r2'].map((m) => xgboostMetric(split, m))),
  'linear-learner': [
    ...SPLITS.flatMap((split) => ['rmse', 'mse', 'absolute_loss', 'r2'].map((m) => linearMetric(split, m))),
    { name: 'validation:objective_loss', regex: '#quality_metric: host=\\S+, epoch=\\S+, validation \\S+_objective <loss>=(\\S+)' },
    { name: 'train:progress', regex: '#progress_metric: host=\\S+, completed (\\S+) %' },
  ],
};

/** Which reported metric gives each regression metric, per family (LL calls MAE `absolute_loss`). */
export const METRIC_NAMES: Record<BuiltinAlgorithm, { rmse: string; mae: string; r2: string }> = {
  xgboost: { rmse: 'rmse', mae: 'mae', r2: 'r2' },
  'linear-learner': { rmse: 'rmse', mae: 'absolute_loss', r2: 'r2' },
};

/**
 * A bring-your-own algorithm's final metrics by default: one `<channel>:<metric>=<value>` line per
 * metric (`validation:rmse=2249.2`), as the example under algorithms/byo/ prints them.
 */
export const BYO_METRIC_DEFINITIONS: MetricDefinition[] = SPLITS.flatMap((split) => ['rmse', 'mae', 'mse', 'r2'].map((m) => ({ name: `${split}:${m}`, regex: `^${split}:${m}=${NUMBER}\\s*$` })));

/** The metric definitions of an algorithm (a bring-your-own one may declare its own). */
export function metricDefinitionsFor(algorithm: AlgorithmSpec): MetricDefinition[] {
  return algorithm.kind === 'byo' ? (algorithm.metricDefinitions ?? BYO_METRIC_DEFINITIONS) : METRIC_DEFINITIONS[algorithm.kind];
}

/** Which reported metric gives each regression metric. */
export function metricNamesFor(algorithm: AlgorithmSpec): { rmse: string; mae: string; r2: string } {
  return algorithm.kind === 'byo' ? { rmse: 'rmse', mae: 'mae', r2: 'r2' } : METRIC_NAMES[algorithm.kind];
}
