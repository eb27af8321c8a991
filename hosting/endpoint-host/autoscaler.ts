import { durationMs } from '../../common/duration';
import type { AutoscalingConfig } from '../../common/types/deployment';

/** When a variant last scaled (ms since the epoch); absent: never since the host started. */
export interface ScalingHistory {
  lastScaleOutAt?: number;
  lastScaleInAt?: number;
}

/**
 * Complete seconds the load must stay above what the instances serve at the target before a
 * scale-out (Application Auto Scaling's high alarm: 3 datapoints), and below what fewer instances
 * would serve before a scale-in (its low alarm: 15 datapoints; ours is shorter, seconds not minutes).
 */
export const SCALE_OUT_SECONDS = 3;
export const SCALE_IN_SECONDS = 10;

/** The load as target tracking reads it, in invocations per minute of the whole variant. */
export interface ScalingMeasure {
  /** The lowest per-second rate of the last SCALE_OUT_SECONDS complete seconds (the load stayed at least this high). */
  sustained: number;
  /** The mean rate over those seconds: how many instances a scale-out asks for. */
  recent: number;
  /**
   * The highest per-second rate of those seconds: how many instances a scale-in asks for (the load
   * now, as AWS sizes a scale-in by the latest datapoint; absent: `peak`).
   */
  recentPeak?: number;
  /** The highest per-second rate of the last SCALE_IN_SECONDS complete seconds (the load stayed at most this high). */
  peak: number;
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
 * the variant jumps to the instances that keep the measure at the target,
 * ceil(current * perInstance / target) = ceil(rate / target), within the bounds, not one at a time.
 * It scales out once the rate stayed above what the current instances serve at the target in each
 * of the last SCALE_OUT_SECONDS (to what their mean rate needs), and in once it stayed below what fewer would serve for SCALE_IN_SECONDS (so a
 * scale-in never undoes a scale-out on the next quiet second, and one step reaches the count the
 * whole window needs instead of stopping on the way down). Cool-downs as AWS documents them
 * (ScaleOutCooldown / ScaleInCooldown): a scale-out waits `scaleOutCooldown` after the last
 * scale-out, a scale-in waits `scaleInCooldown` after the last scale-in; a scale-out right after a
 * scale-in does not wait.
 */
export function decideScaling(input: { policy: AutoscalingConfig; current: number; measure: ScalingMeasure; now: number; history: ScalingHistory }): ScalingDecision {
  const { policy, current, measure, now, history } = input;
  const target = Math.max(policy.targetInvocationsPerInstancePerMinute, 1e-9);
  const within = (rate: number) => Math.min(policy.maxInstances, Math.max(policy.minInstances, Math.ceil(rate / target - 1e-9)));
  // A scale-out needs the load above the current instances' target in each of the seconds, and
  // asks for what their mean needs (one slow second does not cut the step short).
  const outWanted = within(measure.sustained) > current ? Math.max(within(measure.sustained), within(measure.recent)) : current;
  // A scale-in happens once the whole window stayed below what fewer instances serve, and goes to
  // what the load of the last seconds needs: a drop that fell inside the window's oldest second
  // (partly high) would otherwise stop one instance short and wait a cool-down for the rest.
  const inWanted = within(measure.peak) < current ? within(Math.min(measure.peak, measure.recentPeak ?? measure.peak)) : current;
  const said = `${Math.round(measure.recent)} invocations/min over ${SCALE_OUT_SECONDS} s (at least ${Math.round(measure.sustained)}), at most ${Math.round(measure.peak)} for ${SCALE_IN_SECONDS} s, on ${current} instance(s), target ${policy.targetInvocationsPerInstancePerMinute} per instance`;
  if (outWanted > current) {
    const since = history.lastScaleOutAt === undefined ? Infinity : now - history.lastScaleOutAt;
    const wait = durationMs(policy.scaleOutCooldown);
    if (since < wait) return { desired: current, wanted: outWanted, action: 'none', reason: `${said}: scale-out to ${outWanted} waits for its cool-down (${Math.ceil((wait - since) / 1000)} s)` };
    return { desired: outWanted, wanted: outWanted, action: 'scale-out', reason: `${said}: scale out to ${outWanted}` };
  }
  if (inWanted < current) {
    const since = history.lastScaleInAt === undefined ? Infinity : now - history.lastScaleInAt;
    const wait = durationMs(policy.scaleInCooldown);
    if (since < wait) return { desired: current, wanted: inWanted, action: 'none', reason: `${said}: scale-in to ${inWanted} waits for its cool-down (${Math.ceil((wait - since) / 1000)} s)` };
    return { desired: inWanted, wanted: inWanted, action: 'scale-in', reason: `${said}: scale in to ${inWanted}` };
  }
  return { desired: current, wanted: current, action: 'none', reason: said };
}
