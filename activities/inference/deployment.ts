import { Context } from '@temporalio/activity';
import { conflict, invalidInput, notFound } from '../../common/errors';
import type { AutoscalingConfig, DeploymentVariant, RollbackAlarms } from '../../common/types/deployment';
import type { Backend, EndpointMetricsSnapshot, EndpointStatus, GuardedUpdateSpec, GuardrailAlarm } from '../backends/types';
import { hostingFailure, pollEndpoint } from './endpoints';

/** A variant with the share of traffic it answers (production) or gets mirrored (shadow). */
export interface WeightedVariant extends DeploymentVariant {
  weight: number;
}

export interface PreparedDeployment {
  /** `driven`: the deployment workflow shifts traffic and reads the alarms; `managed`: SageMaker's guardrails do. */
  mode: 'driven' | 'managed';
  /** The new model's variant, as its configuration (step 9's) sets it. */
  target: DeploymentVariant;
  /** The endpoint as it is (null: it does not exist yet). */
  current: {
    endpointConfigName: string;
    status: EndpointStatus;
    failureReason?: string;
    lastModifiedTime: string;
    variants: WeightedVariant[];
    shadowVariants: WeightedVariant[];
  } | null;
}

export interface TransitionConfigInput {
  endpointConfigName: string;
  endpointName: string;
  /** The configuration whose data capture the transition keeps (the new model's). */
  captureFrom: string;
  variants: WeightedVariant[];
  shadowVariants?: WeightedVariant[];
}

/**
 * How many instances the new model starts on. Step 9's count, unless the variant serving now is
 * autoscaled: then the new fleet starts at what that variant runs now (the autoscaler sized it for
 * today's traffic, and the new fleet takes all of it at the end), clamped to the bounds the new
 * variant will be autoscaled within (the deployment's policy, else the old variant's).
 */
async function startingInstances(
  input: { endpointName: string; autoscaling?: AutoscalingConfig },
  endpoint: { status: EndpointStatus; variants: { variantName: string; currentInstanceCount: number; desiredInstanceCount: number; currentWeight?: number }[] },
  configured: number,
  backend: Backend,
): Promise<number> {
  if (endpoint.status === 'Failed') return configured;
  const serving = [...endpoint.variants].sort((a, b) => (b.currentWeight ?? 1) - (a.currentWeight ?? 1))[0];
  if (!serving) return configured;
  const scaled = (await backend.autoscaling.describe(input.endpointName)).find((a) => a.variantName === serving.variantName);
  if (!scaled) return configured;
  const bounds = input.autoscaling ?? scaled.policy;
  const now = Math.max(serving.currentInstanceCount, serving.desiredInstanceCount);
  return Math.min(bounds.maxInstances, Math.max(bounds.minInstances, now));
}

/** The deployment workflow's activities: what it reads, the traffic it shifts, the autoscaling and alarms it sets. */
export function createDeploymentActivities(backend: Backend, settings: { pollIntervalMs: number }) {
  return {
    /** What the deployment starts from: the new model's variant and the endpoint's variants, weights and instances. */
    async prepareDeployment(input: {
      endpointName: string;
      targetConfigName: string;
      /** The policy the new variant will be autoscaled by (its bounds size the new fleet when the old one is autoscaled). */
      autoscaling?: AutoscalingConfig;
    }): Promise<PreparedDeployment> {
      const target = await backend.hosting.describeEndpointConfig(input.targetConfigName);
      if (!target) throw notFound(`endpoint config ${input.targetConfigName} does not exist (step 9 makes it)`);
      const [variant] = target.variants;
      if (!variant || target.variants.length !== 1) throw invalidInput(`endpoint config ${input.targetConfigName} has ${target.variants.length} variants; a deployment moves to a configuration of one model`);
      const d = await backend.hosting.describeEndpoint(input.endpointName);
      const described = d ? await backend.hosting.describeEndpointConfig(d.endpointConfigName) : undefined;
      const specOf = new Map([...(described?.variants ?? []), ...(described?.shadowVariants ?? [])].map((v) => [v.variantName, v]));
      const weighted = (list: NonNullable<typeof d>['variants']): WeightedVariant[] =>
        list.map((v) => ({
          variantName: v.variantName,
          modelName: v.modelName,
          instanceType: specOf.get(v.variantName)?.instanceType ?? variant.instanceType,
          // What serves now (the autoscaler's count included), so the transition keeps the old model's capacity.
          instanceCount: Math.max(1, v.currentInstanceCount || v.desiredInstanceCount || specOf.get(v.variantName)?.instanceCount || 1),
          weight: v.currentWeight ?? specOf.get(v.variantName)?.initialWeight ?? 1,
        }));
      return {
        mode: backend.guardrails ? 'managed' : 'driven',
        target: { variantName: variant.variantName, modelName: variant.modelName, instanceType: variant.instanceType, instanceCount: d ? await startingInstances(input, d, variant.instanceCount, backend) : variant.instanceCount },
        current: d
          ? {
              endpointConfigName: d.endpointConfigName,
              status: d.status,
              ...(d.failureReason ? { failureReason: d.failureReason } : {}),
              lastModifiedTime: d.lastModifiedTime,
              variants: weighted(d.variants),
              shadowVariants: weighted(d.shadowVariants ?? []),
            }
          : null,
      };
    },

    /** An endpoint configuration with the old and the new model side by side (weights, or the new one as a shadow). */
    async createTransitionConfig(input: TransitionConfigInput): Promise<{ alreadyExisted: boolean }> {
      const base = await backend.hosting.describeEndpointConfig(input.captureFrom);
      if (!base) throw notFound(`endpoint config ${input.captureFrom} does not exist`);
      const spec = (v: WeightedVariant) => ({ variantName: v.variantName, modelName: v.modelName, instanceType: v.instanceType, instanceCount: v.instanceCount, initialWeight: v.weight });
      try {
        return await backend.hosting.createEndpointConfig({
          endpointConfigName: input.endpointConfigName,
          endpointName: input.endpointName,
          variants: input.variants.map(spec),
          ...(input.shadowVariants?.length ? { shadowVariants: input.shadowVariants.map(spec) } : {}),
          ...(base.dataCapture ? { dataCapture: base.dataCapture } : {}),
        });
      } catch (err) {
        hostingFailure(err);
      }
    },

    /**
     * UpdateEndpointWeightsAndCapacities, then waits (heartbeating) until the endpoint routes by
     * the new weights. Setting the same weights again (a retry) is harmless.
     */
    async shiftTraffic(input: { endpointName: string; endpointConfigName: string; weights: { variantName: string; weight: number }[] }): Promise<void> {
      const ctx = Context.current();
      const d = await backend.hosting.describeEndpoint(input.endpointName);
      if (!d) throw notFound(`endpoint ${input.endpointName} does not exist`);
      if (d.endpointConfigName !== input.endpointConfigName) throw conflict(`endpoint ${input.endpointName} serves ${d.endpointConfigName}, not ${input.endpointConfigName}: its weights are not this deployment's to change`);
      try {
        await backend.hosting.updateEndpointWeights(input.endpointName, input.weights);
      } catch (err) {
        hostingFailure(err);
      }
      const applied = (w: { variantName: string; weight: number }, variants: { variantName: string; currentWeight?: number }[]) => {
        const v = variants.find((x) => x.variantName === w.variantName);
        return v?.currentWeight === undefined || Math.abs(v.currentWeight - w.weight) < 1e-9;
      };
      await pollEndpoint(ctx, backend, settings, input.endpointName, (now) => {
        if (!now) throw notFound(`endpoint ${input.endpointName} disappeared while its traffic was shifted`);
        return now.status === 'InService' && input.weights.every((w) => applied(w, now.variants));
      });
    },

    /** The endpoint's per-variant counters now (what the alarms are computed from). */
    async readDeploymentMetrics(input: { endpointName: string }): Promise<EndpointMetricsSnapshot> {
      if (!backend.endpointMetrics) return { endpointName: input.endpointName, takenAt: new Date().toISOString(), variants: [], shadow: [], problems: [`the ${backend.name} backend reads no endpoint metrics`] };
      return backend.endpointMetrics.read(input.endpointName);
    },

    /** Target tracking for a variant (registering the same policy again is a no-op). */
    async registerAutoscaling(input: { endpointName: string; variantName: string; policy: AutoscalingConfig }): Promise<void> {
      try {
        await backend.autoscaling.register(input.endpointName, input.variantName, input.policy);
      } catch (err) {
        hostingFailure(err);
      }
    },

    async deregisterAutoscaling(input: { endpointName: string; variantName: string }): Promise<void> {
      await backend.autoscaling.deregister(input.endpointName, input.variantName);
    },

    /** aws: the CloudWatch alarms SageMaker watches while it shifts traffic, and the manual-abort alarm. */
    async putRollbackAlarms(input: { endpointName: string; variantName: string; alarms: RollbackAlarms; deploymentKey: string; endpointConfigName?: string }): Promise<{ alarmNames: string[]; abortAlarmName: string }> {
      if (!backend.guardrails) throw invalidInput(`the ${backend.name} backend has no deployment guardrails`);
      return backend.guardrails.putRollbackAlarms(input);
    },

    /** aws: UpdateEndpoint with a blue/green DeploymentConfig (canary, linear or all at once, auto-rollback on the alarms). */
    async startGuardedUpdate(input: GuardedUpdateSpec): Promise<void> {
      if (!backend.guardrails) throw invalidInput(`the ${backend.name} backend has no deployment guardrails`);
      // The guarded configuration keeps the variant's name, but SageMaker still refuses the update
      // when it changes an autoscaled variant's instance type: released first (a no-op otherwise).
      const released = await backend.autoscaling.releaseBeforeUpdate?.(input.endpointName, input.endpointConfigName);
      if (released?.length) Context.current().log.info('autoscaling deregistered before the guarded update', { endpointName: input.endpointName, variants: released });
      await backend.guardrails.startGuardedUpdate(input);
    },

    /** After SageMaker rolled an update back: the autoscaling released before it is registered again (idempotent). */
    async restoreAutoscaling(input: { endpointName: string }): Promise<{ restored: string[] }> {
      return { restored: (await backend.autoscaling.restoreAfterUpdate?.(input.endpointName)) ?? [] };
    },

    /** aws: the endpoint and the alarms while SageMaker deploys. */
    async describeGuardedDeployment(input: { endpointName: string; alarmNames: string[] }): Promise<{ status: EndpointStatus | 'absent'; endpointConfigName?: string; failureReason?: string; lastModifiedTime?: string; alarms: GuardrailAlarm[] }> {
      if (!backend.guardrails) throw invalidInput(`the ${backend.name} backend has no deployment guardrails`);
      const d = await backend.hosting.describeEndpoint(input.endpointName);
      const alarms = await backend.guardrails.alarmStates(input.alarmNames);
      if (!d) return { status: 'absent', alarms };
      return { status: d.status, endpointConfigName: d.endpointConfigName, ...(d.failureReason ? { failureReason: d.failureReason } : {}), lastModifiedTime: d.lastModifiedTime, alarms };
    },

    /** aws: a person's abort: the manual-abort alarm goes to ALARM and SageMaker rolls back. */
    async tripRollbackAlarm(input: { alarmName: string; reason: string }): Promise<void> {
      if (!backend.guardrails) throw invalidInput(`the ${backend.name} backend has no deployment guardrails`);
      await backend.guardrails.tripAlarm(input.alarmName, input.reason);
    },

    async deleteRollbackAlarms(input: { alarmNames: string[] }): Promise<void> {
      await backend.guardrails?.deleteAlarms(input.alarmNames);
    },
  };
}
