import type { ModelFamily } from './model';
import type { DriftAlert, LifecycleConfig, RetrainingPolicy } from './monitoring';

/** A new champion of a family (the training pipeline or a person promoted a version). */
export interface ChampionChange {
  family: ModelFamily;
  /** The project (absent: the demo project). */
  project?: string;
  version: number;
  modelName: string;
  at: string;
}

/** The last retraining the lifecycle started. */
export interface RetrainingStart {
  workflowId: string;
  startedAt: string;
  reason: string;
}

/** A retraining waiting for a person (`approve-then-retrain`). */
export interface PendingRetrainingApproval {
  requestedAt: string;
  deadline: string;
  reason: string;
  /** The alert that asked for it. */
  monitoringWorkflowId: string;
  modelVersion: number;
}

export interface LifecycleCounts {
  alerts: number;
  championChanges: number;
  retrainingsStarted: number;
  retrainingFailures: number;
  notifiedOnly: number;
  suppressedByCoolDown: number;
  approvalsRequested: number;
  approved: number;
  rejected: number;
  approvalTimeouts: number;
}

/** What `lifecycleStateQuery` returns, and what continue-as-new carries to the next run. */
export interface LifecycleState {
  family: ModelFamily;
  /** The project (absent: the demo project). */
  project?: string;
  policy: RetrainingPolicy;
  /** The settings in force besides the policy (absent in states recorded before they were kept). */
  coolDown?: string;
  trainingDataUri?: string;
  approvalTimeout?: string;
  /** The last change through `configureLifecycle`. */
  lastSettingsChange?: { by: string; at: string; reason?: string };
  champion?: ChampionChange;
  /** The most recent alerts, oldest first (at most `MAX_RECENT_ALERTS`). */
  recentAlerts: DriftAlert[];
  lastRetraining?: RetrainingStart;
  /** Alerts before this time only notify. */
  coolDownUntil?: string;
  pendingApproval?: PendingRetrainingApproval;
  counts: LifecycleCounts;
}

export interface ModelLifecycleInput {
  family: ModelFamily;
  /** The project (absent: the demo project): `lifecycle/<project>/<family>`. */
  project?: string;
  config: LifecycleConfig;
  /** Carried by continue-as-new; absent on the first run. */
  state?: LifecycleState;
  /** Continue-as-new after this many events (default 100); tests set it low. */
  maxEventsPerRun?: number;
  /** How long a retraining approval waits (default '3 days'); `config.approvalTimeout` wins. */
  approvalTimeout?: string;
}

/** `mlops models policy`: changes a running lifecycle's settings; unset fields stay as they are. */
export interface LifecycleSettingsInput {
  policy?: RetrainingPolicy;
  coolDown?: string;
  /** null: back to the champion's own training data. */
  trainingDataUri?: string | null;
  approvalTimeout?: string;
  by: string;
  reason?: string;
}

/** A person's answer to a pending retraining approval. */
export interface RetrainingDecisionInput {
  approve: boolean;
  by: string;
  reason: string;
}

export interface RetrainingDecisionResult {
  outcome: 'approved' | 'rejected';
  by: string;
  /** The training run the approval started (absent when rejected or when starting failed). */
  retrainingWorkflowId?: string;
}

/** What the `startRetraining` activity needs. */
export interface StartRetrainingInput {
  family: ModelFamily;
  /** The project whose training pipeline retrains (absent: the demo project). */
  project?: string;
  dataUri?: string;
  reason: string;
  /** Names the training run; stable across activity retries so a retry adopts the run it started. */
  runName: string;
}
