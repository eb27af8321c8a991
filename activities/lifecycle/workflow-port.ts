import type { ChampionChange } from '../../common/types/lifecycle';
import type { DriftAlert } from '../../common/types/monitoring';

/**
 * The other workflows that activities start or signal: a retraining run, the family's lifecycle.
 * The worker implements it with a Temporal client (`services/workflow-port.ts`), so activities never
 * import the starters and the import graph keeps one direction (services -> workflows -> activities).
 */
export interface WorkflowPort {
  /** A new training run on `dataUri` named by `runName` (a retried call adopts the run it started). */
  startTraining(input: { dataUri: string; runName: string; trigger: string; project?: string }): Promise<{ workflowId: string; started: boolean }>;
  /** The drift alert goes to the family's lifecycle, started if it does not run yet. */
  signalDriftAlert(alert: DriftAlert): Promise<{ workflowId: string }>;
  /** The family's lifecycle learns its new champion, started if it does not run yet. */
  signalChampionChanged(change: ChampionChange): Promise<void>;
}
