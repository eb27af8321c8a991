import { Context } from '@temporalio/activity';
import { readChampion } from '../registry/champion-store';
import { notFound } from '../../common/errors';
import { isDefaultProject, projectOf } from '../../common/project';
import type { ModelFamily } from '../../common/types/model';
import type { MonitoringConfig } from '../../common/types/monitoring';
import { joinUri } from '../../common/uri';
import type { Backend } from '../backends/types';
import { currentExecution } from '../insights/execution';
import { writeInsightRows } from '../insights/parquet';
import { HourlyVolumeCounter } from '../insights/summaries';
import { claim, fileTime, parseBookmark, settle, type Bookmark } from './bookmark';

function bookmarkUri(config: MonitoringConfig, family: ModelFamily): string {
  return joinUri(config.outputUri, family, 'bookmark.json');
}

export interface MonitoredModel {
  family: ModelFamily;
  /** The project (absent: the demo project). */
  project?: string;
  modelName: string;
  modelVersion: number;
  endpointName?: string;
  featureSchemaUri: string;
  dataQualityStatisticsUri: string;
  dataQualityConstraintsUri: string;
  modelQualityConstraintsUri?: string;
}

export interface ConsolidatedCapture {
  /** Capture files this run took (real-time and batch); each is read by exactly one run. */
  filesRead: number;
  realtimePrefix?: string;
  batchPrefix?: string;
  /** New ground-truth files (each merged by exactly one run) and the capture they are merged with. */
  groundTruthPrefix?: string;
  groundTruthFilesRead?: number;
  modelQualityCapturePrefix?: string;
  /** Files that arrived after the late-file horizon had passed them: reported, not read. */
  tooLate?: number;
  windowStart: string;
  windowEnd: string;
}

/**
 * Real-time capture files are written per minute and appended to during that minute: a file is
 * only taken once its minute is over (with a margin for the writer's flush), so nothing is
 * consumed half-written.
 */
const SETTLE_MS = 90_000;
/** `done` bookmark entries older than this behind the newest file are pruned; files arriving later than that are too late. */
export const DEFAULT_LATE_FILE_HORIZON_HOURS = 48;
/** New labels are merged with the capture of this many hours before them (ground truth arrives later than its predictions). */
export const DEFAULT_GROUND_TRUTH_LOOKBACK_HOURS = 48;
/** Conditional writes of the bookmark that lost to another writer are retried this often. */
const BOOKMARK_WRITE_ATTEMPTS = 20;

const HOUR_MS = 3_600_000;

/** A claim of a run that is gone is taken over after twice the longest job plus an hour. */
function leaseMs(config: MonitoringConfig): number {
  return 2 * config.maxJobRuntimeSeconds * 1000 + HOUR_MS;
}

/** Step 1 of monitoring: what was captured since the last run, through a durable bookmark. */
export function createConsolidationActivities(backend: Backend) {
  /** The activity's logger; the console when called outside an activity (unit tests, benchmarks). */
  const log = (): Pick<Console, 'warn'> => {
    try {
      return Context.current().log;
    } catch {
      return console;
    }
  };

  /** Read-modify-write of the bookmark with a conditional write; a lost race re-reads and applies the change again. */
  async function updateBookmark<T>(uri: string, change: (bookmark: Bookmark) => { changed: boolean; result: T }): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const current = await backend.objectStore.getForUpdate(uri);
      const bookmark = parseBookmark(current?.body.toString('utf8'));
      const { changed, result } = change(bookmark);
      if (!changed) return result;
      if (await backend.objectStore.putIfMatch(uri, JSON.stringify(bookmark), current?.token, { contentType: 'application/json' })) return result;
      if (attempt >= BOOKMARK_WRITE_ATTEMPTS) throw new Error(`the bookmark ${uri} kept changing under this run (${attempt} attempts); the activity retries`);
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 40 * attempt));
    }
  }

  /** Inference volumes for the insights tables, from the capture files this run took (so each request counts once). */
  async function recordInferenceVolumes(counter: HourlyVolumeCounter, input: { family: ModelFamily; model: MonitoredModel; config: MonitoringConfig; runKey: string }) {
    const run = currentExecution();
    const rows = counter.volumes().map((v) => ({
      hour: v.hour,
      project: projectOf(input.model.project),
      family: input.family,
      model_name: input.model.modelName,
      model_version: input.model.modelVersion,
      endpoint_name: v.endpointName,
      variant_name: v.variantName,
      requests: v.requests,
      prediction_mean: v.predictionMean,
      monitoring_workflow_id: run.workflowId,
      monitoring_run_id: run.runId,
    }));
    await writeInsightRows(backend.objectStore, input.config.bucket, 'inference_volumes', `${input.family}-${input.runKey}`, rows);
  }

  return {
    /** The champion of the family and its baselines, as the training pipeline exported them. */
    async resolveMonitoredModel(input: { family: ModelFamily; project?: string }): Promise<MonitoredModel> {
      const champion = await readChampion(backend.parameters, input.family, input.project);
      if (!champion?.dataQualityBaseline) throw notFound(`no approved ${input.family} model with baselines to monitor in project ${projectOf(input.project)}: run the training pipeline first`);
      return {
        family: input.family,
        ...(isDefaultProject(input.project) ? {} : { project: projectOf(input.project) }),
        modelName: champion.modelName,
        modelVersion: champion.modelVersion,
        ...(champion.endpointName ? { endpointName: champion.endpointName } : {}),
        featureSchemaUri: champion.featureSchemaUri,
        dataQualityStatisticsUri: champion.dataQualityBaseline.statisticsUri,
        dataQualityConstraintsUri: champion.dataQualityBaseline.constraintsUri,
        ...(champion.modelQualityBaseline ? { modelQualityConstraintsUri: champion.modelQualityBaseline.constraintsUri } : {}),
      };
    },

    /**
     * Claims every capture and ground-truth object no other run holds (late or out-of-order files
     * included) with a conditional write of the bookmark, then copies the claimed objects under the
     * run's prefix. A retry of the same run finds its own claim and gets the same set; a concurrent
     * run of the family loses the write, re-reads and claims what is left. New labels come with the
     * real-time capture of the lookback window before them, to merge by inference id.
     */
    async consolidateCapture(input: { family: ModelFamily; model: MonitoredModel; config: MonitoringConfig; runKey: string; now?: string }): Promise<ConsolidatedCapture> {
      const { config, family, model, runKey } = input;
      const runPrefix = joinUri(config.outputUri, family, runKey, 'input');
      const now = input.now ? Date.parse(input.now) : Date.now();
      const realtime = model.endpointName ? await backend.objectStore.list(joinUri(config.captureUri, model.endpointName) + '/') : [];
      const settleMs = config.captureSettleSeconds !== undefined ? Math.max(0, config.captureSettleSeconds) * 1000 : SETTLE_MS;
      const settledRealtime = realtime.filter((u) => u.endsWith('.jsonl') && (fileTime(u) ?? 0) + 60_000 + settleMs <= now);
      const batch = (await backend.objectStore.list(joinUri(config.batchCaptureUri, family) + '/')).filter((u) => u.endsWith('.captured.csv'));
      // Labels wait in the store until the champion has a model-quality baseline and an endpoint to merge with.
      const labels = model.modelQualityConstraintsUri && model.endpointName ? (await backend.objectStore.list(joinUri(config.groundTruthUri) + '/')).filter((u) => u.endsWith('.jsonl')) : [];
      const options = { run: runKey, now, leaseMs: leaseMs(config) };
      const taken = await updateBookmark(bookmarkUri(config, family), (bookmark) => {
        const capture = claim(bookmark, 'capture', [...settledRealtime, ...batch], options);
        const groundTruth = claim(bookmark, 'groundTruth', labels, options);
        return { changed: capture.changed || groundTruth.changed, result: { capture: capture.mine, groundTruth: groundTruth.mine, tooLate: [...capture.tooLate, ...groundTruth.tooLate] } };
      });
      if (taken.tooLate.length) log().warn('capture files arrived after the late-file horizon and are not read', { family, files: taken.tooLate.slice(0, 20), count: taken.tooLate.length });
      const realtimeMine = taken.capture.filter((u) => u.endsWith('.jsonl'));
      const batchMine = taken.capture.filter((u) => u.endsWith('.captured.csv'));
      // One file in memory at a time; `seen` looks at each copied file (the inference volumes).
      const copy = async (uris: string[], root: string, dest: string, seen?: (uri: string, body: Buffer) => void) => {
        for (const u of uris) {
          const body = await backend.objectStore.get(u);
          await backend.objectStore.put(joinUri(dest, u.slice(root.length).replace(/^\/+/, '')), body);
          seen?.(u, body);
        }
      };
      const result: ConsolidatedCapture = { filesRead: taken.capture.length, windowStart: '', windowEnd: new Date(now).toISOString() };
      if (taken.tooLate.length) result.tooLate = taken.tooLate.length;
      if (realtimeMine.length) {
        result.realtimePrefix = joinUri(runPrefix, 'capture') + '/';
        const counter = new HourlyVolumeCounter();
        await copy(realtimeMine, config.captureUri, result.realtimePrefix, (uri, body) => counter.add(uri, body.toString('utf8')));
        await recordInferenceVolumes(counter, input);
      }
      if (batchMine.length) {
        result.batchPrefix = joinUri(runPrefix, 'batch') + '/';
        await copy(batchMine, joinUri(config.batchCaptureUri, family), result.batchPrefix);
      }
      if (taken.groundTruth.length) {
        const labelTimes = taken.groundTruth.map((u) => fileTime(u) ?? now);
        const from = Math.min(...labelTimes) - (config.groundTruthLookbackHours ?? DEFAULT_GROUND_TRUTH_LOOKBACK_HOURS) * HOUR_MS;
        const predictions = settledRealtime.filter((u) => (fileTime(u) ?? 0) >= from);
        result.groundTruthFilesRead = taken.groundTruth.length;
        result.groundTruthPrefix = joinUri(runPrefix, 'ground-truth') + '/';
        await copy(taken.groundTruth, config.groundTruthUri, result.groundTruthPrefix);
        if (predictions.length) {
          result.modelQualityCapturePrefix = joinUri(runPrefix, 'model-quality-capture') + '/';
          await copy(predictions, config.captureUri, result.modelQualityCapturePrefix);
        }
      }
      const times = taken.capture.map((u) => fileTime(u)).filter((t): t is number => t !== undefined);
      result.windowStart = times.length ? new Date(Math.min(...times)).toISOString() : result.windowEnd;
      return result;
    },

    /**
     * The end of a run: its claims become done (it read them), or are released when it failed, so
     * the next run takes them again; files whose runs failed repeatedly are quarantined. Prunes the
     * bookmark behind the late-file horizon.
     */
    async settleCapture(input: { family: ModelFamily; config: MonitoringConfig; runKey: string; outcome: 'done' | 'release'; now?: string }): Promise<{ quarantined: string[] }> {
      const now = input.now ? Date.parse(input.now) : Date.now();
      const horizonMs = (input.config.lateFileHorizonHours ?? DEFAULT_LATE_FILE_HORIZON_HOURS) * HOUR_MS;
      const quarantined = await updateBookmark(bookmarkUri(input.config, input.family), (bookmark) => {
        const settled = settle(bookmark, input.runKey, input.outcome, horizonMs, now);
        return { changed: settled.changed, result: settled.quarantined };
      });
      if (quarantined.length) log().warn('files given up after repeated failed monitoring runs', { family: input.family, files: quarantined });
      return { quarantined };
    },
  };
}
