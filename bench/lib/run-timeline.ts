/**
 * Where a pipeline run's wall time goes besides its jobs: the run's critical path of jobs (as the
 * jobs recorded their start and end) and, along it, every gap split by what happened in it, from
 * the run's workflow history (activity and workflow task events) and the local job records (when
 * the exit code was noticed, when the outputs were in place). The segments add up to wall time
 * minus the critical path.
 */
import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { coveredMs, criticalChain, unionMs, type Interval, type NamedInterval } from './intervals';

export interface RecordedJob extends NamedInterval {
  /** When the runner noticed the exit code and when the job's outputs and record were final (local backend). */
  noticed?: number;
  finalized?: number;
}

interface ActivitySpan {
  type: string;
  jobName?: string;
  scheduled: number;
  started?: number;
  closed?: number;
}

interface HistoryFacts {
  workflowStarted: number;
  firstWorkflowTaskStarted: number;
  firstWorkflowTaskCompleted: number;
  workflowClosed: number;
  activities: ActivitySpan[];
  workflowTasks: Interval[];
}

/** Milliseconds of overhead by cause. */
export interface OverheadBreakdown {
  /** Client side before the workflow exists: data object put into the bucket, the start call. */
  startCall: number;
  /** Workflow start to its first workflow task running on a worker (worker start and poll). */
  firstWorkflowTaskPickup: number;
  /** Workflow tasks on the path: from an event (start, an activity's completion) to the next activity being scheduled. */
  workflowTasks: number;
  /** Quick activities on the path (registry, metrics, notifications) between the job activities. */
  quickActivities: number;
  /** A job activity scheduled until a worker runs it. */
  activityDispatch: number;
  /** Inside a job activity until its job's process starts: input checks, staging the inputs, spawning. */
  jobStart: number;
  /** The job's process ended until the runner noticed (the polling interval). */
  jobEndNoticed: number;
  /** Noticed until the outputs are uploaded and the record is final. */
  jobOutputs: number;
  /** The job's outputs are final until its activity's completion is recorded. */
  activityCompletion: number;
  /** The workflow's completion until the client has its result (result reads). */
  resultRead: number;
  /** Time on the path not explained by any of the above (should stay near 0). */
  unexplained: number;
}

export interface RunTimeline {
  wallMs: number;
  jobSumMs: number;
  /** Time at least one job ran. */
  jobUnionMs: number;
  criticalPath: { jobs: string[]; ms: number };
  overheadMs: OverheadBreakdown;
  /** The run's first workflow task, started to completed (a fresh worker loads the workflow code there). */
  firstWorkflowTaskMs: number;
}

export function runTimeline(t0: number, tDone: number, history: temporal.api.history.v1.IHistory, jobs: RecordedJob[]): RunTimeline {
  const facts = historyFacts(history);
  const chain = criticalChain(jobs);
  const o: OverheadBreakdown = {
    startCall: facts.workflowStarted - t0,
    firstWorkflowTaskPickup: facts.firstWorkflowTaskStarted - facts.workflowStarted,
    workflowTasks: 0,
    quickActivities: 0,
    activityDispatch: 0,
    jobStart: 0,
    jobEndNoticed: 0,
    jobOutputs: 0,
    activityCompletion: 0,
    resultRead: tDone - facts.workflowClosed,
    unexplained: 0,
  };
  const quick = facts.activities.filter((a) => a.jobName === undefined).map((a) => ({ start: a.scheduled, end: a.closed ?? a.scheduled }));
  /**
   * Splits a gap of the path between phases, the first listed winning where they overlap (the
   * next job's own activity, then the previous job's, then quick activities, then workflow tasks).
   */
  const attribute = (window: Interval, phases: [keyof OverheadBreakdown, Interval[]][]) => {
    const length = window.end - window.start;
    if (length <= 0) {
      o.unexplained += length;
      return;
    }
    const taken: Interval[] = [];
    for (const [label, intervals] of phases) {
      const before = coveredMs(window, taken);
      taken.push(...intervals);
      o[label] += coveredMs(window, taken) - before;
    }
    o.unexplained += length - coveredMs(window, taken);
  };
  const span = (start: number | undefined, end: number | undefined): Interval[] => (start !== undefined && end !== undefined ? [{ start, end }] : []);
  const between: [keyof OverheadBreakdown, Interval[]][] = [
    ['quickActivities', quick],
    ['workflowTasks', facts.workflowTasks],
  ];

  let previous: { activity: ActivitySpan | undefined; job: RecordedJob; finalized: number } | undefined;
  for (const job of chain.jobs) {
    const activity = activityOf(job, facts.activities);
    const cursor = previous?.finalized ?? facts.firstWorkflowTaskStarted;
    const window = { start: cursor, end: job.start };
    if (activity && activity === previous?.activity) {
      // The activity's next job (a model-quality baseline's scoring, then its baseline): staging and spawning.
      attribute(window, [['jobStart', [window]]]);
    } else {
      attribute(window, [
        ['jobStart', span(activity?.started, job.start)],
        ['activityDispatch', span(activity?.scheduled, activity?.started)],
        ['activityCompletion', span(previous?.finalized, previous?.activity?.closed)],
        ...between,
      ]);
    }
    const noticed = job.noticed ?? job.finalized ?? job.end;
    const finalized = job.finalized ?? noticed;
    o.jobEndNoticed += noticed - job.end;
    o.jobOutputs += finalized - noticed;
    previous = { activity, job, finalized };
  }
  const last = previous?.finalized ?? facts.firstWorkflowTaskStarted;
  attribute({ start: last, end: facts.workflowClosed }, [['activityCompletion', span(previous?.finalized, previous?.activity?.closed)], ...between]);
  return {
    wallMs: tDone - t0,
    jobSumMs: jobs.reduce((s, j) => s + (j.end - j.start), 0),
    jobUnionMs: unionMs(jobs),
    criticalPath: { jobs: chain.jobs.map((j) => j.name), ms: chain.ms },
    overheadMs: o,
    firstWorkflowTaskMs: facts.firstWorkflowTaskCompleted - facts.firstWorkflowTaskStarted,
  };
}

/**
 * The activity that ran a job: it names the job (or a prefix of it: a baseline's scoring job is
 * `<baseline job>-scoring`) in its input's `jobName` and was running when the job started.
 */
function activityOf(job: RecordedJob, activities: ActivitySpan[]): ActivitySpan | undefined {
  let best: { activity: ActivitySpan; shared: number } | undefined;
  for (const a of activities) {
    if (a.jobName === undefined || a.scheduled > job.start || (a.closed ?? Infinity) < job.end) continue;
    const shared = commonPrefix(a.jobName, job.name);
    if (shared > 0 && (!best || shared > best.shared)) best = { activity: a, shared };
  }
  return best?.activity;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function historyFacts(history: temporal.api.history.v1.IHistory): HistoryFacts {
  const events = history.events ?? [];
  // Seconds are a Long from the server (plain numbers in tests): its decimal text reads the same either way.
  const time = (e: temporal.api.history.v1.IHistoryEvent) => Number(String(e.eventTime?.seconds ?? 0)) * 1000 + (e.eventTime?.nanos ?? 0) / 1e6;
  const id = (v: unknown) => Number(String(v));
  const activities = new Map<number, ActivitySpan>();
  const tasks = new Map<number, Interval>();
  let workflowStarted: number | undefined;
  let firstWorkflowTaskStarted: number | undefined;
  let firstWorkflowTaskCompleted: number | undefined;
  let workflowClosed: number | undefined;
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) workflowStarted = time(e);
    else if (e.workflowTaskScheduledEventAttributes) tasks.set(id(e.eventId), { start: time(e), end: time(e) });
    else if (e.workflowTaskStartedEventAttributes) firstWorkflowTaskStarted ??= time(e);
    else if (e.workflowTaskCompletedEventAttributes || e.workflowTaskFailedEventAttributes || e.workflowTaskTimedOutEventAttributes) {
      const attrs = e.workflowTaskCompletedEventAttributes ?? e.workflowTaskFailedEventAttributes ?? e.workflowTaskTimedOutEventAttributes;
      const task = tasks.get(id(attrs!.scheduledEventId));
      if (task) task.end = time(e);
      firstWorkflowTaskCompleted ??= time(e);
    } else if (e.activityTaskScheduledEventAttributes) {
      const a = e.activityTaskScheduledEventAttributes;
      activities.set(id(e.eventId), { type: a.activityType?.name ?? '?', scheduled: time(e), ...jobNameOf(a.input?.payloads?.[0]) });
    } else if (e.activityTaskStartedEventAttributes) {
      const span = activities.get(id(e.activityTaskStartedEventAttributes.scheduledEventId));
      if (span) span.started = time(e);
    } else {
      const closed =
        e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
      if (closed) {
        const span = activities.get(id(closed.scheduledEventId));
        if (span) span.closed = time(e);
      } else if (e.workflowExecutionCompletedEventAttributes || e.workflowExecutionFailedEventAttributes) workflowClosed = time(e);
    }
  }
  if (workflowStarted === undefined || firstWorkflowTaskStarted === undefined || firstWorkflowTaskCompleted === undefined || workflowClosed === undefined) {
    throw new Error('the history has no start, first workflow task or completion');
  }
  return { workflowStarted, firstWorkflowTaskStarted, firstWorkflowTaskCompleted, workflowClosed, activities: [...activities.values()], workflowTasks: [...tasks.values()] };
}

function jobNameOf(payload: temporal.api.common.v1.IPayload | undefined): { jobName?: string } {
  if (!payload) return {};
  const input: unknown = defaultPayloadConverter.fromPayload(payload);
  const jobName = typeof input === 'object' && input !== null ? (input as { jobName?: unknown }).jobName : undefined;
  return typeof jobName === 'string' ? { jobName } : {};
}
