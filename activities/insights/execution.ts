import { Context } from '@temporalio/activity';

/** The workflow run the current activity works for; unknown when called outside an activity (unit tests). */
export function currentExecution(): { workflowId: string; runId: string } {
  try {
    const execution = Context.current().info.workflowExecution;
    if (execution) return { workflowId: execution.workflowId, runId: execution.runId };
  } catch {
    // not inside an activity
  }
  return { workflowId: 'unknown', runId: 'unknown' };
}
