/**
 * The requests the pipelines send SageMaker, checked against what real SageMaker enforces and
 * moto does not: the AWS SDK's own enums and the built-in algorithms' documented rules. The specs
 * come from the real activities (pre-processing, training, both baselines, batch scoring, the
 * endpoint config) run with their default configuration on a recording backend; the requests from
 * the aws backend's own request mapping (activities/backends/aws/job-requests.ts). Each rule
 * names its source, so a failure says which contract a change broke.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ProcessingInstanceType,
  ProductionVariantInstanceType,
  TrainingInstanceType,
  TransformInstanceType,
  type CreateProcessingJobCommandInput,
  type CreateTrainingJobCommandInput,
  type CreateTransformJobCommandInput,
} from '@aws-sdk/client-sagemaker';
import { resolveImages } from '../../activities/backends/aws/images';
import { processingJobRequest, trainingJobRequest, transformJobRequest, type JobRequestContext } from '../../activities/backends/aws/job-requests';
import type { AlgorithmImage, Backend, EndpointConfigSpec, JobDescription, JobKind, ProcessingJobSpec, TrainingJobSpec, TransformJobSpec } from '../../activities/backends/types';
import { createEndpointActivities } from '../../activities/inference/endpoints';
import { createScoringActivities } from '../../activities/scoring/scoring';
import { createBaselineActivities } from '../../activities/training/baselines';
import { createPreprocessActivities } from '../../activities/training/preprocess';
import { createTrainingJobActivities } from '../../activities/training/train';
import { defaultTrainingConfig } from '../../services/training/defaults';
import { REPO_ROOT } from '../../common/config/parse';
import { quietActivityEnvironment, runInActivity } from '../helpers/activity-env';

/** The built-in algorithm a request of these runs names (the demo project has no bring-your-own one). */
function builtIn(image: AlgorithmImage): 'xgboost' | 'linear-learner' {
  if (typeof image !== 'string') throw new Error(`unexpected bring-your-own image ${image.byo.name}`);
  return image;
}

type Request =
  | { kind: 'training'; family: 'xgboost' | 'linear-learner'; request: CreateTrainingJobCommandInput }
  | { kind: 'processing'; request: CreateProcessingJobCommandInput }
  | { kind: 'transform'; family: 'xgboost' | 'linear-learner'; request: CreateTransformJobCommandInput }
  | { kind: 'endpoint-config'; spec: EndpointConfigSpec };

/** The demo data's shape (data/kbb-2005-gm-used-cars.csv through pre-processing): 14 features, 561 train rows. */
const FEATURES = 14;
const TRAIN_ROWS = 561;
const SCHEMA = { schemaVersion: 1, features: Array.from({ length: FEATURES }, (_, i) => ({ name: `f${i}`, type: 'number' })), split: { rows: { train: TRAIN_ROWS, validation: 120, test: 120 } } };

/** Runs the real activities with their defaults on a backend that records every job spec and completes it at once. */
async function pipelineRequests(): Promise<Request[]> {
  const specs: { kind: JobKind; spec: TrainingJobSpec | ProcessingJobSpec | TransformJobSpec }[] = [];
  const configs: EndpointConfigSpec[] = [];
  const completed = (kind: JobKind, jobName: string): JobDescription => ({
    jobName,
    kind,
    status: 'Completed',
    secondaryStatus: 'Completed',
    creationTime: '2026-01-01T00:00:00.000Z',
    resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
    finalMetrics: [],
    modelArtifactUri: `s3://mlops/models/${jobName}/output/model.tar.gz`,
    outputs: {},
    outputObjects: [],
  });
  const record = (kind: JobKind) => async (spec: TrainingJobSpec | ProcessingJobSpec | TransformJobSpec) => (specs.push({ kind, spec }), { alreadyExisted: false });
  const backend = {
    name: 'aws',
    objectStore: {
      head: async () => ({ size: 100, etag: 'e', lastModified: '2026-01-01T00:00:00.000Z' }),
      get: async () => Buffer.from(JSON.stringify(SCHEMA)),
      list: async () => [],
      put: async () => ({ size: 1, etag: 'e', lastModified: '' }),
    },
    jobs: {
      startTrainingJob: record('training'),
      startProcessingJob: record('processing'),
      startTransformJob: record('transform'),
      describeJob: async (kind: JobKind, jobName: string) => completed(kind, jobName),
      stopJob: async () => undefined,
    },
    hosting: { createEndpointConfig: async (spec: EndpointConfigSpec) => (configs.push(spec), { alreadyExisted: false }) },
  } as unknown as Backend;
  const config = defaultTrainingConfig('mlops', { orchestration: 'o', compute: 'c' });
  const settings = { pollIntervalMs: 1 };
  const env = quietActivityEnvironment();
  const run = <T>(fn: () => Promise<T>) => runInActivity(env, fn);
  const common = { maxRuntimeSeconds: config.maxJobRuntimeSeconds };
  await run(() => createPreprocessActivities(backend, settings).runPreprocessingJob({ jobName: 'preprocess-0123456789ab', dataUri: 's3://mlops/training/data.csv', outputPrefix: 's3://mlops/runs/r/preprocess', split: config.split, resources: config.preprocessing.resources, ...common }));
  const baselines = createBaselineActivities(backend, settings);
  await run(() => baselines.computeDataQualityBaseline({ jobName: 'baseline-data-0123456789ab', trainUri: 's3://mlops/runs/r/preprocess/train/', featureSchemaUri: 's3://mlops/runs/r/schema.json', outputPrefix: 's3://mlops/runs/r/dq', resources: config.baselines.resources, ...common }));
  for (const model of config.models) {
    await run(() =>
      createTrainingJobActivities(backend, settings).runTrainingJob({
        jobName: `train-${model.family}-0123456789ab`,
        family: model.family,
        hyperparameters: model.hyperparameters,
        channels: { train: 's3://mlops/runs/r/preprocess/train/', validation: 's3://mlops/runs/r/preprocess/validation/', test: 's3://mlops/runs/r/preprocess/test/' },
        featureSchemaUri: 's3://mlops/runs/r/schema.json',
        outputPath: 's3://mlops/runs/r/models',
        resources: model.resources,
        ...common,
      }),
    );
    await run(() =>
      baselines.computeModelQualityBaseline({
        jobName: `baseline-model-${model.family}-0123456789ab`,
        family: model.family,
        artifactUri: 's3://mlops/runs/r/models/model.tar.gz',
        testUri: 's3://mlops/runs/r/preprocess/test/',
        featureSchemaUri: 's3://mlops/runs/r/schema.json',
        outputPrefix: `s3://mlops/runs/r/mq/${model.family}`,
        resources: config.baselines.resources,
        ...(config.baselines.transformResources ? { transformResources: config.baselines.transformResources } : {}),
        ...common,
      }),
    );
    // As client/scoring's defaultScoringConfig sets a scoring run (id first, prediction joined back, id + prediction kept).
    await run(() =>
      createScoringActivities(backend, settings).runBatchTransformJob({
        jobName: `score-${model.family}-0123456789ab`,
        model: { family: model.family, modelName: 'm', modelVersion: 1, artifactUri: 's3://mlops/m/model.tar.gz', featureSchemaUri: 's3://mlops/runs/r/schema.json' },
        inputPrefix: 's3://mlops/scoring/run/features/',
        outputPath: 's3://mlops/scored/run/',
        dataProcessing: { inputFilter: '$[1:]', joinSource: 'Input', outputFilter: '$[0,-1]' },
        capture: { destinationUri: 's3://mlops/capture/batch/run', generateInferenceId: true },
        resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
        ...common,
      }),
    );
    if (config.deployment) {
      await run(() => createEndpointActivities(backend, settings).createEndpointConfig({ endpointConfigName: `endpoint-config-${model.family}-0123456789ab`, family: model.family, modelName: 'm', deployment: config.deployment! }));
    }
  }
  const ctx: JobRequestContext = { roleArn: 'arn:aws:iam::111122223333:role/sm', images: resolveImages({ region: 'eu-west-1', roleArn: 'arn:aws:iam::111122223333:role/sm' }), volumeSizeGb: 30, controls: {} };
  return [
    ...specs.map(({ kind, spec }): Request => {
      if (kind === 'training') return { kind, family: builtIn((spec as TrainingJobSpec).image), request: trainingJobRequest(spec as TrainingJobSpec, ctx) };
      if (kind === 'processing') return { kind, request: processingJobRequest(spec as ProcessingJobSpec, ctx) };
      return { kind, family: builtIn((spec as TransformJobSpec).image), request: transformJobRequest(spec as TransformJobSpec, ctx) };
    }),
    ...configs.map((spec): Request => ({ kind: 'endpoint-config', spec })),
  ];
}

interface Rule {
  rule: string;
  source: string;
  /** A problem with the request, or undefined when it follows the rule (or the rule does not apply). */
  check(r: Request): string | undefined;
}

const NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const oneOf = (values: Record<string, string>, value: string | undefined, what: string) => (value && Object.values(values).includes(value) ? undefined : `${what} '${value}' is not in the SDK enum`);
const jobName = (r: Request) => (r.kind === 'training' ? r.request.TrainingJobName : r.kind === 'processing' ? r.request.ProcessingJobName : r.kind === 'transform' ? r.request.TransformJobName : r.spec.endpointConfigName);
/** Response types of the built-in serving containers. */
const RESPONSE_TYPES = { 'linear-learner': ['application/json', 'application/jsonlines', 'application/x-recordio-protobuf'], xgboost: ['text/csv', 'application/json', 'application/jsonlines', 'application/x-recordio-protobuf'] };

/** What real SageMaker enforces on these requests; moto checks none of it. */
const RULES: Rule[] = [
  {
    rule: 'a training job instance type is one of TrainingInstanceType',
    source: '@aws-sdk/client-sagemaker, enum TrainingInstanceType (the API model SageMaker validates against)',
    check: (r) => (r.kind === 'training' ? oneOf(TrainingInstanceType, r.request.ResourceConfig?.InstanceType, 'ResourceConfig.InstanceType') : undefined),
  },
  {
    rule: 'a processing job instance type is one of ProcessingInstanceType',
    source: '@aws-sdk/client-sagemaker, enum ProcessingInstanceType',
    check: (r) => (r.kind === 'processing' ? oneOf(ProcessingInstanceType, r.request.ProcessingResources?.ClusterConfig?.InstanceType, 'ClusterConfig.InstanceType') : undefined),
  },
  {
    rule: 'a transform job instance type is one of TransformInstanceType (no ml.t3.*)',
    source: '@aws-sdk/client-sagemaker, enum TransformInstanceType',
    check: (r) => (r.kind === 'transform' ? oneOf(TransformInstanceType, r.request.TransformResources?.InstanceType, 'TransformResources.InstanceType') : undefined),
  },
  {
    rule: 'an endpoint variant instance type is one of ProductionVariantInstanceType',
    source: '@aws-sdk/client-sagemaker, enum ProductionVariantInstanceType',
    check: (r) => (r.kind === 'endpoint-config' ? r.spec.variants.map((v) => oneOf(ProductionVariantInstanceType, v.instanceType, 'ProductionVariants.InstanceType')).find(Boolean) : undefined),
  },
  {
    rule: 'resource names follow SageMaker\u2019s pattern (1-63 letters, digits, inner hyphens)',
    source: 'SageMaker API Reference, CreateTrainingJob / CreateProcessingJob / CreateTransformJob / CreateEndpointConfig: name Pattern ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}',
    check: (r) => (NAME.test(jobName(r) ?? '') ? undefined : `name '${jobName(r)}'`),
  },
  {
    rule: 'a built-in algorithm gets no MetricDefinitions',
    source: 'SageMaker API Reference, AlgorithmSpecification.MetricDefinitions (built-in algorithms publish their own; CreateTrainingJob answers "You can\u2019t override the metric definitions for Amazon SageMaker algorithms")',
    check: (r) => (r.kind === 'training' && r.request.AlgorithmSpecification?.MetricDefinitions ? 'MetricDefinitions sent to a built-in image' : undefined),
  },
  {
    rule: 'built-in XGBoost gets only the train and validation channels; Linear Learner train, validation and test',
    source: 'SageMaker developer guide, "XGBoost algorithm: input/output interface" and "Linear Learner: input/output interface"; an unknown channel fails the job ("Extraneous channel found")',
    check: (r) => {
      if (r.kind !== 'training') return undefined;
      const allowed = r.family === 'xgboost' ? ['train', 'validation'] : ['train', 'validation', 'test'];
      const extra = (r.request.InputDataConfig ?? []).map((c) => c.ChannelName ?? '').filter((c) => !allowed.includes(c));
      return extra.length ? `channels ${extra.join(', ')}` : undefined;
    },
  },
  {
    rule: 'Linear Learner: mini_batch_size at most the train rows per instance, feature_dim the feature count',
    source: 'sagemaker-python-sdk src/sagemaker/amazon/linear_learner.py (_prepare_for_training: "mini_batch_size can\u2019t be greater than number of records or training job fails") and amazon_estimator.py (_get_default_mini_batch_size, feature_dim from the records)',
    check: (r) => {
      if (r.kind !== 'training' || r.family !== 'linear-learner') return undefined;
      const hp = r.request.HyperParameters ?? {};
      const perInstance = Math.floor(TRAIN_ROWS / (r.request.ResourceConfig?.InstanceCount ?? 1));
      if (!(Number(hp.mini_batch_size) >= 1 && Number(hp.mini_batch_size) <= perInstance)) return `mini_batch_size ${hp.mini_batch_size} with ${perInstance} train rows per instance`;
      return hp.feature_dim === String(FEATURES) ? undefined : `feature_dim ${hp.feature_dim}, the schema has ${FEATURES} features`;
    },
  },
  {
    rule: 'hyperparameter values are strings of at most 2500 characters',
    source: 'SageMaker API Reference, CreateTrainingJob HyperParameters (map of string to string, value length 0-2500)',
    check: (r) => (r.kind === 'training' ? Object.entries(r.request.HyperParameters ?? {}).map(([k, v]) => (typeof v === 'string' && v.length <= 2500 ? undefined : `hyperparameter ${k}`)).find(Boolean) : undefined),
  },
  {
    rule: 'a transform asks for a response type the algorithm answers',
    source: 'SageMaker developer guide, "Linear learner response formats" (JSON, JSON Lines, RecordIO; no CSV) and "XGBoost algorithm: inference" (CSV, JSON, JSON Lines, RecordIO)',
    check: (r) => (r.kind === 'transform' && !RESPONSE_TYPES[r.family].includes(r.request.TransformOutput?.Accept ?? '') ? `Accept ${r.request.TransformOutput?.Accept} for ${r.family}` : undefined),
  },
  {
    rule: 'a CSV join (text/csv input, JoinSource Input) needs a CSV response',
    source: 'SageMaker API Reference, DataProcessing.JoinSource ("For CSV data ... appending each transformed row to the end of the input ... the output is a CSV file"); sagemaker-tensorflow-serving-container #154',
    check: (r) => (r.kind === 'transform' && r.request.TransformInput?.ContentType === 'text/csv' && r.request.DataProcessing?.JoinSource === 'Input' && r.request.TransformOutput?.Accept !== 'text/csv' ? `CSV join with Accept ${r.request.TransformOutput?.Accept}` : undefined),
  },
  {
    rule: 'InputFilter and OutputFilter are at most 63 characters',
    source: 'SageMaker API Reference, DataProcessing (InputFilter, OutputFilter: length 0-63)',
    check: (r) => (r.kind === 'transform' && [r.request.DataProcessing?.InputFilter, r.request.DataProcessing?.OutputFilter].some((f) => (f ?? '').length > 63) ? 'filter longer than 63' : undefined),
  },
  {
    rule: 'InvocationsTimeoutInSeconds is 1-3600',
    source: 'SageMaker API Reference, ModelClientConfig.InvocationsTimeoutInSeconds (1-3600)',
    check: (r) => {
      const t = r.kind === 'transform' ? r.request.ModelClientConfig?.InvocationsTimeoutInSeconds : undefined;
      return t === undefined || (t >= 1 && t <= 3600) ? undefined : `InvocationsTimeoutInSeconds ${t}`;
    },
  },
  {
    rule: 'processing inputs and outputs live under /opt/ml/processing/',
    source: 'SageMaker API Reference, ProcessingS3Input.LocalPath / ProcessingS3Output.LocalPath (an absolute path under /opt/ml/processing/)',
    check: (r) =>
      r.kind === 'processing'
        ? [...(r.request.ProcessingInputs ?? []).map((i) => i.S3Input?.LocalPath), ...(r.request.ProcessingOutputConfig?.Outputs ?? []).map((o) => o.S3Output?.LocalPath)].find((p) => !p?.startsWith('/opt/ml/processing/'))
        : undefined,
  },
  {
    rule: 'at most 50 tags per resource',
    source: 'SageMaker API Reference, Tags (array of 0-50 items)',
    check: (r) => (r.kind !== 'endpoint-config' && (r.request.Tags ?? []).length > 50 ? 'more than 50 tags' : undefined),
  },
];

describe('contract: the requests the pipelines send SageMaker (rules moto does not check)', () => {
  let requests: Request[];
  before(async () => {
    requests = await pipelineRequests();
  });

  it('when the pipelines run with their defaults, then they send every kind of request (preprocess, baselines, training, scoring, endpoint config, both families)', () => {
    const kinds = requests.map((r) => `${r.kind}${'family' in r ? `:${r.family}` : ''}`);
    for (const k of ['processing', 'training:xgboost', 'training:linear-learner', 'transform:xgboost', 'transform:linear-learner', 'endpoint-config']) assert.ok(kinds.includes(k), `${k} in ${kinds.join(', ')}`);
  });

  for (const rule of RULES) {
    it(`${rule.rule} (source: ${rule.source})`, () => {
      const problems = requests.map((r) => rule.check(r)).filter((p): p is string => p !== undefined);
      assert.deepEqual(problems, []);
    });
  }

  it('the processing image SageMaker runs is the root stage of the Dockerfile, built for linux/amd64 (source: sagemaker-python-sdk #4764 and PR #4325: /opt/ml/processing/output and /opt/ml/output are not writable for another user)', () => {
    const dockerfile = readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8');
    const stage = /FROM \S+ AS sagemaker\n([\s\S]*?)(?=\nFROM |\n# ----|$)/.exec(dockerfile)?.[1] ?? '';
    assert.match(stage, /^USER root$/m);
    const push = readFileSync(path.join(REPO_ROOT, 'client', 'aws', 'image-push.ts'), 'utf8');
    assert.match(push, /'--platform', 'linux\/amd64', '--target', 'sagemaker'/);
  });
});
