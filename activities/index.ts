import type { Backend } from './backends/types';
import { createDeploymentActivities } from './inference/deployment';
import { createEndpointActivities } from './inference/endpoints';
import { createLifecycleActivities } from './lifecycle/retraining';
import type { WorkflowPort } from './lifecycle/workflow-port';
import { createConsolidationActivities } from './monitoring/consolidate';
import { createDriftAlertActivities } from './monitoring/drift-alert';
import { createMonitorJobActivities } from './monitoring/monitor-jobs';
import { createNotificationActivities } from './notifications/notify';
import { createRegistryActivities } from './registry/model-registry';
import { createScoringActivities } from './scoring/scoring';
import { createBaselineActivities } from './training/baselines';
import { createChampionComparisonActivities } from './training/champion-comparison';
import { createPreprocessActivities } from './training/preprocess';
import { createTrainingJobActivities } from './training/train';
import { withPermanentFailures } from './shared/permanent-failures';

export interface ActivitySettings {
  /** How often a job-waiting activity describes its job. */
  pollIntervalMs: number;
}

/**
 * Every activity of the project, bound to one backend. Workflows proxy
 * `ReturnType<typeof createActivities>` through `import type`, so no activity code reaches the
 * workflow bundle.
 */
export function createActivities(backend: Backend, settings: ActivitySettings, workflows?: WorkflowPort) {
  return withPermanentFailures({
    ...createPreprocessActivities(backend, settings),
    ...createTrainingJobActivities(backend, settings),
    ...createBaselineActivities(backend, settings),
    ...createChampionComparisonActivities(backend, settings),
    ...createRegistryActivities(backend, workflows),
    ...createNotificationActivities(backend),
    ...createEndpointActivities(backend, settings),
    ...createDeploymentActivities(backend, settings),
    ...createScoringActivities(backend, settings),
    ...createConsolidationActivities(backend),
    ...createMonitorJobActivities(backend, settings),
    ...createDriftAlertActivities(workflows),
    ...createLifecycleActivities(backend, workflows),
  });
}

export type Activities = ReturnType<typeof createActivities>;
