/**
 * Issue 16 ("the aws backend on real SageMaker, day one"): what moto let through, one test per
 * defect, with fake SDK clients. The HTTP-level replays of the paths moto lacks are in
 * test/integration/aws-day-one.test.ts; the request rules table in
 * test/contract/sagemaker-requests.contract.test.ts.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { S3Client } from '@aws-sdk/client-s3';
import { awsControls, createBackend } from '../../activities/backends';
import { toActivityError } from '../../activities/backends/aws/aws-errors';
import type { AwsControls } from '../../activities/backends/aws/controls';
import { builtInContract, builtInImage, resolveImages } from '../../activities/backends/aws/images';
import { modelRequest, processingJobRequest, trainingJobRequest, transformJobRequest } from '../../activities/backends/aws/job-requests';
import { AwsJobRunner } from '../../activities/backends/aws/job-runner';
import { AwsModelHosting } from '../../activities/backends/aws/model-hosting';
import { AwsModelRegistry } from '../../activities/backends/aws/model-registry';
import { AwsObjectStore } from '../../activities/backends/aws/object-store';
import type { Backend, EndpointDescription, EndpointStatus, ModelHosting, TrainingJobSpec, TransformJobSpec } from '../../activities/backends/types';
import { createEndpointActivities } from '../../activities/inference/endpoints';
import { scoringResources } from '../../activities/training/baselines';
import { createTrainingJobActivities, linearLearnerDataHyperparameters } from '../../activities/training/train';
import { ConfigFileError, readTrainingConfigFile } from '../../services/training/config-file';
import { defaultTrainingConfig } from '../../services/training/defaults';
import { instanceTypesOf, trainingConfigInstanceTypeProblems } from '../../common/config/instance-types';
import { parseConfig } from '../../common/config/parse';
import { ErrorType } from '../../common/errors';
import { quietActivityEnvironment, runInActivity } from '../helpers/activity-env';

function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });
}

type Call = { command: string; input: Record<string, unknown> };
function fakeClient<T>(handlers: Record<string, (input: Record<string, unknown>) => unknown>): { client: T; calls: Call[] } {
  const calls: Call[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.push({ command: name, input: command.input });
      const handler = handlers[name];
      if (!handler) throw new Error(`fake client: unexpected ${name}`);
      return handler(command.input);
    },
  } as unknown as T;
  return { client, calls };
}

const ROLE = 'arn:aws:iam::111122223333:role/sm';
const images = resolveImages({ region: 'eu-west-1', roleArn: ROLE });
const notFound = () => {
  throw awsError('ValidationException', 'Requested resource not found.');
};

const trainingSpec = (image: 'xgboost' | 'linear-learner'): TrainingJobSpec => ({
  jobName: 'train-x-0123456789ab',
  image,
  metricDefinitions: [{ name: 'validation:rmse', regex: 'validation-rmse:(\\S+)' }],
  hyperparameters: {},
  channels: ['train', 'validation', 'test'].map((name) => ({ name, s3Uri: `s3://b/${name}/`, contentType: 'text/csv' })),
  outputPath: 's3://b/models',
  resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
  maxRuntimeSeconds: 3600,
  tags: { family: image },
});

const transformSpec: TransformJobSpec = {
  jobName: 'score-x-0123456789ab',
  image: 'xgboost',
  modelArtifactUri: 's3://b/model.tar.gz',
  input: { s3Uri: 's3://b/in/', contentType: 'text/csv', splitType: 'Line' },
  output: { s3OutputPath: 's3://b/out/', accept: 'text/csv', assembleWith: 'Line' },
  dataProcessing: { inputFilter: '$[1:]', joinSource: 'Input', outputFilter: '$[0,-1]' },
  dataCapture: { destinationS3Uri: 's3://b/capture/', generateInferenceId: true, featureSchemaUri: 's3://b/schema.json' },
  resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
  maxRuntimeSeconds: 3600,
};

describe('aws backend on real SageMaker, day one (issue 16)', () => {
  describe('1. instance types per job kind', () => {
    it('when the defaults are read, then every instance type is one SageMaker accepts for its job kind (the baseline transform is no longer ml.t3.medium)', () => {
      const config = defaultTrainingConfig('mlops', { orchestration: 'o', compute: 'c' });
      assert.deepEqual(trainingConfigInstanceTypeProblems(config), []);
      assert.ok(config.baselines.transformResources, 'the model-quality baseline transform has its own resources');
      assert.ok(instanceTypesOf('transform').includes(config.baselines.transformResources.instanceType));
      assert.ok(!instanceTypesOf('transform').includes('ml.t3.medium'), 'the SDK enum has no ml.t3 transform type');
    });

    it('when a config file names a type outside its job kind, then reading it fails naming the setting and the kind', async () => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-it-'));
      try {
        const cases: [unknown, RegExp][] = [
          [{ baselines: { transformInstanceType: 'ml.t3.medium' } }, /baselines\.transformInstanceType: 'ml\.t3\.medium' is not a SageMaker transform instance type/],
          [{ models: { xgboost: { instanceType: 'ml.t2.medium' } } }, /models\.xgboost\.instanceType: 'ml\.t2\.medium' is not a SageMaker training instance type/],
          [{ deployment: { instanceType: 'ml.t3.medium' } }, /deployment\.instanceType: 'ml\.t3\.medium' is not a SageMaker endpoint instance type/],
          [{ preprocessing: { instanceType: 'ml.nope.large' } }, /preprocessing\.instanceType: 'ml\.nope\.large' is not a SageMaker processing instance type; e\.g\. ml\.t3\.medium/],
        ];
        for (const [content, expected] of cases) {
          const file = path.join(dir, 'training.json');
          await fs.writeFile(file, JSON.stringify(content));
          await assert.rejects(readTrainingConfigFile(file), (err: unknown) => err instanceof ConfigFileError && expected.test(err.message) && err.message.includes(file));
        }
      } finally {
        await fs.rm(dir, { recursive: true, force: true });
      }
    });

    it('when a run recorded before the transform resources existed reaches the baseline, then its transform gets a transform type', () => {
      assert.deepEqual(scoringResources({ resources: { instanceType: 'ml.t3.medium', instanceCount: 1 } }), { instanceType: 'ml.m5.large', instanceCount: 1 });
      assert.deepEqual(scoringResources({ resources: { instanceType: 'ml.c5.xlarge', instanceCount: 2 } }), { instanceType: 'ml.c5.xlarge', instanceCount: 2 });
      assert.deepEqual(scoringResources({ resources: { instanceType: 'ml.t3.medium', instanceCount: 1 }, transformResources: { instanceType: 'ml.m5.xlarge', instanceCount: 1 } }), { instanceType: 'ml.m5.xlarge', instanceCount: 1 });
    });
  });

  describe('2. a failed UpdateEndpoint', () => {
    const describe_ = (config: string, status: EndpointStatus, extra: Partial<EndpointDescription> = {}): EndpointDescription => ({
      endpointName: 'ep',
      endpointConfigName: config,
      status,
      variants: [],
      creationTime: '2026-01-01T00:00:00.000Z',
      lastModifiedTime: '2026-01-01T00:00:00.000Z',
      ...extra,
    });
    function scripted(script: EndpointDescription[]) {
      const calls: string[] = [];
      const hosting: Partial<ModelHosting> = {
        describeEndpoint: async () => (script.length > 1 ? script.shift() : script[0]),
        deleteEndpoint: async (name) => void calls.push(`delete ${name}`),
        updateEndpoint: async (name, config) => void calls.push(`update ${name} ${config}`),
        createEndpoint: async (name, config) => void calls.push(`create ${name} ${config}`),
      };
      return { backend: { hosting, jobs: {}, autoscaling: {} } as unknown as Backend, calls };
    }

    it('when SageMaker rolls the update back to InService on the old config with a FailureReason, then the deployment fails for good with the reason, after one UpdateEndpoint', async () => {
      const reason = 'The primary container for production variant AllTraffic did not pass the ping health check.';
      const s = scripted([describe_('c1', 'InService'), describe_('c1', 'Updating'), describe_('c1', 'InService', { failureReason: reason, lastModifiedTime: '2026-01-01T00:10:00.000Z' })]);
      const { deployEndpoint } = createEndpointActivities(s.backend, { pollIntervalMs: 1 });
      await assert.rejects(
        runInActivity(quietActivityEnvironment(), () => deployEndpoint({ endpointName: 'ep', endpointConfigName: 'c2' })),
        (err: unknown) => err instanceof ApplicationFailure && err.type === ErrorType.DeploymentFailed && err.nonRetryable && err.message.includes(reason) && /rolled back to c1/.test(err.message),
      );
      assert.deepEqual(s.calls, ['update ep c2']);
    });

    it('when the endpoint kept the FailureReason of an earlier failure and the new update succeeds, then the deployment succeeds', async () => {
      const old = { failureReason: 'an earlier update failed', lastModifiedTime: '2026-01-01T00:05:00.000Z' };
      const s = scripted([describe_('c1', 'InService', old), describe_('c1', 'InService', old), describe_('c1', 'Updating', old), describe_('c2', 'InService')]);
      const { deployEndpoint } = createEndpointActivities(s.backend, { pollIntervalMs: 1 });
      const result = await runInActivity(quietActivityEnvironment(), () => deployEndpoint({ endpointName: 'ep', endpointConfigName: 'c2' }));
      assert.equal(result.action, 'updated');
    });

    it('when the endpoint is UpdateRollbackFailed, then it is never deleted (it still serves) and the deployment fails for good', async () => {
      const s = scripted([describe_('c1', 'UpdateRollbackFailed', { failureReason: 'rollback failed' })]);
      const { deployEndpoint } = createEndpointActivities(s.backend, { pollIntervalMs: 1 });
      await assert.rejects(
        runInActivity(quietActivityEnvironment(), () => deployEndpoint({ endpointName: 'ep', endpointConfigName: 'c2' })),
        (err: unknown) => err instanceof ApplicationFailure && err.type === ErrorType.DeploymentFailed && err.nonRetryable && /still serves traffic/.test(err.message),
      );
      assert.deepEqual(s.calls, []);
    });

    it('when SageMaker says UpdateRollbackFailed, then the aws hosting reports it as such (not Failed, which the deploy step would delete)', async () => {
      const { client } = fakeClient<SageMakerClient>({
        DescribeEndpoint: () => ({ EndpointName: 'ep', EndpointConfigName: 'c1', EndpointStatus: 'UpdateRollbackFailed', FailureReason: 'x', CreationTime: new Date() }),
        DescribeEndpointConfig: () => ({ EndpointConfigName: 'c1', ProductionVariants: [] }),
      });
      assert.equal((await new AwsModelHosting(client, { roleArn: ROLE, images }).describeEndpoint('ep'))?.status, 'UpdateRollbackFailed');
    });
  });

  describe('3. Linear Learner on small data', () => {
    it('when neither is configured, then mini_batch_size is min(1000, train rows / instances) and feature_dim the feature count, as the SageMaker Python SDK sets them', () => {
      assert.deepEqual(linearLearnerDataHyperparameters({ features: 14, trainRows: 561 }, 1, { wd: '0.03' }), { wd: '0.03', feature_dim: '14', mini_batch_size: '561' });
      assert.equal(linearLearnerDataHyperparameters({ features: 14, trainRows: 561 }, 2, {}).mini_batch_size, '280');
      assert.equal(linearLearnerDataHyperparameters({ features: 14, trainRows: 50_000 }, 1, {}).mini_batch_size, '1000');
      assert.equal(linearLearnerDataHyperparameters({ features: 14, trainRows: 561 }, 1, { mini_batch_size: '64' }).mini_batch_size, '64');
    });

    it('when a Linear Learner training job starts, then it gets feature_dim and mini_batch_size from the run feature schema; XGBoost gets neither', async () => {
      const schema = { schemaVersion: 1, features: Array.from({ length: 14 }, (_, i) => ({ name: `f${i}` })), split: { rows: { train: 561, validation: 120, test: 120 } } };
      const started: TrainingJobSpec[] = [];
      const backend = {
        objectStore: { get: async () => Buffer.from(JSON.stringify(schema)) },
        jobs: {
          startTrainingJob: async (spec: TrainingJobSpec) => (started.push(spec), { alreadyExisted: false }),
          describeJob: async () => ({ jobName: 'j', kind: 'training', status: 'Completed', secondaryStatus: 'Completed', creationTime: '', resources: { instanceType: 'ml.m5.large', instanceCount: 1 }, finalMetrics: [], modelArtifactUri: 's3://b/m.tar.gz' }),
          stopJob: async () => undefined,
        },
      } as unknown as Backend;
      const { runTrainingJob } = createTrainingJobActivities(backend, { pollIntervalMs: 1 });
      for (const family of ['linear-learner', 'xgboost'] as const) {
        await runInActivity(quietActivityEnvironment(), () =>
          runTrainingJob({
            jobName: `train-${family}`,
            family,
            hyperparameters: { predictor_type: 'regressor' },
            channels: { train: 's3://b/train/', validation: 's3://b/validation/', test: 's3://b/test/' },
            featureSchemaUri: 's3://b/schema/feature-schema.json',
            outputPath: 's3://b/models',
            resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
            maxRuntimeSeconds: 60,
          }),
        );
      }
      assert.deepEqual(started[0]!.hyperparameters, { predictor_type: 'regressor', feature_dim: '14', mini_batch_size: '561' });
      assert.deepEqual(started[1]!.hyperparameters, { predictor_type: 'regressor' });
    });
  });

  describe('4. failure messages', () => {
    it("when a processing job fails, then its reason is the container's ExitMessage (file, column, line), not SageMaker's generic FailureReason", async () => {
      const { client } = fakeClient<SageMakerClient>({
        DescribeProcessingJob: () => ({
          ProcessingJobStatus: 'Failed',
          FailureReason: 'AlgorithmError: See job logs for more information',
          ExitMessage: "ClientError: data.csv: column 'Price', line 7: 'abc' is not a number",
          CreationTime: new Date(),
        }),
      });
      const runner = new AwsJobRunner({ sagemaker: client, objectStore: {} as AwsObjectStore, roleArn: ROLE, images, volumeSizeGb: 30 });
      assert.equal((await runner.describeJob('processing', 'p1'))?.failureReason, "ClientError: data.csv: column 'Price', line 7: 'abc' is not a number");
    });
  });

  describe('7. quotas', () => {
    it('when SageMaker answers ResourceLimitExceeded, then the failure is permanent and names the quota to raise', () => {
      const err = toActivityError(
        awsError('ResourceLimitExceeded', "The account-level service limit 'ml.m5.large for endpoint usage' is 0 Instances, with current utilization of 0 Instances and a request delta of 1 Instances."),
        'SageMaker CreateEndpoint mlops-xgboost',
      );
      assert.ok(err instanceof ApplicationFailure && err.nonRetryable && err.type === ErrorType.BackendMisconfigured);
      assert.match(err.message, /quota 'ml\.m5\.large for endpoint usage'/);
    });
  });

  describe('9. regions', () => {
    it("when the region is one the SDK lists (me-central-1, il-central-1, eu-south-2, eu-central-2, us-gov-east-1), then both built-in images resolve", () => {
      for (const region of ['me-central-1', 'il-central-1', 'eu-south-2', 'eu-central-2', 'us-gov-east-1', 'ap-southeast-3', 'ca-west-1']) {
        assert.ok(builtInImage('xgboost', region), `xgboost in ${region}`);
        assert.ok(builtInImage('linear-learner', region), `linear-learner in ${region}`);
      }
      assert.equal(builtInImage('xgboost', 'me-central-1'), '272398656194.dkr.ecr.me-central-1.amazonaws.com/sagemaker-xgboost:1.7-1');
      assert.equal(builtInImage('linear-learner', 'ap-northeast-3'), '867004704886.dkr.ecr.ap-northeast-3.amazonaws.com/linear-learner:1', 'the SDK table, not an older account');
    });

    it('when an override points at the built-in image of such a region, then it is recognised as built-in: no MetricDefinitions, no test channel', () => {
      const override = resolveImages({ region: 'us-east-1', roleArn: ROLE, overrides: { xgboost: '272398656194.dkr.ecr.me-central-1.amazonaws.com/sagemaker-xgboost:1.7-1' } });
      assert.ok(builtInContract('xgboost', override.xgboost));
      const request = trainingJobRequest(trainingSpec('xgboost'), { roleArn: ROLE, images: override, volumeSizeGb: 30, controls: {} });
      assert.equal(request.AlgorithmSpecification?.MetricDefinitions, undefined);
      assert.deepEqual(request.InputDataConfig?.map((c) => c.ChannelName), ['train', 'validation']);
    });
  });

  describe('enterprise controls', () => {
    const controls: AwsControls = {
      volumeKmsKeyId: 'arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555',
      outputKmsKeyId: 'alias/mlops-output',
      subnets: ['subnet-0123456789abcdef0'],
      securityGroupIds: ['sg-0123456789abcdef0'],
      networkIsolation: true,
      interContainerEncryption: true,
      tags: { team: 'ml', 'cost-center': '42' },
    };
    const ctx = { roleArn: ROLE, images, volumeSizeGb: 30, controls };
    const vpc = { Subnets: controls.subnets, SecurityGroupIds: controls.securityGroupIds };
    const hasTags = (tags: { Key?: string; Value?: string }[] | undefined) => ['team=ml', 'cost-center=42'].every((t) => (tags ?? []).some((x) => `${x.Key}=${x.Value}` === t));

    it('when the controls are set, then every job request carries the keys, the VPC, isolation, encryption and the tags', () => {
      const training = trainingJobRequest(trainingSpec('xgboost'), ctx);
      assert.equal(training.ResourceConfig?.VolumeKmsKeyId, controls.volumeKmsKeyId);
      assert.equal(training.OutputDataConfig?.KmsKeyId, controls.outputKmsKeyId);
      assert.deepEqual(training.VpcConfig, vpc);
      assert.equal(training.EnableNetworkIsolation, true);
      assert.equal(training.EnableInterContainerTrafficEncryption, true);
      assert.ok(hasTags(training.Tags) && training.Tags?.some((t) => t.Key === 'mlops:family'));

      const processing = processingJobRequest(
        { jobName: 'p', image: 'preprocess', arguments: [], environment: {}, inputs: [], outputs: [{ name: 'o', s3Uri: 's3://b/o/', localPath: '/opt/ml/processing/output' }], resources: { instanceType: 'ml.t3.medium', instanceCount: 1 }, maxRuntimeSeconds: 60 },
        ctx,
      );
      assert.equal(processing.ProcessingResources?.ClusterConfig?.VolumeKmsKeyId, controls.volumeKmsKeyId);
      assert.equal(processing.ProcessingOutputConfig?.KmsKeyId, controls.outputKmsKeyId);
      assert.deepEqual(processing.NetworkConfig, { VpcConfig: vpc, EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true });
      assert.ok(hasTags(processing.Tags));

      const transform = transformJobRequest(transformSpec, ctx);
      assert.equal(transform.TransformResources?.VolumeKmsKeyId, controls.volumeKmsKeyId);
      assert.equal(transform.TransformOutput?.KmsKeyId, controls.outputKmsKeyId);
      assert.equal(transform.DataCaptureConfig?.KmsKeyId, controls.outputKmsKeyId);
      assert.ok(hasTags(transform.Tags));

      const model = modelRequest('m', 'xgboost', 's3://b/model.tar.gz', ctx);
      assert.deepEqual(model.VpcConfig, vpc);
      assert.equal(model.EnableNetworkIsolation, true);
      assert.ok(hasTags(model.Tags));
    });

    it('when the controls are set, then endpoint configs, endpoints, model packages and S3 writes carry them too', async () => {
      const configs = new Set<string>();
      const sm = fakeClient<SageMakerClient>({
        DescribeModel: () => ({ PrimaryContainer: { ModelDataUrl: 's3://b/model.tar.gz' } }),
        DescribeEndpointConfig: (input) => {
          if (!configs.has(String(input.EndpointConfigName))) notFound();
          return { EndpointConfigName: input.EndpointConfigName, ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'm', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }] };
        },
        CreateEndpointConfig: (input) => (configs.add(String(input.EndpointConfigName)), {}),
        DescribeEndpoint: notFound,
        CreateEndpoint: () => ({}),
        DescribeModelPackageGroup: () => ({}),
        ListModelPackages: () => ({ ModelPackageSummaryList: [] }),
        CreateModelPackage: () => ({ ModelPackageArn: 'arn:aws:sagemaker:eu-west-1:111122223333:model-package/mlops-xgboost/1' }),
        DescribeModelPackage: () => ({ ModelPackageVersion: 1, CustomerMetadataProperties: { 'mlops:record-chunks': '0' } }),
      });
      const hosting = new AwsModelHosting(sm.client, { roleArn: ROLE, images, controls });
      await hosting.createEndpointConfig({
        endpointConfigName: 'endpoint-config-xgboost-0123456789ab',
        variants: [{ variantName: 'AllTraffic', modelName: 'm', instanceType: 'ml.m5.large', instanceCount: 1 }],
        dataCapture: { enableCapture: true, initialSamplingPercentage: 100, destinationS3Uri: 's3://b/capture', captureModes: ['Input', 'Output'], csvContentTypes: ['text/csv'], jsonContentTypes: [] },
      });
      sm.calls.length = 0;
      await hosting.createEndpoint('mlops-xgboost', 'endpoint-config-xgboost-0123456789ab');
      const registry = new AwsModelRegistry(sm.client, { namePrefix: 'mlops', images, controls });
      await registry
        .registerVersion({ family: 'xgboost', modelName: 'm', artifactUri: 's3://b/model.tar.gz', trainingJobName: 't', workflowId: 'w', runId: 'r', featureSchemaUri: 's3://b/f.json', hyperparameters: {}, dataUri: 's3://b/d.csv' })
        .catch(() => undefined);
      const createEndpoint = sm.calls.find((c) => c.command === 'CreateEndpoint')?.input as { Tags?: { Key: string; Value: string }[] } | undefined;
      assert.ok(createEndpoint && hasTags(createEndpoint.Tags));
      const pkg = sm.calls.find((c) => c.command === 'CreateModelPackage')?.input as { Tags?: { Key: string; Value: string }[] } | undefined;
      assert.ok(pkg && hasTags(pkg.Tags));

      const again = fakeClient<SageMakerClient>({ DescribeModel: () => ({ PrimaryContainer: { ModelDataUrl: 's3://b/model.tar.gz' } }), DescribeEndpointConfig: notFound, CreateEndpointConfig: () => ({}) });
      await new AwsModelHosting(again.client, { roleArn: ROLE, images, controls }).createEndpointConfig({
        endpointConfigName: 'c',
        variants: [{ variantName: 'AllTraffic', modelName: 'm', instanceType: 'ml.m5.large', instanceCount: 1 }],
        dataCapture: { enableCapture: true, initialSamplingPercentage: 100, destinationS3Uri: 's3://b/capture', captureModes: ['Input'], csvContentTypes: ['text/csv'], jsonContentTypes: [] },
      });
      const endpointConfig = again.calls.find((c) => c.command === 'CreateEndpointConfig')!.input as { KmsKeyId?: string; DataCaptureConfig?: { KmsKeyId?: string }; Tags?: { Key: string; Value: string }[] };
      assert.equal(endpointConfig.KmsKeyId, controls.volumeKmsKeyId);
      assert.equal(endpointConfig.DataCaptureConfig?.KmsKeyId, controls.outputKmsKeyId);
      assert.ok(hasTags(endpointConfig.Tags));

      const s3 = fakeClient<S3Client>({ PutObject: () => ({}), HeadObject: () => ({ ContentLength: 1, ETag: '"e"' }) });
      await new AwsObjectStore(s3.client, 1000, controls.outputKmsKeyId).put('s3://bucket/k.json', '{}');
      assert.deepEqual(
        (({ ServerSideEncryption, SSEKMSKeyId }) => ({ ServerSideEncryption, SSEKMSKeyId }))(s3.calls.find((c) => c.command === 'PutObject')!.input),
        { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: controls.outputKmsKeyId },
      );
    });

    it('when the MLOPS_AWS_* control settings are set, then the backend gets them; a VPC needs subnets and security groups together', () => {
      const env = {
        MLOPS_BACKEND: 'aws',
        MLOPS_AWS_ROLE_ARN: ROLE,
        MLOPS_AWS_ENDPOINT: 'http://127.0.0.1:1',
        MLOPS_AWS_VOLUME_KMS_KEY_ID: 'alias/vol',
        MLOPS_AWS_OUTPUT_KMS_KEY_ID: 'alias/out',
        MLOPS_AWS_SUBNETS: 'subnet-0123456789abcdef0, subnet-0123456789abcdef1',
        MLOPS_AWS_SECURITY_GROUP_IDS: 'sg-0123456789abcdef0',
        MLOPS_AWS_NETWORK_ISOLATION: 'true',
        MLOPS_AWS_INTER_CONTAINER_ENCRYPTION: 'TRUE',
        MLOPS_AWS_TAGS: 'team=ml,cost-center=42',
      };
      const config = parseConfig(env, '/tmp');
      assert.deepEqual(awsControls(config), {
        volumeKmsKeyId: 'alias/vol',
        outputKmsKeyId: 'alias/out',
        subnets: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
        securityGroupIds: ['sg-0123456789abcdef0'],
        networkIsolation: true,
        interContainerEncryption: true,
        tags: { team: 'ml', 'cost-center': '42' },
      });
      assert.equal(createBackend(config).name, 'aws');
      assert.throws(() => parseConfig({ ...env, MLOPS_AWS_SECURITY_GROUP_IDS: '' }, '/tmp'), /MLOPS_AWS_SUBNETS \/ MLOPS_AWS_SECURITY_GROUP_IDS: set both/);
      assert.throws(() => parseConfig({ ...env, MLOPS_AWS_TAGS: 'aws:reserved=x' }, '/tmp'), /MLOPS_AWS_TAGS/);
      assert.throws(() => parseConfig({ ...env, MLOPS_AWS_OUTPUT_KMS_KEY_ID: 'not a key' }, '/tmp'), /MLOPS_AWS_OUTPUT_KMS_KEY_ID/);
    });
  });
});
