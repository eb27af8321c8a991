import type { Command } from 'commander';
import { readChampion } from '../../../activities/registry/champion-store';
import { DEMO_MODEL_FAMILIES as MODEL_FAMILIES, type ModelFamily } from '../../../common/types/model';
import {
  createMonitoringSchedule,
  deleteSchedule,
  describeSchedule,
  listSchedules,
  pauseSchedule,
  resumeSchedule,
  triggerSchedule,
  type ScheduleView,
} from '../../schedules/monitoring-schedule';
import { scheduleSpecOf } from '../../schedules/schedule-spec';
import { UsageError } from '../../../services/usage-error';
import type { CliContext } from '../context';
import { checkProject, PROJECT_FILTER_HELP, projectFamilies, sameProject } from '../project-option';
import { printJson, printTable } from '../output';

/**
 * `--model F`, or every family that has a champion (what monitoring can check) when it is left
 * out; the families are the demo's, or with `--project` that project's algorithms.
 */
export async function familiesOption(ctx: CliContext, value: string | undefined, project?: string): Promise<ModelFamily[]> {
  const known = await projectFamilies(ctx, project);
  if (value !== undefined) return [familyOption(value, known)];
  const families: ModelFamily[] = [];
  for (const family of known) if (await readChampion(ctx.backend.parameters, family, project)) families.push(family);
  if (families.length === 0) {
    const train = project === undefined ? 'mlops train' : `mlops train --project ${project}`;
    throw new UsageError(`no model family${project === undefined ? '' : ` of project ${project}`} has a champion yet: train first (${train}) or name one with --model (${known.join(', ')})`);
  }
  return families;
}

export function familyOption(value: string | undefined, known: readonly ModelFamily[] = MODEL_FAMILIES): ModelFamily {
  if (!value) throw new UsageError(`--model is required (${known.join(', ')})`);
  if (!known.includes(value)) throw new UsageError(`--model: unknown model family '${value}' (known: ${known.join(', ')})`);
  return value;
}

function timingOf(view: ScheduleView): string {
  const s = view.spec;
  const parts = [...(s.intervals ?? []).map((i) => `every ${i.every}`), ...(s.cronExpressions ?? []).map((c) => `cron '${c}'`), ...(s.cronExpressions ? [] : s.calendars?.length ? ['calendar'] : [])];
  return `${parts.join(', ') || '-'}${s.timezone ? ` (${s.timezone})` : ''}`;
}

function printSchedule(view: ScheduleView): void {
  console.log(`Schedule ${view.scheduleId}: ${view.paused ? 'PAUSED' : 'active'}${view.note ? ` (${view.note})` : ''}`);
  console.log(`  starts:     ${view.workflowType ?? '-'}`);
  console.log(`  timing:     ${timingOf(view)}`);
  console.log(`  overlap:    ${view.overlap ?? '-'}, catch-up window ${view.catchupWindow ?? '-'}`);
  console.log(`  next runs:  ${view.nextActionTimes.slice(0, 5).join(', ') || '-'}`);
  if (view.runningWorkflows?.length) console.log(`  running:    ${view.runningWorkflows.join(', ')}`);
  console.log(`  recent runs (${view.numActionsTaken ?? view.recentActions.length} taken, ${view.numActionsSkippedOverlap ?? 0} skipped for overlap):`);
  for (const a of view.recentActions) console.log(`    ${a.takenAt}  ${a.workflowId}`);
}

export function registerScheduleCommands(program: Command, ctx: CliContext): void {
  const schedule = program.command('schedule').description('recurring pipeline runs (Temporal schedules)');
  const create = schedule.command('create').description('create a schedule');
  create
    .command('monitoring')
    .description('run drift monitoring of a model family on a timer (schedule id monitoring-<family>; a tick is skipped while a run is still going)')
    .option('--project <name>', "the project whose models are monitored (default: the demo); schedule ids monitoring-<project>-<family>")
    .option('--model <family>', `model family (${MODEL_FAMILIES.join(', ')}; default: every family with a champion, one schedule each)`)
    .option('--every <duration>', 'interval, e.g. 30m, 1h, 1d')
    .option('--cron <expr>', "cron expression (5 fields, e.g. '0 * * * *') or @hourly/@daily/...")
    .option('--timezone <tz>', 'IANA time zone for --cron (default UTC)')
    .option('--replace', 'delete and recreate the schedule if it exists')
    .option('--json', 'print the schedule as JSON')
    .action(async (options: { project?: string; model?: string; every?: string; cron?: string; timezone?: string; replace?: boolean; json?: boolean }) => {
      const timing = { ...(options.every !== undefined ? { every: options.every } : {}), ...(options.cron !== undefined ? { cron: options.cron } : {}), ...(options.timezone !== undefined ? { timezone: options.timezone } : {}) };
      scheduleSpecOf(timing); // validate before connecting
      const families = await familiesOption(ctx, options.model, options.project);
      const client = await ctx.client();
      const views: ScheduleView[] = [];
      for (const family of families) {
        const handle = await createMonitoringSchedule(client, ctx.config, { family, ...(options.project !== undefined ? { project: options.project } : {}), ...timing, replace: options.replace, createdBy: `cli:${process.env.USER ?? 'user'}` });
        views.push(await describeSchedule(client, handle.scheduleId));
      }
      // One family named: one schedule object, as before; otherwise a list.
      if (options.json) printJson(options.model !== undefined ? views[0] : views);
      else views.forEach((view, i) => (i ? (console.log(), printSchedule(view)) : printSchedule(view)));
    });

  schedule
    .command('list')
    .description('list schedules')
    .option('--project <name>', `${PROJECT_FILTER_HELP}: its schedules name it in their memo`)
    .option('--json', 'print JSON')
    .action(async (options: { project?: string; json?: boolean }) => {
      const { project } = options;
      await checkProject(ctx, project);
      const all = await listSchedules(await ctx.client());
      const views = project === undefined ? all : all.filter((v) => sameProject(v.memo?.project, project));
      if (options.json) return printJson(views);
      printTable(
        ['SCHEDULE', 'STATE', 'WORKFLOW', 'TIMING', 'NEXT RUN', 'LAST RUN'],
        views.map((v) => [v.scheduleId, v.paused ? 'paused' : 'active', v.workflowType, timingOf(v), v.nextActionTimes[0], v.recentActions.at(-1)?.takenAt]),
      );
    });

  schedule
    .command('show <id>')
    .description('describe a schedule: timing, policy, next runs, recent runs')
    .option('--json', 'print JSON')
    .action(async (id: string, options: { json?: boolean }) => {
      const view = await describeSchedule(await ctx.client(), id);
      if (options.json) printJson(view);
      else printSchedule(view);
    });

  schedule
    .command('pause <id>')
    .description('pause a schedule (no runs until resumed)')
    .option('--note <text>', 'why (shown by show/list)')
    .option('--json', 'print the schedule as JSON')
    .action(async (id: string, options: { note?: string; json?: boolean }) => {
      const client = await ctx.client();
      await pauseSchedule(client, id, options.note);
      if (options.json) printJson(await describeSchedule(client, id));
      else console.log(`paused: ${id}`);
    });

  schedule
    .command('resume <id>')
    .description('resume a paused schedule')
    .option('--note <text>', 'why')
    .option('--json', 'print the schedule as JSON')
    .action(async (id: string, options: { note?: string; json?: boolean }) => {
      const client = await ctx.client();
      await resumeSchedule(client, id, options.note);
      if (options.json) printJson(await describeSchedule(client, id));
      else console.log(`resumed: ${id}`);
    });

  schedule
    .command('trigger <id>')
    .description("start one run now, under the schedule's overlap policy (skipped if a run is still going)")
    .option('--json', 'print JSON: the schedule id and its overlap policy')
    .action(async (id: string, options: { json?: boolean }) => {
      const { overlap } = await triggerSchedule(await ctx.client(), id);
      if (options.json) printJson({ scheduleId: id, triggered: true, overlap });
      else console.log(`triggered: ${id} (overlap policy ${overlap}${overlap === 'SKIP' ? ': no run if one is still going; see show' : ''})`);
    });

  schedule
    .command('delete <id>')
    .description('delete a schedule (runs already started are not affected)')
    .option('--json', 'print JSON: the schedule id deleted')
    .action(async (id: string, options: { json?: boolean }) => {
      await deleteSchedule(await ctx.client(), id);
      if (options.json) printJson({ scheduleId: id, deleted: true });
      else console.log(`deleted: ${id}`);
    });
}

