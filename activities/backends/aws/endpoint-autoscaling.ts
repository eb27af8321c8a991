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
import { durationMs } from '../../../common/duration';
import type { AutoscalingConfig } from '../../../common/types/deployment';
import type { EndpointAutoscaling } from '../types';
import { call, isErrorNamed, toActivityError } from './aws-errors';

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

/**
 * Endpoint autoscaling through Application Auto Scaling: a variant is registered as a scalable
 * target (its DesiredInstanceCount between the bounds) with one target-tracking policy.
 */
export class AwsEndpointAutoscaling implements EndpointAutoscaling {
  constructor(private readonly client: ApplicationAutoScalingClient) {}

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
    const prefix = `endpoint/${endpointName}/variant/`;
    const out: { variantName: string; policy: AutoscalingConfig }[] = [];
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
        if (!tracking) continue;
        out.push({
          variantName,
          policy: {
            minInstances: target.MinCapacity ?? 1,
            maxInstances: target.MaxCapacity ?? 1,
            targetInvocationsPerInstancePerMinute: tracking.TargetValue ?? 0,
            scaleInCooldown: `${tracking.ScaleInCooldown ?? 300} seconds`,
            scaleOutCooldown: `${tracking.ScaleOutCooldown ?? 300} seconds`,
          },
        });
      }
      token = page.NextToken || undefined;
    } while (token);
    return out;
  }
}
