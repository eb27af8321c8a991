import { setCurrentDetails, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { RunRef } from '../../common/ids';
import { OUTCOME } from '../../common/search-attributes';
import type { Notification } from '../../common/types/notification';
import { sendNotification } from './notify';

/** A notification of this run: its id, workflow and run are filled in. */
export type RunNotification = Omit<Notification, 'id' | 'workflowId' | 'runId'>;

/**
 * What every pipeline run shares: its identity, the progress the Temporal UI shows (current
 * details), the `MlopsOutcome` search attribute and its notifications, whose ids are
 * `<workflowId>/<runId>/<key>` so a retried send is recognised and not delivered twice.
 */
export class PipelineRun {
  readonly run: RunRef;

  /** `project`: a project's runs name it in every notification (the demo's notifications stay as they were). */
  constructor(
    private readonly taskQueue: string,
    private readonly project?: string,
  ) {
    const info = workflowInfo();
    this.run = { workflowId: info.workflowId, runId: info.runId };
  }

  /** The run's current details in the Temporal UI (markdown). */
  show(details: string): void {
    setCurrentDetails(details);
  }

  /** `MlopsOutcome` as people search for it (`MlopsOutcome = 'rejected'`). */
  markOutcome(outcome: string): void {
    upsertSearchAttributes([{ key: OUTCOME, value: outcome }]);
  }

  /** Sends a notification; a notification problem never fails the run. */
  notify(key: string, notification: RunNotification): Promise<void> {
    const own = this.project ? { ...notification, subject: `[${this.project}] ${notification.subject}`, details: { ...notification.details, project: this.project } } : notification;
    return sendNotification(this.taskQueue, { id: `${this.run.workflowId}/${this.run.runId}/${key}`, ...own, workflowId: this.run.workflowId, runId: this.run.runId });
  }

  /** The end of a run: its outcome, then (when there is one) the notification that says so. */
  async finish(outcome: string, notification?: { key: string } & RunNotification): Promise<void> {
    this.markOutcome(outcome);
    if (notification) {
      const { key, ...rest } = notification;
      await this.notify(key, rest);
    }
  }
}
