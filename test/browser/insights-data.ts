import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Backend } from '../../activities/backends/types';
import { writeInsightRows } from '../../activities/insights/parquet';
import { createConsolidationActivities } from '../../activities/monitoring/consolidate';
import { createMonitorJobActivities, enrichViolation } from '../../activities/monitoring/monitor-jobs';
import { createRegistryActivities } from '../../activities/registry/model-registry';
import { endpointName, runKey } from '../../common/ids';
import { DEFAULT_PROJECT, endpointNamePrefix, isDefaultProject, modelSlug, projectOf, projectUri } from '../../common/project';
import { DEFAULT_TASK_QUEUES } from '../../common/task-queues';
import type { ModelFamily } from '../../common/types/model';
import type { MonitoringConfig } from '../../common/types/monitoring';
import { joinUri } from '../../common/uri';
import { runInActivity } from '../helpers/activity-env';

/** What the browser test checks against: the runs that wrote the data. */
export interface ProducedInsights {
  project: string;
  monitoringRuns: { family: ModelFamily; workflowId: string; runId: string; driftRecords: number }[];
  endpoints: Record<ModelFamily, string>;
}

const HOUR = 3600_000;

/**
 * Runs `fn` with the clock at `at` (`new Date()` and `Date.now()` only), so monitoring runs that
 * happen within a second in the test land at the hours a schedule would have run them.
 */
async function atTime<T>(at: number, fn: () => Promise<T>): Promise<T> {
  const RealDate = Date;
  class FixedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(at);
      else super(...(args as [string]));
    }
    static override now(): number {
      return at;
    }
  }
  globalThis.Date = FixedDate as DateConstructor;
  try {
    return await fn();
  } finally {
    globalThis.Date = RealDate;
  }
}

function activityEnv(workflowId: string, runId: string): MockActivityEnvironment {
  return new MockActivityEnvironment({ workflowExecution: { workflowId, runId } }, { logger: new DefaultLogger('ERROR') });
}

function captureLine(prediction: number, at: number): string {
  return JSON.stringify({
    captureData: {
      endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: '2017,45000,4,2.0', encoding: 'CSV' },
      endpointOutput: { observedContentType: 'text/csv', mode: 'OUTPUT', data: String(prediction), encoding: 'CSV' },
    },
    eventMetadata: { eventId: randomUUID(), inferenceId: randomUUID(), inferenceTime: new Date(at).toISOString() },
    eventVersion: '0',
  });
}

/** A real-time capture file as data capture names it: `<root>/<endpoint>/AllTraffic/yyyy/mm/dd/hh/MM-SS-mmm-uuid.jsonl`. */
function captureUri(root: string, endpoint: string, at: number): string {
  const d = new Date(at).toISOString();
  const [date, time] = d.split('T') as [string, string];
  const [y, m, day] = date.split('-');
  const [hh, mm, ss] = time.slice(0, 8).split(':');
  return joinUri(root, endpoint, 'AllTraffic', y!, m!, day!, hh!, `${mm}-${ss}-${time.slice(9, 12)}-${randomUUID()}.jsonl`);
}

/**
 * Produces the dashboard's data the way the pipelines do, through their activities over a real
 * local backend: the registry activities register, decide and export model versions; captured
 * requests are consolidated by `consolidateCapture` (which writes the inference volumes) in
 * monitoring runs an hour apart; each run's violations (in Model Monitor's format) go through
 * `writeDriftRecords` (which writes the drift records). Scoring records are written with
 * `writeInsightRows`, as the batch transform activity does once its job is done. `project` (default:
 * the demo's) names the project whose runs these are: its registry groups, champions, endpoints,
 * monitoring prefixes and rows are its own (issue 15).
 */
export async function produceInsights(backend: Backend, bucket: string, now = Date.now(), project: string = DEFAULT_PROJECT): Promise<ProducedInsights> {
  const own = (uri: string) => projectUri(uri, project);
  const field = isDefaultProject(project) ? {} : { project: projectOf(project) };
  const registry = createRegistryActivities(backend);
  const consolidation = createConsolidationActivities(backend);
  const monitorJobs = createMonitorJobActivities(backend, { pollIntervalMs: 50 });
  const config: MonitoringConfig = {
    bucket,
    captureUri: own(`s3://${bucket}/capture`),
    batchCaptureUri: own(`s3://${bucket}/capture/batch`),
    groundTruthUri: own(`s3://${bucket}/ground-truth`),
    outputUri: own(`s3://${bucket}/monitoring`),
    resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
    maxJobRuntimeSeconds: 600,
    taskQueues: { ...DEFAULT_TASK_QUEUES },
  };
  const families = ['xgboost', 'linear-learner'] as const;
  const endpoints = Object.fromEntries(families.map((f) => [f, endpointName(endpointNamePrefix(project), f)])) as Record<(typeof families)[number], string>;
  const produced: ProducedInsights = { project: projectOf(project), monitoringRuns: [], endpoints };
  const slug = (family: string) => modelSlug(project, family);

  // Training outcomes: two versions of xgboost (the second rejected), one of linear-learner.
  for (const [i, family] of families.entries()) {
    const versions = family === 'xgboost' ? 2 : 1;
    for (let n = 1; n <= versions; n++) {
      const trainingJobName = `${slug(family)}-train-${n}`;
      const { version, modelName } = await atTime(now - (30 - n) * HOUR, () =>
        registry.registerModelVersion({
          family,
          ...field,
          modelName: `${slug(family)}-model-${n}`,
          artifactUri: `s3://${bucket}/training/${trainingJobName}/output/model.tar.gz`,
          trainingJobName,
          workflowId: `training-${slug(family)}-${n}`,
          runId: randomUUID(),
          featureSchemaUri: `s3://${bucket}/training/${trainingJobName}/feature-schema.json`,
          hyperparameters: { num_round: '100' },
        }),
      );
      const rmse = 3000 + i * 400 + (n - 1) * 500;
      const accepted = n === 1;
      await registry.recordModelDecision({
        family,
        ...field,
        version,
        status: accepted ? 'Approved' : 'Rejected',
        metrics: { validation: { rmse, mae: rmse * 0.7, r2: 0.92 - i * 0.05 - (n - 1) * 0.04 }, test: { rmse: rmse + 80, mae: rmse * 0.72, r2: 0.91 - i * 0.05 - (n - 1) * 0.04 } },
        decision: {
          outcome: accepted ? 'accepted' : 'rejected',
          reason: accepted ? `validation RMSE ${rmse} is within the threshold 4000` : `validation RMSE ${rmse} is not better than version 1 (3000)`,
          decidedBy: 'pipeline',
          decidedAt: new Date(now - (30 - n) * HOUR).toISOString(),
        },
        baselines: {
          dataQuality: { statisticsUri: `s3://${bucket}/baselines/${modelName}/statistics.json`, constraintsUri: `s3://${bucket}/baselines/${modelName}/constraints.json` },
          modelQuality: { statisticsUri: `s3://${bucket}/baselines/${modelName}/mq-statistics.json`, constraintsUri: `s3://${bucket}/baselines/${modelName}/mq-constraints.json` },
        },
      });
      if (accepted) await registry.exportChampionConfig({ family, ...field, version, endpointName: endpoints[family] });
    }
  }

  // Hourly monitoring runs over what the endpoints captured; drift grows run after run.
  const runHours = [6, 4, 2];
  for (const family of families) {
    const endpoint = endpoints[family];
    const model = await consolidation.resolveMonitoredModel({ family, ...field });
    const base = family === 'xgboost' ? 21000 : 19000;
    for (const [r, hoursAgo] of runHours.entries()) {
      // Requests of the two hours before the run.
      for (let h = 2; h >= 1; h--) {
        const hourStart = Math.floor((now - (hoursAgo + h) * HOUR) / HOUR) * HOUR;
        const lines = Array.from({ length: 8 + ((r * 5 + h * 3) % 9) }, (_, k) => captureLine(base + r * 900 + k * 37 + h * 110, hourStart + 60_000));
        await backend.objectStore.put(captureUri(config.captureUri, endpoint, hourStart + 5 * 60_000 + r), `${lines.join('\n')}\n`);
      }
      const workflowId = `monitoring-${slug(family)}`;
      const runId = randomUUID();
      const key = runKey({ workflowId, runId });
      const runAt = now - hoursAgo * HOUR;
      const env = activityEnv(workflowId, runId);
      const consolidated = await atTime(runAt, () => runInActivity(env, () => consolidation.consolidateCapture({ family, model, config, runKey: key, now: new Date(runAt).toISOString() })));
      const outputPrefix = joinUri(config.outputUri, family, key);
      const distance = 0.08 + r * 0.09 + (family === 'xgboost' ? 0.05 : 0);
      const raw = [
        { feature_name: 'Mileage', constraint_check_type: 'baseline_drift_check', description: `Numerical distance: ${distance.toFixed(4)} exceeds numerical threshold: 0.1` },
        { feature_name: 'Year', constraint_check_type: 'baseline_drift_check', description: `Numerical distance: ${(distance * 0.7 + 0.06).toFixed(4)} exceeds numerical threshold: 0.1` },
      ].filter((v) => Number(/distance: ([\d.]+)/.exec(v.description)![1]) > 0.1);
      const modelRaw = r === runHours.length - 1 ? [{ metric_name: 'rmse', constraint_check_type: 'GreaterThanThreshold', description: `Metric rmse with ${3000 + 700 + r * 50} +/- 120.5 was GreaterThanThreshold '3300'` }] : [];
      const reports = [
        { kind: 'data' as const, report: { evaluated: true, source: 'realtime' as const, dataUri: consolidated.realtimePrefix, reportUri: joinUri(outputPrefix, 'data-quality', 'realtime') + '/', violations: raw.map(enrichViolation) } },
        ...(modelRaw.length ? [{ kind: 'model' as const, report: { evaluated: true, source: 'realtime' as const, dataUri: consolidated.realtimePrefix, reportUri: joinUri(outputPrefix, 'model-quality') + '/', violations: modelRaw.map(enrichViolation) } }] : []),
      ];
      for (const { report } of reports) {
        await backend.objectStore.put(joinUri(report.reportUri, 'constraint_violations.json'), JSON.stringify({ violations: report.violations.map((v) => ({ feature_name: v.feature ?? v.metric, constraint_check_type: v.checkType, description: v.description })) }, null, 2));
      }
      await atTime(runAt, () =>
        runInActivity(env, () =>
          monitorJobs.writeDriftRecords({
          family,
          model,
          monitoringWorkflowId: workflowId,
          monitoringRunId: runId,
          windowStart: consolidated.windowStart,
          windowEnd: consolidated.windowEnd,
          outputPrefix,
          reports,
        }),
        ),
      );
      produced.monitoringRuns.push({ family, workflowId, runId, driftRecords: reports.reduce((s, x) => s + x.report.violations.length, 0) });
    }
  }

  // Batch scoring runs (what the batch transform activity records once its job completes).
  for (const [i, family] of families.entries()) {
    const scoredAt = new Date(now - (10 - i * 3) * HOUR);
    const job = `scoring-${slug(family)}-${i}`;
    await backend.objectStore.put(`${own(`s3://${bucket}/scoring/capture`)}/${job}/cars.captured.csv`, 'record_id,Year,Mileage,prediction\na,2017,45000,21000\nb,2015,80000,15500\nc,2019,12000,26500\n');
    await writeInsightRows(backend.objectStore, bucket, 'scoring_records', job, [
      {
        scored_at: scoredAt,
        project: projectOf(project),
        family,
        model_name: `${slug(family)}-model-1`,
        model_version: 1,
        scoring_workflow_id: `scoring-${slug(family)}`,
        scoring_run_id: randomUUID(),
        input_uri: `${own(`s3://${bucket}/scoring/input`)}/cars.csv`,
        output_uri: `${own(`s3://${bucket}/scoring/output`)}/${job}/cars.csv.out`,
        capture_uri: `${own(`s3://${bucket}/scoring/capture`)}/${job}/cars.captured.csv`,
        records: 3,
        prediction_mean: 21000,
        prediction_min: 15500,
        prediction_max: 26500,
      },
    ]);
  }
  return produced;
}
