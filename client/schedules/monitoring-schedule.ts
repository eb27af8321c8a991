import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleSpecDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import { isDefaultProject, modelSlug, projectOf, projectUri } from '../../common/project';
import { taskQueuesOf } from '../../common/config/parse';
import type { Config } from '../../common/config/schema';
import { MODEL_FAMILIES, PIPELINE, projectAttribute } from '../../common/search-attributes';
import type { ModelFamily } from '../../common/types/model';
import type { MonitoringConfig, MonitoringInput } from '../../common/types/monitoring';
import { UsageError } from '../../services/usage-error';
import { scheduleSpecOf, type ScheduleTiming } from './schedule-spec';

/** The workflow type the schedule starts (written in workflows/monitoring/; referenced by name here). */
export const MONITORING_WORKFLOW_TYPE = 'monitoringPipeline';
/** Runs missed while the server was down are caught up only within this window, then skipped. */
export const MONITORING_CATCHUP_WINDOW = '10 minutes';

/** One schedule per family: the id is fixed, so a second `create` finds the first. */
export function monitoringScheduleId(family: ModelFamily, project?: string): string {
  return `monitoring-${modelSlug(project, family)}`;
}

/** The schedule's `monitoring-<family>`; Temporal appends the action time to each run's id. */
export function monitoringWorkflowIdPrefix(family: ModelFamily, project?: string): string {
  return `monitoring-${modelSlug(project, family)}`;
}

export class ScheduleExistsError extends UsageError {
  constructor(readonly scheduleId: string) {
    super(`schedule '${scheduleId}' already exists (use --replace to recreate it, or 'mlops schedule delete ${scheduleId}')`);
    this.name = 'ScheduleExistsError';
  }
}

export class UnknownScheduleError extends UsageError {
  constructor(readonly scheduleId: string) {
    super(`no schedule '${scheduleId}' (see 'mlops schedule list')`);
    this.name = 'UnknownScheduleError';
  }
}

/**
 * Where a family's monitoring reads and writes: the demo project's roots as before projects, a
 * project's under `projects/<project>/` (its capture, batch capture, ground truth, reports and
 * bookmarks), so no two projects read or settle each other's files.
 */
export function defaultMonitoringConfig(config: Config, project?: string): MonitoringConfig {
  const own = (uri: string) => projectUri(uri, project);
  return {
    bucket: config.bucket,
    captureUri: own(`s3://${config.bucket}/capture`),
    batchCaptureUri: own(`s3://${config.bucket}/capture/batch`),
    groundTruthUri: own(config.groundTruthUri),
    outputUri: own(`s3://${config.bucket}/monitoring`),
    resources: { instanceType: 'ml.m5.large', instanceCount: 1 },
    maxJobRuntimeSeconds: 3600,
    taskQueues: taskQueuesOf(config),
  };
}

function monitoringRunOptions(family: ModelFamily, input: MonitoringInput) {
  return {
    taskQueue: input.config.taskQueues.orchestration,
    args: [input] as [MonitoringInput],
    typedSearchAttributes: [
      { key: PIPELINE, value: 'monitoring' },
      { key: MODEL_FAMILIES, value: [family] },
      projectAttribute(input.project),
    ],
    memo: { trigger: input.trigger, family, config: input.config, ...(input.project ? { project: input.project } : {}) },
    staticSummary: input.project ? `Drift monitoring of ${family} (project ${input.project})` : `Drift monitoring of ${family}`,
  };
}

export interface CreateMonitoringScheduleOptions extends ScheduleTiming {
  family: ModelFamily;
  /** The project (absent: the demo project): `monitoring-<project>-<family>`. */
  project?: string;
  /** Delete an existing schedule of the same id first. */
  replace?: boolean;
  /** Who asked (`cli:<user>`), kept in the memo and the schedule note. */
  createdBy?: string;
}

/** Creates `monitoring-<family>`: one `monitoringPipeline` run per tick, never two at once (SKIP). */
export async function createMonitoringSchedule(client: Client, config: Config, options: CreateMonitoringScheduleOptions): Promise<ScheduleHandle> {
  const spec = scheduleSpecOf(options);
  const scheduleId = monitoringScheduleId(options.family, options.project);
  const input: MonitoringInput = { family: options.family, ...projectField(options.project), config: defaultMonitoringConfig(config, options.project), trigger: `schedule:${scheduleId}` };
  const createdBy = options.createdBy ?? 'mlops';
  const create = () =>
    client.schedule.create({
      scheduleId,
      spec,
      action: { type: 'startWorkflow', workflowType: MONITORING_WORKFLOW_TYPE, workflowId: monitoringWorkflowIdPrefix(options.family, options.project), ...monitoringRunOptions(options.family, input) },
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: MONITORING_CATCHUP_WINDOW, pauseOnFailure: false },
      state: { paused: false, note: `created by ${createdBy}` },
      memo: {
        family: options.family,
        ...projectField(options.project),
        timing: { ...(options.every !== undefined ? { every: options.every } : {}), ...(options.cron !== undefined ? { cron: options.cron } : {}), ...(options.timezone !== undefined ? { timezone: options.timezone } : {}) },
        createdBy,
      },
    });
  try {
    return await create();
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    if (!options.replace) throw new ScheduleExistsError(scheduleId);
  }
  await deleteSchedule(client, scheduleId);
  return create();
}

/** Runs `fn` on the schedule's handle, turning "not found" into a usage error naming the id. */
async function withSchedule<T>(client: Client, scheduleId: string, fn: (handle: ScheduleHandle) => Promise<T>): Promise<T> {
  try {
    return await fn(client.schedule.getHandle(scheduleId));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new UnknownScheduleError(scheduleId);
    throw err;
  }
}

/** A schedule as the CLI shows it (plain JSON). */
export interface ScheduleView {
  scheduleId: string;
  workflowType?: string;
  paused: boolean;
  note?: string;
  spec: { intervals?: { every: string; offset?: string }[]; cronExpressions?: string[]; calendars?: unknown[]; timezone?: string };
  overlap?: string;
  catchupWindow?: string;
  memo?: Record<string, unknown>;
  nextActionTimes: string[];
  recentActions: { scheduledAt: string; takenAt: string; workflowId: string; runId: string }[];
  runningWorkflows?: string[];
  numActionsTaken?: number;
  numActionsSkippedOverlap?: number;
}

function fmtMs(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** The SDK types `offset` as a number but leaves it undefined when zero. */
function intervalView(i: { every: number; offset?: number }): { every: string; offset?: string } {
  return { every: fmtMs(i.every), ...(i.offset ? { offset: fmtMs(i.offset) } : {}) };
}

function specView(spec: ScheduleSpecDescription, memo: Record<string, unknown> | undefined): ScheduleView['spec'] {
  const timing = (memo?.timing ?? {}) as { cron?: string };
  return {
    ...(spec.intervals?.length ? { intervals: spec.intervals.map((i) => intervalView(i)) } : {}),
    // The server stores cron strings as calendars; the memo keeps what the user typed.
    ...(timing.cron ? { cronExpressions: [timing.cron] } : spec.calendars?.length ? { calendars: spec.calendars } : {}),
    ...(spec.timezone ? { timezone: spec.timezone } : {}),
  };
}

function viewOf(d: ScheduleDescription): ScheduleView {
  return {
    scheduleId: d.scheduleId,
    workflowType: d.action.workflowType,
    paused: d.state.paused,
    ...(d.state.note ? { note: d.state.note } : {}),
    spec: specView(d.spec, d.memo),
    overlap: d.policies.overlap,
    catchupWindow: fmtMs(d.policies.catchupWindow),
    ...(d.memo ? { memo: d.memo } : {}),
    nextActionTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
    recentActions: d.info.recentActions.map((a) => ({ scheduledAt: a.scheduledAt.toISOString(), takenAt: a.takenAt.toISOString(), workflowId: a.action.workflow.workflowId, runId: a.action.workflow.firstExecutionRunId })),
    runningWorkflows: d.info.runningActions.map((a) => a.workflow.workflowId),
    numActionsTaken: d.info.numActionsTaken,
    numActionsSkippedOverlap: d.info.numActionsSkippedOverlap,
  };
}

export async function describeSchedule(client: Client, scheduleId: string): Promise<ScheduleView> {
  return viewOf(await withSchedule(client, scheduleId, (h) => h.describe()));
}

export async function listSchedules(client: Client): Promise<ScheduleView[]> {
  const views: ScheduleView[] = [];
  for await (const s of client.schedule.list()) {
    views.push({
      scheduleId: s.scheduleId,
      ...(s.action ? { workflowType: s.action.workflowType } : {}),
      paused: s.state.paused,
      ...(s.state.note ? { note: s.state.note } : {}),
      spec: specView(s.spec ?? {}, s.memo),
      ...(s.memo ? { memo: s.memo } : {}),
      nextActionTimes: s.info.nextActionTimes.map((t) => t.toISOString()),
      recentActions: s.info.recentActions.map((a) => ({ scheduledAt: a.scheduledAt.toISOString(), takenAt: a.takenAt.toISOString(), workflowId: a.action.workflow.workflowId, runId: a.action.workflow.firstExecutionRunId })),
    });
  }
  return views.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

export async function pauseSchedule(client: Client, scheduleId: string, note?: string): Promise<void> {
  await withSchedule(client, scheduleId, (h) => h.pause(note ?? 'paused by mlops'));
}

export async function resumeSchedule(client: Client, scheduleId: string, note?: string): Promise<void> {
  await withSchedule(client, scheduleId, (h) => h.unpause(note ?? 'resumed by mlops'));
}

/**
 * One run now, under the schedule's own overlap policy (SKIP for monitors: if a run is still
 * going, the trigger is skipped). The SDK's `trigger()` without an argument means ALLOW_ALL, so
 * the policy is read and passed explicitly.
 */
export async function triggerSchedule(client: Client, scheduleId: string): Promise<{ overlap: ScheduleOverlapPolicy }> {
  return withSchedule(client, scheduleId, async (h) => {
    const { policies } = await h.describe();
    await h.trigger(policies.overlap);
    return { overlap: policies.overlap };
  });
}

export async function deleteSchedule(client: Client, scheduleId: string): Promise<void> {
  await withSchedule(client, scheduleId, (h) => h.delete());
}

export type RunNowOutcome =
  | { mode: 'triggered'; scheduleId: string; workflowId: string; runId: string; handle: WorkflowHandle }
  | { mode: 'skipped'; scheduleId?: string; runningWorkflowIds: string[] }
  | { mode: 'started'; workflowId: string; runId: string; handle: WorkflowHandle };

/**
 * The one workflow id of the family's manual monitoring runs (`mlops monitor run-now`); each run
 * has its own run id.
 *
 * Why one fixed id: the server lets one execution per workflow id run at a time, and decides that
 * atomically when a run starts, so a second run-now while a manual run goes is refused at start
 * (WorkflowExecutionAlreadyStarted) and answers "skipped". The visibility store, where a "list
 * the running monitors" check looks, lags behind starts: two run-nows in quick succession both
 * found nothing running there, and both started a run (`manual-<time>` ids never conflict). An id
 * per minute or per trigger would still let two starts across a minute boundary, or with two
 * triggers, both run.
 */
export function manualMonitoringWorkflowId(family: ModelFamily, project?: string): string {
  return `${monitoringWorkflowIdPrefix(family, project)}/manual`;
}

/** A project in a workflow input or memo: absent for the demo project (its inputs stay as they were). */
function projectField(project: string | undefined): { project?: string } {
  return isDefaultProject(project) ? {} : { project: projectOf(project) };
}

/**
 * `run-now --include-current-minute`: a capture file is taken this long after its minute ended.
 * The local capture writer appends every second and SageMaker writes whole objects, so a few
 * seconds after the minute nothing more is added to it.
 */
export const CURRENT_MINUTE_SETTLE_SECONDS = 3;

/** When the capture of the minute `now` falls in is closed: the next minute's start plus the settle time. */
export function currentMinuteClosedAt(now: Date): { minuteEnd: Date; closedAt: Date } {
  const minuteEnd = new Date(Math.floor(now.getTime() / 60_000) * 60_000 + 60_000);
  return { minuteEnd, closedAt: new Date(minuteEnd.getTime() + CURRENT_MINUTE_SETTLE_SECONDS * 1000) };
}

export interface RunMonitorNowOptions {
  family: ModelFamily;
  /** The project (absent: the demo project). */
  project?: string;
  trigger: string;
  timeoutMs?: number;
  /**
   * Take real-time capture files this many seconds after their minute ended (see
   * MonitoringConfig.captureSettleSeconds). The schedule's runs keep its own input, so with this
   * option a manual run is started even when the schedule exists.
   */
  captureSettleSeconds?: number;
}

/**
 * `mlops monitor run-now`: never a second monitor of a family while one runs. A manual run going
 * (its fixed id, read from the server, not from visibility) skips; else `monitoring-<family>` is
 * triggered when it exists (its SKIP policy drops the trigger while a scheduled run goes; the
 * run it started is found, or the skip reported); else one manual run starts, unless a run the
 * schedule started is still going. A scheduled and a manual run can still overlap in a narrow
 * window (a tick while a manual run starts); the bookmark's conditional claims then still give
 * every capture file to exactly one of them.
 */
export async function runMonitorNow(client: Client, config: Config, options: RunMonitorNowOptions): Promise<RunNowOutcome> {
  const workflowId = manualMonitoringWorkflowId(options.family, options.project);
  if (await isRunning(client, workflowId)) return { mode: 'skipped', runningWorkflowIds: [workflowId] };
  const scheduleId = monitoringScheduleId(options.family, options.project);
  const handle = client.schedule.getHandle(scheduleId);
  let before: ScheduleDescription | undefined;
  try {
    before = await handle.describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
  if (before && options.captureSettleSeconds === undefined) {
    await handle.trigger(before.policies.overlap);
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    for (;;) {
      const now = await handle.describe();
      if (now.info.numActionsTaken > before.info.numActionsTaken) {
        const last = now.info.recentActions.at(-1)!;
        const { workflowId: triggeredId, firstExecutionRunId: runId } = last.action.workflow;
        return { mode: 'triggered', scheduleId, workflowId: triggeredId, runId, handle: client.workflow.getHandle(triggeredId, runId) };
      }
      if (now.info.numActionsSkippedOverlap > before.info.numActionsSkippedOverlap) return { mode: 'skipped', scheduleId, runningWorkflowIds: now.info.runningActions.map((a) => a.workflow.workflowId) };
      if (Date.now() > deadline) throw new Error(`schedule '${scheduleId}' was triggered but no run appeared within ${Math.round((options.timeoutMs ?? 15_000) / 1000)}s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  // The schedule's own record of its running runs is current; visibility is the fallback without one.
  const running = before ? before.info.runningActions.map((a) => a.workflow.workflowId) : await runningMonitors(client, options.family, options.project);
  if (running.length) return { mode: 'skipped', ...(before ? { scheduleId } : {}), runningWorkflowIds: running };
  const monitoring = defaultMonitoringConfig(config, options.project);
  if (options.captureSettleSeconds !== undefined) monitoring.captureSettleSeconds = options.captureSettleSeconds;
  const input: MonitoringInput = { family: options.family, ...projectField(options.project), config: monitoring, trigger: options.trigger };
  try {
    const started = await client.workflow.start(MONITORING_WORKFLOW_TYPE, {
      workflowId,
      // FAIL while a manual run goes (the race above); a closed run's id may be reused.
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      ...monitoringRunOptions(options.family, input),
    });
    // The handle is pinned to this run: the id is reused by later manual runs.
    return { mode: 'started', workflowId, runId: started.firstExecutionRunId, handle: client.workflow.getHandle(workflowId, started.firstExecutionRunId) };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { mode: 'skipped', runningWorkflowIds: [workflowId] };
    throw err;
  }
}

async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** Workflow ids of the family's monitoring runs that are still going (schedule-started or manual). */
export async function runningMonitors(client: Client, family: ModelFamily, project?: string): Promise<string[]> {
  const ids: string[] = [];
  // Another project may have a family of the same name: its runs' ids carry the project.
  const own = isDefaultProject(project) ? '' : ` AND WorkflowId STARTS_WITH '${monitoringWorkflowIdPrefix(family, project)}'`;
  const query = `WorkflowType = '${MONITORING_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running' AND ${MODEL_FAMILIES.name} = '${family}'${own}`;
  for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
  return ids;
}
