import { ScheduleNotFoundError, WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowExecutionStatusName } from '@temporalio/client';
import { defaultPayloadConverter, RetryState, TypedSearchAttributes, WorkflowExecutionAlreadyStartedError, type SearchAttributePair } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';

/** One workflow run the fake client knows. */
export interface FakeRun {
  type: string;
  workflowId: string;
  runId?: string;
  status: WorkflowExecutionStatusName;
  startTime?: Date;
  closeTime?: Date;
  memo?: Record<string, unknown>;
  attributes?: SearchAttributePair[];
  /** What `result()` resolves to (completed runs). */
  result?: unknown;
  /** What `result()` fails with (failed runs), wrapped in a WorkflowFailedError. */
  failure?: Error;
  /** Query name -> answer. */
  queries?: Record<string, unknown>;
  /** Update name -> its answer, or a function of its argument that returns it (throws: the update was refused). */
  updates?: Record<string, unknown>;
  /** What `fetchHistory()` returns (payloads by the default payload converter). */
  history?: temporal.api.history.v1.IHistoryEvent[];
}

/** An update the fake client delivered. */
export interface FakeUpdate {
  workflowId: string;
  name: string;
  args: unknown[];
}

/**
 * A stand-in for the Temporal client in unit tests of the CLI: lists, describes, queries and
 * awaits the runs it is given, has no schedules, and `workflow.start` makes a run from
 * `onStart` (a second start of a running id fails as the server's would). Only what the CLI calls.
 */
export function fakeClient(
  runs: FakeRun[],
  onStart?: (workflowId: string, options: Record<string, unknown>) => FakeRun,
): Client & { started: { workflowId: string; options: Record<string, unknown> }[]; updates: FakeUpdate[] } {
  const started: { workflowId: string; options: Record<string, unknown> }[] = [];
  const updates: FakeUpdate[] = [];
  const info = (r: FakeRun) => ({
    type: r.type,
    workflowId: r.workflowId,
    runId: r.runId ?? `${r.workflowId}-run`,
    status: { code: 0, name: r.status },
    startTime: r.startTime ?? new Date('2026-03-02T10:00:00Z'),
    ...(r.closeTime ? { closeTime: r.closeTime } : {}),
    ...(r.memo ? { memo: r.memo } : {}),
    typedSearchAttributes: new TypedSearchAttributes(r.attributes ?? []),
    searchAttributes: {},
    taskQueue: 'q',
    historyLength: 1,
    raw: {},
    staticDetails: () => Promise.resolve(undefined),
    staticSummary: () => Promise.resolve(undefined),
  });
  const handle = (workflowId: string) => {
    const find = () => {
      const run = [...runs].reverse().find((r) => r.workflowId === workflowId);
      if (!run) throw new WorkflowNotFoundError(`workflow not found: ${workflowId}`, workflowId, undefined);
      return run;
    };
    return {
      workflowId,
      describe: () => Promise.resolve().then(() => info(find())),
      result: () =>
        Promise.resolve().then(() => {
          const run = find();
          if (run.failure) throw new WorkflowFailedError('Workflow execution failed', run.failure, RetryState.NON_RETRYABLE_FAILURE);
          return run.result;
        }),
      fetchHistory: () => Promise.resolve().then(() => ({ events: find().history ?? [] })),
      query: (def: string | { name: string }) =>
        Promise.resolve().then(() => {
          const name = typeof def === 'string' ? def : def.name;
          const answers = find().queries ?? {};
          if (!(name in answers)) throw new Error(`no query handler '${name}'`);
          return answers[name];
        }),
      executeUpdate: (def: string | { name: string }, options?: { args?: unknown[] }) =>
        Promise.resolve().then(() => {
          const name = typeof def === 'string' ? def : def.name;
          const answers = find().updates ?? {};
          if (!(name in answers)) throw new Error(`no update handler '${name}'`);
          const args = options?.args ?? [];
          updates.push({ workflowId, name, args });
          const answer = answers[name];
          return typeof answer === 'function' ? (answer as (arg: unknown) => unknown)(args[0]) : answer;
        }),
    };
  };
  const client = {
    started,
    updates,
    options: { loadedDataConverter: { payloadConverter: defaultPayloadConverter, payloadCodecs: [], failureConverter: undefined } },
    withDeadline: <R>(_deadline: number | Date, fn: () => Promise<R>) => fn(),
    workflow: {
      list: () =>
        (async function* () {
          for (const r of [...runs].reverse()) yield info(r);
        })(),
      getHandle: (workflowId: string, _runId?: string) => handle(workflowId),
      start: (type: string, options: Record<string, unknown> & { workflowId: string }) =>
        Promise.resolve().then(() => {
          if (runs.some((r) => r.workflowId === options.workflowId && r.status === 'RUNNING')) {
            // As the server does: USE_EXISTING hands back the running workflow instead of refusing.
            if (options.workflowIdConflictPolicy === 'USE_EXISTING') return handle(options.workflowId);
            throw new WorkflowExecutionAlreadyStartedError('Workflow execution already started', options.workflowId, type);
          }
          if (!onStart) throw new Error('this fake client starts nothing');
          started.push({ workflowId: options.workflowId, options });
          const run = onStart(options.workflowId, options);
          runs.push(run);
          return { ...handle(options.workflowId), firstExecutionRunId: run.runId ?? `${run.workflowId}-run` };
        }),
    },
    schedule: {
      getHandle: (scheduleId: string) => ({ describe: () => Promise.reject(new ScheduleNotFoundError(`schedule not found: ${scheduleId}`, scheduleId)) }),
    },
  };
  return client as unknown as Client & { started: typeof started; updates: typeof updates };
}
