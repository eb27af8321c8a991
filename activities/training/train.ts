import { z } from 'zod';
import { invalidInput, jobFailed, notFound } from '../../common/errors';
import type { JobSummary, ResourceConfig } from '../../common/types/jobs';
import type { ModelFamily, RegressionMetrics, SplitMetrics } from '../../common/types/model';
import { algorithmOf, type AlgorithmSpec } from '../../common/types/algorithm';
import { algorithmImage, type Backend } from '../backends/types';
import { runJobToCompletion } from '../shared/run-job';
import { metricDefinitionsFor, metricNamesFor } from './metric-definitions';

export interface TrainingJobInput {
  jobName: string;
  family: ModelFamily;
  /** What trains it; absent (runs before projects): the built-in algorithm the family names. */
  algorithm?: AlgorithmSpec;
  hyperparameters: Record<string, string>;
  channels: { train: string; validation: string; test: string };
  /** The pre-processing run's feature schema (row counts, features); runs recorded before it was passed have none. */
  featureSchemaUri?: string;
  outputPath: string;
  resources: ResourceConfig;
  maxRuntimeSeconds: number;
}

export interface TrainingJobResult {
  artifactUri: string;
  job: JobSummary;
}

export function createTrainingJobActivities(backend: Backend, settings: { pollIntervalMs: number }) {
  return {
    /** Step 2: one training job per model family (XGBoost or Linear Learner). */
    async runTrainingJob(input: TrainingJobInput): Promise<TrainingJobResult> {
      const algorithm = algorithmOf(input.family, input.algorithm);
      const hyperparameters = await algorithmHyperparameters(backend, input, algorithm);
      const { description, summary } = await runJobToCompletion(backend.jobs, {
        kind: 'training',
        jobName: input.jobName,
        pollIntervalMs: settings.pollIntervalMs,
        start: () =>
          backend.jobs.startTrainingJob({
            jobName: input.jobName,
            image: algorithmImage(input.family, input.algorithm),
            metricDefinitions: metricDefinitionsFor(algorithm),
            hyperparameters,
            channels: Object.entries(input.channels).map(([name, s3Uri]) => ({ name, s3Uri, contentType: 'text/csv' })),
            outputPath: input.outputPath,
            resources: input.resources,
            maxRuntimeSeconds: input.maxRuntimeSeconds,
            tags: { family: input.family, algorithm: algorithm.kind },
          }),
      });
      if (!description.modelArtifactUri) {
        throw jobFailed(`training job ${input.jobName} completed without a model artifact`);
      }
      return { artifactUri: description.modelArtifactUri, job: summary };
    },

    /**
     * Step 4: the finished job's final metrics (SageMaker's FinalMetricDataList). Validation RMSE
     * and MAE are required; RMSE comes from `mse` where the algorithm reports no `rmse` (built-in
     * Linear Learner). R2 and the test split are kept when reported (built-in XGBoost takes no test
     * channel; built-in Linear Learner reports no R2).
     */
    async readTrainingMetrics(input: { family: ModelFamily; jobName: string; algorithm?: AlgorithmSpec }): Promise<SplitMetrics> {
      const description = await backend.jobs.describeJob('training', input.jobName);
      if (!description) throw notFound(`no training job named ${input.jobName}`);
      return metricsFromFinalMetricData(algorithmOf(input.family, input.algorithm), input.jobName, description.finalMetrics);
    },
  };
}

/** The parts of feature-schema.json the Linear Learner defaults need. */
const schemaCounts = z.object({ features: z.array(z.unknown()).min(1), split: z.object({ rows: z.object({ train: z.number().int().min(1) }) }) });

/** Linear Learner's default `mini_batch_size` (the SageMaker Python SDK's `LinearLearner.DEFAULT_MINI_BATCH_SIZE`). */
export const LINEAR_LEARNER_MAX_DEFAULT_BATCH = 1000;

/**
 * Linear Learner fails a job whose `mini_batch_size` (default 1000) exceeds the training records of
 * an instance, and needs `feature_dim`. As the SageMaker Python SDK does (`LinearLearner.
 * _prepare_for_training` and `AmazonAlgorithmEstimatorBase._get_default_mini_batch_size`), both
 * come from the data when the configuration sets neither: `feature_dim` is the feature count and
 * `mini_batch_size` is min(1000, max(1, floor(train rows / instance count))).
 */
export function linearLearnerDataHyperparameters(counts: { features: number; trainRows: number }, instanceCount: number, given: Record<string, string>): Record<string, string> {
  const out = { ...given };
  if (out.feature_dim === undefined || out.feature_dim === 'auto') out.feature_dim = String(counts.features);
  if (out.mini_batch_size === undefined) out.mini_batch_size = String(Math.min(LINEAR_LEARNER_MAX_DEFAULT_BATCH, Math.max(1, Math.floor(counts.trainRows / Math.max(1, instanceCount)))));
  return out;
}

async function algorithmHyperparameters(backend: Backend, input: TrainingJobInput, algorithm: AlgorithmSpec): Promise<Record<string, string>> {
  if (algorithm.kind !== 'linear-learner' || !input.featureSchemaUri) return input.hyperparameters;
  let counts;
  try {
    const parsed = schemaCounts.parse(JSON.parse((await backend.objectStore.get(input.featureSchemaUri)).toString('utf8')));
    counts = { features: parsed.features.length, trainRows: parsed.split.rows.train };
  } catch (err) {
    if (err instanceof SyntaxError || err instanceof z.ZodError) throw invalidInput(`feature schema ${input.featureSchemaUri}: no feature list or train row count (${err.message.slice(0, 300)})`);
    throw err;
  }
  return linearLearnerDataHyperparameters(counts, input.resources.instanceCount, input.hyperparameters);
}

/** The regression metrics of one split from a job's final metrics, or undefined when it reported none of them. */
function splitMetrics(values: Map<string, number>, algorithm: AlgorithmSpec, split: 'validation' | 'test'): Partial<RegressionMetrics> {
  const names = metricNamesFor(algorithm);
  const get = (metric: string) => values.get(`${split}:${metric}`);
  const mse = get('mse');
  const rmse = get(names.rmse) ?? (mse !== undefined && mse >= 0 ? Math.sqrt(mse) : undefined);
  const mae = get(names.mae) ?? get('mae') ?? get('absolute_loss');
  const r2 = get(names.r2);
  return { ...(rmse !== undefined ? { rmse } : {}), ...(mae !== undefined ? { mae } : {}), ...(r2 !== undefined ? { r2 } : {}) };
}

export function metricsFromFinalMetricData(family: ModelFamily | AlgorithmSpec, jobName: string, finalMetrics: { name: string; value: number }[]): SplitMetrics {
  const algorithm = typeof family === 'string' ? algorithmOf(family, undefined) : family;
  const values = new Map(finalMetrics.map((m) => [m.name, m.value]));
  const complete = (split: 'validation' | 'test'): RegressionMetrics | undefined => {
    const m = splitMetrics(values, algorithm, split);
    return m.rmse !== undefined && m.mae !== undefined ? (m as RegressionMetrics) : undefined;
  };
  const validation = complete('validation');
  if (!validation) {
    throw jobFailed(`training job ${jobName} reported no validation RMSE and MAE (reported: ${[...values.keys()].join(', ') || 'none'})`);
  }
  const test = complete('test');
  return { validation, ...(test ? { test } : {}) };
}
