import { condition, defineQuery, defineUpdate, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { PENDING_APPROVALS } from '../../common/search-attributes';
import type { ApprovalConfig, ApprovalDecisionInput, ApprovalDecisionResult, PendingApproval } from '../../common/types/approval';
import { durationMs } from '../../common/duration';
import type { ModelFamily } from '../../common/types/model';

/** A person approves or rejects a model of a waiting run (`mlops approve` / `mlops reject`). */
export const decideApprovalUpdate = defineUpdate<ApprovalDecisionResult, [ApprovalDecisionInput]>('decideApproval');
/** What this run is waiting for (`mlops approvals`, the Temporal UI's query tab). */
export const pendingApprovalsQuery = defineQuery<PendingApproval[]>('pendingApprovals');

interface Decision extends ApprovalDecisionResult {
  reason: string;
  decidedAt: string;
}

export type ApprovalOutcome =
  | { kind: 'decided'; approved: boolean; by: string; reason: string }
  | { kind: 'timed-out'; approved: boolean; reason: string };

/**
 * The approvals of one run: which models wait, and the decisions people sent. The update's
 * validator rejects bad decisions before anything is written to history.
 */
export class ApprovalBoard {
  private readonly pending = new Map<ModelFamily, PendingApproval>();
  private readonly decisions = new Map<ModelFamily, Decision>();
  /** Approvals that nobody decided before their deadline: a late decision is told so. */
  private readonly timedOut = new Map<ModelFamily, { version: number; deadline: string; onTimeout: ApprovalConfig['onTimeout'] }>();

  register(): void {
    setHandler(pendingApprovalsQuery, () => [...this.pending.values()]);
    setHandler(decideApprovalUpdate, (input) => this.decide(input), { validator: (input) => void this.target(input) });
  }

  /** Throws a message a person can act on when the decision cannot apply. */
  private target(input: ApprovalDecisionInput): PendingApproval {
    if (typeof input !== 'object' || input === null) throw new Error('a decision is required');
    if (typeof input.by !== 'string' || input.by.trim() === '') throw new Error('the approver is required (--by NAME)');
    if (typeof input.reason !== 'string' || input.reason.trim() === '') throw new Error('a reason is required (--reason TEXT)');
    if (typeof input.approve !== 'boolean') throw new Error('approve must be true or false');
    if (input.family) {
      const pending = this.pending.get(input.family);
      if (pending) return pending;
      const earlier = this.decisions.get(input.family);
      if (earlier) throw new Error(`${input.family} version ${earlier.version} was already ${earlier.outcome} by ${earlier.by}`);
      const expired = this.timedOut.get(input.family);
      if (expired) throw new Error(`${input.family} version ${expired.version}: the approval timed out at ${expired.deadline}; the policy default applied (${expired.onTimeout})`);
      throw new Error(`no approval is pending for ${input.family} in this run`);
    }
    const all = [...this.pending.values()];
    if (all.length === 1) return all[0]!;
    if (all.length === 0) {
      const decided = [...this.decisions.values()].map((d) => `${d.family} ${d.outcome} by ${d.by}`);
      throw new Error(decided.length ? `no approval is pending in this run (already decided: ${decided.join(', ')})` : 'no approval is pending in this run');
    }
    throw new Error(`several approvals are pending (${all.map((p) => p.family).join(', ')}): name one with --model`);
  }

  private decide(input: ApprovalDecisionInput): ApprovalDecisionResult {
    const pending = this.target(input);
    const decision: Decision = {
      family: pending.family,
      version: pending.version,
      outcome: input.approve ? 'approved' : 'rejected',
      by: input.by.trim(),
      reason: input.reason.trim(),
      decidedAt: new Date().toISOString(),
    };
    this.decisions.set(pending.family, decision);
    this.close(pending.family);
    return { family: decision.family, version: decision.version, outcome: decision.outcome, by: decision.by };
  }

  private close(family: ModelFamily): void {
    this.pending.delete(family);
    upsertSearchAttributes([{ key: PENDING_APPROVALS, value: [...this.pending.keys()] }]);
  }

  /**
   * Opens an approval and waits for it: `onReminder` runs once after `reminderAfter`; after
   * `timeoutAfter` the configured default decides.
   */
  async await(request: Omit<PendingApproval, 'requestedAt' | 'remindAt' | 'deadline'>, config: ApprovalConfig, onReminder: () => Promise<void>): Promise<ApprovalOutcome> {
    const now = Date.now();
    const reminderMs = durationMs(config.reminderAfter);
    const timeoutMs = durationMs(config.timeoutAfter);
    this.pending.set(request.family, {
      ...request,
      requestedAt: new Date(now).toISOString(),
      remindAt: new Date(now + reminderMs).toISOString(),
      deadline: new Date(now + timeoutMs).toISOString(),
    });
    upsertSearchAttributes([{ key: PENDING_APPROVALS, value: [...this.pending.keys()] }]);
    const decided = () => this.decisions.has(request.family);
    if (reminderMs < timeoutMs && !(await condition(decided, reminderMs))) await onReminder();
    if (await condition(decided, Math.max(0, timeoutMs - Math.min(reminderMs, timeoutMs)))) {
      const d = this.decisions.get(request.family)!;
      return { kind: 'decided', approved: d.outcome === 'approved', by: d.by, reason: d.reason };
    }
    this.timedOut.set(request.family, { version: request.version, deadline: this.pending.get(request.family)!.deadline, onTimeout: config.onTimeout });
    this.close(request.family);
    return {
      kind: 'timed-out',
      approved: config.onTimeout === 'approve',
      reason: `no decision within ${config.timeoutAfter}; the policy default applies (${config.onTimeout})`,
    };
  }
}

/** Whether the policy asks a person for this model. */
export function needsApproval(config: ApprovalConfig | undefined, hasApprovedVersion: boolean): boolean {
  if (!config || config.policy === 'auto') return false;
  return config.policy === 'manual' || !hasApprovedVersion;
}
