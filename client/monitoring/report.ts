import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { ObjectStore } from '../../activities/backends/types';
import type { DriftRecord, MonitoringResult } from '../../common/types/monitoring';
import { innermost } from '../training/report';

/** A monitoring run as `mlops monitor run-now --wait` and `mlops runs show` print it (and `--json` carries it whole). */
export interface MonitoringRunReport {
  workflowId: string;
  runId: string;
  status: 'completed' | 'failed';
  uiUrl: string;
  error?: { type?: string; message: string };
  result?: MonitoringResult;
  /** Every violation of the run, as its drift records (`result.driftRecordsUri`); empty without drift. */
  driftRecords: DriftRecord[];
  /** Why the drift records could not be read (the run's result still stands). */
  driftRecordsError?: string;
}

/** The run's drift records, one JSON object a line. */
export async function readDriftRecords(store: Pick<ObjectStore, 'get'>, uri: string): Promise<DriftRecord[]> {
  const text = (await store.get(uri)).toString('utf8');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as DriftRecord);
}

/** Waits for a monitoring run to end and reads its violations. */
export async function waitForMonitoringReport(handle: WorkflowHandle, uiUrl: (runId: string) => string, store: Pick<ObjectStore, 'get'>): Promise<MonitoringRunReport> {
  const { runId } = await handle.describe();
  let result: MonitoringResult;
  try {
    result = (await handle.result()) as MonitoringResult;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const cause = innermost(err);
    return { workflowId: handle.workflowId, runId, status: 'failed', uiUrl: uiUrl(runId), error: { type: (cause as { type?: string }).type, message: cause.message }, driftRecords: [] };
  }
  const report: MonitoringRunReport = { workflowId: handle.workflowId, runId, status: 'completed', uiUrl: uiUrl(runId), result, driftRecords: [] };
  if (result.driftRecordsUri) {
    try {
      report.driftRecords = await readDriftRecords(store, result.driftRecordsUri);
    } catch (err) {
      report.driftRecordsError = `${result.driftRecordsUri}: ${(err as Error).message}`;
    }
  }
  return report;
}
