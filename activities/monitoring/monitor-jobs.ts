import { projectOf } from '../../common/project';
import { ApplicationFailure } from '@temporalio/common';
import { processingInput, processingInputDir, processingInputFile, processingOutput, processingOutputDir } from '../../common/container-contract';
import type { ResourceConfig } from '../../common/types/jobs';
import type { ModelFamily } from '../../common/types/model';
import type { DriftRecord, DriftViolation, MonitorReport } from '../../common/types/monitoring';
import { runKey } from '../../common/ids';
import { joinUri, parseS3Uri } from '../../common/uri';
import type { Backend } from '../backends/types';
import { driftRecordRow } from '../insights/rows';
import { writeInsightRows } from '../insights/parquet';
import { runProcessingJob } from '../shared/run-job';
import type { MonitoredModel } from './consolidate';

export interface MonitorJobInput {
  jobName: string;
  model: MonitoredModel;
  /**
   * Data to check: real-time capture (JSON Lines), batch capture (CSV with header), or a training
   * split as pre-processing writes it (label first, no header: new training data against the
   * champion's baseline).
   */
  source: { prefix: string; format: 'capture' | 'batch-csv' | 'training-split' };
  outputPrefix: string;
  resources: ResourceConfig;
  maxRuntimeSeconds: number;
}

export interface ModelQualityJobInput extends Omit<MonitorJobInput, 'source'> {
  capturePrefix: string;
  groundTruthPrefix: string;
}

interface RawViolation {
  feature_name?: string;
  metric_name?: string;
  constraint_check_type: string;
  description: string;
}

/**
 * Pulls the measured and the allowed value out of Model Monitor's descriptions, where it states
 * them: distance and threshold, metric and threshold, observed and expected share (0..1).
 */
export function enrichViolation(v: RawViolation): DriftViolation {
  const out: DriftViolation = { checkType: v.constraint_check_type, description: v.description };
  if (v.feature_name) out.feature = v.feature_name;
  if (v.metric_name) out.metric = v.metric_name;
  const distance = /distance: ([-+\d.eE]+) exceeds \w+ threshold: ([-+\d.eE]+)/.exec(v.description);
  const metric = /with ([-+\d.eE]+) .*'([-+\d.eE]+)'/.exec(v.description);
  const match = distance ?? metric;
  if (match) {
    out.currentValue = Number(match[1]);
    out.baselineValue = Number(match[2]);
    return out;
  }
  // Data type, completeness and categorical values: "Expected ...: 100%. Observed: Only 92.5% ..." (as fractions).
  const share = /Expected[^%]*?([\d.]+)%.*?Observed: Only ([\d.]+)%/.exec(v.description);
  if (share) {
    out.baselineValue = Number(share[1]) / 100;
    out.currentValue = Number(share[2]) / 100;
  }
  return out;
}

/** Step 3 of monitoring: Model Monitor's data-quality and model-quality runs as processing jobs. */
export function createMonitorJobActivities(backend: Backend, settings: { pollIntervalMs: number }) {
  async function readViolations(outputPrefix: string): Promise<DriftViolation[]> {
    const uri = joinUri(outputPrefix, 'constraint_violations.json');
    const doc = JSON.parse((await backend.objectStore.get(uri)).toString('utf8')) as { violations?: RawViolation[] };
    return (doc.violations ?? []).map(enrichViolation);
  }

  return {
    /** Data drift: the captured features against the champion's data-quality baseline. */
    async runDataQualityMonitor(input: MonitorJobInput): Promise<MonitorReport> {
      const format = { capture: { sagemakerCaptureJson: { captureIndexNames: ['endpointInput', 'endpointOutput'] } }, 'batch-csv': { csv: { header: true } }, 'training-split': { csv: { header: false } } }[input.source.format];
      await runProcessingJob(backend.jobs, settings.pollIntervalMs, {
            jobName: input.jobName,
            image: 'model-monitor',
            arguments: ['data-quality-monitor'],
            environment: {
              dataset_format: JSON.stringify(format),
              dataset_source: processingInputDir('data'),
              baseline_statistics: processingInputFile('baseline', 'statistics.json'),
              baseline_constraints: processingInputFile('constraints', 'constraints.json'),
              feature_schema: processingInputFile('schema', 'feature-schema.json'),
              output_path: processingOutputDir(),
              publish_cloudwatch_metrics: 'Disabled',
              ...(input.model.endpointName ? { sagemaker_endpoint_name: input.model.endpointName } : {}),
            },
            inputs: [
              processingInput('data', input.source.prefix),
              processingInput('baseline', input.model.dataQualityStatisticsUri),
              processingInput('constraints', input.model.dataQualityConstraintsUri),
              processingInput('schema', input.model.featureSchemaUri),
            ],
            outputs: [processingOutput('report', input.outputPrefix.replace(/\/?$/, '/'), processingOutputDir())],
            resources: input.resources,
            maxRuntimeSeconds: input.maxRuntimeSeconds,
          });
      const source = ({ capture: 'realtime', 'batch-csv': 'batch', 'training-split': 'training' } as const)[input.source.format];
      return { evaluated: true, dataUri: input.source.prefix, source, reportUri: input.outputPrefix, violations: await readViolations(input.outputPrefix) };
    },

    /** Model drift: predictions merged with ground truth by inference id, against the model-quality constraints. */
    async runModelQualityMonitor(input: ModelQualityJobInput): Promise<MonitorReport> {
      const constraintsUri = input.model.modelQualityConstraintsUri;
      if (!constraintsUri) return { evaluated: false, reason: 'the champion has no model-quality baseline', reportUri: input.outputPrefix, violations: [] };
      try {
        await runProcessingJob(backend.jobs, settings.pollIntervalMs, {
              jobName: input.jobName,
              image: 'model-monitor',
              arguments: ['model-quality-monitor'],
              environment: {
                analysis_type: 'MODEL_QUALITY',
                problem_type: 'Regression',
                dataset_source: processingInputDir('data'),
                ground_truth_source: processingInputDir('groundtruth'),
                baseline_constraints: processingInputFile('constraints', 'constraints.json'),
                output_path: processingOutputDir(),
              },
              inputs: [processingInput('data', input.capturePrefix), processingInput('groundtruth', input.groundTruthPrefix), processingInput('constraints', constraintsUri)],
              outputs: [processingOutput('report', input.outputPrefix.replace(/\/?$/, '/'), processingOutputDir())],
              resources: input.resources,
              maxRuntimeSeconds: input.maxRuntimeSeconds,
            });
      } catch (err) {
        // No label matched a prediction: model drift cannot be evaluated with these labels. Any other
        // failure (broken ground truth, constraints or capture) fails the run with its message.
        if (err instanceof ApplicationFailure && /: ClientError: NoMatch: /.test(err.message)) return { evaluated: false, reason: err.message, reportUri: input.outputPrefix, violations: [] };
        throw err;
      }
      return { evaluated: true, dataUri: input.capturePrefix, source: 'realtime', reportUri: input.outputPrefix, violations: await readViolations(input.outputPrefix) };
    },

    /** Drift records (one JSON line per violation, enriched for reporting) under the run's prefix. */
    async writeDriftRecords(input: {
      family: ModelFamily;
      model: MonitoredModel;
      monitoringWorkflowId: string;
      monitoringRunId: string;
      windowStart: string;
      windowEnd: string;
      outputPrefix: string;
      reports: { kind: 'data' | 'model'; report: MonitorReport }[];
    }): Promise<string> {
      const uri = joinUri(input.outputPrefix, 'drift-records.jsonl');
      // The run's window end, not this attempt's clock: a retry writes the same dt= partition and file.
      const records: DriftRecord[] = input.reports.flatMap(({ kind, report }) =>
        report.violations.map((v) => ({
          detectedAt: input.windowEnd,
          project: projectOf(input.model.project),
          family: input.family,
          modelName: input.model.modelName,
          modelVersion: input.model.modelVersion,
          endpointName: input.model.endpointName ?? null,
          kind,
          source: report.source === 'batch' ? 'batch' : 'realtime',
          monitoringWorkflowId: input.monitoringWorkflowId,
          monitoringRunId: input.monitoringRunId,
          windowStart: input.windowStart,
          windowEnd: input.windowEnd,
          feature: v.feature ?? null,
          metric: v.metric ?? (kind === 'data' ? v.checkType : null),
          checkType: v.checkType,
          baselineValue: v.baselineValue ?? null,
          currentValue: v.currentValue ?? null,
          description: v.description,
          reportUri: report.reportUri,
          dataUri: report.dataUri ?? '',
        })),
      );
      await backend.objectStore.put(uri, records.map((r) => `${JSON.stringify(r)}\n`).join(''), { contentType: 'application/jsonlines' });
      const rows = records.map(driftRecordRow);
      await writeInsightRows(backend.objectStore, parseS3Uri(input.outputPrefix).bucket, 'drift_records', runKey({ workflowId: input.monitoringWorkflowId, runId: input.monitoringRunId }), rows);
      return uri;
    },
  };
}
