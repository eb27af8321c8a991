import type { ModelFamily, SplitMetrics } from './model';

/**
 * When a human must approve a model before it is deployed:
 * - `auto`: never;
 * - `manual`: always;
 * - `manual-first-version`: only when the family has no approved version yet.
 */
export type ApprovalPolicyName = 'auto' | 'manual' | 'manual-first-version';

export interface ApprovalConfig {
  policy: ApprovalPolicyName;
  /** A reminder notification goes out after this long without a decision (e.g. '4 hours'). */
  reminderAfter: string;
  /** After this long without a decision the policy's default applies (e.g. '3 days'). */
  timeoutAfter: string;
  /** What a timeout decides. */
  onTimeout: 'reject' | 'approve';
}

/** A human decision, sent to the run as the `decideApproval` update. */
export interface ApprovalDecisionInput {
  /** Which model of the run; may be omitted when exactly one approval is pending. */
  family?: ModelFamily;
  approve: boolean;
  /** Who decided (required). */
  by: string;
  /** Why (required). */
  reason: string;
}

export interface ApprovalDecisionResult {
  family: ModelFamily;
  version: number;
  outcome: 'approved' | 'rejected';
  by: string;
}

export interface PendingApproval {
  family: ModelFamily;
  version: number;
  modelName: string;
  metrics: SplitMetrics;
  requestedAt: string;
  remindAt: string;
  deadline: string;
}
