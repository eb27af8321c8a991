import { durationMs } from '../../common/duration';
import { MAX_ALARM_READINGS, type DeploymentPolicy, type RollbackAlarms } from '../../common/types/deployment';

/** One stage of a stepwise deployment: the new model's share of the answers, held for `bakeMs`. */
export interface TrafficStep {
  share: number;
  bakeMs: number;
  /** The last step is the final baking period (the new model takes everything). */
  final: boolean;
}

/**
 * The traffic steps of a policy (shadow: the steps after its promotion). Shares are rounded to
 * 1e-6 so a linear step of 0.1 reaches exactly 1; a share is never above 1.
 */
export function trafficSteps(policy: DeploymentPolicy): TrafficStep[] {
  const finalStep: TrafficStep = { share: 1, bakeMs: durationMs(policy.finalBake), final: true };
  switch (policy.type) {
    case 'all-at-once':
    case 'shadow':
      return [finalStep];
    case 'canary':
      return policy.canaryShare >= 1 ? [finalStep] : [{ share: policy.canaryShare, bakeMs: durationMs(policy.canaryBake), final: false }, finalStep];
    case 'linear': {
      const steps: TrafficStep[] = [];
      const interval = durationMs(policy.stepInterval);
      for (let k = 1; ; k++) {
        const share = Math.round(Math.min(1, k * policy.stepShare) * 1e6) / 1e6;
        if (share >= 1) break;
        steps.push({ share, bakeMs: interval, final: false });
      }
      return [...steps, finalStep];
    }
  }
}

/** Whether a policy moves traffic at all beyond today's all-at-once switch without baking. */
export function isPlainSwitch(policy: DeploymentPolicy): boolean {
  return policy.type === 'all-at-once' && durationMs(policy.finalBake) === 0;
}

/** A policy in a line: "canary 10 % for 5 minutes, then all (final bake 10 minutes)". */
export function describePolicy(policy: DeploymentPolicy): string {
  const pct = (share: number) => `${Math.round(share * 1000) / 10} %`;
  switch (policy.type) {
    case 'all-at-once':
      return durationMs(policy.finalBake) > 0 ? `all at once, final bake ${policy.finalBake}` : 'all at once';
    case 'canary':
      return `canary ${pct(policy.canaryShare)} for ${policy.canaryBake}, then all (final bake ${policy.finalBake})`;
    case 'linear':
      return `linear, ${pct(policy.stepShare)} more every ${policy.stepInterval} (final bake ${policy.finalBake})`;
    case 'shadow':
      return `shadow ${pct(policy.shadowShare)} for ${policy.shadowPeriod}, promoted ${policy.promotion === 'auto' ? 'by rule' : 'by a person'} (final bake ${policy.finalBake})`;
  }
}

/** How long a policy bakes in all (a shadow's period included). */
export function totalBakeMs(policy: DeploymentPolicy): number {
  const steps = trafficSteps(policy).reduce((sum, s) => sum + s.bakeMs, 0);
  return policy.type === 'shadow' ? steps + durationMs(policy.shadowPeriod) : steps;
}

/**
 * The time between alarm readings: the alarms' interval (at least a second), stretched so the
 * whole deployment takes at most MAX_ALARM_READINGS (a configuration the edge did not check
 * must not grow the workflow's history past what Temporal keeps well).
 */
export function readingIntervalMs(policy: DeploymentPolicy, alarms: RollbackAlarms): number {
  return Math.max(1000, durationMs(alarms.evaluationInterval), Math.ceil(totalBakeMs(policy) / MAX_ALARM_READINGS));
}
