import { patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { MonitorReport } from '../../common/types/monitoring';
import { invalidInput } from '../../common/errors';
import { monitoringJobNames, runKey } from '../../common/ids';
import { isModelFamily } from '../../common/types/model';
import type { DriftAlert, MonitoringInput, MonitoringResult } from '../../common/types/monitoring';
import { joinUri } from '../../common/uri';
import { jobActivityOptions, quickActivityOptions, step } from '../shared/activity-options';
import { failureTypeOf, innermostMessage } from '../shared/failures';
import { PipelineRun } from '../shared/pipeline-run';
import { monitoringProgressQuery, type MonitoringStage } from './monitoring.messages';

/**
 * The monitoring pipeline of one model family (run by a schedule): consolidate what was captured
 * since the last run (durable bookmark), end quietly without new data, check data drift and (when
 * ground truth arrived) model drift in parallel, then report every violation, write drift records
 * and raise a drift alert. The run settles its bookmark claims at the end: done when it
 * succeeded, released for the next run when it failed.
 */

/** Runs started before claims were settled (their histories hold no settleCapture) replay without it. */
const SETTLE_CAPTURE_PATCH = 'settle-capture-claims';
export async function monitoringPipeline(input: MonitoringInput): Promise<MonitoringResult> {
  if (!isModelFamily(input.family)) throw invalidInput(`family: unknown model family '${String(input.family)}'`);
  const { config, family } = input;
  const queue = config.taskQueues.compute;
  const pipeline = new PipelineRun(queue, input.project);
  const { run } = pipeline;
  const quick = proxyActivities<Activities>({ ...quickActivityOptions(queue), startToCloseTimeout: '5 minutes' });
  const jobs = proxyActivities<Activities>(jobActivityOptions(queue, config.maxJobRuntimeSeconds));
  const key = runKey(run);
  const progress: { stage: MonitoringStage } = { stage: 'resolving-model' };
  setHandler(monitoringProgressQuery, () => progress);
  const stage = (s: MonitoringStage) => {
    progress.stage = s;
    pipeline.show(`**Stage:** ${s}`);
  };
  stage('resolving-model');

  try {
    const model = await step(`find the champion of ${family} and its baselines`, quick.resolveMonitoredModel, { family, ...(input.project ? { project: input.project } : {}) });
    stage('consolidating');
    const data = await step(`step 1: consolidate what was captured since the last run (${family})`, quick.consolidateCapture, { family, model, config, runKey: key });
    const window = { windowStart: data.windowStart, windowEnd: data.windowEnd };
    if (data.filesRead === 0 && !data.groundTruthPrefix) {
      stage('completed');
      pipeline.markOutcome('no-data');
      return { family, outcome: 'no-data', ...window, filesRead: 0 };
    }

    stage('checking');
    const outputPrefix = joinUri(config.outputUri, family, key);
    const common = { model, resources: config.resources, maxRuntimeSeconds: config.maxJobRuntimeSeconds };
    const checks: Promise<{ kind: 'data' | 'model'; report: MonitorReport }>[] = [];
    if (data.realtimePrefix) {
      checks.push(
        step(`step 3: data drift of the real-time capture (${family} v${model.modelVersion})`, jobs.runDataQualityMonitor, { ...common, jobName: monitoringJobNames.dataQuality(run, family, 'realtime'), source: { prefix: data.realtimePrefix, format: 'capture' }, outputPrefix: joinUri(outputPrefix, 'data-quality', 'realtime') })
          .then((report) => ({ kind: 'data' as const, report })),
      );
    }
    // Model drift whenever new labels arrived, merged with the capture of the lookback window
    // (histories from before the lookback merged them with this run's own capture).
    const modelQualityCapture = data.modelQualityCapturePrefix ?? data.realtimePrefix;
    if (data.groundTruthPrefix && modelQualityCapture) {
      checks.push(
        step(`step 3: model drift against ground truth (${family} v${model.modelVersion})`, jobs.runModelQualityMonitor, { ...common, jobName: monitoringJobNames.modelQuality(run, family), capturePrefix: modelQualityCapture, groundTruthPrefix: data.groundTruthPrefix, outputPrefix: joinUri(outputPrefix, 'model-quality') })
          .then((report) => ({ kind: 'model' as const, report })),
      );
    }
    if (data.batchPrefix) {
      checks.push(
        step(`step 3: data drift of the batch-scored data (${family} v${model.modelVersion})`, jobs.runDataQualityMonitor, { ...common, jobName: monitoringJobNames.dataQuality(run, family, 'batch'), source: { prefix: data.batchPrefix, format: 'batch-csv' }, outputPrefix: joinUri(outputPrefix, 'data-quality', 'batch') })
          .then((report) => ({ kind: 'data' as const, report })),
      );
    }
    const reports = await Promise.all(checks);

    stage('evaluating');
    const driftRecordsUri = await step('step 4: write the drift records', quick.writeDriftRecords, { family, model, monitoringWorkflowId: run.workflowId, monitoringRunId: run.runId, ...window, outputPrefix, reports });
    const violations = reports.flatMap((r) => r.report.violations);
    const summary = (kind: 'data' | 'model') => {
      const of = reports.filter((r) => r.kind === kind && r.report.evaluated);
      return of.length ? { violations: of.reduce((n, r) => n + r.report.violations.length, 0), reportUri: of[0]!.report.reportUri } : undefined;
    };
    const dataQuality = summary('data');
    const modelQuality = summary('model');
    const result: MonitoringResult = {
      family,
      outcome: violations.length ? 'drift' : 'no-drift',
      ...window,
      filesRead: data.filesRead,
      ...(data.groundTruthFilesRead ? { groundTruthFilesRead: data.groundTruthFilesRead } : {}),
      ...(dataQuality ? { dataQuality } : {}),
      ...(modelQuality ? { modelQuality } : {}),
      driftRecordsUri,
    };
    if (violations.length) {
      const alert: DriftAlert = {
        family,
        ...(input.project ? { project: input.project } : {}),
        modelVersion: model.modelVersion,
        modelName: model.modelName,
        ...(model.endpointName ? { endpointName: model.endpointName } : {}),
        monitoringWorkflowId: run.workflowId,
        monitoringRunId: run.runId,
        ...window,
        kinds: [...new Set(reports.filter((r) => r.report.violations.length).map((r) => r.kind))],
        violations,
        reportUri: driftRecordsUri,
        detectedAt: new Date().toISOString(),
      };
      await pipeline.notify('drift-detected', {
        kind: 'drift.detected',
        severity: 'warning',
        subject: `${family} v${model.modelVersion}: ${violations.length} violation(s) (${alert.kinds.join(' and ')} drift)`,
        message: violations.map((v) => `${v.feature ?? v.metric ?? ''} ${v.checkType}: ${v.description}`).join('\n'),
        details: { alert },
      });
      await step(`step 4: drift alert to the lifecycle of ${family}`, quick.raiseDriftAlert, alert);
    }
    if (patched(SETTLE_CAPTURE_PATCH)) await step('settle the bookmark: the files of this run are done', quick.settleCapture, { family, config, runKey: key, outcome: 'done' });
    stage('completed');
    pipeline.markOutcome(result.outcome);
    return result;
  } catch (err) {
    stage('failed');
    pipeline.markOutcome('failed');
    // The files this run claimed go back to the next run (a release that fails leaves them to the lease).
    if (patched(SETTLE_CAPTURE_PATCH)) await step('release the files of this run to the next run', quick.settleCapture, { family, config, runKey: key, outcome: 'release' }).catch(() => undefined);
    await pipeline.notify('monitoring-failed', {
      kind: 'monitoring.failed',
      severity: 'error',
      subject: `monitoring of ${family} failed`,
      message: innermostMessage(err),
      details: { family, failureType: failureTypeOf(err) ?? null },
    });
    throw err;
  }
}
