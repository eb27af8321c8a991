import { processingInput, processingInputDir, processingInputFile, processingOutput, processingOutputDir } from '../../common/container-contract';
import { ErrorType, invalidInput, notFound } from '../../common/errors';
import type { JobSummary, ResourceConfig } from '../../common/types/jobs';
import type { DataChecksConfig, SplitConfig } from '../../common/types/training';
import { joinUri } from '../../common/uri';
import type { Backend } from '../backends/types';
import { runProcessingJob } from '../shared/run-job';

export interface PreprocessInput {
  jobName: string;
  dataUri: string;
  /** Prefix that receives `train/`, `validation/`, `test/` and `schema/`. */
  outputPrefix: string;
  split: SplitConfig;
  /** The project's dataset spec (JSON); absent: the job's own (the demo's used-car spec). */
  datasetSpecUri?: string;
  /** The sanity gates' limits; absent ones keep the job's defaults. */
  dataChecks?: DataChecksConfig;
  resources: ResourceConfig;
  maxRuntimeSeconds: number;
}

export interface PreprocessResult {
  trainUri: string;
  validationUri: string;
  testUri: string;
  featureSchemaUri: string;
  job: JobSummary;
}

const SPLITS = ['train', 'validation', 'test', 'schema'] as const;

export function createPreprocessActivities(backend: Backend, settings: { pollIntervalMs: number }) {
  return {
    /** Step 1: validate the raw CSV, engineer features, split, write the feature schema. */
    async runPreprocessingJob(input: PreprocessInput): Promise<PreprocessResult> {
      let head;
      try {
        head = await backend.objectStore.head(input.dataUri);
      } catch (err) {
        throw invalidInput(`training data ${input.dataUri}: ${(err as Error).message}`);
      }
      if (!head) throw notFound(`training data ${input.dataUri} does not exist`);
      if (head.size === 0) throw invalidInput(`training data ${input.dataUri}: the file is empty`);
      const outputs = SPLITS.map((name) => processingOutput(name, joinUri(input.outputPrefix, name) + '/'));
      const { summary } = await runProcessingJob(backend.jobs, settings.pollIntervalMs, {
            jobName: input.jobName,
            image: 'preprocess',
            arguments: [
              '--input-dir', processingInputDir('raw'),
              '--output-dir', processingOutputDir(),
              '--seed', String(input.split.seed),
              '--validation-fraction', String(input.split.validationFraction),
              '--test-fraction', String(input.split.testFraction),
              ...(input.datasetSpecUri ? ['--dataset-spec', processingInputFile('spec', 'dataset-spec.json')] : []),
              ...(input.dataChecks?.minRowsPerSplit !== undefined ? ['--min-rows-per-split', String(input.dataChecks.minRowsPerSplit)] : []),
              ...(input.dataChecks?.maxDuplicateShare !== undefined ? ['--max-duplicate-share', String(input.dataChecks.maxDuplicateShare)] : []),
            ],
            environment: {},
            inputs: [processingInput('raw', input.dataUri), ...(input.datasetSpecUri ? [processingInput('spec', input.datasetSpecUri)] : [])],
            outputs,
            resources: input.resources,
            maxRuntimeSeconds: input.maxRuntimeSeconds,
          }, { clientErrorType: ErrorType.DatasetSchemaInvalid });
      const prefix = (name: string) => joinUri(input.outputPrefix, name) + '/';
      return {
        trainUri: prefix('train'),
        validationUri: prefix('validation'),
        testUri: prefix('test'),
        featureSchemaUri: joinUri(input.outputPrefix, 'schema', 'feature-schema.json'),
        job: summary,
      };
    },
  };
}
