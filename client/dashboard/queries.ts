import type { Backend } from '../../activities/backends/types';
import { insightDays, readInsightRows } from '../../activities/insights/parquet';
import { driftRecordOfRow } from '../../activities/insights/rows';
import type { InsightRows, InsightTable } from '../../common/types/insights';
import type { ChampionComparison } from '../../common/types/governance';
import type { DriftRecord } from '../../common/types/monitoring';
import type { ModelApprovalStatus, ModelDecision, ModelFamily, SplitMetrics } from '../../common/types/model';
import { DEFAULT_PROJECT, projectOf } from '../../common/project';
import { inWindow, partitionRange, type TimeWindow } from './params';

/** How the API links out: a run to the Temporal UI, an S3 URI to the dashboard's own `/data`. */
export interface Links {
  run(workflowId: string, runId: string): string;
  data(uri: string): string | null;
}

/** A drift record with links: its monitoring run in the Temporal UI, its data and report through `/data`. */
export interface DriftRecordView extends DriftRecord {
  runUrl: string;
  dataUrl: string | null;
  reportUrl: string | null;
}

export interface ScoringRecord {
  scoredAt: string;
  family: string;
  modelName: string;
  modelVersion: number;
  scoringWorkflowId: string;
  scoringRunId: string;
  inputUri: string;
  outputUri: string;
  captureUri: string;
  records: number;
  predictionMean: number | null;
  predictionMin: number | null;
  predictionMax: number | null;
  runUrl: string;
  /** The captured input and predictions, through `/data`. */
  dataUrl: string | null;
  outputUrl: string | null;
}

/** Requests of one endpoint in one hour, summed over the runs that consolidated them. */
export interface InferenceHour {
  hour: string;
  family: string;
  endpointName: string;
  modelVersions: number[];
  requests: number;
  /** Weighted by requests over the rows that have one. */
  predictionMean: number | null;
}

export interface ModelVersionSummary {
  /** The project of the version (the demo's when none was recorded). */
  project: string;
  family: ModelFamily;
  version: number;
  modelName: string;
  status: ModelApprovalStatus;
  decision: ModelDecision | null;
  metrics: SplitMetrics | null;
  /** Step 6: this version and the champion it was compared with, on the same rows. */
  comparison: ChampionComparison | null;
  /** Findings a person should see (data shift, suspicious metrics, an incomparable champion). */
  warnings: string[];
  trainingJobName: string;
  createdAt: string;
  updatedAt: string;
  runUrl: string;
}

export interface Filters {
  /** The projects that have insight rows (the demo's included). */
  projects: string[];
  families: string[];
  endpoints: { name: string; family: string }[];
  /** Earliest and latest time any insight row has; null when there is none. */
  timeRange: { from: string; to: string } | null;
}

export type DashboardBackend = Pick<Backend, 'objectStore' | 'registry'>;

/** Reads the insights tables and the registry and shapes them for the page. */
export class DashboardQueries {
  constructor(
    private readonly backend: DashboardBackend,
    private readonly bucket: string,
    private readonly links: Links,
    /** The stack's projects (its project files); without them, only the demo's. */
    private readonly stackProjects?: () => Promise<string[]>,
  ) {}

  /** The stack's projects, the demo's always among them. */
  private async projects(): Promise<string[]> {
    return [...new Set([DEFAULT_PROJECT, ...((await this.stackProjects?.()) ?? [])])].sort();
  }

  async drift(q: TimeWindow & { project?: string; family?: string; endpoint?: string }): Promise<DriftRecordView[]> {
    const rows = await readInsightRows(this.backend.objectStore, this.bucket, 'drift_records', partitionRange(q));
    return rows
      .filter((r) => (!q.project || r.project === q.project) && (!q.family || r.family === q.family) && (!q.endpoint || r.endpoint_name === q.endpoint) && inWindow(r.detected_at, q))
      .sort((a, b) => a.detected_at.getTime() - b.detected_at.getTime())
      .map((r) => ({
        ...driftRecordOfRow(r),
        runUrl: this.links.run(r.monitoring_workflow_id, r.monitoring_run_id),
        dataUrl: this.links.data(r.data_uri),
        reportUrl: this.links.data(r.report_uri),
      }));
  }

  async scoring(q: TimeWindow & { project?: string; family?: string }): Promise<ScoringRecord[]> {
    const rows = await readInsightRows(this.backend.objectStore, this.bucket, 'scoring_records', partitionRange(q));
    return rows
      .filter((r) => (!q.project || r.project === q.project) && (!q.family || r.family === q.family) && inWindow(r.scored_at, q))
      .sort((a, b) => a.scored_at.getTime() - b.scored_at.getTime())
      .map((r) => ({
        scoredAt: r.scored_at.toISOString(),
        family: r.family,
        modelName: r.model_name,
        modelVersion: r.model_version,
        scoringWorkflowId: r.scoring_workflow_id,
        scoringRunId: r.scoring_run_id,
        inputUri: r.input_uri,
        outputUri: r.output_uri,
        captureUri: r.capture_uri,
        records: r.records,
        predictionMean: r.prediction_mean,
        predictionMin: r.prediction_min,
        predictionMax: r.prediction_max,
        runUrl: this.links.run(r.scoring_workflow_id, r.scoring_run_id),
        dataUrl: this.links.data(r.capture_uri),
        outputUrl: this.links.data(r.output_uri),
      }));
  }

  async inference(q: TimeWindow & { project?: string; family?: string; endpoint?: string }): Promise<InferenceHour[]> {
    const rows = await readInsightRows(this.backend.objectStore, this.bucket, 'inference_volumes', partitionRange(q));
    const byKey = new Map<string, InferenceHour & { weighted: number; weight: number }>();
    for (const r of rows) {
      if ((q.project && r.project !== q.project) || (q.family && r.family !== q.family) || (q.endpoint && r.endpoint_name !== q.endpoint) || !inWindow(r.hour, q)) continue;
      const hour = r.hour.toISOString();
      const key = `${hour}\u0000${r.family}\u0000${r.endpoint_name}`;
      let agg = byKey.get(key);
      if (!agg) {
        agg = { hour, family: r.family, endpointName: r.endpoint_name, modelVersions: [], requests: 0, predictionMean: null, weighted: 0, weight: 0 };
        byKey.set(key, agg);
      }
      agg.requests += r.requests;
      if (!agg.modelVersions.includes(r.model_version)) agg.modelVersions.push(r.model_version);
      if (r.prediction_mean !== null && Number.isFinite(r.prediction_mean) && r.requests > 0) {
        agg.weighted += r.prediction_mean * r.requests;
        agg.weight += r.requests;
      }
    }
    return [...byKey.values()]
      .sort((a, b) => a.hour.localeCompare(b.hour) || a.endpointName.localeCompare(b.endpointName))
      .map(({ weighted, weight, ...h }) => ({ ...h, modelVersions: h.modelVersions.sort((a, b) => a - b), predictionMean: weight > 0 ? weighted / weight : null }));
  }

  /** One project's versions, or with no project every project's (the registry keeps each project's apart). */
  async models(q: { project?: string; family?: ModelFamily }): Promise<ModelVersionSummary[]> {
    const projects = q.project ? [q.project] : await this.projects();
    const versions = (await Promise.all(projects.map((p) => this.backend.registry.listVersions(q.family, p)))).flat();
    return versions.map((v) => ({
      project: projectOf(v.project),
      family: v.family,
      version: v.version,
      modelName: v.modelName,
      status: v.status,
      decision: v.decision ?? null,
      metrics: v.metrics ?? null,
      comparison: v.governance?.comparison ?? null,
      warnings: [...(v.governance?.warnings ?? []), ...(v.governance?.approvalReasons ?? []).filter((r) => !v.governance?.warnings.includes(r))],
      trainingJobName: v.trainingJobName,
      createdAt: v.createdAt,
      updatedAt: v.updatedAt,
      runUrl: this.links.run(v.workflowId, v.runId),
    }));
  }

  /**
   * What the filters offer, read from a bounded part of the tables: families and endpoints from the
   * recent partitions (FILTER_DAYS days per table) and the registry, the time range from the oldest
   * and newest partitions, so a page load does not read months of files.
   */
  async filters(): Promise<Filters> {
    const { objectStore } = this.backend;
    const bounded = async <T extends InsightTable>(table: T): Promise<InsightRows[T][]> => {
      const days = await insightDays(objectStore, this.bucket, table);
      if (!days.length) return [];
      const recentFrom = days[Math.max(0, days.length - FILTER_DAYS)]!;
      const [oldest, recent] = await Promise.all([
        recentFrom === days[0] ? Promise.resolve([]) : readInsightRows(objectStore, this.bucket, table, { fromDay: days[0]!, toDay: days[0]! }),
        readInsightRows(objectStore, this.bucket, table, { fromDay: recentFrom }),
      ]);
      return [...oldest, ...recent];
    };
    const [drift, scoring, volumes, versions, stackProjects] = await Promise.all([bounded('drift_records'), bounded('scoring_records'), bounded('inference_volumes'), this.backend.registry.listVersions(), this.stackProjects ? this.projects() : Promise.resolve([])]);
    const families = new Set<string>([...versions.map((v) => v.family), ...drift.map((r) => r.family), ...scoring.map((r) => r.family), ...volumes.map((r) => r.family)]);
    const endpoints = new Map<string, string>();
    for (const r of [...drift, ...volumes]) if (r.endpoint_name) endpoints.set(r.endpoint_name, r.family);
    let min = Infinity;
    let max = -Infinity;
    for (const d of [...drift.map((r) => r.detected_at), ...scoring.map((r) => r.scored_at), ...volumes.map((r) => r.hour)]) {
      min = Math.min(min, d.getTime());
      max = Math.max(max, d.getTime());
    }
    const projects = new Set<string>([...drift.map((r) => r.project), ...scoring.map((r) => r.project), ...volumes.map((r) => r.project), ...stackProjects]);
    return {
      projects: [...projects].sort(),
      families: [...families].sort(),
      endpoints: [...endpoints].map(([name, family]) => ({ name, family })).sort((a, b) => a.name.localeCompare(b.name)),
      timeRange: Number.isFinite(min) ? { from: new Date(min).toISOString(), to: new Date(max).toISOString() } : null,
    };
  }
}

/** How many of the newest days per table the filters read for families and endpoints. */
const FILTER_DAYS = 31;
