import type { ResourceConfig } from '../../common/types/jobs';
import type { BaselineUris, ModelFamily } from '../../common/types/model';
import { joinUri } from '../../common/uri';
import type { Backend } from '../backends/types';
import { runJobToCompletion } from '../shared/run-job';

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
  artifactUri: string;
  testUri: string;
}

const INPUT = '/opt/ml/processing/input';
const OUTPUT = '/opt/ml/processing/output';

function baselineUris(prefix: string): BaselineUris {
  return { statisticsUri: joinUri(prefix, 'statistics.json'), constraintsUri: joinUri(prefix, 'constraints.json') };
}

/** Step 7: Model Monitor baselines, as processing jobs of the model-monitor image. */
export function createBaselineActivities(backend: Backend, settings: { pollIntervalMs: number }) {
  const run = (input: BaselineJobCommon, args: string[], environment: Record<string, string>, inputs: { name: string; s3Uri: string; localPath: string }[]) =>
    runJobToCompletion(backend.jobs, {
      kind: 'processing',
      jobName: input.jobName,
      pollIntervalMs: settings.pollIntervalMs,
      start: () =>
        backend.jobs.startProcessingJob({
          jobName: input.jobName,
          image: 'model-monitor',
          arguments: args,
          environment: { output_path: OUTPUT, publish_cloudwatch_metrics: 'Disabled', feature_schema: `${INPUT}/schema/feature-schema.json`, ...environment },
          inputs: [{ name: 'schema', s3Uri: input.featureSchemaUri, localPath: `${INPUT}/schema` }, ...inputs],
          outputs: [{ name: 'baseline', s3Uri: input.outputPrefix.endsWith('/') ? input.outputPrefix : `${input.outputPrefix}/`, localPath: OUTPUT }],
          resources: input.resources,
          maxRuntimeSeconds: input.maxRuntimeSeconds,
        }),
    });

  return {
    /** Statistics and constraints of the training features (label first, as the capture lines up). */
    async computeDataQualityBaseline(input: DataQualityBaselineInput): Promise<BaselineUris> {
      await run(
        input,
        ['data-quality-baseline'],
        { dataset_source: `${INPUT}/baseline_dataset_input`, dataset_format: JSON.stringify({ csv: { header: false, output_columns_position: 'START' } }) },
        [{ name: 'baseline_dataset_input', s3Uri: input.trainUri, localPath: `${INPUT}/baseline_dataset_input` }],
      );
      return baselineUris(input.outputPrefix);
    },

    /** Regression metrics of the model on the test split, with suggested constraints. */
    async computeModelQualityBaseline(input: ModelQualityBaselineInput): Promise<BaselineUris> {
      await run(
        input,
        ['model-quality-baseline'],
        {
          dataset_source: `${INPUT}/baseline_dataset_input`,
          dataset_format: JSON.stringify({ csv: { header: false } }),
          analysis_type: 'MODEL_QUALITY',
          problem_type: 'Regression',
          inference_attribute: 'prediction',
          ground_truth_attribute: 'label',
          model_dir: `${INPUT}/model`,
        },
        [
          { name: 'baseline_dataset_input', s3Uri: input.testUri, localPath: `${INPUT}/baseline_dataset_input` },
          { name: 'model', s3Uri: input.artifactUri, localPath: `${INPUT}/model` },
        ],
      );
      return baselineUris(input.outputPrefix);
    },
  };
}
