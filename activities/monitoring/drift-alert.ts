import { backendMisconfigured } from '../../common/errors';
import type { DriftAlert } from '../../common/types/monitoring';
import type { WorkflowPort } from '../lifecycle/workflow-port';

/** Step 4 of monitoring: the drift alert goes to the family's lifecycle workflow (started if needed). */
export function createDriftAlertActivities(workflows?: WorkflowPort) {
  return {
    async raiseDriftAlert(alert: DriftAlert): Promise<{ lifecycleWorkflowId: string }> {
      if (!workflows) throw backendMisconfigured('raiseDriftAlert needs a Temporal client: the worker must pass a WorkflowPort to createActivities');
      const { workflowId } = await workflows.signalDriftAlert(alert);
      return { lifecycleWorkflowId: workflowId };
    },
  };
}
