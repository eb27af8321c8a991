import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../../common/errors';
import type { JobSummary, ResourceConfig } from '../../common/types/jobs';
import type { ModelFamily, RegressionMetrics, SplitMetrics } from '../../common/types/model';
import type { Backend } from '../backends/types';
import { runJobToCompletion } from '../shared/run-job';
import { METRIC_DEFINITIONS, METRIC_NAMES } from './metric-definitions';

export interface TrainingJobInput {
  jobName: string;
  family: ModelFamily;
  hyperparameters: Record<string, string>;
  channels: { train: string; validation: string; test: string };
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
      const { description, summary } = await runJobToCompletion(backend.jobs, {
        kind: 'training',
        jobName: input.jobName,
        pollIntervalMs: settings.pollIntervalMs,
        start: () =>
          backend.jobs.startTrainingJob({
            jobName: input.jobName,
            image: input.family,
            metricDefinitions: METRIC_DEFINITIONS[input.family],
            hyperparameters: input.hyperparameters,
            channels: Object.entries(input.channels).map(([name, s3Uri]) => ({ name, s3Uri, contentType: 'text/csv' })),
            outputPath: input.outputPath,
            resources: input.resources,
            maxRuntimeSeconds: input.maxRuntimeSeconds,
            tags: { family: input.family },
          }),
      });
      if (!description.modelArtifactUri) {
        throw ApplicationFailure.nonRetryable(`training job ${input.jobName} completed without a model artifact`, ErrorType.JobFailed);
      }
      return { artifactUri: description.modelArtifactUri, job: summary };
    },

    /** Step 4: the finished job's final metrics (SageMaker's FinalMetricDataList), validation and test. */
    async readTrainingMetrics(input: { family: ModelFamily; jobName: string }): Promise<SplitMetrics> {
      const description = await backend.jobs.describeJob('training', input.jobName);
      if (!description) throw ApplicationFailure.nonRetryable(`no training job named ${input.jobName}`, ErrorType.NotFound);
      const values = new Map(description.finalMetrics.map((m) => [m.name, m.value]));
      const names = METRIC_NAMES[input.family];
      const pick = (split: 'validation' | 'test'): RegressionMetrics => {
        const get = (metric: string): number => {
          const value = values.get(`${split}:${metric}`);
          if (value === undefined) {
            throw ApplicationFailure.nonRetryable(
              `training job ${input.jobName} reported no '${split}:${metric}' metric (reported: ${[...values.keys()].join(', ') || 'none'})`,
              ErrorType.JobFailed,
            );
          }
          return value;
        };
        return { rmse: get(names.rmse), mae: get(names.mae), r2: get(names.r2) };
      };
      return { validation: pick('validation'), test: pick('test') };
    },
  };
}
