import { allHandlersFinished, condition, continueAsNew, log, patched, proxyActivities, setHandler, upsertSearchAttributes, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { NotificationSeverity } from '../../common/types/notification';
import { invalidInput } from '../../common/errors';
import type { ChampionChange, LifecycleState, ModelLifecycleInput, RetrainingDecisionInput, RetrainingDecisionResult } from '../../common/types/lifecycle';
import type { LifecycleConfig } from '../../common/types/monitoring';
import type { DriftAlert } from '../../common/types/monitoring';
import { quickActivityOptions, step } from '../shared/activity-options';
import { innermostMessage } from '../shared/failures';
import { sendNotification } from '../shared/notify';
import { durationMs } from '../../common/duration';
import { PROJECT, projectAttribute } from '../../common/search-attributes';
import { modelKey } from '../../common/project';
import {
  championChangedSignal,
  configureLifecycleUpdate,
  decideRetrainingUpdate,
  driftAlertSignal,
  lifecycleStateQuery,
  MAX_RECENT_ALERTS,
  validateLifecycleSettings,
  validateRetrainingDecision,
} from './lifecycle.messages';

const DEFAULT_MAX_EVENTS_PER_RUN = 100;
const DEFAULT_APPROVAL_TIMEOUT = '3 days';

type LifecycleEvent = { kind: 'drift'; alert: DriftAlert } | { kind: 'champion'; change: ChampionChange };

function initialState(input: ModelLifecycleInput): LifecycleState {
  return {
    family: input.family,
    policy: input.config.policy,
    recentAlerts: [],
    counts: { alerts: 0, championChanges: 0, retrainingsStarted: 0, retrainingFailures: 0, notifiedOnly: 0, suppressedByCoolDown: 0, approvalsRequested: 0, approved: 0, rejected: 0, approvalTimeouts: 0 },
  };
}

/** Lifecycle runs that started without MlopsProject and never set it replay without the upsert. */
export const LIFECYCLE_PROJECT_PATCH = 'lifecycle-project-attribute';

/**
 * The long-lived workflow of one model family (`lifecycle/<family>`): receives drift alerts and
 * champion changes and applies the family's retraining policy, with a cool-down so a burst of
 * alerts starts at most one retraining. Continues as new (carrying its state) to keep history small.
 * A pending approval is part of the state, so it survives continue-as-new with its deadline.
 *
 * Replay safety: new workflow, no recorded history yet. Once it runs anywhere that matters, record
 * one (`npm run history:record -- lifecycle/<family>`) and guard later changes with `patched()`.
 */
export async function modelLifecycle(input: ModelLifecycleInput): Promise<never> {
  if (!input?.family || !input.config?.policy) throw invalidInput('modelLifecycle needs a family and a config with a policy');
  // A lifecycle runs for good: one started before starts set MlopsProject gets it in its next run
  // (after continue-as-new), so `runs list --project` finds it too. Started with it: nothing to do.
  if (workflowInfo().typedSearchAttributes.get(PROJECT) === undefined && patched(LIFECYCLE_PROJECT_PATCH)) upsertSearchAttributes([projectAttribute(input.project)]);
  // `configureLifecycle` changes these; continue-as-new carries them on.
  const config: LifecycleConfig = { ...input.config, approvalTimeout: input.config.approvalTimeout ?? input.approvalTimeout ?? DEFAULT_APPROVAL_TIMEOUT };
  let coolDownMs = durationMs(config.coolDown);
  let approvalTimeoutMs = durationMs(config.approvalTimeout!);
  const maxEvents = input.maxEventsPerRun ?? DEFAULT_MAX_EVENTS_PER_RUN;
  const taskQueue = config.taskQueues.compute;
  const { startRetraining } = proxyActivities<Pick<Activities, 'startRetraining'>>(quickActivityOptions(taskQueue));
  // The config of this run wins over a carried policy: restarting with a new config changes it.
  // The state names its project (absent for the demo), so `models show` and notifications tell two projects' families apart.
  const state: LifecycleState = { ...(input.state ?? initialState(input)), family: input.family, ...(input.project ? { project: input.project } : {}) };
  /** `<family>`, or `<project>/<family>` outside the demo project: how subjects name the model. */
  const model = modelKey(input.project, input.family);
  const applyConfig = () => {
    state.policy = config.policy;
    state.coolDown = config.coolDown;
    state.approvalTimeout = config.approvalTimeout;
    if (config.trainingDataUri) state.trainingDataUri = config.trainingDataUri;
    else delete state.trainingDataUri;
  };
  applyConfig();
  const queue: LifecycleEvent[] = [];
  let decision: RetrainingDecisionInput | undefined;
  let decisionResult: RetrainingDecisionResult | undefined;
  let eventsThisRun = 0;
  let notificationSeq = 0;

  setHandler(driftAlertSignal, (alert) => void queue.push({ kind: 'drift', alert }));
  setHandler(championChangedSignal, (change) => void queue.push({ kind: 'champion', change }));
  setHandler(lifecycleStateQuery, () => state);
  setHandler(
    decideRetrainingUpdate,
    async (d) => {
      decision = { approve: d.approve, by: d.by.trim(), reason: d.reason.trim() };
      decisionResult = undefined;
      // Answer once the loop has acted on it, so the caller learns the retraining's workflow id.
      await condition(() => decisionResult !== undefined);
      return decisionResult!;
    },
    { validator: (d) => validateRetrainingDecision(state, decision !== undefined, d) },
  );

  const notify = (kind: string, severity: NotificationSeverity, subject: string, message: string, details?: Record<string, unknown>) => {
    const info = workflowInfo();
    return sendNotification(taskQueue, {
      id: `${info.workflowId}/${info.runId}/${++notificationSeq}`,
      kind,
      severity,
      subject,
      message,
      workflowId: info.workflowId,
      runId: info.runId,
      details: { family: state.family, ...(state.project ? { project: state.project } : {}), ...details },
    });
  };

  // Registered after `notify` exists: a buffered update runs as soon as its handler is set.
  setHandler(
    configureLifecycleUpdate,
    async (settings) => {
      const before = `policy ${config.policy}, cool-down ${config.coolDown}, approval timeout ${config.approvalTimeout}, training data ${config.trainingDataUri ?? "the champion's"}`;
      if (settings.policy !== undefined) config.policy = settings.policy;
      if (settings.coolDown !== undefined) config.coolDown = settings.coolDown;
      if (settings.approvalTimeout !== undefined) config.approvalTimeout = settings.approvalTimeout;
      if (settings.trainingDataUri === null) delete config.trainingDataUri;
      else if (settings.trainingDataUri !== undefined) config.trainingDataUri = settings.trainingDataUri;
      coolDownMs = durationMs(config.coolDown);
      approvalTimeoutMs = durationMs(config.approvalTimeout!);
      applyConfig();
      state.lastSettingsChange = { by: settings.by.trim(), at: new Date().toISOString(), ...(settings.reason ? { reason: settings.reason } : {}) };
      const after = `policy ${config.policy}, cool-down ${config.coolDown}, approval timeout ${config.approvalTimeout}, training data ${config.trainingDataUri ?? "the champion's"}`;
      await notify('lifecycle.settings-changed', 'info', `${model}: retraining settings changed by ${settings.by.trim()}`, `${after} (was: ${before})${settings.reason ? `; ${settings.reason}` : ''}`);
      return state;
    },
    { validator: validateLifecycleSettings },
  );

  const retrain = async (reason: string): Promise<string | undefined> => {
    try {
      const started = await step(`start a retraining of ${state.family}`, startRetraining, {
        family: state.family,
        // A project's lifecycle retrains its own project (the demo's input names none).
        ...(input.project ? { project: input.project } : {}),
        dataUri: config.trainingDataUri,
        reason,
        runName: `drift-${uuid4().slice(0, 8)}`,
      });
      const now = Date.now();
      state.lastRetraining = { workflowId: started.workflowId, startedAt: new Date(now).toISOString(), reason };
      state.coolDownUntil = new Date(now + coolDownMs).toISOString();
      state.counts.retrainingsStarted++;
      await notify('lifecycle.retraining-started', 'info', `${model}: retraining started`, `${reason}; run ${started.workflowId}; no further retraining before ${state.coolDownUntil}`, { retrainingWorkflowId: started.workflowId });
      return started.workflowId;
    } catch (err) {
      state.counts.retrainingFailures++;
      log.warn('retraining could not be started', { family: state.family, error: innermostMessage(err) });
      await notify('lifecycle.retraining-failed', 'error', `${model}: retraining could not start`, innermostMessage(err));
      return undefined;
    }
  };

  const onDrift = async (alert: DriftAlert): Promise<void> => {
    state.counts.alerts++;
    state.recentAlerts.push(alert);
    if (state.recentAlerts.length > MAX_RECENT_ALERTS) state.recentAlerts.splice(0, state.recentAlerts.length - MAX_RECENT_ALERTS);
    const what = `${alert.kinds.join(' and ')} drift on ${alert.modelName} (version ${alert.modelVersion}), ${alert.violations.length} violation(s), window ${alert.windowStart}..${alert.windowEnd}`;
    const details = { monitoringWorkflowId: alert.monitoringWorkflowId, reportUri: alert.reportUri, kinds: alert.kinds };
    if (state.coolDownUntil && Date.now() < Date.parse(state.coolDownUntil)) {
      state.counts.suppressedByCoolDown++;
      await notify('lifecycle.drift-cool-down', 'warning', `${model}: drift alert during cool-down`, `${what}; alert during cool-down (until ${state.coolDownUntil}), no retraining`, details);
      return;
    }
    if (state.pendingApproval) {
      state.counts.notifiedOnly++;
      await notify('lifecycle.drift', 'warning', `${model}: drift alert, approval already pending`, `${what}; a retraining approval is already pending (deadline ${state.pendingApproval.deadline})`, details);
      return;
    }
    const reason = `drift alert from ${alert.monitoringWorkflowId}: ${what}`;
    switch (state.policy) {
      case 'notify':
        state.counts.notifiedOnly++;
        await notify('lifecycle.drift', 'warning', `${model}: drift detected`, `${what}; policy 'notify': no retraining`, details);
        return;
      case 'retrain':
        await retrain(reason);
        return;
      case 'approve-then-retrain': {
        const now = Date.now();
        state.pendingApproval = {
          requestedAt: new Date(now).toISOString(),
          deadline: new Date(now + approvalTimeoutMs).toISOString(),
          reason,
          monitoringWorkflowId: alert.monitoringWorkflowId,
          modelVersion: alert.modelVersion,
        };
        state.counts.approvalsRequested++;
        await notify(
          'lifecycle.retraining-approval-requested',
          'warning',
          `${model}: approve retraining?`,
          `${what}; approve or reject the retraining before ${state.pendingApproval.deadline} (update 'decideRetraining' on ${workflowInfo().workflowId})`,
          details,
        );
        return;
      }
    }
  };

  const onDecision = async (d: RetrainingDecisionInput): Promise<RetrainingDecisionResult> => {
    const pending = state.pendingApproval!;
    state.pendingApproval = undefined;
    if (!d.approve) {
      state.counts.rejected++;
      await notify('lifecycle.retraining-rejected', 'info', `${model}: retraining rejected`, `rejected by ${d.by}: ${d.reason}`);
      return { outcome: 'rejected', by: d.by };
    }
    state.counts.approved++;
    const workflowId = await retrain(`${pending.reason}; approved by ${d.by}: ${d.reason}`);
    return { outcome: 'approved', by: d.by, ...(workflowId ? { retrainingWorkflowId: workflowId } : {}) };
  };

  for (;;) {
    const deadline = state.pendingApproval ? Date.parse(state.pendingApproval.deadline) : undefined;
    const woken = () => queue.length > 0 || decision !== undefined || workflowInfo().continueAsNewSuggested;
    if (deadline === undefined) await condition(woken);
    else await condition(woken, Math.max(1, deadline - Date.now()));

    if (decision !== undefined && state.pendingApproval) {
      const d = decision;
      decisionResult = await onDecision(d);
      decision = undefined;
      eventsThisRun++;
    } else if (state.pendingApproval && deadline !== undefined && Date.now() >= deadline) {
      state.pendingApproval = undefined;
      state.counts.approvalTimeouts++;
      eventsThisRun++;
      await notify('lifecycle.retraining-approval-timed-out', 'warning', `${model}: retraining approval timed out`, `no decision by ${new Date(deadline).toISOString()}; no retraining`);
    }

    while (queue.length > 0) {
      const event = queue.shift()!;
      eventsThisRun++;
      if (event.kind === 'drift') await onDrift(event.alert);
      else {
        state.counts.championChanges++;
        state.champion = event.change;
      }
    }

    if (eventsThisRun >= maxEvents || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      // A decision or signal that came in meanwhile is handled before the history is cut.
      if (queue.length > 0 || decision !== undefined) continue;
      await continueAsNew<typeof modelLifecycle>({ ...input, config, state });
    }
  }
}
