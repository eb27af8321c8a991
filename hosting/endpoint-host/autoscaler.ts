import { durationMs } from '../../common/duration';
import type { AutoscalingConfig } from '../../common/types/deployment';

/** When a variant last scaled (ms since the epoch); absent: never since the host started. */
export interface ScalingHistory {
  lastScaleOutAt?: number;
  lastScaleInAt?: number;
}

export interface ScalingDecision {
  /** Instances the variant should have now. */
  desired: number;
  /** What target tracking alone asks for (the cool-downs may hold it back). */
  wanted: number;
  action: 'scale-out' | 'scale-in' | 'none';
  reason: string;
}

/**
 * Target tracking on invocations per instance per minute, as Application Auto Scaling does it:
 * the instances that keep the measure at the target (ceil(rate / target)), within the bounds.
 * A scale-out waits `scaleOutCooldown` after the last scale-out; a scale-in waits
 * `scaleInCooldown` after the last scaling of either kind (so a burst that just scaled out is not
 * undone by the next quiet second).
 */
export function decideScaling(input: { policy: AutoscalingConfig; current: number; invocationsPerMinute: number; now: number; history: ScalingHistory }): ScalingDecision {
  const { policy, current, invocationsPerMinute, now, history } = input;
  const target = Math.max(policy.targetInvocationsPerInstancePerMinute, 1e-9);
  const raw = Math.ceil(invocationsPerMinute / target - 1e-9);
  const wanted = Math.min(policy.maxInstances, Math.max(policy.minInstances, raw));
  const measure = `${Math.round(invocationsPerMinute)} invocations/min on ${current} instance(s), target ${policy.targetInvocationsPerInstancePerMinute} per instance`;
  if (wanted > current) {
    const since = history.lastScaleOutAt === undefined ? Infinity : now - history.lastScaleOutAt;
    const wait = durationMs(policy.scaleOutCooldown);
    if (since < wait) return { desired: current, wanted, action: 'none', reason: `${measure}: scale-out to ${wanted} waits for its cool-down (${Math.ceil((wait - since) / 1000)} s)` };
    return { desired: wanted, wanted, action: 'scale-out', reason: `${measure}: scale out to ${wanted}` };
  }
  if (wanted < current) {
    const last = Math.max(history.lastScaleOutAt ?? -Infinity, history.lastScaleInAt ?? -Infinity);
    const since = now - last;
    const wait = durationMs(policy.scaleInCooldown);
    if (since < wait) return { desired: current, wanted, action: 'none', reason: `${measure}: scale-in to ${wanted} waits for its cool-down (${Math.ceil((wait - since) / 1000)} s)` };
    return { desired: wanted, wanted, action: 'scale-in', reason: `${measure}: scale in to ${wanted}` };
  }
  return { desired: current, wanted, action: 'none', reason: measure };
}
