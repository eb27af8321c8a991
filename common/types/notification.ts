export type NotificationSeverity = 'info' | 'warning' | 'error';

/** A message to people about a run: an outbox line locally, an SNS message on AWS, a webhook POST. */
export interface Notification {
  /** Deterministic per event, so a retried send is recognised and not delivered twice. */
  id: string;
  kind: string;
  severity: NotificationSeverity;
  subject: string;
  message: string;
  workflowId?: string;
  runId?: string;
  details?: Record<string, unknown>;
}

export interface DeliveredNotification extends Notification {
  time: string;
}
