/**
 * The aws backend's deployment guardrails and endpoint autoscaling: the calls moto serves
 * (Application Auto Scaling's RegisterScalableTarget / PutScalingPolicy / Describe* / Deregister,
 * CloudWatch's PutMetricAlarm / DescribeAlarms / PutMetricData / SetAlarmState / DeleteAlarms)
 * run against it. moto 5.2 does not serve SageMaker's UpdateEndpoint (it answers 404), so the
 * guarded update is checked on its request only; the rules moto does not enforce are checked on the
 * requests themselves against the AWS SDK's enums and SageMaker's documented limits
 * (UpdateEndpoint's DeploymentConfig: waits 0-3600 s, timeout 600-28800 s, at most 10 rollback
 * alarms; CloudWatch: alarm names at most 255 characters, a metric-math alarm names no metric of
 * its own).
 */
import assert from 'node:assert/strict';
import { MetricType, PolicyType, ScalableDimension, ServiceNamespace } from '@aws-sdk/client-application-auto-scaling';
import { ComparisonOperator, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { TrafficRoutingConfigType, CapacitySizeType, UpdateEndpointWeightsAndCapacitiesCommand } from '@aws-sdk/client-sagemaker';
import { guardedUpdateRequest, rollbackAlarmRequests } from '../../activities/backends/aws/deployment-guardrails';
import { registerTargetRequest, scalingPolicyRequest } from '../../activities/backends/aws/endpoint-autoscaling';
import { createDeploymentActivities } from '../../activities/inference/deployment';
import { DEFAULT_ROLLBACK_ALARMS, type AutoscalingConfig } from '../../common/types/deployment';
import { createMotoBackend, startMoto, type MotoBackend } from '../helpers/moto';

const POLICY: AutoscalingConfig = { minInstances: 1, maxInstances: 4, targetInvocationsPerInstancePerMinute: 700, scaleOutCooldown: '1 minute', scaleInCooldown: '5 minutes' };
const SPEC = { endpointName: 'mlops-xgboost', endpointConfigName: 'guarded-xgboost-abc', traffic: { type: 'CANARY' as const, percent: 10, waitIntervalSeconds: 300 }, finalBakeSeconds: 600, maximumExecutionTimeoutSeconds: 3600, alarmNames: ['a', 'b', 'c'] };

describe('aws deployment guardrails and endpoint autoscaling (contract: moto, SDK enums, SageMaker limits)', function () {
  this.timeout(60_000);
  let aws: MotoBackend;

  before(async () => {
    const moto = await startMoto();
    aws = await createMotoBackend(moto, { bucket: 'mlops-guardrails' });
  });

  describe('requests', () => {
    it("when a variant is autoscaled, then the requests use Application Auto Scaling's SageMaker namespace, dimension and predefined metric", () => {
      const target = registerTargetRequest('mlops-xgboost', 'model-xgboost-7', POLICY);
      assert.equal(target.ResourceId, 'endpoint/mlops-xgboost/variant/model-xgboost-7');
      assert.ok(Object.values(ServiceNamespace).includes(target.ServiceNamespace!));
      assert.equal(target.ScalableDimension, ScalableDimension.SageMakerVariantDesiredInstanceCount);
      const policy = scalingPolicyRequest('mlops-xgboost', 'model-xgboost-7', POLICY);
      assert.equal(policy.PolicyType, PolicyType.TargetTrackingScaling);
      assert.equal(policy.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.PredefinedMetricType, MetricType.SageMakerVariantInvocationsPerInstance);
      assert.deepEqual([policy.TargetTrackingScalingPolicyConfiguration?.ScaleOutCooldown, policy.TargetTrackingScalingPolicyConfiguration?.ScaleInCooldown], [60, 300]);
    });

    it('when a canary or linear update is requested, then the DeploymentConfig follows the SDK enums and SageMaker limits; out-of-range waits are refused before any call', () => {
      const canary = guardedUpdateRequest(SPEC).DeploymentConfig!;
      const routing = canary.BlueGreenUpdatePolicy!.TrafficRoutingConfiguration!;
      assert.ok(Object.values(TrafficRoutingConfigType).includes(routing.Type!));
      assert.deepEqual(routing.CanarySize, { Type: CapacitySizeType.CAPACITY_PERCENT, Value: 10 });
      assert.equal(routing.LinearStepSize, undefined);
      assert.ok(canary.AutoRollbackConfiguration!.Alarms!.length <= 10);
      const linear = guardedUpdateRequest({ ...SPEC, traffic: { type: 'LINEAR', percent: 25, waitIntervalSeconds: 120 } }).DeploymentConfig!.BlueGreenUpdatePolicy!.TrafficRoutingConfiguration!;
      assert.deepEqual([linear.Type, linear.LinearStepSize?.Value, linear.CanarySize], ['LINEAR', 25, undefined]);
      assert.throws(() => guardedUpdateRequest({ ...SPEC, finalBakeSeconds: 7200 }), /final baking period must be a whole number from 0 to 3600/);
      assert.throws(() => guardedUpdateRequest({ ...SPEC, maximumExecutionTimeoutSeconds: 60 }), /from 600 to 28800/);
    });

    it('when rollback alarms are built, then names fit CloudWatch, operators are SDK enums, the error rate is metric math without a metric of its own, and latency is in microseconds', () => {
      const requests = rollbackAlarmRequests({ endpointName: 'e'.repeat(63), variantName: 'v'.repeat(63), alarms: DEFAULT_ROLLBACK_ALARMS, deploymentKey: 'k'.repeat(63) });
      for (const r of requests) {
        assert.ok(r.AlarmName!.length <= 255);
        assert.ok(Object.values(ComparisonOperator).includes(r.ComparisonOperator!));
      }
      const [errorRate, latency] = requests;
      assert.equal(errorRate!.MetricName, undefined);
      assert.equal(errorRate!.Metrics!.filter((m) => m.ReturnData).length, 1);
      assert.equal(latency!.Threshold, DEFAULT_ROLLBACK_ALARMS.maxP99LatencyMs * 1000);
    });
    it('when the alarms are for a guarded update, then every rollback metric names the new configuration, so the canary is not averaged with the old fleet', () => {
      const requests = rollbackAlarmRequests({ endpointName: 'mlops-xgboost', variantName: 'model-xgboost-6', alarms: DEFAULT_ROLLBACK_ALARMS, deploymentKey: 'deploy-xgboost-abc', endpointConfigName: 'guarded-xgboost-abc' });
      const [errorRate, latency, abort] = requests;
      const fleet = [
        { Name: 'EndpointName', Value: 'mlops-xgboost' },
        { Name: 'VariantName', Value: 'model-xgboost-6' },
        { Name: 'EndpointConfigName', Value: 'guarded-xgboost-abc' },
      ];
      for (const m of errorRate!.Metrics!.filter((x) => x.MetricStat)) assert.deepEqual(m.MetricStat!.Metric!.Dimensions, fleet, m.Id);
      assert.deepEqual(latency!.Dimensions, fleet);
      assert.ok(!abort!.Dimensions!.some((d) => d.Name === 'EndpointConfigName'), "the abort alarm is on the project's own metric");
      // CloudWatch allows at most 30 dimensions per metric; names and values at most 255 characters.
      for (const d of fleet) assert.ok(d.Name.length <= 255 && d.Value.length <= 255);
    });
  });

  describe('on moto', () => {
    it('when a variant is registered for autoscaling, then it is described back with its bounds and policy, and deregistering twice is harmless', async () => {
      await aws.backend.autoscaling.register('mlops-xgboost', 'model-xgboost-7', POLICY);
      await aws.backend.autoscaling.register('mlops-xgboost', 'model-xgboost-7', POLICY);
      assert.deepEqual(await aws.backend.autoscaling.describe('mlops-xgboost'), [{ variantName: 'model-xgboost-7', policy: { ...POLICY, scaleOutCooldown: '60 seconds', scaleInCooldown: '300 seconds' } }]);
      await aws.backend.autoscaling.deregister('mlops-xgboost', 'model-xgboost-7');
      await aws.backend.autoscaling.deregister('mlops-xgboost', 'model-xgboost-7');
      assert.deepEqual(await aws.backend.autoscaling.describe('mlops-xgboost'), []);
    });

    it('when an update would drop an autoscaled variant or change its instance type, then it is deregistered first with its policy remembered on the old configuration, and registered again once the endpoint serves that configuration again', async () => {
      const { hosting, autoscaling } = aws.backend;
      const variant = (name: string, modelName: string, instanceType = 'ml.m5.large') => [{ variantName: name, modelName, instanceType, instanceCount: 1 }];
      for (const v of [6, 7]) await hosting.createModel({ modelName: `model-xgboost-${v}`, image: 'xgboost', artifactUri: `s3://mlops-guardrails/m/${v}/model.tar.gz` });
      await hosting.createEndpointConfig({ endpointConfigName: 'cfg-6', endpointName: 'mlops-scaled', variants: variant('model-xgboost-6', 'model-xgboost-6') });
      await hosting.createEndpointConfig({ endpointConfigName: 'cfg-7', endpointName: 'mlops-scaled', variants: variant('model-xgboost-7', 'model-xgboost-7') });
      await hosting.createEndpointConfig({ endpointConfigName: 'cfg-7-same-variant', endpointName: 'mlops-scaled', variants: variant('model-xgboost-6', 'model-xgboost-7') });
      await hosting.createEndpointConfig({ endpointConfigName: 'cfg-6-larger', endpointName: 'mlops-scaled', variants: variant('model-xgboost-6', 'model-xgboost-6', 'ml.m5.xlarge') });
      await hosting.createEndpoint('mlops-scaled', 'cfg-6');
      await autoscaling.register('mlops-scaled', 'model-xgboost-6', POLICY);
      const registered = [{ variantName: 'model-xgboost-6', policy: { ...POLICY, scaleOutCooldown: '60 seconds', scaleInCooldown: '300 seconds' } }];

      // Only the model changes under the variant: SageMaker allows that update as it is.
      assert.deepEqual(await autoscaling.releaseBeforeUpdate!('mlops-scaled', 'cfg-7-same-variant'), []);
      assert.deepEqual(await autoscaling.describe('mlops-scaled'), registered);

      assert.deepEqual(await autoscaling.releaseBeforeUpdate!('mlops-scaled', 'cfg-7'), ['model-xgboost-6']);
      assert.deepEqual(await autoscaling.describe('mlops-scaled'), []);
      assert.deepEqual(await autoscaling.releaseBeforeUpdate!('mlops-scaled', 'cfg-7'), [], 'a retry releases nothing twice');
      // moto serves no UpdateEndpoint: the endpoint still serves cfg-6, as after SageMaker rolled the update back.
      assert.deepEqual(await autoscaling.restoreAfterUpdate!('mlops-scaled'), ['model-xgboost-6']);
      assert.deepEqual(await autoscaling.describe('mlops-scaled'), registered);
      assert.deepEqual(await autoscaling.restoreAfterUpdate!('mlops-scaled'), [], 'registered already: nothing twice');

      assert.deepEqual(await autoscaling.releaseBeforeUpdate!('mlops-scaled', 'cfg-6-larger'), ['model-xgboost-6'], 'another instance type is refused too');
    });

    it('when the old variant is autoscaled, then the new model starts at the instances the old one runs now, clamped to the autoscaling bounds; otherwise at step 9\'s count', async () => {
      const { hosting, autoscaling } = aws.backend;
      const { prepareDeployment } = createDeploymentActivities(aws.backend, { pollIntervalMs: 1 });
      for (const v of [4, 5]) await hosting.createModel({ modelName: `model-xgboost-${v}`, image: 'xgboost', artifactUri: `s3://mlops-guardrails/m/${v}/model.tar.gz` });
      const config = (name: string, model: string) => hosting.createEndpointConfig({ endpointConfigName: name, endpointName: 'mlops-sized', variants: [{ variantName: model, modelName: model, instanceType: 'ml.m5.large', instanceCount: 1 }] });
      await config('cfg-4', 'model-xgboost-4');
      await config('cfg-5', 'model-xgboost-5');
      await hosting.createEndpoint('mlops-sized', 'cfg-4');
      // What Application Auto Scaling does to a variant under load: three instances now.
      await aws.clients.sagemaker.send(new UpdateEndpointWeightsAndCapacitiesCommand({ EndpointName: 'mlops-sized', DesiredWeightsAndCapacities: [{ VariantName: 'model-xgboost-4', DesiredInstanceCount: 3 }] }));
      const prepare = (autoscalingPolicy?: AutoscalingConfig) => prepareDeployment({ endpointName: 'mlops-sized', targetConfigName: 'cfg-5', ...(autoscalingPolicy ? { autoscaling: autoscalingPolicy } : {}) });
      assert.equal((await prepare()).target.instanceCount, 1, 'not autoscaled: step 9 sized it');
      await autoscaling.register('mlops-sized', 'model-xgboost-4', POLICY);
      const prepared = await prepare();
      assert.equal(prepared.target.instanceCount, 3);
      assert.equal(prepared.current?.variants[0]?.instanceCount, 3);
      assert.equal((await prepare({ ...POLICY, maxInstances: 2 })).target.instanceCount, 2, "the new variant's own bounds");
      assert.equal((await prepare({ ...POLICY, minInstances: 5, maxInstances: 8 })).target.instanceCount, 5);
    });

    it('when rollback alarms watch the new fleet, then CloudWatch keeps the EndpointConfigName dimension', async () => {
      const { alarmNames } = await aws.backend.guardrails!.putRollbackAlarms({ endpointName: 'mlops-fleet', variantName: 'model-xgboost-6', alarms: DEFAULT_ROLLBACK_ALARMS, deploymentKey: 'deploy-xgboost-fleet', endpointConfigName: 'guarded-xgboost-fleet' });
      const described = await aws.clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: alarmNames }));
      const latency = described.MetricAlarms?.find((a) => a.MetricName === 'ModelLatency');
      assert.deepEqual(latency?.Dimensions?.find((d) => d.Name === 'EndpointConfigName')?.Value, 'guarded-xgboost-fleet');
      await aws.backend.guardrails!.deleteAlarms(alarmNames);
    });

    it("when rollback alarms are put, then CloudWatch has them; a person's abort sets the abort alarm to ALARM; they are deleted at the end", async () => {
      const guardrails = aws.backend.guardrails!;
      const { alarmNames, abortAlarmName } = await guardrails.putRollbackAlarms({ endpointName: 'mlops-xgboost', variantName: 'model-xgboost-6', alarms: DEFAULT_ROLLBACK_ALARMS, deploymentKey: 'deploy-xgboost-abc' });
      assert.equal(alarmNames.length, 3);
      assert.ok(alarmNames.includes(abortAlarmName));
      const described = await aws.clients.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: alarmNames }));
      assert.equal(described.MetricAlarms?.length, 3);
      await guardrails.tripAlarm(abortAlarmName, 'aborted by ana: wrong model');
      const states = await guardrails.alarmStates(alarmNames);
      assert.equal(states.find((a) => a.alarmName === abortAlarmName)?.state, 'ALARM');
      await guardrails.deleteAlarms(alarmNames);
      assert.deepEqual(await guardrails.alarmStates(alarmNames), []);
    });
  });
});
