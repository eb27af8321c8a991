import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { AwsJobRunner } from '../../activities/backends/aws/job-runner';
import { AwsModelHosting, EndpointBusyError } from '../../activities/backends/aws/model-hosting';
import { HostingError } from '../../activities/backends/errors';
import { metricsFromFinalMetricData } from '../../activities/training/train';
import { decodeRecord, encodeRecord } from '../../activities/backends/aws/model-registry';
import { toActivityError } from '../../activities/backends/aws/aws-errors';
import { builtInContract, builtInImage, resolveImages } from '../../activities/backends/aws/images';
import type { AwsObjectStore } from '../../activities/backends/aws/object-store';
import { createBackend } from '../../activities/backends';
import { parseConfig } from '../../common/config/parse';
import { ErrorType } from '../../common/errors';
import packageJson from '../../package.json';

/** An SDK error as the v3 clients throw them: a name, a message and $metadata. */
function awsError(name: string, message: string, httpStatusCode = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode } });
}

type Handler = (input: Record<string, unknown>) => unknown;

/** A SageMaker client whose `send` answers by command name; it records every call. */
function fakeSageMaker(handlers: Record<string, Handler>): { client: SageMakerClient; calls: { command: string; input: Record<string, unknown> }[] } {
  const calls: { command: string; input: Record<string, unknown> }[] = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name.replace(/Command$/, '');
      calls.push({ command: name, input: command.input });
      const handler = handlers[name];
      if (!handler) throw new Error(`fake SageMaker: unexpected ${name}`);
      return handler(command.input);
    },
  } as unknown as SageMakerClient;
  return { client, calls };
}

const ROLE = 'arn:aws:iam::111122223333:role/sm';
const images = resolveImages({ region: 'eu-west-1', roleArn: ROLE });
const store = { list: async () => ['s3://b/x'], hasObjectsUnder: async () => true, head: async () => ({ size: 1, etag: 'e', lastModified: '' }) } as unknown as AwsObjectStore;

describe('aws backend (fake SDK clients)', () => {
  describe('images', () => {
    it('uses the built-in images of the region, the project image in the role account, and overrides', () => {
      assert.equal(images.xgboost, '141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1');
      assert.equal(images['linear-learner'], '438346466558.dkr.ecr.eu-west-1.amazonaws.com/linear-learner:1');
      // Tagged with the project version, as `make image-push` pushes it.
      assert.equal(images.preprocess, `111122223333.dkr.ecr.eu-west-1.amazonaws.com/temporal-mlops-algorithms:${packageJson.version}`);
      assert.equal(images['model-monitor'], images.preprocess);
      assert.equal(builtInImage('xgboost', 'cn-north-1'), '450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-xgboost:1.7-1');
      const custom = resolveImages({ region: 'us-east-1', roleArn: ROLE, overrides: { preprocess: 'img/pre:1' } });
      assert.equal(custom['model-monitor'], 'img/pre:1');
      assert.throws(() => resolveImages({ region: 'xx-nowhere-1', roleArn: ROLE }), /MLOPS_AWS_XGBOOST_IMAGE/);
    });
  });

  describe('errors', () => {
    it('validation errors become non-retryable InvalidInput naming the operation; throttling stays retryable', () => {
      const invalid = toActivityError(awsError('ValidationException', 'Value ml.x1 for InstanceType is invalid'), 'SageMaker CreateTrainingJob t1');
      assert.ok(invalid instanceof ApplicationFailure);
      assert.equal(invalid.type, ErrorType.InvalidInput);
      assert.equal(invalid.nonRetryable, true);
      assert.match(invalid.message, /SageMaker CreateTrainingJob t1 was rejected by AWS as invalid \(ValidationException\): Value ml\.x1/);
      const denied = toActivityError(awsError('AccessDeniedException', 'no'), 'op');
      assert.equal((denied as ApplicationFailure).type, ErrorType.BackendMisconfigured);
      const throttled = awsError('ThrottlingException', 'Rate exceeded');
      assert.equal(toActivityError(throttled, 'op'), throttled);
      assert.ok(!(toActivityError(awsError('InternalFailure', 'oops', 500), 'op') instanceof ApplicationFailure));
    });
  });

  describe('job runner', () => {
    it('a create that loses a race (ResourceInUse) adopts the job that exists now', async () => {
      let created = false;
      const { client } = fakeSageMaker({
        DescribeTrainingJob: () => {
          if (!created) throw awsError('ValidationException', 'Requested resource not found.');
          return { TrainingJobName: 't1', TrainingJobStatus: 'InProgress', SecondaryStatus: 'Downloading', CreationTime: new Date(), ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1 } };
        },
        CreateTrainingJob: () => {
          created = true; // another worker's create won
          throw awsError('ResourceInUse', 'Training job names must be unique within an AWS account and region');
        },
      });
      const runner = new AwsJobRunner({ sagemaker: client, objectStore: store, roleArn: ROLE, images, volumeSizeGb: 30 });
      const spec = { jobName: 't1', image: 'xgboost' as const, metricDefinitions: [], hyperparameters: {}, channels: [{ name: 'train', s3Uri: 's3://b/x/', contentType: 'text/csv' }], outputPath: 's3://b/m', resources: { instanceType: 'ml.m5.large', instanceCount: 1 }, maxRuntimeSeconds: 60 };
      assert.deepEqual(await runner.startTrainingJob(spec), { alreadyExisted: true });
    });

    it('a ValidationException from CreateTrainingJob is a non-retryable InvalidInput', async () => {
      const { client } = fakeSageMaker({
        DescribeTrainingJob: () => {
          throw awsError('ValidationException', 'Requested resource not found.');
        },
        CreateTrainingJob: () => {
          throw awsError('ValidationException', "1 validation error detected: Value '0' at 'resourceConfig.volumeSizeInGB' failed to satisfy constraint");
        },
      });
      const runner = new AwsJobRunner({ sagemaker: client, objectStore: store, roleArn: ROLE, images, volumeSizeGb: 30 });
      const spec = { jobName: 't2', image: 'xgboost' as const, metricDefinitions: [], hyperparameters: {}, channels: [{ name: 'train', s3Uri: 's3://b/x/', contentType: 'text/csv' }], outputPath: 's3://b/m', resources: { instanceType: 'ml.m5.large', instanceCount: 1 }, maxRuntimeSeconds: 60 };
      await assert.rejects(runner.startTrainingJob(spec), (err: unknown) => err instanceof ApplicationFailure && err.type === ErrorType.InvalidInput && err.nonRetryable && /resourceConfig\.volumeSizeInGB/.test(err.message));
    });

    it('when an instance type is not one of the job kind, then the job is refused before any SageMaker call, naming the setting (ml.t3.medium is no transform type)', async () => {
      const { client, calls } = fakeSageMaker({});
      const runner = new AwsJobRunner({ sagemaker: client, objectStore: store, roleArn: ROLE, images, volumeSizeGb: 30 });
      await assert.rejects(
        runner.startTransformJob({
          jobName: 'baseline-model-xgboost-0123456789ab-scoring',
          image: 'xgboost',
          modelArtifactUri: 's3://b/model.tar.gz',
          input: { s3Uri: 's3://b/in/', contentType: 'text/csv', splitType: 'Line' },
          output: { s3OutputPath: 's3://b/out/', accept: 'text/csv', assembleWith: 'Line' },
          dataProcessing: { inputFilter: '$[1:]', joinSource: 'Input', outputFilter: '$[0,-1]' },
          resources: { instanceType: 'ml.t3.medium', instanceCount: 1 },
          maxRuntimeSeconds: 60,
        }),
        (err: unknown) => err instanceof ApplicationFailure && err.type === ErrorType.InvalidInput && err.nonRetryable && /resources\.instanceType: 'ml\.t3\.medium' is not a SageMaker transform instance type/.test(err.message),
      );
      assert.deepEqual(calls, []);
    });

    it('maps a failed training job (status, secondary status, reason, final metrics) and stops only running jobs', async () => {
      const { client, calls } = fakeSageMaker({
        DescribeTrainingJob: (input) =>
          input.TrainingJobName === 'failed'
            ? {
                TrainingJobStatus: 'Failed',
                SecondaryStatus: 'Failed',
                FailureReason: 'AlgorithmError: column price is missing',
                CreationTime: new Date('2026-01-01T00:00:00Z'),
                TrainingStartTime: new Date('2026-01-01T00:01:00Z'),
                TrainingEndTime: new Date('2026-01-01T00:05:00Z'),
                ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 2 },
                FinalMetricDataList: [{ MetricName: 'validation:rmse', Value: 3120.4, Timestamp: new Date() }],
                ModelArtifacts: { S3ModelArtifacts: 's3://b/m/failed/output/model.tar.gz' },
              }
            : { TrainingJobStatus: 'InProgress', SecondaryStatus: 'Training', CreationTime: new Date(), ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1 } },
        StopTrainingJob: () => ({}),
      });
      const runner = new AwsJobRunner({ sagemaker: client, objectStore: store, roleArn: ROLE, images, volumeSizeGb: 30 });
      const d = await runner.describeJob('training', 'failed');
      assert.deepEqual(d, {
        jobName: 'failed',
        kind: 'training',
        status: 'Failed',
        secondaryStatus: 'Failed',
        failureReason: 'AlgorithmError: column price is missing',
        creationTime: '2026-01-01T00:00:00.000Z',
        startTime: '2026-01-01T00:01:00.000Z',
        endTime: '2026-01-01T00:05:00.000Z',
        resources: { instanceType: 'ml.m5.xlarge', instanceCount: 2 },
        finalMetrics: [{ name: 'validation:rmse', value: 3120.4 }],
      });
      await runner.stopJob('training', 'failed');
      await runner.stopJob('training', 'running');
      assert.deepEqual(calls.filter((c) => c.command === 'StopTrainingJob').map((c) => c.input.TrainingJobName), ['running']);
    });
  });

  it('job runner: a running job’s description is reused for minDescribeIntervalMs; a finished one is not cached', async () => {
    let status = 'InProgress';
    const { client, calls } = fakeSageMaker({
      DescribeTrainingJob: () => ({ TrainingJobStatus: status, SecondaryStatus: 'Training', CreationTime: new Date(), ResourceConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1 } }),
    });
    const runner = new AwsJobRunner({ sagemaker: client, objectStore: store, roleArn: ROLE, images, volumeSizeGb: 30, minDescribeIntervalMs: 60_000 });
    await runner.describeJob('training', 'slow');
    await runner.describeJob('training', 'slow');
    assert.equal(calls.length, 1);
    const fresh = new AwsJobRunner({ sagemaker: client, objectStore: store, roleArn: ROLE, images, volumeSizeGb: 30, minDescribeIntervalMs: 60_000 });
    status = 'Completed';
    await fresh.describeJob('training', 'done');
    await fresh.describeJob('training', 'done');
    assert.equal(calls.length, 3);
  });

  describe('model hosting', () => {
    const endpoint = (config: string, status: string, pending?: string) => ({
      EndpointName: 'ep',
      EndpointConfigName: config,
      EndpointStatus: status,
      CreationTime: new Date(),
      LastModifiedTime: new Date(),
      ProductionVariants: [{ VariantName: 'AllTraffic', CurrentInstanceCount: 1, DesiredInstanceCount: 1 }],
      ...(pending ? { PendingDeploymentSummary: { EndpointConfigName: pending } } : {}),
    });
    const config = (name: string) => ({ EndpointConfigName: name, ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: `model-${name}`, InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }] });

    it('updateEndpoint calls UpdateEndpoint for a new config (moto has no UpdateEndpoint), not again while it is pending, and maps the description', async () => {
      let current = endpoint('c1', 'InService');
      const { client, calls } = fakeSageMaker({
        DescribeEndpointConfig: (input) => config(String(input.EndpointConfigName)),
        DescribeEndpoint: () => current,
        UpdateEndpoint: (input) => {
          current = endpoint('c1', 'Updating', String(input.EndpointConfigName));
          return {};
        },
      });
      const hosting = new AwsModelHosting(client, { roleArn: ROLE, images });
      await hosting.updateEndpoint('ep', 'c2');
      await hosting.updateEndpoint('ep', 'c2'); // a retried activity
      assert.equal(calls.filter((c) => c.command === 'UpdateEndpoint').length, 1);
      assert.deepEqual(calls.find((c) => c.command === 'UpdateEndpoint')?.input, { EndpointName: 'ep', EndpointConfigName: 'c2', RetainAllVariantProperties: false });
      const d = await hosting.describeEndpoint('ep');
      assert.equal(d?.status, 'Updating');
      assert.deepEqual(d?.variants, [{ variantName: 'AllTraffic', modelName: 'model-c1', currentInstanceCount: 1, desiredInstanceCount: 1 }]);
    });

    it('a Failed endpoint is not updated (SageMaker allows only DeleteEndpoint on it); RollingBack reads as Updating', async () => {
      const current = endpoint('c1', 'Failed');
      const { client, calls } = fakeSageMaker({ DescribeEndpointConfig: (input) => config(String(input.EndpointConfigName)), DescribeEndpoint: () => current });
      const hosting = new AwsModelHosting(client, { roleArn: ROLE, images });
      await assert.rejects(hosting.updateEndpoint('ep', 'c2'), (err: unknown) => err instanceof HostingError && err.kind === 'Conflict' && /DeleteEndpoint/.test(err.message));
      assert.equal(calls.filter((c) => c.command === 'UpdateEndpoint').length, 0);
      const rolling = fakeSageMaker({ DescribeEndpointConfig: (input) => config(String(input.EndpointConfigName)), DescribeEndpoint: () => endpoint('c1', 'RollingBack') });
      assert.equal((await new AwsModelHosting(rolling.client, { roleArn: ROLE, images }).describeEndpoint('ep'))?.status, 'Updating');
    });

    it('an endpoint busy with another deployment is a retryable error, also when SageMaker says so with a ValidationException', async () => {
      let status = 'Updating';
      const { client, calls } = fakeSageMaker({
        DescribeEndpointConfig: (input) => config(String(input.EndpointConfigName)),
        DescribeEndpoint: () => endpoint('c1', status, status === 'Updating' ? 'c-other' : undefined),
        UpdateEndpoint: () => {
          throw awsError('ValidationException', 'Cannot update in-progress endpoint "arn:aws:sagemaker:eu-west-1:111122223333:endpoint/ep".');
        },
      });
      const hosting = new AwsModelHosting(client, { roleArn: ROLE, images });
      for (const next of ['Updating', 'InService']) {
        status = next;
        await assert.rejects(hosting.updateEndpoint('ep', 'c2'), (err: unknown) => err instanceof EndpointBusyError && !(err instanceof ApplicationFailure));
      }
      assert.equal(calls.filter((c) => c.command === 'UpdateEndpoint').length, 1, 'UpdateEndpoint is only tried on an InService endpoint');
    });

    it('deleteEndpoint calls DeleteEndpoint and ignores an endpoint that is gone', async () => {
      let exists = true;
      const { client, calls } = fakeSageMaker({
        DeleteEndpoint: () => {
          if (!exists) throw awsError('ValidationException', 'Could not find endpoint "ep".');
          exists = false;
          return {};
        },
      });
      const hosting = new AwsModelHosting(client, { roleArn: ROLE, images });
      await hosting.deleteEndpoint('ep');
      await hosting.deleteEndpoint('ep');
      assert.equal(calls.length, 2);
    });
  });

  describe('built-in algorithm contract', () => {
    const channels = ['train', 'validation', 'test'].map((name) => ({ name, s3Uri: `s3://b/${name}/`, contentType: 'text/csv' }));
    const definitions = [{ name: 'validation:rmse', regex: 'validation-rmse:(\\S+)' }];
    const trainingRequest = async (family: 'xgboost' | 'linear-learner', imageSet = images) => {
      const { client, calls } = fakeSageMaker({
        DescribeTrainingJob: () => {
          throw awsError('ValidationException', 'Requested resource not found.');
        },
        CreateTrainingJob: () => ({}),
      });
      const runner = new AwsJobRunner({ sagemaker: client, objectStore: store, roleArn: ROLE, images: imageSet, volumeSizeGb: 30 });
      await runner.startTrainingJob({ jobName: 't3', image: family, metricDefinitions: definitions, hyperparameters: {}, channels, outputPath: 's3://b/m', resources: { instanceType: 'ml.m5.large', instanceCount: 1 }, maxRuntimeSeconds: 60 });
      return calls.find((c) => c.command === 'CreateTrainingJob')!.input as { AlgorithmSpecification: { MetricDefinitions?: unknown }; InputDataConfig: { ChannelName: string }[] };
    };

    it('recognises the built-in images of every region and not a custom image', () => {
      assert.ok(builtInContract('xgboost', images.xgboost));
      assert.ok(builtInContract('linear-learner', images['linear-learner']));
      assert.ok(builtInContract('xgboost', builtInImage('xgboost', 'cn-north-1')!));
      assert.equal(builtInContract('xgboost', images['linear-learner']), undefined);
      assert.equal(builtInContract('xgboost', '111122223333.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1'), undefined, 'a copy in another account is a custom image');
    });

    it('CreateTrainingJob sends a built-in image no MetricDefinitions, and built-in XGBoost no test channel', async () => {
      const xgb = await trainingRequest('xgboost');
      assert.equal(xgb.AlgorithmSpecification.MetricDefinitions, undefined);
      assert.deepEqual(xgb.InputDataConfig.map((c) => c.ChannelName), ['train', 'validation']);
      const ll = await trainingRequest('linear-learner');
      assert.equal(ll.AlgorithmSpecification.MetricDefinitions, undefined);
      assert.deepEqual(ll.InputDataConfig.map((c) => c.ChannelName), ['train', 'validation', 'test']);
      const custom = await trainingRequest('xgboost', { ...images, xgboost: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/my-xgboost:2' });
      assert.deepEqual(custom.AlgorithmSpecification.MetricDefinitions, [{ Name: 'validation:rmse', Regex: 'validation-rmse:(\\S+)' }]);
      assert.equal(custom.InputDataConfig.length, 3);
    });

    it('a built-in Linear Learner transform with a CSV join runs without the join, asking for JSON Lines into a side prefix (the backend joins afterwards); XGBoost keeps the CSV join', async () => {
      const requests: Record<string, { TransformOutput: { Accept: string; S3OutputPath: string }; DataProcessing: Record<string, string> }> = {};
      const plans: string[] = [];
      const writingStore = { ...store, put: async (uri: string) => void plans.push(uri) } as unknown as AwsObjectStore;
      for (const family of ['xgboost', 'linear-learner'] as const) {
        const { client, calls } = fakeSageMaker({
          DescribeTransformJob: () => {
            throw awsError('ValidationException', 'Could not find requested job with name t4');
          },
          DescribeModel: () => {
            throw awsError('ValidationException', 'Could not find model "t4".');
          },
          CreateModel: () => ({}),
          CreateTransformJob: () => ({}),
        });
        const runner = new AwsJobRunner({ sagemaker: client, objectStore: writingStore, roleArn: ROLE, images, volumeSizeGb: 30 });
        await runner.startTransformJob({
          jobName: 't4',
          image: family,
          modelArtifactUri: 's3://b/model.tar.gz',
          input: { s3Uri: 's3://b/in/', contentType: 'text/csv', splitType: 'Line' },
          output: { s3OutputPath: 's3://b/out/', accept: 'text/csv', assembleWith: 'Line' },
          dataProcessing: { inputFilter: '$[1:]', joinSource: 'Input', outputFilter: '$[0,-1]' },
          resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
          maxRuntimeSeconds: 60,
        });
        requests[family] = calls.find((c) => c.command === 'CreateTransformJob')!.input as (typeof requests)[string];
      }
      assert.deepEqual(requests.xgboost!.DataProcessing, { InputFilter: '$[1:]', JoinSource: 'Input', OutputFilter: '$[0,-1]' });
      assert.equal(requests.xgboost!.TransformOutput.Accept, 'text/csv');
      assert.equal(requests.xgboost!.TransformOutput.S3OutputPath, 's3://b/out/');
      assert.deepEqual(requests['linear-learner']!.DataProcessing, { InputFilter: '$[1:]', JoinSource: 'None', OutputFilter: '$' });
      assert.equal(requests['linear-learner']!.TransformOutput.Accept, 'application/jsonlines');
      assert.equal(requests['linear-learner']!.TransformOutput.S3OutputPath, 's3://b/out.unjoined/');
      assert.deepEqual(plans, ['s3://b/out.unjoined/_mlops-join-plan.json']);
    });

    it('final metrics as the built-in algorithms report them give the regression metrics (RMSE from MSE, MAE from absolute_loss, no R2 where none is reported)', () => {
      const xgb = metricsFromFinalMetricData('xgboost', 'j', [
        { name: 'train:rmse', value: 1500 },
        { name: 'validation:rmse', value: 2250 },
        { name: 'validation:mae', value: 1690 },
        { name: 'validation:r2', value: 0.95 },
      ]);
      assert.deepEqual(xgb, { validation: { rmse: 2250, mae: 1690, r2: 0.95 } });
      const ll = metricsFromFinalMetricData('linear-learner', 'j', [
        { name: 'validation:mse', value: 9_000_000 },
        { name: 'validation:absolute_loss', value: 2300 },
        { name: 'validation:objective_loss', value: 0.1 },
        { name: 'test:mse', value: 16_000_000 },
        { name: 'test:absolute_loss', value: 2100 },
        { name: 'train:progress', value: 100 },
      ]);
      assert.deepEqual(ll, { validation: { rmse: 3000, mae: 2300 }, test: { rmse: 4000, mae: 2100 } });
      assert.throws(
        () => metricsFromFinalMetricData('linear-learner', 'j', [{ name: 'train:progress', value: 100 }]),
        (err: unknown) => err instanceof ApplicationFailure && err.type === ErrorType.JobFailed && /no validation RMSE and MAE \(reported: train:progress\)/.test(err.message),
      );
    });
  });

  describe('registry record', () => {
    it('stores the record in CustomerMetadataProperties within SageMaker limits (50 values of 256 characters from a restricted alphabet) and reads it back', () => {
      const hyperparameters = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`param_${i}`, `{"nested": [${i}, "välue"]}`]));
      const record = { modelName: 'm', artifactUri: 's3://b/k/model.tar.gz', trainingJobName: 'train-xgboost-0123456789ab', workflowId: 'training/b/data.csv@"etag"', runId: 'r', featureSchemaUri: 'f', hyperparameters, updatedAt: 'now' };
      const properties = encodeRecord(record);
      // The constraints of CustomerMetadataKey / CustomerMetadataValue in SageMaker's API model.
      const allowed = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
      assert.ok(Object.keys(properties).length <= 50);
      for (const [key, value] of Object.entries(properties)) {
        assert.ok(key.length >= 1 && key.length <= 128 && allowed.test(key), key);
        assert.ok(value.length >= 1 && value.length <= 256 && allowed.test(value), `${key}=${value}`);
      }
      assert.equal(properties['mlops:training-job'], 'train-xgboost-0123456789ab');
      assert.deepEqual(decodeRecord(properties), record);
      assert.equal(decodeRecord({}), undefined);
    });
  });

  describe('createBackend', () => {
    it('MLOPS_BACKEND=aws builds the aws backend from the MLOPS_AWS_* settings, and needs a role', () => {
      const config = parseConfig({ MLOPS_BACKEND: 'aws', MLOPS_AWS_REGION: 'eu-west-1', MLOPS_AWS_ROLE_ARN: ROLE, MLOPS_AWS_ENDPOINT: 'http://127.0.0.1:1' }, '/tmp');
      assert.equal(config.awsRegion, 'eu-west-1');
      assert.equal(config.awsVolumeSizeGb, 30);
      assert.equal(createBackend(config).name, 'aws');
      assert.throws(() => createBackend(parseConfig({ MLOPS_BACKEND: 'aws' }, '/tmp')), /MLOPS_AWS_ROLE_ARN/);
      assert.throws(() => parseConfig({ MLOPS_AWS_REGION: 'mars' }, '/tmp'), /MLOPS_AWS_REGION/);
    });
  });
});
