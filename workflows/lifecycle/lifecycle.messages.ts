import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { DURATION } from '../../common/duration';
import type { ChampionChange, LifecycleSettingsInput, LifecycleState, RetrainingDecisionInput, RetrainingDecisionResult } from '../../common/types/lifecycle';
import type { DriftAlert } from '../../common/types/monitoring';

/** A monitoring run found drift for this family (sent with signalWithStart by monitoring). */
export const driftAlertSignal = defineSignal<[DriftAlert]>('driftAlert');
/** A new champion of this family. */
export const championChangedSignal = defineSignal<[ChampionChange]>('championChanged');
/** The lifecycle's state (`mlops models show FAMILY`, the UI's query tab). */
export const lifecycleStateQuery = defineQuery<LifecycleState>('lifecycleState');
/** Approve or reject a pending retraining (`approve-then-retrain` policy). */
export const decideRetrainingUpdate = defineUpdate<RetrainingDecisionResult, [RetrainingDecisionInput]>('decideRetraining');

/** Changes the retraining policy, cool-down, training data or approval timeout (`mlops models policy`); returns the new state. */
export const configureLifecycleUpdate = defineUpdate<LifecycleState, [LifecycleSettingsInput]>('configureLifecycle');

const POLICIES = ['notify', 'retrain', 'approve-then-retrain'];

/** Throws a message a person can act on when the settings cannot apply (the update's validator). */
export function validateLifecycleSettings(input: LifecycleSettingsInput): void {
  if (typeof input !== 'object' || input === null) throw new Error('settings are required');
  if (typeof input.by !== 'string' || input.by.trim() === '') throw new Error('who changes the settings is required (--by NAME)');
  if (input.policy === undefined && input.coolDown === undefined && input.trainingDataUri === undefined && input.approvalTimeout === undefined) {
    throw new Error('nothing to change: give --policy, --cool-down, --training-data or --approval-timeout');
  }
  if (input.policy !== undefined && !POLICIES.includes(input.policy)) throw new Error(`policy must be one of ${POLICIES.join(', ')}`);
  for (const [name, value] of [['cool-down', input.coolDown], ['approval-timeout', input.approvalTimeout]] as const) {
    if (value !== undefined && (typeof value !== 'string' || !DURATION.test(value))) throw new Error(`${name} must be a duration such as '24 hours' or '30 minutes'`);
  }
  if (input.trainingDataUri !== undefined && input.trainingDataUri !== null && !/^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\/.+$/.test(input.trainingDataUri)) {
    throw new Error('training data must be an s3:// URI of an object');
  }
}

/** How many alerts the state keeps. */
export const MAX_RECENT_ALERTS = 20;

/** Throws a message a person can act on when the decision cannot apply (the update's validator). */
export function validateRetrainingDecision(state: LifecycleState, decided: boolean, input: RetrainingDecisionInput): void {
  if (typeof input !== 'object' || input === null) throw new Error('a decision is required');
  if (typeof input.approve !== 'boolean') throw new Error('approve must be true or false');
  if (typeof input.by !== 'string' || input.by.trim() === '') throw new Error('the approver is required (--by NAME)');
  if (typeof input.reason !== 'string' || input.reason.trim() === '') throw new Error('a reason is required (--reason TEXT)');
  if (!state.pendingApproval) throw new Error(`no retraining approval is pending for ${state.family}`);
  if (decided) throw new Error(`the pending retraining of ${state.family} was already decided`);
}
