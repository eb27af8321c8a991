import { CancellationScope, condition, isCancellation, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { PreparedDeployment, WeightedVariant } from '../../activities/inference/deployment';
import type { EndpointMetricsSnapshot } from '../../activities/backends/types';
import { guardrailLimitProblems } from '../../common/deployment-guardrail-limits';
import { durationMs } from '../../common/duration';
import { deploymentFailed, invalidInput } from '../../common/errors';
import { runScopedName } from '../../common/ids';
import { MAX_ALARM_READINGS, type AlarmState, type DeploymentDecision, type DeploymentState, type EndpointDeploymentInput, type EndpointDeploymentResult, type TrafficShare } from '../../common/types/deployment';
import { deployActivityOptions, quickActivityOptions, step } from '../shared/activity-options';
import { createOrUpdateEndpoint } from '../shared/endpoint-steps';
import { innermostMessage } from '../shared/failures';
import { PipelineRun } from '../shared/pipeline-run';
import { compareShadow, evaluateAlarms, increaseOver, variantWindow, windowStart } from './alarms';
import { abortDeploymentUpdate, deploymentStateQuery, promoteDeploymentUpdate, validateDeploymentDecision } from './deployment.messages';
import { describePolicy, isPlainSwitch, readingIntervalMs, trafficSteps, type TrafficStep } from './traffic-plan';

const MAX_READINGS_SHOWN = 20;

/**
 * Since this change the managed follow loop waits only while SageMaker updates (Updating,
 * Creating) and for at most the update's own timeout plus a margin; any other status fails the
 * deployment. Runs recorded before it waited on any status but InService and Failed.
 */
export const MANAGED_FOLLOW_PATCH = 'deployment-managed-follow-bounded';
/**
 * Since this change the rollback alarms are deleted once the guarded update has ended (or never
 * started), and kept while it may still run; runs before it deleted them whenever following the
 * update stopped, and not at all when starting it failed.
 */
export const MANAGED_ALARMS_PATCH = 'deployment-managed-alarms-kept-while-running';
/** Since this change a policy past SageMaker's blue/green limits is refused before anything is created. */
export const GUARDRAIL_LIMITS_PATCH = 'deployment-guardrail-limits-first';
/** How long after SageMaker's own deployment timeout the workflow still waits for its verdict. */
const MANAGED_FOLLOW_MARGIN_MS = 30 * 60_000;

/** Since this change a decision accepted while the bake's last reading ran is acted on, not dropped. */
export const DECISION_AT_BAKE_END_PATCH = 'deployment-decision-at-bake-end';

/**
 * Since this change a driven deployment that fails or is cancelled after it put the shadow or
 * transition configuration on the endpoint puts everything back on the old model before it
 * fails; runs recorded before it (a closed, failed run replayed for a query) failed at once.
 */
export const ROLLBACK_ON_FAILURE_PATCH = 'deployment-rollback-on-failure';
/**
 * Since this change, after SageMaker rolled a guarded update back, the autoscaling released
 * before the update (an autoscaled variant whose instance type changed) is registered again.
 */
export const MANAGED_RESTORE_AUTOSCALING_PATCH = 'deployment-managed-restore-autoscaling';
/**
 * Since this change a shadow deployment runs on aws too: a configuration with the new model in
 * ShadowProductionVariants, its own rollback alarms, then (promoted) the guarded update; runs
 * recorded before it were refused with an error.
 */
export const MANAGED_SHADOW_PATCH = 'deployment-managed-shadow';
/** Since this change a metrics read that fails (retries spent) counts as INSUFFICIENT_DATA for that reading. */
export const METRICS_READ_FAILURE_PATCH = 'deployment-metrics-read-insufficient-data';

type BakeVerdict =
  | { kind: 'baked' }
  | { kind: 'promote'; decision: DeploymentDecision }
  | { kind: 'abort'; decision: DeploymentDecision }
  | { kind: 'alarm'; alarm: AlarmState }
  /** Shadow: not promoted (by rule, or nobody decided in time). */
  | { kind: 'rejected'; reason: string };

/**
 * Step 10's deployment: moves an endpoint from the model it serves to a new one by the model's
 * policy. Locally (`driven`) this workflow shifts the traffic itself: a transition configuration
 * holds both models (the old one keeps its instances), the new model's weight goes up step by
 * step, every step bakes while the rollback alarms are read from the endpoint's per-variant
 * counters, and a tripped alarm or a person's abort puts every request back on the old model
 * (weights first, so no request is dropped) before the endpoint returns to its old configuration.
 * On aws (`managed`) SageMaker's deployment guardrails shift and roll back; this workflow creates
 * their alarms, starts the guarded update and follows it. A new endpoint, a Failed one, or the
 * default policy (all at once, no bake) is step 10 as it always was.
 */
export async function endpointDeployment(input: EndpointDeploymentInput): Promise<EndpointDeploymentResult> {
  const queue = input.taskQueues.compute;
  const pipeline = new PipelineRun(queue);
  const quick = proxyActivities<Activities>(quickActivityOptions(queue));
  const deploy = proxyActivities<Activities>(deployActivityOptions(queue));
  const name = input.endpointName;
  const now = () => new Date().toISOString();
  const state: DeploymentState = {
    endpointName: name,
    family: input.family,
    policy: input.policy,
    phase: 'preparing',
    target: { ...input.target, variantName: '' },
    traffic: [],
    alarms: [],
    readings: [],
    requestedBy: input.requestedBy,
    startedAt: now(),
    updatedAt: now(),
  };
  let pending: DeploymentDecision | undefined;
  /** A driven deployment's configuration on the endpoint that a failure must undo (none: nothing to undo). */
  let leftOn: { kind: 'shadow' | 'transition'; endpointConfigName: string } | undefined;
  const show = () => {
    state.updatedAt = now();
    const split = state.traffic.map((t) => `${t.modelName} ${Math.round(t.share * 1000) / 10} %${t.role === 'shadow' ? ' (shadow)' : ''}`).join(', ');
    const alarms = state.alarms.map((a) => `${a.name} ${a.state}${a.value !== undefined ? ` (${a.value})` : ''}`).join(', ');
    pipeline.show(`**Deployment of ${input.target.modelName}** to ${name} (${describePolicy(input.policy)}): ${state.phase}${split ? `; traffic: ${split}` : ''}${alarms ? `; alarms: ${alarms}` : ''}`);
  };
  const open = () => ['shifting', 'baking', 'shadowing', 'awaiting-decision'].includes(state.phase) && !pending;
  const decide = (action: 'promote' | 'abort') => (d: { by: string; reason: string }) => {
    pending = { action, by: d.by.trim(), reason: d.reason.trim(), at: now() };
    return state;
  };
  const validator = (action: 'promote' | 'abort') => (d: { by: string; reason: string }) => {
    validateDeploymentDecision(d);
    if (!open()) throw new Error(`deployment of ${name} is ${state.phase}${pending ? ` (${pending.action} by ${pending.by} pending)` : ''}: nothing to ${action}`);
    // A shadow on aws is ours to promote (nothing answers from it); SageMaker's shifting afterwards is not.
    const shadowing = state.phase === 'shadowing' || state.phase === 'awaiting-decision';
    if (action === 'promote' && state.mode === 'managed' && !shadowing) throw new Error(`SageMaker shifts the traffic of ${name}: it can be aborted, not promoted early`);
  };
  /** The decision a person's update left for the loop to act on; taken once. */
  const takeDecision = (): DeploymentDecision => {
    const decision = pending!;
    pending = undefined;
    return decision;
  };
  const decided = (): BakeVerdict => {
    const decision = takeDecision();
    return decision.action === 'promote' ? { kind: 'promote', decision } : { kind: 'abort', decision };
  };
  /** A shadow past its period without a verdict by rule: a person promotes or aborts within the decision timeout, else it is rejected. */
  const awaitShadowDecision = async (policy: Extract<EndpointDeploymentInput['policy'], { type: 'shadow' }>): Promise<BakeVerdict> => {
    state.phase = 'awaiting-decision';
    show();
    if (!(await condition(() => pending !== undefined, policy.decisionTimeout))) return { kind: 'rejected', reason: `nobody promoted the shadow within ${policy.decisionTimeout}` };
    return decided();
  };
  setHandler(deploymentStateQuery, () => state);
  setHandler(promoteDeploymentUpdate, decide('promote'), { validator: validator('promote') });
  setHandler(abortDeploymentUpdate, decide('abort'), { validator: validator('abort') });
  show();

  const finish = async (result: EndpointDeploymentResult): Promise<EndpointDeploymentResult> => {
    state.phase = result.outcome === 'deployed' ? 'completed' : 'rolled-back';
    show();
    if (result.outcome === 'rolled-back') {
      await pipeline.finish('rolled-back', {
        key: 'rolled-back',
        kind: 'deployment.rolled-back',
        severity: 'error',
        subject: `${input.family}: ${input.target.modelName} rolled back on ${name}`,
        message: `The deployment of ${input.target.modelName} (v${input.target.version}) to ${name} was rolled back: ${result.reason}. ${state.previous?.modelName ?? 'The previous model'} serves all traffic again.`,
        details: { endpointName: name, family: input.family, modelName: input.target.modelName, version: input.target.version, rollback: state.rollback ?? null, alarms: state.alarms },
      });
    } else {
      pipeline.markOutcome('deployed');
    }
    return result;
  };

  try {
    const target = { endpointName: name, endpointConfigName: input.target.endpointConfigName };
    const plainSwitch = async (reason: (action: 'created' | 'updated' | 'unchanged') => string) => {
      state.phase = 'updating';
      show();
      const action = await createOrUpdateEndpoint({ quick, deploy }, target);
      state.traffic = [{ variantName: state.target.variantName, modelName: input.target.modelName, role: 'production', share: 1 }];
      await applyAutoscaling(state.target.variantName);
      return finish({ endpointName: name, outcome: 'deployed', action, endpointConfigName: target.endpointConfigName, reason: reason(action) });
    };
    if (isPlainSwitch(input.policy)) {
      // The default: step 10 as it always was (the variant is named after its model).
      state.target.variantName = input.target.modelName;
      return await plainSwitch((action) => (action === 'created' ? `${name} created` : 'all traffic at once'));
    }
    const prepared = await step(`step 10: prepare the deployment of ${input.target.modelName} to ${name}`, quick.prepareDeployment, {
      endpointName: name,
      targetConfigName: input.target.endpointConfigName,
      ...(input.autoscaling ? { autoscaling: input.autoscaling } : {}),
    });
    state.mode = prepared.mode;
    state.target.variantName = prepared.target.variantName;
    const previous = previousVariant(prepared);
    // Nothing to roll back to (a new or Failed endpoint, or one already serving this model): no traffic to shift.
    if (!previous) return await plainSwitch((action) => (action === 'created' ? `${name} created` : `${name} served no other model to shift traffic from`));
    state.previous = { endpointConfigName: prepared.current!.endpointConfigName, variantName: previous.variantName, modelName: previous.modelName };
    if (prepared.mode === 'managed' && input.policy.type === 'shadow') {
      if (!patched(MANAGED_SHADOW_PATCH)) {
        throw invalidInput(`deployment of ${input.target.modelName}: shadow deployments run on the local backend; on aws SageMaker's shadow tests (CreateInferenceExperiment) are not wired yet`);
      }
      return await managedShadow(prepared, previous, input.policy);
    }
    return prepared.mode === 'managed' ? await managed(prepared, previous) : await driven(prepared, previous);
  } catch (err) {
    state.phase = 'failed';
    show();
    throw err;
  }

  async function applyAutoscaling(variantName: string): Promise<void> {
    if (!input.autoscaling) return;
    await step(`step 10: autoscale ${name}/${variantName} (${input.autoscaling.minInstances}-${input.autoscaling.maxInstances} instances)`, quick.registerAutoscaling, { endpointName: name, variantName, policy: input.autoscaling });
  }

  function shares(previous: WeightedVariant, targetVariant: string, share: number): TrafficShare[] {
    return [
      { variantName: previous.variantName, modelName: previous.modelName, role: 'production', share: round(1 - share) },
      { variantName: targetVariant, modelName: input.target.modelName, role: 'production', share },
    ];
  }

  /**
   * A driven deployment that fails (an activity's retries spent, a bug) or is cancelled (its
   * training run cancelled or terminated) must not leave the endpoint splitting traffic: every
   * request goes back to the old model, then its own configuration returns, before it fails.
   */
  async function driven(prepared: PreparedDeployment, previous: WeightedVariant): Promise<EndpointDeploymentResult> {
    try {
      return await drive(prepared, previous);
    } catch (err) {
      const undo = leftOn;
      if (undo && patched(ROLLBACK_ON_FAILURE_PATCH)) {
        await CancellationScope.nonCancellable(() => undoOnFailure(undo, previous, prepared.target.variantName, err));
      }
      throw err;
    }
  }

  async function undoOnFailure(undo: NonNullable<typeof leftOn>, previous: WeightedVariant, targetVariant: string, err: unknown): Promise<void> {
    const reason = isCancellation(err) ? 'the deployment was cancelled' : `the deployment failed: ${innermostMessage(err)}`;
    state.phase = 'rolling-back';
    state.rollback = { reason, at: now() };
    show();
    try {
      if (undo.kind === 'transition') {
        // Weights first (in place, nothing restarts); the endpoint may not serve the transition yet when its update failed.
        await step(`step 10: all of ${name} back to ${previous.modelName} (${reason})`, deploy.shiftTraffic, {
          endpointName: name,
          endpointConfigName: undo.endpointConfigName,
          weights: [
            { variantName: previous.variantName, weight: 1 },
            { variantName: targetVariant, weight: 0 },
          ],
        }).catch((shiftErr: unknown) => pipeline.show(`moving the traffic of ${name} back to ${previous.modelName} failed (${innermostMessage(shiftErr)}); its old configuration returns`));
      }
      await createOrUpdateEndpoint({ quick, deploy }, { endpointName: name, endpointConfigName: state.previous!.endpointConfigName });
      state.traffic = [{ variantName: previous.variantName, modelName: previous.modelName, role: 'production', share: 1 }];
      leftOn = undefined;
    } catch (undoErr) {
      // The original failure is what the run reports; the endpoint's state is told here.
      pipeline.show(`**${name} may still serve ${undo.endpointConfigName}**: putting back ${state.previous!.endpointConfigName} failed: ${innermostMessage(undoErr)}`);
    }
  }

  /** A shadow that failed its test (alarm, abort, no decision) is taken away: the endpoint goes back to its previous configuration. */
  async function rollBackShadow(verdict: Exclude<BakeVerdict, { kind: 'baked' | 'promote' }>, previous: WeightedVariant): Promise<EndpointDeploymentResult> {
    const reason = verdict.kind === 'alarm' ? `alarm ${verdict.alarm.name} on the shadow: ${verdict.alarm.reason}` : verdict.kind === 'abort' ? `aborted by ${verdict.decision.by}: ${verdict.decision.reason}` : verdict.reason;
    state.phase = 'rolling-back';
    state.rollback = { reason, at: now(), ...(verdict.kind === 'alarm' ? { alarm: verdict.alarm.name } : {}), ...(verdict.kind === 'abort' ? { by: verdict.decision.by } : {}) };
    if (verdict.kind === 'abort') state.decision = verdict.decision;
    show();
    await createOrUpdateEndpoint({ quick, deploy }, { endpointName: name, endpointConfigName: state.previous!.endpointConfigName });
    leftOn = undefined;
    state.traffic = [{ variantName: previous.variantName, modelName: previous.modelName, role: 'production', share: 1 }];
    return finish({ endpointName: name, outcome: 'rolled-back', action: 'unchanged', endpointConfigName: state.previous!.endpointConfigName, reason, rollback: state.rollback, ...(state.decision ? { decision: state.decision } : {}) });
  }

  async function drive(prepared: PreparedDeployment, previous: WeightedVariant): Promise<EndpointDeploymentResult> {
    const transitionConfig = runScopedName(['transition', input.family], pipeline.run);
    const targetVariant = prepared.target.variantName;
    let promotedBy: DeploymentDecision | undefined;
    if (input.policy.type === 'shadow') {
      const verdict = await shadowTest(prepared, previous, input.policy);
      // The shadow never answered: taking it away is all a rollback needs.
      if (verdict.kind !== 'baked' && verdict.kind !== 'promote') return rollBackShadow(verdict, previous);
      if (verdict.kind === 'promote') promotedBy = state.decision = verdict.decision;
    }
    state.phase = 'updating';
    state.traffic = shares(previous, targetVariant, 0);
    show();
    await step(`step 10: configuration with ${previous.modelName} and ${input.target.modelName} side by side`, quick.createTransitionConfig, {
      endpointConfigName: transitionConfig,
      endpointName: name,
      captureFrom: input.target.endpointConfigName,
      variants: [
        { ...previous, weight: 1 },
        { ...prepared.target, weight: 0 },
      ],
    });
    leftOn = { kind: 'transition', endpointConfigName: transitionConfig };
    await createOrUpdateEndpoint({ quick, deploy }, { endpointName: name, endpointConfigName: transitionConfig });
    const weights = (share: number) => [
      { variantName: previous.variantName, weight: round(1 - share) },
      { variantName: targetVariant, weight: share },
    ];
    const readings: EndpointMetricsSnapshot[] = [];
    const steps = trafficSteps(input.policy);
    let verdict: BakeVerdict = { kind: 'baked' };
    for (const [i, s] of steps.entries()) {
      state.phase = 'shifting';
      state.step = { index: i + 1, of: steps.length, share: s.share };
      show();
      await step(`step 10: ${pct(s.share)} of ${name} to ${input.target.modelName}`, deploy.shiftTraffic, { endpointName: name, endpointConfigName: transitionConfig, weights: weights(s.share) });
      state.traffic = shares(previous, targetVariant, s.share);
      verdict = await bake(s, readings, targetVariant);
      if (verdict.kind !== 'baked') break;
    }
    if (verdict.kind === 'alarm' || verdict.kind === 'abort') {
      state.phase = 'rolling-back';
      const reason = verdict.kind === 'alarm' ? `alarm ${verdict.alarm.name}: ${verdict.alarm.reason}` : `aborted by ${verdict.decision.by}: ${verdict.decision.reason}`;
      state.rollback = { reason, at: now(), ...(verdict.kind === 'alarm' ? { alarm: verdict.alarm.name } : { by: verdict.decision.by }) };
      if (verdict.kind === 'abort') state.decision = verdict.decision;
      show();
      // Every request back on the old model first (in place, nothing restarts), then its own configuration.
      await step(`step 10: all of ${name} back to ${previous.modelName}`, deploy.shiftTraffic, { endpointName: name, endpointConfigName: transitionConfig, weights: weights(0) });
      state.traffic = shares(previous, targetVariant, 0);
      await createOrUpdateEndpoint({ quick, deploy }, { endpointName: name, endpointConfigName: state.previous!.endpointConfigName });
      leftOn = undefined;
      state.traffic = [{ variantName: previous.variantName, modelName: previous.modelName, role: 'production', share: 1 }];
      return finish({ endpointName: name, outcome: 'rolled-back', action: 'unchanged', endpointConfigName: state.previous!.endpointConfigName, reason, rollback: state.rollback, ...(state.decision ? { decision: state.decision } : {}) });
    }
    if (verdict.kind === 'promote') state.decision = verdict.decision;
    state.phase = 'promoting';
    show();
    if (verdict.kind === 'promote') await step(`step 10: all of ${name} to ${input.target.modelName} (promoted by ${verdict.decision.by})`, deploy.shiftTraffic, { endpointName: name, endpointConfigName: transitionConfig, weights: weights(1) });
    state.traffic = shares(previous, targetVariant, 1);
    await createOrUpdateEndpoint({ quick, deploy }, { endpointName: name, endpointConfigName: input.target.endpointConfigName });
    leftOn = undefined;
    state.traffic = [{ variantName: targetVariant, modelName: input.target.modelName, role: 'production', share: 1 }];
    await applyAutoscaling(targetVariant);
    const reason =
      verdict.kind === 'promote'
        ? `promoted by ${verdict.decision.by}: ${verdict.decision.reason}`
        : promotedBy
          ? `shadow promoted by ${promotedBy.by}: ${promotedBy.reason}; no alarm tripped`
          : `${describePolicy(input.policy)}: no alarm tripped`;
    return finish({ endpointName: name, outcome: 'deployed', action: 'updated', endpointConfigName: input.target.endpointConfigName, reason, ...(state.decision ? { decision: state.decision } : {}) });
  }

  /** Holds a traffic step for its baking period, reading the alarms every evaluation interval. */
  async function bake(s: TrafficStep, readings: EndpointMetricsSnapshot[], targetVariant: string, shadow?: { champion: string; base?: EndpointMetricsSnapshot }): Promise<BakeVerdict> {
    state.phase = shadow ? 'shadowing' : s.final ? 'baking' : 'shifting';
    const every = readingIntervalMs(input.policy, input.alarms);
    const end = Date.now() + s.bakeMs;
    state.step = { ...state.step!, until: new Date(end).toISOString() };
    show();
    const read = async (): Promise<AlarmState | undefined> => {
      let snapshot: EndpointMetricsSnapshot;
      try {
        snapshot = await step(`step 10: read the alarms of ${name}`, quick.readDeploymentMetrics, { endpointName: name });
      } catch (err) {
        // A reading that cannot be had is missing data, as CloudWatch treats it for SageMaker's
        // guardrails: it neither trips an alarm nor fails the deployment; the next reading may.
        if (isCancellation(err) || !patched(METRICS_READ_FAILURE_PATCH)) throw err;
        const why = `reading the metrics failed: ${innermostMessage(err)}`;
        state.alarms = evaluateAlarms(input.alarms, undefined, undefined).map((a) => ({ ...a, reason: why }));
        show();
        return undefined;
      }
      readings.push(snapshot);
      const from = windowStart(readings, input.alarms.window);
      // Readings before the window are no longer needed (the first one in it is the window's base).
      if (from > 0) readings.splice(0, from);
      const increase = increaseOver(readings, 0);
      state.alarms = evaluateAlarms(input.alarms, increase.variants.get(targetVariant), increase.positions.get(targetVariant));
      if (shadow) {
        shadow.base ??= snapshot;
        state.shadow = compareShadow(increaseOver([shadow.base, snapshot]), shadow.champion, targetVariant);
      }
      state.readings = [...state.readings, { at: snapshot.takenAt, variants: [...increase.variants.values()].map(variantWindow), alarms: state.alarms }].slice(-MAX_READINGS_SHOWN);
      show();
      return state.alarms.find((a) => a.state === 'ALARM');
    };
    if (readings.length === 0) await read();
    for (;;) {
      const left = end - Date.now();
      // A decision accepted while the last reading ran is still the person's: act on it (the
      // condition below returns at once), do not end the bake over it.
      if (left <= 0 && !(pending !== undefined && patched(DECISION_AT_BAKE_END_PATCH))) return { kind: 'baked' };
      if (await condition(() => pending !== undefined, Math.min(every, left))) return decided();
      const alarm = await read();
      if (alarm) return { kind: 'alarm', alarm };
    }
  }

  /** Step 10's shadow configuration: the old model answers everything, the new one gets `shadowShare` of it mirrored. */
  async function createShadowConfig(prepared: PreparedDeployment, previous: WeightedVariant, policy: Extract<EndpointDeploymentInput['policy'], { type: 'shadow' }>): Promise<string> {
    const shadowConfig = runScopedName(['shadow', input.family], pipeline.run);
    state.phase = 'updating';
    show();
    await step(`step 10: configuration with ${input.target.modelName} as a shadow of ${previous.modelName}`, quick.createTransitionConfig, {
      endpointConfigName: shadowConfig,
      endpointName: name,
      captureFrom: input.target.endpointConfigName,
      variants: [{ ...previous, weight: 1 }],
      shadowVariants: [{ ...prepared.target, weight: policy.shadowShare }],
    });
    return shadowConfig;
  }

  /** Puts the shadow configuration on the endpoint (what a failure then undoes) and shows both roles' shares. */
  async function startShadowing(shadowConfig: string, previous: WeightedVariant, targetVariant: string, shadowShare: number): Promise<void> {
    leftOn = { kind: 'shadow', endpointConfigName: shadowConfig };
    await createOrUpdateEndpoint({ quick, deploy }, { endpointName: name, endpointConfigName: shadowConfig });
    state.traffic = [
      { variantName: previous.variantName, modelName: previous.modelName, role: 'production', share: 1 },
      { variantName: targetVariant, modelName: input.target.modelName, role: 'shadow', share: shadowShare },
    ];
  }

  /**
   * Shadow: the new model gets a share of the requests mirrored while only the old one answers;
   * its predictions and latencies are compared with the old one's, its alarms read. Then it is
   * promoted by rule (no alarm, predictions close enough) or by a person, who has the decision
   * timeout to decide.
   */
  async function shadowTest(prepared: PreparedDeployment, previous: WeightedVariant, policy: Extract<EndpointDeploymentInput['policy'], { type: 'shadow' }>): Promise<BakeVerdict> {
    const shadowConfig = await createShadowConfig(prepared, previous, policy);
    const targetVariant = prepared.target.variantName;
    await startShadowing(shadowConfig, previous, targetVariant, policy.shadowShare);
    state.step = { index: 1, of: 1, share: 0 };
    const verdict = await bake({ share: 0, bakeMs: durationMs(policy.shadowPeriod), final: false }, [], targetVariant, { champion: previous.variantName });
    if (verdict.kind !== 'baked') return verdict;
    if (policy.promotion === 'auto') {
      const median = state.shadow?.relativeDifference.p50;
      const limit = policy.maxMedianRelativeDifference;
      if (!state.shadow || state.shadow.pairs === 0) return { kind: 'rejected', reason: 'the shadow answered no mirrored request: nothing to promote on' };
      if (limit !== undefined && (median === undefined || median > limit)) return { kind: 'rejected', reason: `the shadow's predictions differ from the champion's by a median of ${median ?? '?'} (limit ${limit})` };
      return { kind: 'baked' };
    }
    return awaitShadowDecision(policy);
  }

  /**
   * A shadow test on aws: SageMaker mirrors `shadowShare` of the requests to the new model
   * (ShadowProductionVariants, weight relative to the production variant's) while the old one
   * answers them all; CloudWatch alarms on the shadow variant's own metrics are read every
   * evaluation interval. An alarm or a person's abort puts the old configuration back; a promotion
   * (by rule once the period passed without alarm, or by a person) continues on the normal aws
   * path, SageMaker's guarded update with the final bake and its rollback alarms.
   */
  async function managedShadow(prepared: PreparedDeployment, previous: WeightedVariant, policy: Extract<EndpointDeploymentInput['policy'], { type: 'shadow' }>): Promise<EndpointDeploymentResult> {
    const problems = guardrailLimitProblems(policy);
    if (problems.length > 0) throw invalidInput(`deployment of ${input.target.modelName} to ${name}: ${problems.join('; ')}`);
    const shadowConfig = await createShadowConfig(prepared, previous, policy);
    const targetVariant = prepared.target.variantName;
    // The shadow variant publishes its own metrics under its own name: its alarms need no third dimension.
    const { alarmNames } = await step(`step 10: alarms of the shadow ${input.target.modelName}`, quick.putRollbackAlarms, {
      endpointName: name,
      variantName: targetVariant,
      alarms: input.alarms,
      deploymentKey: runScopedName(['shadow-alarms', input.family], pipeline.run),
    });
    const removeAlarms = () =>
      step(`step 10: delete the alarms of the shadow on ${name}`, quick.deleteRollbackAlarms, { alarmNames }).catch((err: unknown) => {
        pipeline.show(`deleting the shadow's alarms on ${name} failed: ${innermostMessage(err)}`);
      });
    let verdict: BakeVerdict;
    try {
      await startShadowing(shadowConfig, previous, targetVariant, policy.shadowShare);
      state.step = { index: 1, of: 1, share: 0 };
      verdict = await watchShadow(policy, alarmNames);
    } catch (err) {
      const undo = leftOn;
      await CancellationScope.nonCancellable(async () => {
        if (undo) await undoOnFailure(undo, previous, targetVariant, err);
        await removeAlarms();
      });
      throw err;
    }
    await removeAlarms();
    if (verdict.kind !== 'baked' && verdict.kind !== 'promote') return rollBackShadow(verdict, previous);
    if (verdict.kind === 'promote') state.decision = verdict.decision;
    // From here SageMaker's guarded update owns the endpoint (it rolls back to the shadow configuration itself).
    leftOn = undefined;
    try {
      return await managed(prepared, previous, { shadowConfig, ...(verdict.kind === 'promote' ? { promotedBy: verdict.decision } : {}) });
    } catch (err) {
      // The guarded update failed or never started: an endpoint left InService on the shadow
      // configuration keeps mirroring, so the old one returns; one still Updating is SageMaker's to end.
      await CancellationScope.nonCancellable(async () => {
        const now = await step(`step 10: check endpoint ${name}`, quick.describeEndpointState, { endpointName: name }).catch(() => null);
        if (now?.status === 'InService' && now.endpointConfigName === shadowConfig) await undoOnFailure({ kind: 'shadow', endpointConfigName: shadowConfig }, previous, targetVariant, err);
        else if (now?.endpointConfigName === shadowConfig) pipeline.show(`**${name} may still serve the shadow configuration ${shadowConfig}** (${now.status}): put ${state.previous!.endpointConfigName} back once SageMaker's update ended`);
      });
      throw err;
    }
  }

  /** The shadow's period on aws: its alarms read every evaluation interval; a person may promote or abort at any time. */
  async function watchShadow(policy: Extract<EndpointDeploymentInput['policy'], { type: 'shadow' }>, alarmNames: string[]): Promise<BakeVerdict> {
    state.phase = 'shadowing';
    const every = readingIntervalMs(policy, input.alarms);
    const end = Date.now() + durationMs(policy.shadowPeriod);
    state.step = { ...state.step!, until: new Date(end).toISOString() };
    show();
    for (;;) {
      const left = end - Date.now();
      if (left <= 0) break;
      if (await condition(() => pending !== undefined, Math.min(every, left))) return decided();
      const d = await step(`step 10: read the shadow's alarms on ${name}`, quick.describeGuardedDeployment, { endpointName: name, alarmNames });
      state.alarms = d.alarms.map(cloudWatchAlarm);
      show();
      const tripped = state.alarms.find((a) => a.state === 'ALARM');
      if (tripped) return { kind: 'alarm', alarm: tripped };
    }
    if (pending !== undefined) return decided();
    if (policy.promotion === 'auto') return { kind: 'baked' };
    return awaitShadowDecision(policy);
  }

  /**
   * `after`: the guarded update follows a shadow test on aws: the endpoint starts from the shadow
   * configuration (SageMaker's rollback returns there, so the old configuration is put back), and
   * the reason names who promoted the shadow.
   */
  async function managed(prepared: PreparedDeployment, previous: WeightedVariant, after?: { shadowConfig: string; promotedBy?: DeploymentDecision }): Promise<EndpointDeploymentResult> {
    const policy = input.policy;
    const problems = guardrailLimitProblems(policy);
    if (problems.length > 0 && patched(GUARDRAIL_LIMITS_PATCH)) throw invalidInput(`deployment of ${input.target.modelName} to ${name}: ${problems.join('; ')}`);
    const bakeSeconds = Math.round(durationMs(policy.finalBake) / 1000);
    const traffic =
      policy.type === 'canary'
        ? { type: 'CANARY' as const, percent: Math.round(policy.canaryShare * 100), waitIntervalSeconds: Math.round(durationMs(policy.canaryBake) / 1000) }
        : policy.type === 'linear'
          ? { type: 'LINEAR' as const, percent: Math.round(policy.stepShare * 100), waitIntervalSeconds: Math.round(durationMs(policy.stepInterval) / 1000) }
          : { type: 'ALL_AT_ONCE' as const, waitIntervalSeconds: 0 };
    const totalSeconds = trafficSteps(policy).reduce((sum, s) => sum + s.bakeMs / 1000, 0);
    // SageMaker's guardrails need the new configuration to keep the variant's name: the new model
    // goes under the old variant's name (DescribeEndpoint tells the gateway which model it is).
    const guardedConfig = runScopedName(['guarded', input.family], pipeline.run);
    const variantName = previous.variantName;
    await step(`step 10: configuration of ${input.target.modelName} as variant ${variantName}`, quick.createTransitionConfig, {
      endpointConfigName: guardedConfig,
      endpointName: name,
      captureFrom: input.target.endpointConfigName,
      variants: [{ ...prepared.target, variantName, weight: 1 }],
    });
    const { alarmNames, abortAlarmName } = await step(`step 10: rollback alarms of ${name}`, quick.putRollbackAlarms, {
      endpointName: name,
      variantName,
      alarms: input.alarms,
      deploymentKey: runScopedName(['deploy', input.family], pipeline.run),
      // The new fleet alone (both fleets share the variant's name during the update).
      endpointConfigName: guardedConfig,
    });
    /** The guarded update was started (runs before MANAGED_ALARMS_PATCH deleted the alarms only from then on). */
    let started = false;
    /** SageMaker's update may still run: it needs its alarms to roll back, so they stay. */
    let updateMayRun = false;
    try {
      const before = await step(`step 10: check endpoint ${name}`, quick.describeEndpointState, { endpointName: name });
      const timeoutSeconds = Math.min(28_800, Math.max(600, Math.round(totalSeconds * 2) + 1800));
      state.phase = 'shifting';
      show();
      await step(`step 10: guarded update of ${name} (${describePolicy(policy)})`, quick.startGuardedUpdate, {
        endpointName: name,
        endpointConfigName: guardedConfig,
        traffic,
        finalBakeSeconds: bakeSeconds,
        maximumExecutionTimeoutSeconds: timeoutSeconds,
        alarmNames: [...alarmNames, abortAlarmName],
      });
      started = updateMayRun = true;
      const followUntil = Date.now() + timeoutSeconds * 1000 + MANAGED_FOLLOW_MARGIN_MS;
      // Following the update reads the endpoint and alarms until the deadline at most MAX_ALARM_READINGS times.
      const every = Math.max(readingIntervalMs(policy, input.alarms), Math.ceil((followUntil - Date.now()) / MAX_ALARM_READINGS));
      for (;;) {
        if (await condition(() => pending !== undefined, every)) {
          const decision = takeDecision();
          state.decision = decision;
          await step(`step 10: abort the update of ${name} (by ${decision.by})`, quick.tripRollbackAlarm, { alarmName: abortAlarmName, reason: `aborted by ${decision.by}: ${decision.reason}` });
        }
        const d = await step(`step 10: follow the guarded update of ${name}`, quick.describeGuardedDeployment, { endpointName: name, alarmNames: [...alarmNames, abortAlarmName] });
        state.alarms = d.alarms.map(cloudWatchAlarm);
        show();
        if (patched(MANAGED_FOLLOW_PATCH)) {
          const waiting = d.status === 'Updating' || d.status === 'Creating' || (d.status === 'InService' && d.endpointConfigName !== guardedConfig && d.lastModifiedTime === before?.lastModifiedTime);
          if (waiting && Date.now() > followUntil) {
            throw deploymentFailed(`deployment of ${input.target.modelName} to ${name}: SageMaker's guarded update gave no verdict within ${Math.round((timeoutSeconds * 1000 + MANAGED_FOLLOW_MARGIN_MS) / 60_000)} minutes (endpoint ${d.status})`);
          }
          if (waiting) continue;
          // Any other status is the update's end (SageMaker's deployment no longer runs).
          updateMayRun = false;
          if (d.status !== 'InService') {
            throw deploymentFailed(`deployment of ${input.target.modelName} to ${name}: the endpoint is ${d.status}${d.failureReason ? ` (${d.failureReason})` : ''} during SageMaker's guarded update`);
          }
        } else if (d.status !== 'InService' && d.status !== 'Failed') continue;
        if (d.status === 'InService' && d.endpointConfigName === guardedConfig) {
          updateMayRun = false;
          state.traffic = [{ variantName, modelName: input.target.modelName, role: 'production', share: 1 }];
          await applyAutoscaling(variantName);
          const promoted = after?.promotedBy ? `shadow promoted by ${after.promotedBy.by}: ${after.promotedBy.reason}; ` : after ? 'shadow promoted by rule; ' : '';
          return await finish({ endpointName: name, outcome: 'deployed', action: 'updated', endpointConfigName: guardedConfig, reason: `${promoted}${describePolicy(policy)}: SageMaker's guardrails saw no alarm`, ...(state.decision ? { decision: state.decision } : {}) });
        }
        if (d.lastModifiedTime === before?.lastModifiedTime && d.status === 'InService') continue;
        updateMayRun = false;
        const tripped = d.alarms.find((a) => a.state === 'ALARM');
        const reason = state.decision ? `aborted by ${state.decision.by}: ${state.decision.reason}` : tripped ? `alarm ${tripped.alarmName}: ${tripped.reason}` : (d.failureReason ?? 'SageMaker rolled the update back');
        state.rollback = { reason, at: now(), ...(state.decision ? { by: state.decision.by } : {}) };
        if (patched(MANAGED_RESTORE_AUTOSCALING_PATCH)) await step(`step 10: autoscaling of ${name} as it was before the update`, quick.restoreAutoscaling, { endpointName: name });
        let rolledBackTo = d.endpointConfigName ?? state.previous!.endpointConfigName;
        if (after && rolledBackTo !== state.previous!.endpointConfigName) {
          // SageMaker rolled back to the shadow configuration: the shadow is taken away too.
          await createOrUpdateEndpoint({ quick, deploy }, { endpointName: name, endpointConfigName: state.previous!.endpointConfigName });
          rolledBackTo = state.previous!.endpointConfigName;
        }
        state.traffic = [{ variantName: previous.variantName, modelName: previous.modelName, role: 'production', share: 1 }];
        return await finish({ endpointName: name, outcome: 'rolled-back', action: 'unchanged', endpointConfigName: rolledBackTo, reason, rollback: state.rollback, ...(state.decision ? { decision: state.decision } : {}) });
      }
    } finally {
      const remove = () =>
        step(`step 10: delete the rollback alarms of ${name}`, quick.deleteRollbackAlarms, { alarmNames: [...alarmNames, abortAlarmName] }).catch((err: unknown) => {
          pipeline.show(`deleting the rollback alarms of ${name} failed: ${innermostMessage(err)}`);
        });
      if (started && !updateMayRun) await remove();
      else if (patched(MANAGED_ALARMS_PATCH)) {
        if (!updateMayRun) await remove();
        else pipeline.show(`**the rollback alarms of ${name} are left in place** (${[...alarmNames, abortAlarmName].join(', ')}): SageMaker's guarded update may still run and rolls back on them; delete them once ${name} is InService again`);
      } else if (started) await remove();
    }
  }
}

/** A CloudWatch alarm as the deployment's state shows it (its name says which rule it is). */
function cloudWatchAlarm(a: { alarmName: string; state: AlarmState['state']; reason: string }): AlarmState {
  return { name: a.alarmName.includes('latency') ? 'p99-latency' : 'error-rate', state: a.state, threshold: 0, sample: 0, reason: `${a.alarmName}: ${a.reason}` };
}

/** The variant serving most of the endpoint's traffic, when it is another model than the target's. */
function previousVariant(prepared: PreparedDeployment): WeightedVariant | undefined {
  const current = prepared.current;
  if (!current || current.status === 'Failed') return undefined;
  const serving = [...current.variants].sort((a, b) => b.weight - a.weight)[0];
  if (!serving || serving.modelName === prepared.target.modelName || serving.variantName === prepared.target.variantName) return undefined;
  return serving;
}

function round(share: number): number {
  return Math.round(share * 1e6) / 1e6;
}

function pct(share: number): string {
  return `${Math.round(share * 1000) / 10} %`;
}
