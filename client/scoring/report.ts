import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { ScoredOutput, ScoringResult } from '../../common/types/scoring';
import type { batchScoringPipeline } from '../../workflows';
import { innermost } from '../training/report';

/** The `mlops score --wait --json` object. */
export interface ScoringRunReport {
  workflowId: string;
  runId: string;
  status: 'completed' | 'failed';
  dataUri?: string;
  uiUrl: string;
  error?: { type?: string; message: string };
  outputs: Pick<ScoredOutput, 'family' | 'modelName' | 'modelVersion' | 'outputUris' | 'captureUris'>[];
}

export async function waitForScoringReport(handle: WorkflowHandle<typeof batchScoringPipeline>, uiUrl: (runId: string) => string): Promise<ScoringRunReport> {
  const { runId } = await handle.describe();
  try {
    const result: ScoringResult = await handle.result();
    return {
      workflowId: handle.workflowId,
      runId,
      status: 'completed',
      dataUri: result.dataUri,
      uiUrl: uiUrl(runId),
      outputs: result.outputs.map(({ family, modelName, modelVersion, outputUris, captureUris }) => ({ family, modelName, modelVersion, outputUris, captureUris })),
    };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = innermost(err);
    return { workflowId: handle.workflowId, runId, status: 'failed', uiUrl: uiUrl(runId), error: { type: (cause as { type?: string }).type, message: cause.message }, outputs: [] };
  }
}
