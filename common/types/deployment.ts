import type { TaskQueues } from '../task-queues';
import type { ModelFamily } from './model';

/**
 * How step 10 moves an endpoint's traffic to a new model (SageMaker's deployment guardrails).
 * Every policy ends with a final baking period: the old model's instances stay up, at no traffic,
 * so a tripped alarm puts every request back on them at once. Durations read as `durationMs` reads
 * them ('30 seconds', '10 minutes').
 * - `all-at-once`: all traffic at once (blue/green); with `finalBake` '0 seconds' it is step 10 as
 *   it always was (no bake, the old instances go as soon as the new ones serve).
 * - `canary`: `canaryShare` of the traffic for `canaryBake`, then all of it.
 * - `linear`: `stepShare` more every `stepInterval` until all of it.
 * - `shadow`: `shadowShare` of the traffic is mirrored to the new model for `shadowPeriod`; only the
 *   old model answers; then it is promoted by rule (`promotion: 'auto'`: no alarm tripped and the
 *   predictions agree within `maxMedianRelativeDifference`) or by a person (`manual`, who has
 *   `decisionTimeout` to decide; then it is aborted), and takes all traffic at once.
 */
export type DeploymentPolicy =
  | { type: 'all-at-once'; finalBake: string }
  | { type: 'canary'; canaryShare: number; canaryBake: string; finalBake: string }
  | { type: 'linear'; stepShare: number; stepInterval: string; finalBake: string }
  | {
      type: 'shadow';
      shadowShare: number;
      shadowPeriod: string;
      promotion: 'auto' | 'manual';
      /** Auto promotion only when the median of |new - old| / |old| over the mirrored requests is at most this. */
      maxMedianRelativeDifference?: number;
      decisionTimeout: string;
      finalBake: string;
    };

export type DeploymentPolicyType = DeploymentPolicy['type'];

/** The label-range positions the gateway counts predictions by (histogram bounds); a tolerance is one of them. */
export const SANITY_TOLERANCES = [0, 0.05, 0.1, 0.2, 0.5, 1] as const;

/**
 * What rolls a deployment back, judged on the new model's variant over the last `window` of
 * readings taken every `evaluationInterval` (CloudWatch alarms in our words). A rate is judged only
 * once the window holds `minInvocations` requests of the new model.
 */
export interface RollbackAlarms {
  /** Share (0-1) of the new model's invocations that failed (5xx, ModelError) above which it is rolled back. */
  maxErrorRate: number;
  /** The new model's p99 latency (ms) above which it is rolled back. */
  maxP99LatencyMs: number;
  /**
   * Optional: the share (0-1) of the new model's predictions outside the training label's range
   * (widened by `tolerance` times its width, one of SANITY_TOLERANCES) above which it is rolled
   * back. Counted by the gateway, so only traffic through the gateway is judged.
   */
  predictionSanity?: { maxOutOfRangeShare: number; tolerance: number };
  minInvocations: number;
  window: string;
  evaluationInterval: string;
}

/**
 * Target tracking on invocations per instance per minute (Application Auto Scaling's
 * SageMakerVariantInvocationsPerInstance), between `minInstances` and `maxInstances`; after a
 * scale-out the next one waits `scaleOutCooldown`, a scale-in waits `scaleInCooldown` after any.
 */
export interface AutoscalingConfig {
  minInstances: number;
  maxInstances: number;
  targetInvocationsPerInstancePerMinute: number;
  scaleOutCooldown: string;
  scaleInCooldown: string;
}

/** One variant of the endpoint as a deployment sees it. */
export interface DeploymentVariant {
  variantName: string;
  modelName: string;
  instanceType: string;
  instanceCount: number;
}

/** The deployment workflow's input: the endpoint, the new model's configuration, and how to move to it. */
export interface EndpointDeploymentInput {
  endpointName: string;
  family: ModelFamily;
  /** The new model and its single-variant endpoint configuration (step 9's). */
  target: { modelName: string; version: number; endpointConfigName: string; featureSchemaUri?: string };
  policy: DeploymentPolicy;
  alarms: RollbackAlarms;
  autoscaling?: AutoscalingConfig;
  /** Who asked: the training run or rollback that started it (a person's name for a rollback). */
  requestedBy: { workflowId: string; kind: 'training' | 'rollback' | 'manual'; by?: string };
  taskQueues: TaskQueues;
}

export type DeploymentPhase =
  | 'preparing'
  | 'creating'
  | 'updating'
  | 'shifting'
  | 'baking'
  | 'shadowing'
  | 'awaiting-decision'
  | 'promoting'
  | 'rolling-back'
  | 'completed'
  | 'rolled-back'
  | 'failed';

export type AlarmName = 'error-rate' | 'p99-latency' | 'prediction-sanity';

/** One alarm as last evaluated (CloudWatch's states). */
export interface AlarmState {
  name: AlarmName;
  state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  threshold: number;
  /** The value over the window (absent without data). */
  value?: number;
  /** Requests the value is computed from. */
  sample: number;
  reason: string;
}

/** Percentiles of a distribution read from histogram buckets (upper bounds: the bucket edge). */
export interface Percentiles {
  p50?: number;
  p90?: number;
  p99?: number;
}

/** A variant over the alarm window: requests, failures and latency. */
export interface VariantWindow {
  variantName: string;
  role: 'production' | 'shadow';
  invocations: number;
  errors: number;
  latencyMs: Percentiles;
}

/** The new model mirrored beside the old one: how far apart they answer, how fast, how often they fail. */
export interface ShadowComparison {
  championVariant: string;
  shadowVariant: string;
  /** Mirrored requests answered by both, since the shadow started. */
  pairs: number;
  /** |shadow - champion| / max(|champion|, 1e-9) over the pairs. */
  relativeDifference: Percentiles;
  champion: { invocations: number; errors: number; latencyMs: Percentiles };
  shadow: { invocations: number; errors: number; latencyMs: Percentiles };
  /** Mirrored requests not sent because the shadow was saturated (the answer never waits for it). */
  dropped: number;
}

/** One alarm reading of a deployment (what the query and `mlops deployments show` list). */
export interface DeploymentReading {
  at: string;
  variants: VariantWindow[];
  alarms: AlarmState[];
}

export interface TrafficShare {
  variantName: string;
  modelName: string;
  role: 'production' | 'shadow';
  /** Share of requests answered (production) or mirrored (shadow), 0-1. */
  share: number;
}

/** A person's promote or abort. */
export interface DeploymentDecisionInput {
  by: string;
  reason: string;
}

export interface DeploymentDecision extends DeploymentDecisionInput {
  action: 'promote' | 'abort';
  at: string;
}

/** The deployment as its query answers (and the Temporal UI's current details summarise). */
export interface DeploymentState {
  endpointName: string;
  family: ModelFamily;
  policy: DeploymentPolicy;
  /** `driven`: this workflow shifts traffic and reads the alarms (local); `managed`: SageMaker's guardrails do, this workflow follows (aws). */
  mode?: 'driven' | 'managed';
  phase: DeploymentPhase;
  target: EndpointDeploymentInput['target'] & { variantName: string };
  /** The model served before (absent: the endpoint is new). */
  previous?: { endpointConfigName: string; variantName: string; modelName: string };
  traffic: TrafficShare[];
  /** Where a stepwise policy is: step `index` of `of` (1-based) until `until`. */
  step?: { index: number; of: number; share: number; until?: string };
  alarms: AlarmState[];
  /** The latest readings, newest last (at most 20). */
  readings: DeploymentReading[];
  shadow?: ShadowComparison;
  decision?: DeploymentDecision;
  rollback?: { reason: string; at: string; alarm?: AlarmName; by?: string };
  requestedBy: EndpointDeploymentInput['requestedBy'];
  startedAt: string;
  updatedAt: string;
}

export interface EndpointDeploymentResult {
  endpointName: string;
  outcome: 'deployed' | 'rolled-back';
  /** What step 10 did to the endpoint (as before the deployment workflow existed). */
  action: 'created' | 'updated' | 'unchanged';
  /** The configuration the endpoint serves at the end. */
  endpointConfigName: string;
  reason: string;
  rollback?: DeploymentState['rollback'];
  decision?: DeploymentDecision;
}

/** Step 10 as it always was: all traffic at once, no baking (the default policy). */
export const PLAIN_SWITCH: DeploymentPolicy = { type: 'all-at-once', finalBake: '0 seconds' };

/** The rollback alarms when a run names none. */
/**
 * Alarm readings a deployment may take: each is an activity and a timer in the deployment
 * workflow's history, which Temporal keeps well only up to some tens of thousands of events.
 */
export const MAX_ALARM_READINGS = 2000;

export const DEFAULT_ROLLBACK_ALARMS: RollbackAlarms = { maxErrorRate: 0.05, maxP99LatencyMs: 1000, minInvocations: 20, window: '1 minute', evaluationInterval: '5 seconds' };

/**
 * The deployment workflow of one model version on one endpoint (a retried step 10 finds the same
 * one). Built from what the run's history holds (not from run-scoped names), so it replays.
 */
export function deploymentWorkflowId(endpointName: string, version: number): string {
  return `deployment/${endpointName}/v${version}`;
}
