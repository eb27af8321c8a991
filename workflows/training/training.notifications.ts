import type { ModelFamily, SplitMetrics } from '../../common/types/model';
import type { ModelOutcome } from '../../common/types/training';
import type { RunNotification } from '../shared/pipeline-run';

/**
 * What the training pipeline tells people, worded in one place: the branch and the run decide,
 * these functions only say it. Each returns the notification key (unique within the run) and body.
 */

/** The commands a person runs to decide a pending approval (shown in the notification and the CLI). */
export function approvalCommands(workflowId: string, family: ModelFamily): { approve: string; reject: string } {
  const approve = `mlops approve '${workflowId}' --model ${family} --by NAME --reason TEXT`;
  return { approve, reject: approve.replace('mlops approve', 'mlops reject') };
}

type Keyed = { key: string } & RunNotification;

export function modelRejected(input: { family: ModelFamily; version: number; reason: string; details: Record<string, unknown> }): Keyed {
  return {
    key: `model-rejected/${input.family}`,
    kind: 'model.rejected',
    severity: 'warning',
    subject: `${input.family} version ${input.version} rejected`,
    message: `${input.family} version ${input.version} was rejected: ${input.reason}.`,
    details: input.details,
  };
}

interface ApprovalSubject {
  workflowId: string;
  family: ModelFamily;
  version: number;
  metrics: SplitMetrics;
}

function approvalNote(kind: string, s: ApprovalSubject, subject: string, message: string, severity: RunNotification['severity'] = 'info'): Keyed {
  return {
    key: `${kind}/${s.family}`,
    kind,
    severity,
    subject,
    message,
    details: { family: s.family, version: s.version, metrics: s.metrics, approveCommand: approvalCommands(s.workflowId, s.family).approve },
  };
}

export function approvalRequested(s: ApprovalSubject & { checks: string; timeoutAfter: string; findings?: string[] }): Keyed {
  const { approve, reject } = approvalCommands(s.workflowId, s.family);
  const why = s.findings?.length ? `\nA person decides because: ${s.findings.join('; ')}.` : '';
  return approvalNote(
    'approval.requested',
    s,
    `${s.family} version ${s.version} waits for approval`,
    `${s.family} version ${s.version} passed its checks (${s.checks}) and waits for a decision within ${s.timeoutAfter}.${why}\nApprove: ${approve}\nReject:  ${reject}`,
  );
}

export function approvalReminder(s: ApprovalSubject): Keyed {
  return approvalNote('approval.reminder', s, `reminder: ${s.family} version ${s.version} still waits for approval`, `No decision yet. Approve: ${approvalCommands(s.workflowId, s.family).approve}`, 'warning');
}

export function approvalTimedOut(s: ApprovalSubject & { reason: string; approved: boolean }): Keyed {
  return approvalNote('approval.timed-out', s, `${s.family} version ${s.version}: approval timed out`, `${s.reason}: the model is ${s.approved ? 'approved' : 'rejected'}.`, 'warning');
}

export function approvalRejected(s: ApprovalSubject & { reason: string }): Keyed {
  return approvalNote('model.rejected', s, `${s.family} version ${s.version} rejected`, `${s.family} version ${s.version} was rejected: ${s.reason}.`, 'warning');
}

export function runSucceeded(input: { dataUri: string; models: ModelOutcome[]; overall: string }): Keyed {
  return {
    key: 'run-succeeded',
    kind: 'training.succeeded',
    severity: input.overall === 'accepted' ? 'info' : 'warning',
    subject: `training run finished: ${input.models.map((m) => `${m.family} ${m.decision.outcome}`).join(', ')}`,
    message: input.models.map((m) => `${m.family}${m.version ? ` v${m.version}` : ''}: ${m.decision.outcome} (${m.decision.reason})`).join('\n'),
    details: { dataUri: input.dataUri, models: input.models.map((m) => ({ family: m.family, version: m.version ?? null, outcome: m.decision.outcome, metrics: m.metrics ?? null })) },
  };
}

export function runFailed(input: { dataUri: string; message: string; failureType: string; models: ModelOutcome[] }): Keyed {
  return {
    key: 'run-failed',
    kind: 'training.failed',
    severity: 'error',
    subject: `training run failed: ${input.dataUri}`,
    message: input.message,
    details: { dataUri: input.dataUri, failureType: input.failureType, models: input.models.map((m) => ({ family: m.family, outcome: m.decision.outcome, reason: m.decision.reason })) },
  };
}
