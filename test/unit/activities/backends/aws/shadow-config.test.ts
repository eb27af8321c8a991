/**
 * A shadow test on aws is an endpoint configuration with ShadowProductionVariants (moto 5.2 drops
 * that field, so the request is checked here, through the real SDK client aimed at the HTTP fake,
 * against the SDK's types and CreateEndpointConfig's documented rule: with ShadowProductionVariants,
 * one production variant and one shadow variant).
 */
import assert from 'node:assert/strict';
import { ProductionVariantInstanceType, SageMakerClient, type CreateEndpointConfigCommandInput } from '@aws-sdk/client-sagemaker';
import { resolveImages } from '../../../../../activities/backends/aws/images';
import { AwsModelHosting } from '../../../../../activities/backends/aws/model-hosting';
import { HostingError } from '../../../../../activities/backends/errors';
import type { Backend } from '../../../../../activities/backends/types';
import { createDeploymentActivities } from '../../../../../activities/inference/deployment';
import { recorded, startAwsFake, type AwsFake } from '../../../../helpers/aws-fake';
import { MOTO_CREDENTIALS } from '../../../../helpers/moto';

const REGION = 'eu-west-1';
const ROLE = 'arn:aws:iam::111122223333:role/sm';
const variant = (name: string) => ({ VariantName: name, ModelName: name, InstanceType: 'ml.m5.large', InitialInstanceCount: 2, InitialVariantWeight: 1 });

describe('aws shadow deployment: the configuration SageMaker mirrors from (HTTP fake)', function () {
  this.timeout(30_000);
  let fake: AwsFake;
  let hosting: AwsModelHosting;
  beforeEach(async () => {
    fake = await startAwsFake();
    hosting = new AwsModelHosting(new SageMakerClient({ region: REGION, endpoint: fake.url, credentials: MOTO_CREDENTIALS, maxAttempts: 1 }), { roleArn: ROLE, images: resolveImages({ region: REGION, roleArn: ROLE }) });
    fake.on('SageMaker.DescribeModel', { status: 200, body: { ModelName: 'm', PrimaryContainer: { ModelDataUrl: 's3://mlops/m/model.tar.gz' }, ExecutionRoleArn: ROLE, CreationTime: 1780000000, ModelArn: 'arn:m' } });
  });
  afterEach(async () => {
    await fake.close();
  });

  it("when the deployment mirrors a share to the new model, then CreateEndpointConfig names the old model as the one production variant and the new one as the one shadow, its weight the share", async () => {
    fake.on('SageMaker.CreateEndpointConfig', { status: 200, body: { EndpointConfigArn: 'arn:cfg' } });
    const backend = { hosting } as unknown as Backend;
    const { createTransitionConfig } = createDeploymentActivities(backend, { pollIntervalMs: 1 });
    const weighted = (name: string, weight: number) => ({ variantName: name, modelName: name, instanceType: 'ml.m5.large', instanceCount: 2, weight });
    // The new model's own configuration (step 9's) gives the data capture the shadow configuration keeps.
    fake.on('SageMaker.DescribeEndpointConfig', {
      status: 200,
      body: { EndpointConfigName: 'endpoint-config-xgboost-new', EndpointConfigArn: 'arn:new', ProductionVariants: [variant('model-xgboost-7')], DataCaptureConfig: recordedCapture(), CreationTime: 1780000000 },
    }, recorded('ValidationException.NotFound'));
    await createTransitionConfig({ endpointConfigName: 'shadow-xgboost-abc', endpointName: 'mlops-xgboost', captureFrom: 'endpoint-config-xgboost-new', variants: [weighted('model-xgboost-6', 1)], shadowVariants: [weighted('model-xgboost-7', 0.2)] });
    const request = fake.requests.find((r) => r.operation === 'SageMaker.CreateEndpointConfig')!.body as CreateEndpointConfigCommandInput;
    assert.equal(request.ProductionVariants?.length, 1);
    assert.equal(request.ShadowProductionVariants?.length, 1);
    const [production] = request.ProductionVariants!;
    const [shadow] = request.ShadowProductionVariants!;
    assert.deepEqual([production!.VariantName, production!.InitialVariantWeight], ['model-xgboost-6', 1]);
    assert.deepEqual([shadow!.VariantName, shadow!.ModelName, shadow!.InitialVariantWeight, shadow!.InitialInstanceCount], ['model-xgboost-7', 'model-xgboost-7', 0.2, 2]);
    for (const v of [production!, shadow!]) assert.ok(Object.values(ProductionVariantInstanceType).includes(v.InstanceType!), v.InstanceType);
    assert.equal(request.DataCaptureConfig?.DestinationS3Uri, 's3://mlops/data-capture', 'the data capture of the new model is kept (both variants are captured)');
  });

  it('when a shadow would sit beside two production variants, then the configuration is refused before any call creates it', async () => {
    const spec = (name: string) => ({ variantName: name, modelName: name, instanceType: 'ml.m5.large', instanceCount: 1 });
    await assert.rejects(
      hosting.createEndpointConfig({ endpointConfigName: 'bad', variants: [spec('a'), spec('b')], shadowVariants: [spec('c')] }),
      (err: unknown) => err instanceof HostingError && /exactly one production variant \(got 2 production and 1 shadow/.test(err.message),
    );
    assert.equal(fake.count('SageMaker.CreateEndpointConfig'), 0);
  });
});

function recordedCapture() {
  return {
    EnableCapture: true,
    InitialSamplingPercentage: 100,
    DestinationS3Uri: 's3://mlops/data-capture',
    CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
    CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'], JsonContentTypes: ['application/json'] },
  };
}
