import type { DriftRecordRow } from '../../common/types/insights';
import type { DriftRecord } from '../../common/types/monitoring';
import { projectOf } from '../../common/project';

/** A drift record as a row of the `drift_records` table (snake_case columns, dates as dates). */
export function driftRecordRow(r: DriftRecord): DriftRecordRow {
  return {
    detected_at: new Date(r.detectedAt),
    project: r.project,
    family: r.family,
    model_name: r.modelName,
    model_version: r.modelVersion,
    endpoint_name: r.endpointName,
    kind: r.kind,
    source: r.source,
    monitoring_workflow_id: r.monitoringWorkflowId,
    monitoring_run_id: r.monitoringRunId,
    window_start: new Date(r.windowStart),
    window_end: new Date(r.windowEnd),
    feature: r.feature,
    metric: r.metric,
    check_type: r.checkType,
    baseline_value: r.baselineValue,
    current_value: r.currentValue,
    description: r.description,
    report_uri: r.reportUri,
    data_uri: r.dataUri,
  };
}

/** A row of the `drift_records` table back as the drift record it was written from. */
export function driftRecordOfRow(r: DriftRecordRow): DriftRecord {
  return {
    detectedAt: r.detected_at.toISOString(),
    // Files written before projects have no project column: they are the demo project's.
    project: projectOf(r.project),
    family: r.family,
    modelName: r.model_name,
    modelVersion: r.model_version,
    endpointName: r.endpoint_name,
    kind: r.kind === 'model' ? 'model' : 'data',
    source: r.source === 'batch' ? 'batch' : 'realtime',
    monitoringWorkflowId: r.monitoring_workflow_id,
    monitoringRunId: r.monitoring_run_id,
    windowStart: r.window_start.toISOString(),
    windowEnd: r.window_end.toISOString(),
    feature: r.feature,
    metric: r.metric,
    checkType: r.check_type,
    baselineValue: r.baseline_value,
    currentValue: r.current_value,
    description: r.description,
    reportUri: r.report_uri,
    dataUri: r.data_uri,
  };
}
