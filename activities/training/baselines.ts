import { DEFAULT_INSTANCE_TYPES, isInstanceType } from '../../common/config/instance-types';
import { processingInput, processingInputDir, processingInputFile, processingOutput, processingOutputDir } from '../../common/container-contract';
import type { ResourceConfig } from '../../common/types/jobs';
import type { AlgorithmSpec } from '../../common/types/algorithm';
import type { BaselineUris, ModelFamily } from '../../common/types/model';
import { SAGEMAKER_NAME_MAX_LENGTH } from '../../common/ids';
import { joinUri } from '../../common/uri';
import type { Backend, CpuPriority } from '../backends/types';
import { runProcessingJob } from '../shared/run-job';
import { scoreLabelledSplit } from './score-split';

interface BaselineJobCommon {
  jobName: string;
  featureSchemaUri: string;
  /** Prefix that receives statistics.json and constraints.json. */
  outputPrefix: string;
  resources: ResourceConfig;
  maxRuntimeSeconds: number;
}

export interface DataQualityBaselineInput extends BaselineJobCommon {
  trainUri: string;
}

export interface ModelQualityBaselineInput extends BaselineJobCommon {
  family: ModelFamily;
  /** What serves the model; absent: the built-in algorithm the family names. */
  algorithm?: AlgorithmSpec;
  artifactUri: string;
  testUri: string;
  /** The transform that scores the test split (SageMaker's transform types are not the processing ones). */
  transformResources?: ResourceConfig;
  /** `label,prediction` of this model on the test split, when step 6 scored it already. */
  testPredictionsUri?: string;
}

/**
 * Runs recorded before `transformResources` existed pass only the processing resources, whose
 * default (`ml.t3.medium`) SageMaker refuses for a transform: those get the default transform type.
 */
export function scoringResources(input: Pick<ModelQualityBaselineInput, 'resources' | 'transformResources'>): ResourceConfig {
  if (input.transformResources) return input.transformResources;
  return isInstanceType('transform', input.resources.instanceType) ? input.resources : { ...input.resources, instanceType: DEFAULT_INSTANCE_TYPES.transform };
}

/** The transform that scores the test split for a model-quality baseline job: `<baseline job>-scoring` (<= 63 characters). */
export function testScoringJobName(baselineJobName: string): string {
  return `${baselineJobName.slice(0, SAGEMAKER_NAME_MAX_LENGTH - '-scoring'.length)}-scoring`;
}

function baselineUris(prefix: string): BaselineUris {
  return { statisticsUri: joinUri(prefix, 'statistics.json'), constraintsUri: joinUri(prefix, 'constraints.json') };
}

/** Step 7: Model Monitor baselines, as processing jobs of the model-monitor image. */
export function createBaselineActivities(backend: Backend, settings: { pollIntervalMs: number }) {
  const run = (input: BaselineJobCommon, args: string[], environment: Record<string, string>, inputs: { name: string; s3Uri: string; localPath: string }[], cpuPriority: CpuPriority) =>
    runProcessingJob(backend.jobs, settings.pollIntervalMs, {
          jobName: input.jobName,
          image: 'model-monitor',
          arguments: args,
          environment: { output_path: processingOutputDir(), publish_cloudwatch_metrics: 'Disabled', feature_schema: processingInputFile('schema', 'feature-schema.json'), ...environment },
          inputs: [processingInput('schema', input.featureSchemaUri), ...inputs],
          outputs: [processingOutput('baseline', input.outputPrefix.endsWith('/') ? input.outputPrefix : `${input.outputPrefix}/`, processingOutputDir())],
          resources: input.resources,
          maxRuntimeSeconds: input.maxRuntimeSeconds,
          cpuPriority,
        });

  return {
    /** Statistics and constraints of the training features (label first, as the capture lines up). */
    async computeDataQualityBaseline(input: DataQualityBaselineInput): Promise<BaselineUris> {
      await run(
        input,
        ['data-quality-baseline'],
        { dataset_source: processingInputDir('baseline_dataset_input'), dataset_format: JSON.stringify({ csv: { header: false, output_columns_position: 'START' } }) },
        [processingInput('baseline_dataset_input', input.trainUri)],
        // Every model branch needs it only after its training and test-set scoring: on a shared
        // machine the trainings get the CPUs first.
        'background',
      );
      return baselineUris(input.outputPrefix);
    },

    /**
     * Regression metrics of the model on the test split, with suggested constraints. The model
     * scores the split in a batch transform (`scoreLabelledSplit`) that keeps `label,prediction`;
     * the baseline job reads those. Both jobs are named after the baseline job, so a retry adopts them.
     */
    async computeModelQualityBaseline(input: ModelQualityBaselineInput): Promise<BaselineUris> {
      // Step 6 may have scored the test split with this model already (the comparison with the champion).
      const scoredPrefix =
        input.testPredictionsUri ??
        (await scoreLabelledSplit(backend.jobs, settings.pollIntervalMs, {
          jobName: testScoringJobName(input.jobName),
          family: input.family,
          ...(input.algorithm ? { algorithm: input.algorithm } : {}),
          featureSchemaUri: input.featureSchemaUri,
          artifactUri: input.artifactUri,
          splitUri: input.testUri,
          outputPrefix: joinUri(input.outputPrefix, 'test-predictions') + '/',
          resources: scoringResources(input),
          maxRuntimeSeconds: input.maxRuntimeSeconds,
          cpuPriority: 'follow-up',
        }));
      await run(
        input,
        ['model-quality-baseline'],
        {
          dataset_source: processingInputDir('baseline_dataset_input'),
          dataset_format: JSON.stringify({ csv: { header: false } }),
          analysis_type: 'MODEL_QUALITY',
          problem_type: 'Regression',
          inference_attribute: '1',
          ground_truth_attribute: '0',
        },
        [processingInput('baseline_dataset_input', scoredPrefix)],
        // Short, after the model's training: the run's other trainings keep the CPUs first.
        'follow-up',
      );
      return baselineUris(input.outputPrefix);
    },
  };
}
