import { parameterNames } from '../../common/artifacts';
import { notFound } from '../../common/errors';
import type { ModelFamily } from '../../common/types/model';
import type { MonitoringConfig } from '../../common/types/monitoring';
import { joinUri } from '../../common/uri';
import type { Backend } from '../backends/types';
import { currentExecution } from '../insights/execution';
import { writeInsightRows } from '../insights/parquet';
import { HourlyVolumeCounter } from '../insights/summaries';

export interface MonitoredModel {
  family: ModelFamily;
  modelName: string;
  modelVersion: number;
  endpointName?: string;
  featureSchemaUri: string;
  dataQualityStatisticsUri: string;
  dataQualityConstraintsUri: string;
  modelQualityConstraintsUri?: string;
}

export interface ConsolidatedCapture {
  filesRead: number;
  realtimePrefix?: string;
  batchPrefix?: string;
  groundTruthPrefix?: string;
  windowStart: string;
  windowEnd: string;
}

interface Bookmark {
  /** Capture object URI -> the run (runKey) that consumed it. */
  consumed: Record<string, string>;
}

/**
 * Real-time capture files are written per minute and appended to during that minute: a file is
 * only taken once its minute is over (with a margin for the writer's flush), so nothing is
 * consumed half-written.
 */
const SETTLE_MS = 90_000;

/** The capture file's minute, from `.../yyyy/mm/dd/hh/MM-SS-mmm-uuid.jsonl`. */
function realtimeFileTime(uri: string): number | undefined {
  const m = /\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/(\d{2})-(\d{2})-\d{3}-[^/]+\.jsonl$/.exec(uri);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]));
}

/** Step 1 of monitoring: what was captured since the last run, through a durable bookmark. */
export function createConsolidationActivities(backend: Backend) {
  /** Inference volumes for the insights tables, from the capture files this run took (so each request counts once). */
  async function recordInferenceVolumes(counter: HourlyVolumeCounter, input: { family: ModelFamily; model: MonitoredModel; config: MonitoringConfig; runKey: string }) {
    const run = currentExecution();
    const rows = counter.volumes().map((v) => ({
      hour: v.hour,
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
    async resolveMonitoredModel(input: { family: ModelFamily }): Promise<MonitoredModel> {
      const get = async (field: Parameters<typeof parameterNames.champion>[1]) => (await backend.parameters.get(parameterNames.champion(input.family, field)))?.value;
      const [modelName, version, endpointName, schema, dqStats, dqConstraints, mqConstraints] = await Promise.all([
        get('model-name'),
        get('model-version'),
        get('endpoint-name'),
        get('feature-schema-uri'),
        get('data-quality-statistics-uri'),
        get('data-quality-constraints-uri'),
        get('model-quality-constraints-uri'),
      ]);
      if (!modelName || !version || !schema || !dqStats || !dqConstraints) throw notFound(`no approved ${input.family} model with baselines to monitor: run the training pipeline first`);
      return {
        family: input.family,
        modelName,
        modelVersion: Number(version),
        ...(endpointName ? { endpointName } : {}),
        featureSchemaUri: schema,
        dataQualityStatisticsUri: dqStats,
        dataQualityConstraintsUri: dqConstraints,
        ...(mqConstraints ? { modelQualityConstraintsUri: mqConstraints } : {}),
      };
    },

    /**
     * Claims every capture object no earlier run consumed (late or out-of-order files included),
     * records the claim in the bookmark before copying, and copies the claimed objects under the
     * run's prefix. A retry of the same run finds its own claim and returns the same set; another
     * run never gets those files again.
     */
    async consolidateCapture(input: { family: ModelFamily; model: MonitoredModel; config: MonitoringConfig; runKey: string; now?: string }): Promise<ConsolidatedCapture> {
      const { config, family, model, runKey } = input;
      const bookmarkUri = joinUri(config.outputUri, family, 'bookmark.json');
      const runPrefix = joinUri(config.outputUri, family, runKey, 'input');
      const now = input.now ? Date.parse(input.now) : Date.now();
      const bookmark: Bookmark = (await backend.objectStore.head(bookmarkUri)) ? (JSON.parse((await backend.objectStore.get(bookmarkUri)).toString('utf8')) as Bookmark) : { consumed: {} };
      const realtime = model.endpointName ? await backend.objectStore.list(joinUri(config.captureUri, model.endpointName) + '/') : [];
      const batch = await backend.objectStore.list(joinUri(config.batchCaptureUri, family) + '/');
      const candidates = [
        ...realtime.filter((u) => u.endsWith('.jsonl') && (realtimeFileTime(u) ?? 0) + 60_000 + SETTLE_MS <= now),
        ...batch.filter((u) => u.endsWith('.captured.csv')),
      ];
      const mine = candidates.filter((u) => bookmark.consumed[u] === undefined || bookmark.consumed[u] === runKey);
      if (mine.some((u) => bookmark.consumed[u] === undefined)) {
        for (const u of mine) bookmark.consumed[u] = runKey;
        await backend.objectStore.put(bookmarkUri, JSON.stringify(bookmark), { contentType: 'application/json' });
      }
      const realtimeMine = mine.filter((u) => u.endsWith('.jsonl'));
      const batchMine = mine.filter((u) => u.endsWith('.captured.csv'));
      // One file in memory at a time; `seen` looks at each copied file (the inference volumes).
      const copy = async (uris: string[], root: string, dest: string, seen?: (uri: string, body: Buffer) => void) => {
        for (const u of uris) {
          const body = await backend.objectStore.get(u);
          await backend.objectStore.put(joinUri(dest, u.slice(root.length).replace(/^\/+/, '')), body);
          seen?.(u, body);
        }
      };
      const result: ConsolidatedCapture = { filesRead: mine.length, windowStart: '', windowEnd: new Date(now).toISOString() };
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
      const groundTruth = (await backend.objectStore.list(joinUri(config.groundTruthUri) + '/')).filter((u) => u.endsWith('.jsonl'));
      if (groundTruth.length && realtimeMine.length) {
        result.groundTruthPrefix = joinUri(runPrefix, 'ground-truth') + '/';
        await copy(groundTruth, config.groundTruthUri, result.groundTruthPrefix);
      }
      const times = realtimeMine.map((u) => realtimeFileTime(u)!).filter((t) => Number.isFinite(t));
      result.windowStart = times.length ? new Date(Math.min(...times)).toISOString() : result.windowEnd;
      return result;
    },
  };
}
