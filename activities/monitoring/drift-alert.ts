import { backendMisconfigured } from '../../common/errors';
import type { DriftAlert } from '../../common/types/monitoring';
import { signalDriftAlert } from '../../client/lifecycle/ensure';
import type { LifecycleDeps } from '../lifecycle/retraining';

/** Step 4 of monitoring: the drift alert goes to the family's lifecycle workflow (started if needed). */
export function createDriftAlertActivities(deps?: LifecycleDeps) {
  return {
    async raiseDriftAlert(alert: DriftAlert): Promise<{ lifecycleWorkflowId: string }> {
      if (!deps) throw backendMisconfigured('raiseDriftAlert needs a Temporal client and the config: the worker must pass them to createActivities');
      const handle = await signalDriftAlert(deps.client, deps.config, alert);
      return { lifecycleWorkflowId: handle.workflowId };
    },
  };
}
