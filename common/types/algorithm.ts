import type { MetricDefinition } from './jobs';

/** The built-in algorithms: SageMaker's XGBoost and Linear Learner, with their hyperparameter names. */
export const BUILTIN_ALGORITHMS = ['xgboost', 'linear-learner'] as const;
export type BuiltinAlgorithm = (typeof BUILTIN_ALGORITHMS)[number];

export function isBuiltinAlgorithm(value: unknown): value is BuiltinAlgorithm {
  return typeof value === 'string' && (BUILTIN_ALGORITHMS as readonly string[]).includes(value);
}

/**
 * A bring-your-own algorithm: the team's own container, following SageMaker's contracts (started
 * with `train` for a training job, `serve` for an endpoint or a batch transform; channels under
 * /opt/ml/input/data, the model in /opt/ml/model, /opt/ml/output/failure, GET /ping, POST
 * /invocations with text/csv). The aws backend runs `image`; the local backend runs `command`
 * (with `train` or `serve` appended) as a process in `dir`.
 */
export interface ByoContainer {
  /** The algorithm's name in its project (its model family). */
  name: string;
  /** aws backend: the container image URI (ECR). */
  image?: string;
  /** local backend: the entry point; `dir` is relative to the repository root (or absolute); a leading `python` is the stack's interpreter. */
  command?: string[];
  dir?: string;
  /** Whether the algorithm reads an empty CSV field as a missing value. */
  acceptsMissing: boolean;
  /** How its final metrics are read from the training log (default: `<channel>:<metric>=<value>` lines). */
  metricDefinitions?: MetricDefinition[];
}

/**
 * Which code trains and serves a model family. Families and algorithm kinds are apart: a
 * project may call its XGBoost model `xgboost` or `price-xgb`. Runs recorded before projects
 * carry no algorithm: their family names the built-in one.
 */
export type AlgorithmSpec = { kind: BuiltinAlgorithm } | ({ kind: 'byo' } & ByoContainer);

/** The algorithm of a family when the run names none (the demo's families are the built-ins' names). */
export function algorithmOf(family: string, algorithm: AlgorithmSpec | undefined): AlgorithmSpec {
  if (algorithm) return algorithm;
  if (isBuiltinAlgorithm(family)) return { kind: family };
  throw new Error(`model family '${family}' names no built-in algorithm and the run gives none`);
}

/** Whether the algorithm takes missing values (empty CSV fields) as such. */
export function acceptsMissing(algorithm: AlgorithmSpec): boolean {
  return algorithm.kind === 'byo' ? algorithm.acceptsMissing : algorithm.kind === 'xgboost';
}
