import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import type { TypedSearchAttributes } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { REPO_ROOT } from '../../common/config/parse';
import type { Config } from '../../common/config/schema';
import { MODEL_FAMILIES, PIPELINE } from '../../common/search-attributes';
import type { MonitoringInput } from '../../common/types/monitoring';
import {
  createMonitoringSchedule,
  defaultMonitoringConfig,
  deleteSchedule,
  describeSchedule,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  runMonitorNow,
  ScheduleExistsError,
  triggerSchedule,
  UnknownScheduleError,
} from '../../client/schedules/monitoring-schedule';
import { UsageError } from '../../services/usage-error';
import { createLocalEnv } from '../helpers/temporal-env';
import { eventually, tempDir, testConfig } from '../helpers/integration';

/** Monitoring schedules on a real dev server (the time-skipping server has no schedules); no worker: runs stay open. */
describe('monitoring schedules (integration: dev server, no worker)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  let client: Client;
  let config: Config;

  before(async () => {
    env = await createLocalEnv();
    client = env.client;
    config = testConfig({ home: await tempDir('schedules') });
  });

  afterEach(async () => {
    for (const id of ['monitoring-xgboost', 'monitoring-linear-learner']) await deleteSchedule(client, id).catch(() => undefined);
    for await (const wf of client.workflow.list({ query: `WorkflowType = 'monitoringPipeline' AND ExecutionStatus = 'Running'` })) {
      await client.workflow.getHandle(wf.workflowId, wf.runId).terminate('test cleanup').catch(() => undefined);
    }
  });

  after(async () => {
    await env?.teardown();
  });

  it('when a schedule is created with --every, then describe shows the interval, overlap SKIP, the catch-up window and next run times', async () => {
    await createMonitoringSchedule(client, config, { family: 'xgboost', every: '1h', createdBy: 'test' });

    const view = await describeSchedule(client, 'monitoring-xgboost');
    assert.equal(view.workflowType, 'monitoringPipeline');
    assert.deepEqual(view.spec.intervals, [{ every: '1h' }]);
    assert.equal(view.overlap, 'SKIP');
    assert.equal(view.catchupWindow, '10m');
    assert.equal(view.paused, false);
    assert.ok(view.nextActionTimes.length > 0);
    const next = new Date(view.nextActionTimes[0]!).getTime();
    assert.ok(next > Date.now() && next <= Date.now() + 3_600_000 + 5_000, view.nextActionTimes[0]);
    assert.deepEqual(view.memo, { family: 'xgboost', timing: { every: '1h' }, createdBy: 'test' });

    const raw = await client.schedule.getHandle('monitoring-xgboost').describe();
    assert.equal(raw.action.workflowId, 'monitoring-xgboost');
    assert.equal(raw.action.taskQueue, defaultMonitoringConfig(config).taskQueues.orchestration);
    assert.deepEqual(raw.action.args, [{ family: 'xgboost', config: defaultMonitoringConfig(config), trigger: 'schedule:monitoring-xgboost' } satisfies MonitoringInput]);
    // Described actions decode to a TypedSearchAttributes (the type also admits the pair array of the create options).
    const attributes = raw.action.typedSearchAttributes as TypedSearchAttributes;
    assert.equal(attributes.get(PIPELINE), 'monitoring');
    assert.deepEqual(attributes.get(MODEL_FAMILIES), ['xgboost']);
  });

  it('when a schedule is created with --cron and --timezone, then describe shows the expression and zone, and the next runs fall on the hour', async () => {
    await createMonitoringSchedule(client, config, { family: 'linear-learner', cron: '0 * * * *', timezone: 'Europe/Berlin' });

    const view = await describeSchedule(client, 'monitoring-linear-learner');
    assert.deepEqual(view.spec.cronExpressions, ['0 * * * *']);
    assert.equal(view.spec.timezone, 'Europe/Berlin');
    assert.ok(view.nextActionTimes.length >= 2);
    for (const t of view.nextActionTimes) assert.equal(new Date(t).getUTCMinutes(), 0, t);
  });

  it('when the schedule already exists, then create fails with a usage error, and --replace recreates it', async () => {
    await createMonitoringSchedule(client, config, { family: 'xgboost', every: '1h' });

    await assert.rejects(createMonitoringSchedule(client, config, { family: 'xgboost', every: '2h' }), (err) => err instanceof ScheduleExistsError && err instanceof UsageError && /already exists/.test(err.message));
    await createMonitoringSchedule(client, config, { family: 'xgboost', every: '2h', replace: true });
    assert.deepEqual((await describeSchedule(client, 'monitoring-xgboost')).spec.intervals, [{ every: '2h' }]);
  });

  it('when the timing is invalid, then create fails with a usage error before touching the server', async () => {
    await assert.rejects(createMonitoringSchedule(client, config, { family: 'xgboost', every: 'soon' }), UsageError);
    await assert.rejects(createMonitoringSchedule(client, config, { family: 'xgboost', cron: '0 * *' }), UsageError);
    await assert.rejects(createMonitoringSchedule(client, config, { family: 'xgboost', cron: '@hourly', timezone: 'Nowhere/Atlantis' }), UsageError);
    await assert.rejects(createMonitoringSchedule(client, config, { family: 'xgboost' }), UsageError);
    await assert.rejects(describeSchedule(client, 'monitoring-xgboost'), UnknownScheduleError);
  });

  it('when schedules are listed, then both appear; pause and resume show in describe; delete removes it', async () => {
    await createMonitoringSchedule(client, config, { family: 'xgboost', every: '1h' });
    await createMonitoringSchedule(client, config, { family: 'linear-learner', cron: '@daily' });

    // The schedule list is served by visibility, which is eventually consistent.
    await eventually('both schedules listed', async () => {
      const ids = (await listSchedules(client)).map((s) => s.scheduleId);
      return ids.includes('monitoring-xgboost') && ids.includes('monitoring-linear-learner');
    }, 30_000, 200);

    await pauseSchedule(client, 'monitoring-xgboost', 'drift investigation');
    let view = await describeSchedule(client, 'monitoring-xgboost');
    assert.equal(view.paused, true);
    assert.equal(view.note, 'drift investigation');
    await resumeSchedule(client, 'monitoring-xgboost', 'resolved');
    view = await describeSchedule(client, 'monitoring-xgboost');
    assert.equal(view.paused, false);
    assert.equal(view.note, 'resolved');

    await deleteSchedule(client, 'monitoring-xgboost');
    await assert.rejects(describeSchedule(client, 'monitoring-xgboost'), UnknownScheduleError);
    await assert.rejects(deleteSchedule(client, 'monitoring-xgboost'), UnknownScheduleError);
    await assert.rejects(pauseSchedule(client, 'monitoring-nope'), UnknownScheduleError);
  });

  it('when a schedule is triggered, then a monitoringPipeline run starts with the schedule id prefix; a second trigger is skipped (SKIP)', async () => {
    await createMonitoringSchedule(client, config, { family: 'xgboost', every: '1h' });

    await triggerSchedule(client, 'monitoring-xgboost');
    const view = await eventually('the triggered run in recent actions', async () => {
      const v = await describeSchedule(client, 'monitoring-xgboost');
      return v.recentActions.length > 0 && v;
    }, 30_000, 200);
    const workflowId = view.recentActions[0]!.workflowId;
    assert.match(workflowId, /^monitoring-xgboost-\d{4}-\d\d-\d\dT/);
    const described = await client.workflow.getHandle(workflowId).describe();
    assert.equal(described.type, 'monitoringPipeline');
    assert.equal(described.status.name, 'RUNNING');
    assert.equal(described.typedSearchAttributes.get(PIPELINE), 'monitoring');
    assert.deepEqual(described.typedSearchAttributes.get(MODEL_FAMILIES), ['xgboost']);
    await eventually('the run visible in the workflow list', async () => {
      const { count } = await client.workflow.count(`WorkflowType = 'monitoringPipeline' AND WorkflowId STARTS_WITH 'monitoring-xgboost' AND MlopsPipeline = 'monitoring'`);
      return count === 1;
    }, 30_000, 200);

    // The run is still open (no worker): the schedule's SKIP policy drops the next trigger.
    const outcome = await runMonitorNow(client, config, { family: 'xgboost', trigger: 'test' });
    assert.equal(outcome.mode, 'skipped');
    assert.deepEqual(outcome.mode === 'skipped' && outcome.runningWorkflowIds, [workflowId]);
    assert.equal((await describeSchedule(client, 'monitoring-xgboost')).recentActions.length, 1);
  });

  it('when run-now finds no schedule, then it starts one run monitoring-<family>/manual, and run-nows racing it or following it start nothing more', async () => {
    // Three at once, and one right after: the visibility store has not caught up with the first start yet.
    const outcomes = await Promise.all([1, 2, 3].map(() => runMonitorNow(client, config, { family: 'linear-learner', trigger: 'test' })));
    const again = await runMonitorNow(client, config, { family: 'linear-learner', trigger: 'test' });

    const started = outcomes.filter((o) => o.mode === 'started');
    assert.equal(started.length, 1, JSON.stringify(outcomes.map((o) => o.mode)));
    const outcome = started[0]!;
    assert.ok(outcome.mode === 'started');
    assert.equal(outcome.workflowId, 'monitoring-linear-learner/manual');
    for (const o of [...outcomes.filter((x) => x !== outcome), again]) assert.deepEqual(o.mode === 'skipped' && o.runningWorkflowIds, [outcome.workflowId]);
    const described = await outcome.handle.describe();
    assert.equal(described.type, 'monitoringPipeline');
    assert.equal(described.runId, outcome.runId);
    assert.equal(described.taskQueue, defaultMonitoringConfig(config).taskQueues.orchestration);
    assert.deepEqual(described.typedSearchAttributes.get(MODEL_FAMILIES), ['linear-learner']);
    // Exactly one monitoring run of the family exists: the server's latest run of the id is the first one, and visibility counts one.
    assert.equal((await client.workflow.getHandle(outcome.workflowId).describe()).runId, outcome.runId);
    await eventually('the run listed', async () => (await client.workflow.count(`WorkflowType = 'monitoringPipeline' AND ${MODEL_FAMILIES.name} = 'linear-learner'`)).count >= 1, 30_000, 200);
    assert.equal((await client.workflow.count(`WorkflowType = 'monitoringPipeline' AND ${MODEL_FAMILIES.name} = 'linear-learner'`)).count, 1);

    // Once it ended, the next run-now starts a new run under the same id.
    await outcome.handle.terminate('test: the run ended');
    const next = await runMonitorNow(client, config, { family: 'linear-learner', trigger: 'test' });
    assert.ok(next.mode === 'started');
    assert.equal(next.workflowId, outcome.workflowId);
    assert.notEqual(next.runId, outcome.runId);
  });

  it('when run-now asks for the current minute and the schedule exists, then it starts a manual run with the short settle time (the schedule keeps its input), and skips while a scheduled run goes', async () => {
    await createMonitoringSchedule(client, config, { family: 'xgboost', every: '1h' });

    const outcome = await runMonitorNow(client, config, { family: 'xgboost', trigger: 'test', captureSettleSeconds: 3 });

    assert.ok(outcome.mode === 'started');
    assert.equal(outcome.workflowId, 'monitoring-xgboost/manual');
    const memo = (await outcome.handle.describe()).memo as { config: { captureSettleSeconds?: number } };
    assert.equal(memo.config.captureSettleSeconds, 3);
    assert.equal((await describeSchedule(client, 'monitoring-xgboost')).recentActions.length, 0, 'the schedule was not triggered');
    await outcome.handle.terminate('test: the run ended');

    // A run the schedule started is still going (no worker): the manual run is skipped, naming it.
    await triggerSchedule(client, 'monitoring-xgboost');
    const scheduled = await eventually('the scheduled run', async () => (await describeSchedule(client, 'monitoring-xgboost')).runningWorkflows?.[0], 30_000, 200);
    const skipped = await runMonitorNow(client, config, { family: 'xgboost', trigger: 'test', captureSettleSeconds: 3 });
    assert.deepEqual(skipped, { mode: 'skipped', scheduleId: 'monitoring-xgboost', runningWorkflowIds: [scheduled] });
  });

  it('when the mlops CLI is used, then bad timing exits 2 without a server call, create/show print JSON, and a duplicate exits 2', async () => {
    const home = await tempDir('schedules-cli');
    const mlops = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
      try {
        const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(REPO_ROOT, 'bin', 'mlops.js'), ...args], {
          cwd: REPO_ROOT,
          env: { ...process.env, MLOPS_HOME: home, MLOPS_TEMPORAL_ADDRESS: env.address },
          timeout: 60_000,
        });
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    };

    for (const bad of [['--every', 'soon'], ['--cron', '0 * *'], ['--cron', '@hourly', '--timezone', 'Nowhere/Atlantis'], [], ['--every', '1h', '--cron', '@hourly']]) {
      const r = await mlops('schedule', 'create', 'monitoring', '--model', 'xgboost', ...bad);
      assert.equal(r.code, 2, `${bad.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^mlops: (--every|--cron|--timezone|give exactly one)/);
    }
    const created = await mlops('schedule', 'create', 'monitoring', '--model', 'xgboost', '--cron', '@hourly', '--json');
    assert.equal(created.code, 0, created.stderr);
    assert.equal((JSON.parse(created.stdout) as { overlap: string }).overlap, 'SKIP');
    const again = await mlops('schedule', 'create', 'monitoring', '--model', 'xgboost', '--every', '1h');
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists/);
    const shown = await mlops('schedule', 'show', 'monitoring-xgboost', '--json');
    assert.deepEqual((JSON.parse(shown.stdout) as { spec: unknown }).spec, { cronExpressions: ['@hourly'] });
    const noChampion = await mlops('schedule', 'create', 'monitoring', '--every', '1h');
    assert.equal(noChampion.code, 2);
    assert.match(noChampion.stderr, /no model family has a champion yet/);
    const missing = await mlops('schedule', 'show', 'monitoring-nope');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no schedule 'monitoring-nope'/);
  });

  it('when run-now finds the schedule and no run is going, then it triggers the schedule and returns the started run', async () => {
    await createMonitoringSchedule(client, config, { family: 'linear-learner', cron: '@daily' });

    const outcome = await runMonitorNow(client, config, { family: 'linear-learner', trigger: 'test' });

    assert.equal(outcome.mode, 'triggered');
    assert.ok(outcome.mode === 'triggered');
    assert.match(outcome.workflowId, /^monitoring-linear-learner-\d{4}-/);
    assert.equal((await outcome.handle.describe()).type, 'monitoringPipeline');
  });
});
