import { Option, type Command } from 'commander';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowExecutionInfo, type WorkflowHandle } from '@temporalio/client';
import { DEFAULT_PROJECT, projectNameProblem } from '../../../common/project';
import { DATA_URI, MODEL_FAMILIES, OUTCOME, PIPELINE, PROJECT } from '../../../common/search-attributes';
import type { TrainingProgress } from '../../../common/types/training';
import { temporalUiUrl } from '../../temporal';
import { waitForTrainingReport } from '../../training/report';
import { waitForScoringReport } from '../../scoring/report';
import { waitForMonitoringReport } from '../../monitoring/report';
import { trainingProgressQuery } from '../../../workflows/training/training.messages';
import { scoringProgressQuery } from '../../../workflows/batch-scoring/batch-scoring.messages';
import { monitoringProgressQuery } from '../../../workflows/monitoring/monitoring.messages';
import { lifecycleStateQuery } from '../../../workflows/lifecycle/lifecycle.messages';
import type { batchScoringPipeline, trainingPipeline } from '../../../workflows';
import { UsageError } from '../../../services/usage-error';
import type { CliContext } from '../context';
import { checkProject, PROJECT_FILTER_HELP } from '../project-option';
import { positiveInt } from '../options';
import { printJson, printTable } from '../output';
import { printLifecycleState } from './models';
import { printMonitoringReport } from './monitor';
import { printScoringReport } from './score';
import { printReport } from './train';

/** The kinds of run `mlops runs` knows: the MlopsPipeline search attribute, and the family lifecycles (which have none). */
export const RUN_PIPELINES = ['training', 'scoring', 'monitoring', 'lifecycle'] as const;
export type RunPipeline = (typeof RUN_PIPELINES)[number];

const WORKFLOW_TYPES: Record<RunPipeline, string> = {
  training: 'trainingPipeline',
  scoring: 'batchScoringPipeline',
  monitoring: 'monitoringPipeline',
  lifecycle: 'modelLifecycle',
};

/**
 * The visibility query of `runs list`. Lifecycles run for good and continue as new from time to
 * time: only their current run is listed, not every closed segment.
 */
export function runsQuery(pipeline?: RunPipeline, project?: string): string {
  const runs = runsOfPipeline(pipeline);
  return project === undefined ? runs : `(${runs}) AND ${projectClause(project)}`;
}

function runsOfPipeline(pipeline?: RunPipeline): string {
  const lifecycle = `(WorkflowType = '${WORKFLOW_TYPES.lifecycle}' AND ExecutionStatus != 'ContinuedAsNew')`;
  if (pipeline === 'lifecycle') return lifecycle;
  if (pipeline) return `${PIPELINE.name} = '${pipeline}'`;
  return `${PIPELINE.name} IN (${RUN_PIPELINES.filter((p) => p !== 'lifecycle').map((p) => `'${p}'`).join(', ')}) OR ${lifecycle}`;
}

/**
 * A string literal of the visibility query language. The name is user input: a project name is
 * checked against the naming rule before it gets here, and the quote and backslash are escaped
 * all the same, so no value can end the literal and add a clause of its own.
 */
export function queryString(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/** Runs of one project; the demo's also counts runs started before runs carried a project. */
function projectClause(project: string): string {
  const own = `${PROJECT.name} = ${queryString(project)}`;
  return project === DEFAULT_PROJECT ? `(${own} OR ${PROJECT.name} IS NULL)` : own;
}

/** `--project`: a project name by the naming rule (a usage error otherwise, before any query). */
export function parseProjectOption(value: string): string {
  const problem = projectNameProblem(value);
  if (problem) throw new UsageError(`--project: '${value}' ${problem}`);
  return value;
}

/** One run as `runs list` shows it; `--json` prints these rows. */
export interface RunRow {
  pipeline: RunPipeline | string;
  /** MlopsProject, else the memo's project; runs from before projects belong to the demo project. */
  project: string;
  workflowId: string;
  runId: string;
  type: string;
  status: string;
  /** MlopsOutcome: accepted/rejected/partial (training), scored, no-data/no-drift/drift (monitoring), failed, running. */
  outcome: string | null;
  /** The model families of the run; null when the run does not record them (scoring: every family with a champion). */
  families: string[] | null;
  dataUri: string | null;
  /** Who started it: `cli:<user>`, `webhook:...`, `schedule:<id>`, `lifecycle:...`. */
  trigger: string | null;
  startTime: string;
  closeTime: string | null;
  uiUrl: string;
}

export function pipelineOf(info: Pick<WorkflowExecutionInfo, 'type' | 'typedSearchAttributes'>): RunPipeline | string {
  const attribute = info.typedSearchAttributes.get(PIPELINE);
  if (attribute) return attribute;
  return (Object.entries(WORKFLOW_TYPES).find(([, type]) => type === info.type)?.[0] as RunPipeline | undefined) ?? info.type;
}

export function runRowOf(info: Pick<WorkflowExecutionInfo, 'type' | 'workflowId' | 'runId' | 'status' | 'startTime' | 'closeTime' | 'memo' | 'typedSearchAttributes'>, uiUrl: string): RunRow {
  const pipeline = pipelineOf(info);
  const memo = (info.memo ?? {}) as { trigger?: unknown; dataUri?: unknown; family?: unknown; project?: unknown; config?: { families?: unknown } };
  const attributeFamilies = info.typedSearchAttributes.get(MODEL_FAMILIES);
  const memoFamilies = Array.isArray(memo.config?.families) ? memo.config.families.map(String) : undefined;
  // A lifecycle's id is `lifecycle/<family>` (`lifecycle/<project>/<family>` in another project); it records no attributes.
  const lifecycleFamily = pipeline === 'lifecycle' ? info.workflowId.split('/').at(-1) : undefined;
  const dataUri = info.typedSearchAttributes.get(DATA_URI) ?? (typeof memo.dataUri === 'string' ? memo.dataUri : undefined);
  return {
    pipeline,
    project: info.typedSearchAttributes.get(PROJECT) ?? (typeof memo.project === 'string' ? memo.project : DEFAULT_PROJECT),
    workflowId: info.workflowId,
    runId: info.runId,
    type: info.type,
    status: info.status.name.toLowerCase(),
    outcome: info.typedSearchAttributes.get(OUTCOME) ?? null,
    families: attributeFamilies ?? memoFamilies ?? (lifecycleFamily ? [lifecycleFamily] : null),
    dataUri: dataUri ?? null,
    trigger: typeof memo.trigger === 'string' ? memo.trigger : null,
    startTime: info.startTime.toISOString(),
    closeTime: info.closeTime?.toISOString() ?? null,
    uiUrl,
  };
}

/**
 * The text table of `runs list`: the columns that mean something for the pipeline asked for, and
 * PROJECT when the rows come from more than one project (a stack with the demo alone, or a list
 * filtered by --project, shows the table it always did).
 */
export function runsTable(rows: RunRow[], pipeline?: RunPipeline): { headers: string[]; cells: (string | null)[][] } {
  const families = (r: RunRow) => r.families?.join(',') ?? (r.pipeline === 'scoring' ? 'every champion' : null);
  const columns: Record<string, (r: RunRow) => string | null> = {
    PIPELINE: (r) => r.pipeline,
    PROJECT: (r) => r.project,
    'WORKFLOW ID': (r) => r.workflowId,
    STATUS: (r) => r.status,
    OUTCOME: (r) => r.outcome,
    MODELS: families,
    MODEL: families,
    DATA: (r) => r.dataUri,
    TRIGGER: (r) => r.trigger,
    STARTED: (r) => r.startTime,
    CLOSED: (r) => r.closeTime,
  };
  const headers: Record<RunPipeline | 'all', string[]> = {
    all: ['PIPELINE', 'WORKFLOW ID', 'STATUS', 'OUTCOME', 'MODELS', 'STARTED'],
    training: ['WORKFLOW ID', 'STATUS', 'OUTCOME', 'MODELS', 'DATA', 'TRIGGER', 'STARTED', 'CLOSED'],
    scoring: ['WORKFLOW ID', 'STATUS', 'OUTCOME', 'MODELS', 'DATA', 'TRIGGER', 'STARTED', 'CLOSED'],
    monitoring: ['WORKFLOW ID', 'STATUS', 'OUTCOME', 'MODEL', 'TRIGGER', 'STARTED', 'CLOSED'],
    lifecycle: ['WORKFLOW ID', 'STATUS', 'MODEL', 'STARTED'],
  };
  const chosen = [...headers[pipeline ?? 'all']];
  if (new Set(rows.map((r) => r.project)).size > 1) chosen.splice(pipeline ? 0 : 1, 0, 'PROJECT');
  return { headers: chosen, cells: rows.map((r) => chosen.map((h) => columns[h]!(r))) };
}

export async function listRuns(client: Client, ctx: CliContext, options: { pipeline?: RunPipeline; project?: string; limit: number }): Promise<RunRow[]> {
  const rows: RunRow[] = [];
  if (options.limit < 1) return rows;
  const project = options.project === undefined ? undefined : parseProjectOption(options.project);
  for await (const w of client.workflow.list({ query: runsQuery(options.pipeline, project) })) {
    rows.push(runRowOf(w, temporalUiUrl(ctx.config, w.workflowId, w.runId)));
    if (rows.length >= options.limit) break;
  }
  return rows;
}

export function registerRunsCommands(program: Command, ctx: CliContext): void {
  const runs = program.command('runs').description('inspect pipeline runs: training, batch scoring, monitoring and the model lifecycles');

  runs
    .command('list')
    .description('the most recent runs of every pipeline (running ones first, then by close time), or of one with --pipeline')
    .addOption(new Option('--pipeline <name>', 'only runs of one pipeline').choices(RUN_PIPELINES))
    .option('--project <name>', PROJECT_FILTER_HELP)
    .option('--limit <n>', 'how many runs (1-10000)', positiveInt, 20)
    .option('--json', 'print JSON: every field of every row')
    .action(async (options: { pipeline?: RunPipeline; project?: string; limit: number; json?: boolean }) => {
      await checkProject(ctx, options.project);
      const rows = await listRuns(await ctx.client(), ctx, options);
      if (options.json) return printJson({ runs: rows });
      const of = options.project === undefined ? '' : ` of project ${options.project}`;
      if (rows.length === 0) return console.log(options.pipeline ? `no ${options.pipeline} runs${of} yet` : `no runs${of} yet: start one with \`mlops train${options.project === undefined ? '' : ` --project ${options.project}`}\``);
      const table = runsTable(rows, options.pipeline);
      printTable(table.headers, table.cells);
    });

  runs
    .command('show <workflowId>')
    .description('one run of any pipeline: its status and progress while it runs; its result when it ended (per model for training and scoring, violations for monitoring, the state of a lifecycle); its Temporal UI link')
    .option('--json', 'print JSON: everything the text shows')
    .action(async (workflowId: string, options: { json?: boolean }) => {
      const client = await ctx.client();
      const handle = client.workflow.getHandle(workflowId);
      let description: WorkflowExecutionDescription;
      try {
        description = await handle.describe();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw new UsageError(`no run with workflow id '${workflowId}' (see: mlops runs list)`);
        throw err;
      }
      await showRun(ctx, handle, description, options);
    });
}

/** `runs show`: what a run of each pipeline has to say. */
async function showRun(ctx: CliContext, handle: WorkflowHandle, description: WorkflowExecutionDescription, options: { json?: boolean }): Promise<void> {
  const { workflowId } = handle;
  const pipeline = pipelineOf(description);
  const uiUrl = (runId: string) => temporalUiUrl(ctx.config, workflowId, runId);
  const status = description.status.name.toLowerCase();
  const running = description.status.name === 'RUNNING';
  const base = { pipeline, workflowId, runId: description.runId, type: description.type, status, uiUrl: uiUrl(description.runId) };
  // A run that ended otherwise than completed or failed (terminated, cancelled, timed out) says so.
  const ended = (reportStatus: string) => (description.status.name === 'COMPLETED' || description.status.name === 'FAILED' ? reportStatus : status);

  if (pipeline === 'lifecycle') {
    const state = running ? await handle.query(lifecycleStateQuery).catch(() => null) : null;
    if (options.json) return printJson({ ...base, state });
    console.log(`Run ${workflowId}: ${status}`);
    if (state) printLifecycleState(state);
    return console.log(`\n  Temporal UI: ${base.uiUrl}`);
  }

  if (running && (pipeline === 'training' || pipeline === 'scoring' || pipeline === 'monitoring')) {
    const query = () =>
      pipeline === 'training' ? handle.query(trainingProgressQuery) : pipeline === 'scoring' ? handle.query(scoringProgressQuery) : handle.query(monitoringProgressQuery);
    const progress: { stage: string; models?: TrainingProgress['models'] | string[] } | null = await query().catch(() => null);
    if (options.json) return printJson({ ...base, progress });
    console.log(`Run ${workflowId}: running (${progress?.stage ?? 'starting'})`);
    const models = progress?.models;
    if (Array.isArray(models)) {
      if (models.length) console.log(`  models: ${models.join(', ')}`);
    } else for (const [family, stage] of Object.entries(models ?? {})) console.log(`  ${family}: ${stage}`);
    return console.log(`\n  Temporal UI: ${base.uiUrl}`);
  }

  if (pipeline === 'training') {
    const report = await waitForTrainingReport(handle as WorkflowHandle<typeof trainingPipeline>, uiUrl);
    report.status = ended(report.status);
    if (options.json) return printJson({ pipeline, ...report });
    return printReport(report);
  }
  if (pipeline === 'scoring') {
    const report = await waitForScoringReport(handle as WorkflowHandle<typeof batchScoringPipeline>, uiUrl);
    const shown = { ...report, status: ended(report.status) };
    if (options.json) return printJson({ pipeline, ...shown });
    return printScoringReport(shown, ctx.backend.objectStore);
  }
  if (pipeline === 'monitoring') {
    const report = await waitForMonitoringReport(handle, uiUrl, ctx.backend.objectStore);
    const shown = { ...report, status: ended(report.status) };
    if (options.json) return printJson({ pipeline, ...shown });
    return printMonitoringReport(shown);
  }
  // A workflow of another kind (not started by mlops): what Temporal knows of it.
  if (options.json) return printJson(base);
  console.log(`Run ${workflowId} (${description.type}): ${status}\n\n  Temporal UI: ${base.uiUrl}`);
}
