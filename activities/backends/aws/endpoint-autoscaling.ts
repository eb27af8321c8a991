import {
  DeleteScalingPolicyCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ApplicationAutoScalingClient,
  type PutScalingPolicyCommandInput,
  type RegisterScalableTargetCommandInput,
} from '@aws-sdk/client-application-auto-scaling';
import { AddTagsCommand, DescribeEndpointConfigCommand, ListTagsCommand, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { durationMs } from '../../../common/duration';
import type { AutoscalingConfig } from '../../../common/types/deployment';
import type { EndpointAutoscaling } from '../types';
import { call, isErrorNamed, isSageMakerNotFound, toActivityError } from './aws-errors';
import { describeEndpointIfAny } from './describe-endpoint';

const NAMESPACE = 'sagemaker';
const DIMENSION = 'sagemaker:variant:DesiredInstanceCount';

/** The scalable target's resource id (Application Auto Scaling's form for SageMaker variants). */
export function variantResourceId(endpointName: string, variantName: string): string {
  return `endpoint/${endpointName}/variant/${variantName}`;
}

/** The policy name the project gives a variant's target tracking (one per variant). */
export function scalingPolicyName(variantName: string): string {
  return `mlops-invocations-per-instance-${variantName}`.slice(0, 256);
}

/** RegisterScalableTarget's request for a variant (exported so tests check its shape). */
export function registerTargetRequest(endpointName: string, variantName: string, policy: AutoscalingConfig): RegisterScalableTargetCommandInput {
  return { ServiceNamespace: NAMESPACE, ResourceId: variantResourceId(endpointName, variantName), ScalableDimension: DIMENSION, MinCapacity: policy.minInstances, MaxCapacity: policy.maxInstances };
}

/** PutScalingPolicy's request: target tracking on SageMakerVariantInvocationsPerInstance (per minute, SageMaker's metric). */
export function scalingPolicyRequest(endpointName: string, variantName: string, policy: AutoscalingConfig): PutScalingPolicyCommandInput {
  return {
    PolicyName: scalingPolicyName(variantName),
    ServiceNamespace: NAMESPACE,
    ResourceId: variantResourceId(endpointName, variantName),
    ScalableDimension: DIMENSION,
    PolicyType: 'TargetTrackingScaling',
    TargetTrackingScalingPolicyConfiguration: {
      TargetValue: policy.targetInvocationsPerInstancePerMinute,
      PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
      ScaleInCooldown: Math.round(durationMs(policy.scaleInCooldown) / 1000),
      ScaleOutCooldown: Math.round(durationMs(policy.scaleOutCooldown) / 1000),
    },
  };
}

/** The tag on an endpoint configuration that remembers the policy of one of its variants, released before an update. */
export const REMEMBERED_TAG_PREFIX = 'mlops:autoscaling:';

/**
 * A policy as a tag value (SageMaker tag values allow letters, digits, spaces and `_ . : / = + - @`):
 * `min=1 max=4 target=700 in=300 out=60` (cool-downs in seconds).
 */
export function encodeRememberedPolicy(policy: AutoscalingConfig): string {
  const seconds = (d: string) => Math.round(durationMs(d) / 1000);
  return `min=${policy.minInstances} max=${policy.maxInstances} target=${policy.targetInvocationsPerInstancePerMinute} in=${seconds(policy.scaleInCooldown)} out=${seconds(policy.scaleOutCooldown)}`;
}

/** The policy a tag remembers, or undefined when the value is not one (a tag a person edited is ignored, never trusted). */
export function decodeRememberedPolicy(value: string): AutoscalingConfig | undefined {
  const fields = new Map(value.split(' ').map((part) => part.split('=') as [string, string | undefined]));
  const number = (key: string) => {
    const raw = fields.get(key);
    const n = raw === undefined || raw === '' ? NaN : Number(raw);
    return Number.isFinite(n) && n >= 0 ? n : undefined;
  };
  const [min, max, target, scaleIn, scaleOut] = [number('min'), number('max'), number('target'), number('in'), number('out')];
  if (min === undefined || max === undefined || target === undefined || scaleIn === undefined || scaleOut === undefined) return undefined;
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min || target <= 0) return undefined;
  return { minInstances: min, maxInstances: max, targetInvocationsPerInstancePerMinute: target, scaleInCooldown: `${scaleIn} seconds`, scaleOutCooldown: `${scaleOut} seconds` };
}

/**
 * Endpoint autoscaling through Application Auto Scaling: a variant is registered as a scalable
 * target (its DesiredInstanceCount between the bounds) with one target-tracking policy.
 *
 * SageMaker refuses an UpdateEndpoint that removes an autoscaled production variant or changes
 * its instance type ("deregister the variant as a scalable target first", Update endpoints that
 * use auto scaling); changing only its model is allowed. `releaseBeforeUpdate` deregisters exactly
 * those variants and remembers each one's policy in a tag on the configuration the endpoint
 * leaves; `restoreAfterUpdate` registers the remembered policies again when the endpoint serves
 * that configuration once more (SageMaker rolled the update back, or a rollback returned to it).
 */
export class AwsEndpointAutoscaling implements EndpointAutoscaling {
  constructor(
    private readonly client: ApplicationAutoScalingClient,
    /** For the endpoint's configurations and their tags (release / restore around an update). */
    private readonly sagemaker?: SageMakerClient,
  ) {}

  async releaseBeforeUpdate(endpointName: string, endpointConfigName: string): Promise<string[]> {
    const sagemaker = this.sagemaker;
    if (!sagemaker) return [];
    const endpoint = await this.describeEndpoint(endpointName);
    // Not InService: either our own update already runs (a retry: released then) or another one
    // does (the update is refused as busy and retried; releasing now would only scale less).
    if (!endpoint?.EndpointConfigName || endpoint.EndpointStatus !== 'InService' || endpoint.EndpointConfigName === endpointConfigName) return [];
    const registered = await this.targets(endpointName);
    if (registered.length === 0) return [];
    const from = await call(`SageMaker DescribeEndpointConfig ${endpoint.EndpointConfigName}`, () => sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName })));
    const to = await call(`SageMaker DescribeEndpointConfig ${endpointConfigName}`, () => sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpointConfigName })));
    const typeIn = (variants: typeof to.ProductionVariants, name: string) => variants?.find((v) => v.VariantName === name)?.InstanceType;
    const released = registered.filter((t) => {
      const next = typeIn(to.ProductionVariants, t.variantName);
      return next === undefined || next !== typeIn(from.ProductionVariants, t.variantName);
    });
    if (released.length === 0) return [];
    // Remembered before deregistering: a retry after a crash in between still knows the policy.
    const remember = released.filter((t) => t.policy).map((t) => ({ Key: `${REMEMBERED_TAG_PREFIX}${t.variantName}`, Value: encodeRememberedPolicy(t.policy!) }));
    if (remember.length && from.EndpointConfigArn) {
      const arn = from.EndpointConfigArn;
      const tags = await this.tagsOf(arn);
      const missing = remember.filter((tag) => tags.get(tag.Key) !== tag.Value);
      if (missing.length) await call(`SageMaker AddTags ${endpoint.EndpointConfigName}`, () => sagemaker.send(new AddTagsCommand({ ResourceArn: arn, Tags: missing })));
    }
    for (const t of released) await this.deregister(endpointName, t.variantName);
    return released.map((t) => t.variantName);
  }

  async restoreAfterUpdate(endpointName: string): Promise<string[]> {
    const sagemaker = this.sagemaker;
    if (!sagemaker) return [];
    const endpoint = await this.describeEndpoint(endpointName);
    if (!endpoint?.EndpointConfigName || endpoint.EndpointStatus !== 'InService') return [];
    let config;
    try {
      config = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
    } catch (err) {
      // A configuration deleted after the endpoint was made from it remembers nothing.
      if (isSageMakerNotFound(err)) return [];
      throw toActivityError(err, `SageMaker DescribeEndpointConfig ${endpoint.EndpointConfigName}`);
    }
    if (!config.EndpointConfigArn) return [];
    const remembered = [...(await this.tagsOf(config.EndpointConfigArn))].filter(([key]) => key.startsWith(REMEMBERED_TAG_PREFIX));
    // Most configurations remember nothing: their endpoint's scalable targets need not be read.
    if (!remembered.length) return [];
    const serving = new Set((endpoint.ProductionVariants ?? []).map((v) => v.VariantName));
    const registered = new Set((await this.targets(endpointName)).map((t) => t.variantName));
    const restored: string[] = [];
    for (const [key, value] of remembered) {
      const variantName = key.slice(REMEMBERED_TAG_PREFIX.length);
      const policy = decodeRememberedPolicy(value);
      // A variant registered meanwhile keeps the policy it has now.
      if (!policy || !serving.has(variantName) || registered.has(variantName)) continue;
      await this.register(endpointName, variantName, policy);
      restored.push(variantName);
    }
    return restored;
  }

  private describeEndpoint(endpointName: string) {
    return describeEndpointIfAny(this.sagemaker!, endpointName);
  }

  /** A resource's tags by key (the last of a repeated key: moto appends where AWS overwrites). */
  private async tagsOf(arn: string): Promise<Map<string, string>> {
    const tags = new Map<string, string>();
    let token: string | undefined;
    do {
      const page = await call('SageMaker ListTags', () => this.sagemaker!.send(new ListTagsCommand({ ResourceArn: arn, MaxResults: 100, ...(token ? { NextToken: token } : {}) })));
      for (const t of page.Tags ?? []) if (t.Key) tags.set(t.Key, t.Value ?? '');
      token = page.NextToken || undefined;
    } while (token);
    return tags;
  }

  async register(endpointName: string, variantName: string, policy: AutoscalingConfig): Promise<void> {
    await call(`Application Auto Scaling RegisterScalableTarget ${variantResourceId(endpointName, variantName)}`, () => this.client.send(new RegisterScalableTargetCommand(registerTargetRequest(endpointName, variantName, policy))));
    await call(`Application Auto Scaling PutScalingPolicy ${scalingPolicyName(variantName)}`, () => this.client.send(new PutScalingPolicyCommand(scalingPolicyRequest(endpointName, variantName, policy))));
  }

  async deregister(endpointName: string, variantName: string): Promise<void> {
    const resource = { ServiceNamespace: NAMESPACE, ResourceId: variantResourceId(endpointName, variantName), ScalableDimension: DIMENSION } as const;
    for (const [operation, send] of [
      ['DeleteScalingPolicy', () => this.client.send(new DeleteScalingPolicyCommand({ ...resource, PolicyName: scalingPolicyName(variantName) }))],
      ['DeregisterScalableTarget', () => this.client.send(new DeregisterScalableTargetCommand(resource))],
    ] as const) {
      try {
        await send();
      } catch (err) {
        // AWS answers ObjectNotFoundException; moto a ValidationException saying the same.
        if (isErrorNamed(err, 'ObjectNotFoundException') || (isErrorNamed(err, 'ValidationException') && /^No (scaling policy|scalable target) found/i.test((err as Error).message))) continue;
        throw toActivityError(err, `Application Auto Scaling ${operation} ${resource.ResourceId}`);
      }
    }
  }

  async describe(endpointName: string): Promise<{ variantName: string; policy: AutoscalingConfig }[]> {
    return (await this.targets(endpointName)).flatMap((t) => (t.policy ? [{ variantName: t.variantName, policy: t.policy }] : []));
  }

  /** The endpoint's scalable targets, each with the project's policy where it has one. */
  private async targets(endpointName: string): Promise<{ variantName: string; policy?: AutoscalingConfig }[]> {
    const prefix = `endpoint/${endpointName}/variant/`;
    const out: { variantName: string; policy?: AutoscalingConfig }[] = [];
    let token: string | undefined;
    do {
      const page = await call('Application Auto Scaling DescribeScalableTargets', () =>
        this.client.send(new DescribeScalableTargetsCommand({ ServiceNamespace: NAMESPACE, ScalableDimension: DIMENSION, ...(token ? { NextToken: token } : {}) })),
      );
      for (const target of page.ScalableTargets ?? []) {
        if (!target.ResourceId?.startsWith(prefix)) continue;
        const variantName = target.ResourceId.slice(prefix.length);
        const policies = await call('Application Auto Scaling DescribeScalingPolicies', () =>
          this.client.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: NAMESPACE, ResourceId: target.ResourceId, ScalableDimension: DIMENSION, PolicyNames: [scalingPolicyName(variantName)] })),
        );
        const tracking = policies.ScalingPolicies?.[0]?.TargetTrackingScalingPolicyConfiguration;
        out.push({
          variantName,
          ...(tracking
            ? {
                policy: {
                  minInstances: target.MinCapacity ?? 1,
                  maxInstances: target.MaxCapacity ?? 1,
                  targetInvocationsPerInstancePerMinute: tracking.TargetValue ?? 0,
                  scaleInCooldown: `${tracking.ScaleInCooldown ?? 300} seconds`,
                  scaleOutCooldown: `${tracking.ScaleOutCooldown ?? 300} seconds`,
                },
              }
            : {}),
        });
      }
      token = page.NextToken || undefined;
    } while (token);
    return out;
  }
}
