import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { GovernanceRecord } from '../../common/types/governance';
import type { ModelOutcome, TrainingProgress, TrainingResult } from '../../common/types/training';
import type { trainingPipeline } from '../../workflows';
import { trainingProgressQuery } from '../../workflows/training/training.messages';

/** The `mlops train --wait --json` object: one per run. */
export interface TrainingRunReport {
  workflowId: string;
  runId: string;
  status: 'completed' | 'failed' | 'running' | string;
  dataUri?: string;
  uiUrl: string;
  error?: { type?: string; message: string };
  featureSchemaUri?: string;
  models: ModelReport[];
}

export interface ModelReport {
  family: string;
  version: number | null;
  modelName: string | null;
  decision: { outcome: string; reason: string };
  metrics: ModelOutcome['metrics'] | null;
  artifactUri: string | null;
  baselines: { dataQuality: { statisticsUri: string; constraintsUri: string } | null; modelQuality: { statisticsUri: string; constraintsUri: string } | null };
  trainingJob: { name: string; durationSeconds: number | null; instanceType: string; instanceCount: number } | null;
  /** Step 6 against the champion on the same rows, the data-shift check and warnings (null before they existed). */
  governance: GovernanceRecord | null;
}

export function modelReport(m: ModelOutcome): ModelReport {
  return {
    family: m.family,
    version: m.version ?? null,
    modelName: m.modelName ?? null,
    decision: { outcome: m.decision.outcome, reason: m.decision.reason },
    metrics: m.metrics ?? null,
    artifactUri: m.artifactUri ?? null,
    governance: m.governance ?? null,
    baselines: { dataQuality: m.baselines?.dataQuality ?? null, modelQuality: m.baselines?.modelQuality ?? null },
    trainingJob: m.trainingJob
      ? { name: m.trainingJob.jobName, durationSeconds: m.trainingJob.durationSeconds ?? null, instanceType: m.trainingJob.resources.instanceType, instanceCount: m.trainingJob.resources.instanceCount }
      : null,
  };
}

/**
 * Waits for a run to end (calling `onProgress` when its progress changes) and turns its result or
 * failure into a report. Failed runs carry their per-model outcomes in the failure's details.
 */
export async function waitForTrainingReport(
  handle: WorkflowHandle<typeof trainingPipeline>,
  uiUrl: (runId: string) => string,
  onProgress?: (progress: TrainingProgress) => void,
): Promise<TrainingRunReport> {
  const description = await handle.describe();
  const runId = description.runId;
  let stop = false;
  const watcher = onProgress
    ? (async () => {
        let last = '';
        while (!stop) {
          try {
            const progress = await handle.query(trainingProgressQuery);
            const text = JSON.stringify(progress);
            if (text !== last) {
              last = text;
              onProgress(progress);
            }
          } catch {
            /* closed or not yet started: the result below decides */
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      })()
    : Promise.resolve();
  try {
    const result: TrainingResult = await handle.result();
    return {
      workflowId: handle.workflowId,
      runId,
      status: 'completed',
      dataUri: result.dataUri,
      uiUrl: uiUrl(runId),
      featureSchemaUri: result.featureSchemaUri,
      models: result.models.map((m) => {
        const report = modelReport(m);
        report.baselines.dataQuality ??= result.dataQualityBaseline;
        return report;
      }),
    };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = innermost(err);
    const details = (cause as { details?: unknown[] }).details?.[0] as { models?: ModelOutcome[] } | undefined;
    return {
      workflowId: handle.workflowId,
      runId,
      status: 'failed',
      uiUrl: uiUrl(runId),
      error: { type: (cause as { type?: string }).type, message: cause.message },
      models: (details?.models ?? []).map(modelReport),
    };
  } finally {
    stop = true;
    await watcher;
  }
}

/** The failure a person needs to read: a workflow failure wraps the activity's, which wraps the cause. */
export function innermost(err: Error): Error {
  let current: Error = err;
  while (current.cause instanceof Error) current = current.cause;
  return current;
}
