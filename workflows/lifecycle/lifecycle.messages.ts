import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ChampionChange, LifecycleState, RetrainingDecisionInput, RetrainingDecisionResult } from '../../common/types/lifecycle';
import type { DriftAlert } from '../../common/types/monitoring';

/** A monitoring run found drift for this family (sent with signalWithStart by monitoring). */
export const driftAlertSignal = defineSignal<[DriftAlert]>('driftAlert');
/** A new champion of this family. */
export const championChangedSignal = defineSignal<[ChampionChange]>('championChanged');
/** The lifecycle's state (`mlops models show FAMILY`, the UI's query tab). */
export const lifecycleStateQuery = defineQuery<LifecycleState>('lifecycleState');
/** Approve or reject a pending retraining (`approve-then-retrain` policy). */
export const decideRetrainingUpdate = defineUpdate<RetrainingDecisionResult, [RetrainingDecisionInput]>('decideRetraining');

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
