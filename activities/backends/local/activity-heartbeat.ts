import { Context } from '@temporalio/activity';

/**
 * Heartbeats the Temporal activity this code runs in, if any (a no-op elsewhere: the CLI, the
 * endpoint host, unit tests). A backend call that waits (for a lock another process holds) calls it,
 * so the activity above it stays within its heartbeat timeout however long the wait.
 */
export function heartbeatCurrentActivity(details: Record<string, unknown>): void {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return;
  }
  context.heartbeat(details);
}
