/**
 * Autoscaling around UpdateEndpoint on the aws backend, through the real SDK clients aimed at the
 * HTTP fake (moto 5.2 serves no UpdateEndpoint). The fake plays SageMaker's documented rule
 * ("Update endpoints that use auto scaling"): an update that removes an autoscaled production
 * variant is refused until the variant is deregistered as a scalable target.
 */
import assert from 'node:assert/strict';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ApplicationFailure } from '@temporalio/common';
import { AwsEndpointAutoscaling, decodeRememberedPolicy, encodeRememberedPolicy, REMEMBERED_TAG_PREFIX } from '../../../../../activities/backends/aws/endpoint-autoscaling';
import { resolveImages } from '../../../../../activities/backends/aws/images';
import { AwsModelHosting } from '../../../../../activities/backends/aws/model-hosting';
import type { Backend } from '../../../../../activities/backends/types';
import { createEndpointActivities } from '../../../../../activities/inference/endpoints';
import { ErrorType } from '../../../../../common/errors';
import type { AutoscalingConfig } from '../../../../../common/types/deployment';
import { quietActivityEnvironment, runInActivity } from '../../../../helpers/activity-env';
import { epoch, startAwsFake, type AwsFake, type FakeRequest } from '../../../../helpers/aws-fake';
import { MOTO_CREDENTIALS } from '../../../../helpers/moto';

const REGION = 'eu-west-1';
const ROLE = 'arn:aws:iam::111122223333:role/sm';
const ENDPOINT = 'mlops-xgboost';
const OLD_CONFIG = 'endpoint-config-xgboost-aaaaaaaaaaaa';
const NEW_CONFIG = 'endpoint-config-xgboost-bbbbbbbbbbbb';
const OLD_VARIANT = 'model-xgboost-aaaaaaaaaaaa';
const NEW_VARIANT = 'model-xgboost-bbbbbbbbbbbb';
const POLICY: AutoscalingConfig = { minInstances: 2, maxInstances: 6, targetInvocationsPerInstancePerMinute: 700, scaleInCooldown: '300 seconds', scaleOutCooldown: '60 seconds' };

/** SageMaker and Application Auto Scaling as one small state machine (what a test needs of them). */
function fakeAws(fake: AwsFake, options: { updateEnds: 'rolled-back' | 'deployed' }) {
  const registered = new Map<string, { min: number; max: number; policy?: { target: number; scaleIn: number; scaleOut: number } }>([
    [OLD_VARIANT, { min: POLICY.minInstances, max: POLICY.maxInstances, policy: { target: 700, scaleIn: 300, scaleOut: 60 } }],
  ]);
  const tags = new Map<string, { Key: string; Value: string }[]>();
  let endpoint: { config: string; status: string; failureReason?: string; modified: number } = { config: OLD_CONFIG, status: 'InService', modified: 1780000000 };
  let describesAfterUpdate = 0;
  const config = (name: string, variant: string) => ({
    EndpointConfigName: name,
    EndpointConfigArn: `arn:aws:sagemaker:${REGION}:111122223333:endpoint-config/${name}`,
    ProductionVariants: [{ VariantName: variant, ModelName: variant, InitialInstanceCount: 1, InstanceType: 'ml.m5.large', InitialVariantWeight: 1 }],
    CreationTime: 1780000000,
  });
  const configs: Record<string, ReturnType<typeof config>> = { [OLD_CONFIG]: config(OLD_CONFIG, OLD_VARIANT), [NEW_CONFIG]: config(NEW_CONFIG, NEW_VARIANT) };
  const variantOf = (resourceId: unknown) => String(resourceId).replace(`endpoint/${ENDPOINT}/variant/`, '');
  const body = (req: FakeRequest) => req.body as Record<string, unknown>;
  const ok = (b: unknown) => ({ status: 200, body: b });

  fake.on('SageMaker.DescribeEndpoint', () => {
    if (endpoint.status === 'Updating' && ++describesAfterUpdate > 1) {
      endpoint = options.updateEnds === 'rolled-back'
        ? { config: OLD_CONFIG, status: 'InService', failureReason: 'The primary container for production variant did not pass the ping health check.', modified: 1780001500 }
        : { config: NEW_CONFIG, status: 'InService', modified: 1780001500 };
    }
    const variant = configs[endpoint.config]!.ProductionVariants[0]!.VariantName;
    return ok({
      EndpointName: ENDPOINT,
      EndpointArn: `arn:aws:sagemaker:${REGION}:111122223333:endpoint/${ENDPOINT}`,
      EndpointConfigName: endpoint.config,
      EndpointStatus: endpoint.status,
      ...(endpoint.failureReason ? { FailureReason: endpoint.failureReason } : {}),
      ProductionVariants: [{ VariantName: variant, CurrentWeight: 1, DesiredWeight: 1, CurrentInstanceCount: 3, DesiredInstanceCount: 3 }],
      CreationTime: 1780000000,
      LastModifiedTime: endpoint.modified,
    });
  });
  fake.on('SageMaker.DescribeEndpointConfig', (req) => ok(configs[String(body(req).EndpointConfigName)]));
  fake.on('SageMaker.ListTags', (req) => ok({ Tags: tags.get(String(body(req).ResourceArn)) ?? [] }));
  fake.on('SageMaker.AddTags', (req) => {
    const arn = String(body(req).ResourceArn);
    tags.set(arn, [...(tags.get(arn) ?? []), ...(body(req).Tags as { Key: string; Value: string }[])]);
    return ok({ Tags: tags.get(arn) });
  });
  fake.on('SageMaker.UpdateEndpoint', (req) => {
    const removed = [...registered.keys()].filter((v) => !configs[String(body(req).EndpointConfigName)]!.ProductionVariants.some((p) => p.VariantName === v));
    if (removed.length) {
      return { status: 400, body: { __type: 'ValidationException', message: `The variant(s) "[${removed.join(', ')}]" must be deregistered as scalable targets with AWS Application Auto Scaling before they can be removed or have their instance type updated.` } };
    }
    endpoint = { ...endpoint, status: 'Updating' };
    return ok({ EndpointArn: `arn:aws:sagemaker:${REGION}:111122223333:endpoint/${ENDPOINT}` });
  });
  fake.on('AnyScaleFrontendService.DescribeScalableTargets', () =>
    ok({
      ScalableTargets: [...registered.entries()].map(([v, t]) => ({
        ServiceNamespace: 'sagemaker',
        ResourceId: `endpoint/${ENDPOINT}/variant/${v}`,
        ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
        MinCapacity: t.min,
        MaxCapacity: t.max,
        RoleARN: ROLE,
        CreationTime: epoch('2026-01-01T00:00:00Z'),
      })),
    }),
  );
  fake.on('AnyScaleFrontendService.DescribeScalingPolicies', (req) => {
    const v = variantOf(body(req).ResourceId);
    const p = registered.get(v)?.policy;
    return ok({
      ScalingPolicies: p
        ? [{ PolicyARN: 'arn:policy', PolicyName: `mlops-invocations-per-instance-${v}`, ServiceNamespace: 'sagemaker', ResourceId: body(req).ResourceId, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount', PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: p.target, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' }, ScaleInCooldown: p.scaleIn, ScaleOutCooldown: p.scaleOut }, CreationTime: epoch('2026-01-01T00:00:00Z') }]
        : [],
    });
  });
  fake.on('AnyScaleFrontendService.DeleteScalingPolicy', (req) => {
    const t = registered.get(variantOf(body(req).ResourceId));
    if (t) delete t.policy;
    return ok({});
  });
  fake.on('AnyScaleFrontendService.DeregisterScalableTarget', (req) => {
    registered.delete(variantOf(body(req).ResourceId));
    return ok({});
  });
  fake.on('AnyScaleFrontendService.RegisterScalableTarget', (req) => {
    registered.set(variantOf(body(req).ResourceId), { min: Number(body(req).MinCapacity), max: Number(body(req).MaxCapacity) });
    return ok({ ScalableTargetARN: 'arn:target' });
  });
  fake.on('AnyScaleFrontendService.PutScalingPolicy', (req) => {
    const c = body(req).TargetTrackingScalingPolicyConfiguration as { TargetValue: number; ScaleInCooldown: number; ScaleOutCooldown: number };
    registered.get(variantOf(body(req).ResourceId))!.policy = { target: c.TargetValue, scaleIn: c.ScaleInCooldown, scaleOut: c.ScaleOutCooldown };
    return ok({ PolicyARN: 'arn:policy', Alarms: [] });
  });
  return { registered, tags };
}

describe('aws endpoint autoscaling around UpdateEndpoint (HTTP fake)', function () {
  this.timeout(30_000);
  let fake: AwsFake;
  let backend: Backend;
  beforeEach(async () => {
    fake = await startAwsFake();
    const options = { region: REGION, endpoint: fake.url, credentials: MOTO_CREDENTIALS, maxAttempts: 1 };
    const sagemaker = new SageMakerClient(options);
    backend = {
      hosting: new AwsModelHosting(sagemaker, { roleArn: ROLE, images: resolveImages({ region: REGION, roleArn: ROLE }) }),
      autoscaling: new AwsEndpointAutoscaling(new ApplicationAutoScalingClient(options), sagemaker),
      jobs: {},
    } as unknown as Backend;
  });
  afterEach(async () => {
    await fake.close();
  });

  const operations = () => fake.requests.map((r) => r.operation.replace(/^(SageMaker|AnyScaleFrontendService)\./, ''));

  it('when the new configuration lacks the autoscaled variant, then its policy is remembered and it is deregistered before UpdateEndpoint, and SageMaker accepts the update', async () => {
    const { registered, tags } = fakeAws(fake, { updateEnds: 'deployed' });
    const { updateEndpoint, waitForEndpoint } = createEndpointActivities(backend, { pollIntervalMs: 1 });
    await runInActivity(quietActivityEnvironment(), () => updateEndpoint({ endpointName: ENDPOINT, endpointConfigName: NEW_CONFIG }));
    const ops = operations();
    assert.ok(ops.indexOf('AddTags') < ops.indexOf('DeregisterScalableTarget'), ops.join(' '));
    assert.ok(ops.indexOf('DeleteScalingPolicy') < ops.indexOf('DeregisterScalableTarget'));
    assert.ok(ops.indexOf('DeregisterScalableTarget') < ops.indexOf('UpdateEndpoint'));
    assert.equal(fake.count('SageMaker.UpdateEndpoint'), 1);
    assert.deepEqual([...registered.keys()], []);
    const remembered = tags.get(`arn:aws:sagemaker:${REGION}:111122223333:endpoint-config/${OLD_CONFIG}`);
    assert.deepEqual(remembered, [{ Key: `${REMEMBERED_TAG_PREFIX}${OLD_VARIANT}`, Value: 'min=2 max=6 target=700 in=300 out=60' }]);
    await runInActivity(quietActivityEnvironment(), () => waitForEndpoint({ endpointName: ENDPOINT, endpointConfigName: NEW_CONFIG, before: { endpointConfigName: OLD_CONFIG, lastModifiedTime: new Date(1780000000000).toISOString() } }));
    assert.deepEqual([...registered.keys()], [], 'the new configuration remembers nothing: its variant is registered by the deployment (its own policy)');
  });

  it('when SageMaker rolls the update back, then the old variant is registered again with its remembered policy before the deployment fails', async () => {
    const { registered } = fakeAws(fake, { updateEnds: 'rolled-back' });
    const { updateEndpoint, waitForEndpoint } = createEndpointActivities(backend, { pollIntervalMs: 1 });
    await runInActivity(quietActivityEnvironment(), () => updateEndpoint({ endpointName: ENDPOINT, endpointConfigName: NEW_CONFIG }));
    await assert.rejects(
      runInActivity(quietActivityEnvironment(), () => waitForEndpoint({ endpointName: ENDPOINT, endpointConfigName: NEW_CONFIG, before: { endpointConfigName: OLD_CONFIG, lastModifiedTime: new Date(1780000000000).toISOString() } })),
      (err: unknown) => err instanceof ApplicationFailure && err.type === ErrorType.DeploymentFailed && /rolled back/.test(err.message),
    );
    assert.deepEqual(registered.get(OLD_VARIANT), { min: 2, max: 6, policy: { target: 700, scaleIn: 300, scaleOut: 60 } });
    const ops = operations();
    assert.ok(ops.lastIndexOf('PutScalingPolicy') > ops.indexOf('UpdateEndpoint'));
    // A retry of the wait (or a second look) registers nothing twice.
    const before = fake.count('AnyScaleFrontendService.RegisterScalableTarget');
    assert.deepEqual(await backend.autoscaling.restoreAfterUpdate!(ENDPOINT), []);
    assert.equal(fake.count('AnyScaleFrontendService.RegisterScalableTarget'), before);
  });

  it('when the update is retried after the release, then nothing is released or remembered twice', async () => {
    fakeAws(fake, { updateEnds: 'deployed' });
    assert.deepEqual(await backend.autoscaling.releaseBeforeUpdate!(ENDPOINT, NEW_CONFIG), [OLD_VARIANT]);
    assert.deepEqual(await backend.autoscaling.releaseBeforeUpdate!(ENDPOINT, NEW_CONFIG), []);
    assert.equal(fake.count('SageMaker.AddTags'), 1);
    assert.equal(fake.count('AnyScaleFrontendService.DeregisterScalableTarget'), 1);
  });

  it('when a remembered tag value is not a policy, then it is ignored rather than trusted', () => {
    assert.deepEqual(decodeRememberedPolicy(encodeRememberedPolicy(POLICY)), POLICY);
    for (const bad of ['', 'min=2', 'min=0 max=6 target=700 in=300 out=60', 'min=7 max=6 target=700 in=300 out=60', 'min=2 max=6 target=-1 in=300 out=60', 'min=2 max=6 target=700 in=x out=60']) {
      assert.equal(decodeRememberedPolicy(bad), undefined, bad);
    }
  });
});
