/**
 * Issue 16: the paths moto lacks, replayed through the real SDK v3 clients (their whole middleware
 * stack) from a small HTTP fake with real-shaped responses (test/fixtures/aws/responses.json,
 * each with its source), and the registry, hosting and batch-join behaviour on moto.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { S3Client, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, CreateModelPackageCommand, DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SNSClient } from '@aws-sdk/client-sns';
import { ApplicationFailure } from '@temporalio/common';
import { AwsJobRunner } from '../../activities/backends/aws/job-runner';
import { AwsModelHosting } from '../../activities/backends/aws/model-hosting';
import { AwsNotifier } from '../../activities/backends/aws/notifier';
import { AwsObjectNotFoundError, AwsObjectStore } from '../../activities/backends/aws/object-store';
import { resolveImages } from '../../activities/backends/aws/images';
import type { Backend } from '../../activities/backends/types';
import { createEndpointActivities } from '../../activities/inference/endpoints';
import { createRegistryActivities } from '../../activities/registry/model-registry';
import { runJobToCompletion } from '../../activities/shared/run-job';
import { ErrorType } from '../../common/errors';
import { quietActivityEnvironment, runInActivity } from '../helpers/activity-env';
import { recorded, startAwsFake, type AwsFake } from '../helpers/aws-fake';
import { createMotoBackend, MOTO_CREDENTIALS, startMoto, type MotoBackend, type MotoServer } from '../helpers/moto';

const REGION = 'eu-west-1';
const ROLE = 'arn:aws:iam::111122223333:role/sm';
const images = resolveImages({ region: REGION, roleArn: ROLE });
const fakeClientOptions = (fake: AwsFake) => ({ region: REGION, endpoint: fake.url, credentials: MOTO_CREDENTIALS, maxAttempts: 1 });

describe('aws backend day one: the paths moto lacks, through the SDK clients (issue 16)', function () {
  this.timeout(30_000);
  let fake: AwsFake;
  beforeEach(async () => {
    fake = await startAwsFake();
  });
  afterEach(async () => {
    await fake.close();
  });

  const hostingBackend = () => {
    const hosting = new AwsModelHosting(new SageMakerClient(fakeClientOptions(fake)), { roleArn: ROLE, images });
    return { hosting, jobs: {}, autoscaling: {} } as unknown as Backend;
  };
  const NEW_CONFIG = 'endpoint-config-xgboost-bbbbbbbbbbbb';

  it('when SageMaker rolls a failed UpdateEndpoint back to InService with a FailureReason, then step 10 fails for good with that reason and sends UpdateEndpoint once', async () => {
    fake.on('SageMaker.DescribeEndpointConfig', recorded('DescribeEndpointConfig'));
    fake.on('SageMaker.DescribeEndpoint', recorded('DescribeEndpoint.InService'), recorded('DescribeEndpoint.InService'), recorded('DescribeEndpoint.Updating'), recorded('DescribeEndpoint.RolledBack'));
    fake.on('SageMaker.UpdateEndpoint', recorded('UpdateEndpoint'));
    const { deployEndpoint } = createEndpointActivities(hostingBackend(), { pollIntervalMs: 1 });
    await assert.rejects(
      runInActivity(quietActivityEnvironment(), () => deployEndpoint({ endpointName: 'mlops-xgboost', endpointConfigName: NEW_CONFIG })),
      (err: unknown) => err instanceof ApplicationFailure && err.type === ErrorType.DeploymentFailed && err.nonRetryable && /did not pass the ping health check/.test(err.message),
    );
    assert.equal(fake.count('SageMaker.UpdateEndpoint'), 1);
  });

  it('when the endpoint is UpdateRollbackFailed, then it is not deleted (it still serves) and step 10 fails for good', async () => {
    fake.on('SageMaker.DescribeEndpointConfig', recorded('DescribeEndpointConfig'));
    fake.on('SageMaker.DescribeEndpoint', recorded('DescribeEndpoint.UpdateRollbackFailed'));
    fake.on('SageMaker.DeleteEndpoint', { status: 200, body: {} });
    const { deployEndpoint } = createEndpointActivities(hostingBackend(), { pollIntervalMs: 1 });
    await assert.rejects(
      runInActivity(quietActivityEnvironment(), () => deployEndpoint({ endpointName: 'mlops-xgboost', endpointConfigName: NEW_CONFIG })),
      (err: unknown) => err instanceof ApplicationFailure && err.type === ErrorType.DeploymentFailed && err.nonRetryable && /UpdateRollbackFailed/.test(err.message),
    );
    assert.equal(fake.count('SageMaker.DeleteEndpoint'), 0);
    assert.equal(fake.count('SageMaker.UpdateEndpoint'), 0);
  });

  it('when CreateTrainingJob answers ResourceLimitExceeded, then the start fails for good, naming the quota (no 20 retries)', async () => {
    fake.on('SageMaker.DescribeTrainingJob', recorded('ValidationException.NotFound'));
    fake.on('SageMaker.CreateTrainingJob', recorded('ResourceLimitExceeded.CreateTrainingJob'));
    const store = { hasObjectsUnder: async () => true } as unknown as AwsObjectStore;
    const runner = new AwsJobRunner({ sagemaker: new SageMakerClient(fakeClientOptions(fake)), objectStore: store, roleArn: ROLE, images, volumeSizeGb: 30 });
    await assert.rejects(
      runner.startTrainingJob({
        jobName: 'train-xgboost-0123456789ab',
        image: 'xgboost',
        metricDefinitions: [],
        hyperparameters: {},
        channels: [{ name: 'train', s3Uri: 's3://mlops/train/', contentType: 'text/csv' }],
        outputPath: 's3://mlops/models',
        resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
        maxRuntimeSeconds: 60,
      }),
      (err: unknown) => err instanceof ApplicationFailure && err.nonRetryable && err.type === ErrorType.BackendMisconfigured && /'ml\.m5\.large for training job usage'/.test(err.message),
    );
    assert.equal(fake.count('SageMaker.CreateTrainingJob'), 1);
  });

  it("when a monitoring job fails with NoMatch, then the run sees the container's ExitMessage (the monitoring step's NoMatch case), not SageMaker's generic reason", async () => {
    fake.on('SageMaker.DescribeProcessingJob', recorded('DescribeProcessingJob.FailedClientError'));
    const runner = new AwsJobRunner({ sagemaker: new SageMakerClient(fakeClientOptions(fake)), objectStore: {} as AwsObjectStore, roleArn: ROLE, images, volumeSizeGb: 30 });
    await assert.rejects(
      runInActivity(quietActivityEnvironment(), () =>
        runJobToCompletion(runner, { kind: 'processing', jobName: 'monitor-xgboost-0123456789ab', pollIntervalMs: 1, start: async () => ({ alreadyExisted: true }) }),
      ),
      // activities/monitoring/monitor-jobs.ts turns exactly this into "not evaluated" instead of failing the run.
      (err: unknown) => err instanceof ApplicationFailure && /: ClientError: NoMatch: /.test(err.message),
    );
  });

  it('when the worker may not list the bucket, then a missing key (S3 answers 403) reads as absent and the notifier still publishes once and writes its marker', async () => {
    const written = new Set<string>();
    // Route every S3 path through one handler: 403 for what does not exist, the object once written.
    const s3Answer = (req: { method: string; path: string }) => {
      if (req.method === 'PUT') {
        written.add(req.path);
        return recorded('S3.PutObject');
      }
      if (written.has(req.path)) return { status: 200, headers: { 'content-length': '2', etag: '"e"', 'last-modified': new Date().toUTCString() } };
      return req.method === 'HEAD' ? recorded('S3.HeadObject.403') : recorded('S3.GetObject.403');
    };
    const s3 = new S3Client({ ...fakeClientOptions(fake), forcePathStyle: true });
    const store = new AwsObjectStore(s3);
    const published: string[] = [];
    const sns = new SNSClient(fakeClientOptions(fake));
    // Every request of this test goes to one handler (S3 by path, SNS Publish as a form POST to /).
    const route = (req: { method: string; path: string; body: unknown }) => {
      if (req.method === 'POST' && req.path === '/') {
        published.push(String(req.body));
        return { status: 200, headers: { 'content-type': 'text/xml' }, body: '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>' };
      }
      return s3Answer(req);
    };
    const notifier = new AwsNotifier({ sns, topicArn: 'arn:aws:sns:eu-west-1:111122223333:mlops', objectStore: store, deliveredPrefix: 's3://mlops/notifications/delivered' });
    // The fake routes by operation: the handler is installed for every path this test touches.
    const install = (paths: string[]) => {
      for (const p of paths) for (const m of ['HEAD', 'GET', 'PUT', 'POST']) fake.on(`${m} ${p}`, route);
    };
    install(['/', '/mlops/missing.json']);
    assert.equal(await store.head('s3://mlops/missing.json'), undefined);
    await assert.rejects(store.get('s3://mlops/missing.json'), (err: unknown) => err instanceof AwsObjectNotFoundError && /403/.test(err.message));

    const notification = { id: 'training/run-1/model-rejected/xgboost', kind: 'model.rejected', severity: 'warning' as const, subject: 's', message: 'm' };
    const markerPath = `/mlops/notifications/delivered/${createHash('sha256').update(notification.id).digest('hex')}.json`;
    install([markerPath]);
    assert.equal(await notifier.send(notification), true);
    assert.equal(await notifier.send(notification), false, 'the marker now exists: no second message');
    assert.equal(published.length, 1);
    assert.ok(written.has(markerPath));
  });
});

describe('aws backend day one: registry, hosting and the Linear Learner join on moto (issue 16)', () => {
  let moto: MotoServer;
  let aws: MotoBackend;
  before(async () => {
    moto = await startMoto();
    await moto.reset();
    aws = await createMotoBackend(moto, { bucket: 'day-one', namePrefix: 'dayone' });
  });

  const register = (family: 'xgboost' | 'linear-learner', job: string) =>
    aws.backend.registry.registerVersion({
      family,
      modelName: `model-${job}`,
      artifactUri: `s3://day-one/models/${job}/model.tar.gz`,
      trainingJobName: job,
      workflowId: 'training/day-one/data.csv@1',
      runId: 'r',
      featureSchemaUri: 's3://day-one/schema.json',
      hyperparameters: {},
      dataUri: 's3://day-one/data.csv',
      expectedBaselines: {
        dataQuality: { statisticsUri: 's3://day-one/b/dq/statistics.json', constraintsUri: 's3://day-one/b/dq/constraints.json' },
        modelQuality: { statisticsUri: `s3://day-one/b/mq/${family}/statistics.json`, constraintsUri: `s3://day-one/b/mq/${family}/constraints.json` },
      },
    });

  it('when a model package the project did not create is in the group, then listVersions and findPreviousBest skip it', async () => {
    const v1 = await register('xgboost', 'train-xgboost-000000000001');
    await aws.backend.registry.updateVersion('xgboost', v1.version, { status: 'Approved', metrics: { validation: { rmse: 2500, mae: 1800 } } });
    // Made by hand or in Studio: no record of ours.
    await aws.clients.sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: 'dayone-xgboost',
        ModelPackageDescription: 'registered in Studio',
        ModelApprovalStatus: 'Approved',
        InferenceSpecification: { Containers: [{ Image: aws.images.xgboost, ModelDataUrl: 's3://day-one/other/model.tar.gz' }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] },
      }),
    );
    const versions = await aws.backend.registry.listVersions('xgboost');
    assert.deepEqual(versions.map((v) => v.trainingJobName), ['train-xgboost-000000000001']);
    const registry = createRegistryActivities(aws.backend);
    assert.deepEqual(await registry.findPreviousBest({ family: 'xgboost', excludeVersion: 99 }), { version: v1.version, validationRmse: 2500 });
    assert.equal(await aws.backend.registry.getVersion('xgboost', 2), undefined, 'the foreign package is no version of ours');
  });

  it('when versions are listed, then no DescribeModelPackage call is made per version (one Search page holds them)', async () => {
    await register('xgboost', 'train-xgboost-000000000002');
    await register('xgboost', 'train-xgboost-000000000003');
    const sm = aws.clients.sagemaker;
    const original = sm.send.bind(sm);
    const commands: string[] = [];
    (sm as unknown as { send: typeof original }).send = ((command: { constructor: { name: string } }, ...rest: unknown[]) => {
      commands.push(command.constructor.name);
      return (original as (...args: unknown[]) => unknown)(command, ...rest);
    }) as typeof original;
    try {
      const versions = await aws.backend.registry.listVersions('xgboost');
      assert.equal(versions.length, 3);
      assert.equal(commands.filter((c) => c === 'DescribeModelPackageCommand').length, 0, commands.join(', '));
    } finally {
      (sm as unknown as { send: typeof original }).send = original;
    }
  });

  it("when a Linear Learner version is registered, then its package answers LL's JSON response types and carries ModelMetrics (the baselines' locations)", async () => {
    const v = await register('linear-learner', 'train-linear-learner-000000000001');
    const [summary] = await aws.backend.registry.listVersions('linear-learner');
    assert.equal(summary?.version, v.version);
    const arn = `arn:aws:sagemaker:us-east-1:123456789012:model-package/dayone-linear-learner/${v.version}`;
    const d = await aws.clients.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
    assert.deepEqual(d.InferenceSpecification?.SupportedResponseMIMETypes, ['application/jsonlines', 'application/json']);
    assert.equal(d.ModelMetrics?.ModelQuality?.Statistics?.S3Uri, 's3://day-one/b/mq/linear-learner/statistics.json');
    assert.equal(d.ModelMetrics?.ModelDataQuality?.Constraints?.S3Uri, 's3://day-one/b/dq/constraints.json');
  });

  it("when endpoints are listed, then only the project's are (another endpoint of the account named like ours is not)", async () => {
    const sm = aws.clients.sagemaker;
    await aws.backend.hosting.createModel({ modelName: 'model-xgboost-000000000001', image: 'xgboost', artifactUri: 's3://day-one/models/x/model.tar.gz' });
    await aws.backend.hosting.createEndpointConfig({ endpointConfigName: 'endpoint-config-xgboost-000000000001', variants: [{ variantName: 'AllTraffic', modelName: 'model-xgboost-000000000001', instanceType: 'ml.m5.large', instanceCount: 1 }] });
    await aws.backend.hosting.createEndpoint('dayone-xgboost', 'endpoint-config-xgboost-000000000001');
    await sm.send(new CreateModelCommand({ ModelName: 'fraud-model', ExecutionRoleArn: aws.settings.roleArn, PrimaryContainer: { Image: aws.images.xgboost, ModelDataUrl: 's3://day-one/f/model.tar.gz' } }));
    await sm.send(new CreateEndpointConfigCommand({ EndpointConfigName: 'fraud-config', ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: 'fraud-model', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }] }));
    await sm.send(new CreateEndpointCommand({ EndpointName: 'fraud-xgboost', EndpointConfigName: 'fraud-config' }));
    assert.deepEqual((await aws.backend.hosting.listEndpoints()).map((e) => e.endpointName), ['dayone-xgboost']);
  });

  it("when a deployment has succeeded, then the endpoint's configs beyond the newest N and the models only they used are deleted; the one in use and another stack's stay", async () => {
    const hosting = new AwsModelHosting(aws.clients.sagemaker, { roleArn: aws.settings.roleArn, images: aws.images, keepEndpointConfigs: 2 });
    const names = ['000000000011', '000000000012', '000000000013', '000000000014'];
    for (const n of names) {
      await hosting.createModel({ modelName: `model-linear-learner-${n}`, image: 'linear-learner', artifactUri: `s3://day-one/models/${n}/model.tar.gz` });
      await hosting.createEndpointConfig({ endpointConfigName: `endpoint-config-linear-learner-${n}`, endpointName: 'dayone-linear-learner', variants: [{ variantName: 'AllTraffic', modelName: `model-linear-learner-${n}`, instanceType: 'ml.m5.large', instanceCount: 1 }] });
      await new Promise((r) => setTimeout(r, 1100)); // moto's CreationTime has whole seconds
    }
    // Another stack of the account, whose configs are named alike, keeps its own.
    await hosting.createModel({ modelName: 'model-linear-learner-000000000010', image: 'linear-learner', artifactUri: 's3://day-one/models/10/model.tar.gz' });
    await hosting.createEndpointConfig({ endpointConfigName: 'endpoint-config-linear-learner-000000000010', endpointName: 'staging-linear-learner', variants: [{ variantName: 'AllTraffic', modelName: 'model-linear-learner-000000000010', instanceType: 'ml.m5.large', instanceCount: 1 }] });
    await hosting.createEndpoint('dayone-linear-learner', 'endpoint-config-linear-learner-000000000014');
    const pruned = await hosting.pruneEndpointHistory('dayone-linear-learner', 'endpoint-config-linear-learner-000000000014');
    assert.deepEqual(pruned.deletedConfigs.sort(), ['endpoint-config-linear-learner-000000000011', 'endpoint-config-linear-learner-000000000012']);
    assert.deepEqual(pruned.deletedModels.sort(), ['model-linear-learner-000000000011', 'model-linear-learner-000000000012']);
    assert.equal((await hosting.describeEndpoint('dayone-linear-learner'))?.endpointConfigName, 'endpoint-config-linear-learner-000000000014');
    assert.ok(!pruned.deletedConfigs.includes('endpoint-config-linear-learner-000000000010'), 'the other stack keeps its config');
  });

  it('when a Linear Learner transform with a CSV join completes, then the backend joins its JSON answers to the input lines and applies the OutputFilter, as a CSV join would', async () => {
    const { clients } = aws;
    const put = (key: string, body: string) => clients.s3.send(new PutObjectCommand({ Bucket: 'day-one', Key: key, Body: body }));
    await put('models/ll/model.tar.gz', 'artifact');
    await put('test/test.csv', '7995,1,2\n12300,3,4\n');
    const runner = aws.backend.jobs;
    const spec = {
      jobName: 'baseline-model-linear-learner-0123456789ab-scoring',
      image: 'linear-learner' as const,
      modelArtifactUri: 's3://day-one/models/ll/model.tar.gz',
      input: { s3Uri: 's3://day-one/test/', contentType: 'text/csv' as const, splitType: 'Line' as const },
      output: { s3OutputPath: 's3://day-one/scored/', accept: 'text/csv' as const, assembleWith: 'Line' as const },
      dataProcessing: { inputFilter: '$[1:]', joinSource: 'Input' as const, outputFilter: '$[0,-1]' },
      resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
      maxRuntimeSeconds: 60,
    };
    await runner.startTransformJob(spec);
    // What SageMaker's Linear Learner writes with JoinSource None and Accept application/jsonlines (LL docs, "JSONLINES response formats").
    await put('scored.unjoined/test.csv.out', '{"score": 8012.5}\n{"score":12001.25}\n');
    const d = await runner.describeJob('transform', spec.jobName);
    assert.equal(d?.status, 'Completed');
    assert.equal(d?.outputs?.output, 's3://day-one/scored/');
    assert.ok(d?.outputObjects?.includes('s3://day-one/scored/test.csv.out'));
    assert.equal((await aws.backend.objectStore.get('s3://day-one/scored/test.csv.out')).toString('utf8'), '7995,8012.5\n12300,12001.25\n');
  });
});
