import type { Command } from 'commander';
import { DEMO_MODEL_FAMILIES as MODEL_FAMILIES } from '../../../common/types/model';
import { CURRENT_MINUTE_SETTLE_SECONDS, currentMinuteClosedAt, runMonitorNow } from '../../schedules/monitoring-schedule';
import { readDriftRecords, waitForMonitoringReport, type MonitoringRunReport } from '../../monitoring/report';
import { temporalUiUrl } from '../../temporal';
import type { Backend } from '../../../activities/backends/types';
import type { DriftRecord } from '../../../common/types/monitoring';
import type { CliContext } from '../context';
import { printJson } from '../output';
import { familiesOption } from './schedules';

export function registerMonitorCommands(program: Command, ctx: CliContext): void {
  const monitor = program.command('monitor').description('drift monitoring of deployed models');
  monitor
    .command('run-now')
    .description('run monitoring now: triggers schedule monitoring-<family> if it exists, else starts a run monitoring-<family>/manual (skipped while a run of the family is going)')
    .option('--project <name>', "the project whose models are monitored (default: the demo); its runs read and write under projects/<project>/")
    .option('--model <family>', `model family (${MODEL_FAMILIES.join(', ')}; default: every family with a champion)`)
    .option('--wait', 'wait for the run to end and print its result and every violation')
    .option(
      '--include-current-minute',
      "also monitor this minute's real-time capture: wait until the minute is over (at most a minute), then start a run that takes it " +
        '(by default a run takes a capture file 2.5 minutes after its minute; with a schedule, this starts a manual run instead of triggering it)',
    )
    .option('--json', 'print one JSON object (with --wait: the result and the drift records)')
    .action(async (options: { project?: string; model?: string; wait?: boolean; json?: boolean; includeCurrentMinute?: boolean }) => {
      const families = await familiesOption(ctx, options.model, options.project);
      const client = await ctx.client();
      let captureThrough: string | undefined;
      if (options.includeCurrentMinute) {
        const { minuteEnd, closedAt } = currentMinuteClosedAt(new Date());
        captureThrough = minuteEnd.toISOString();
        const waitMs = closedAt.getTime() - Date.now();
        console.error(`waiting ${Math.ceil(waitMs / 1000)} s for the real-time capture of the minute ending ${captureThrough} to close`);
        await new Promise((r) => setTimeout(r, Math.max(0, waitMs)));
      }
      const summaries: Record<string, unknown>[] = [];
      let failed = false;
      for (const family of families) {
        const outcome = await runMonitorNow(client, ctx.config, {
          family,
          ...(options.project !== undefined ? { project: options.project } : {}),
          trigger: `cli:${process.env.USER ?? 'user'}`,
          ...(options.includeCurrentMinute ? { captureSettleSeconds: CURRENT_MINUTE_SETTLE_SECONDS } : {}),
        });
        if (outcome.mode === 'skipped') {
          summaries.push({ family, mode: outcome.mode, ...(outcome.scheduleId ? { scheduleId: outcome.scheduleId } : {}), runningWorkflowIds: outcome.runningWorkflowIds });
          if (!options.json) console.log(`skipped: a monitoring run of ${family} is still going (${outcome.runningWorkflowIds.join(', ') || 'unknown'})`);
          continue;
        }
        const summary = {
          family,
          mode: outcome.mode,
          ...(outcome.mode === 'triggered' ? { scheduleId: outcome.scheduleId } : {}),
          workflowId: outcome.workflowId,
          runId: outcome.runId,
          ...(captureThrough ? { captureThrough } : {}),
          uiUrl: temporalUiUrl(ctx.config, outcome.workflowId, outcome.runId),
        };
        const through = captureThrough ? ` (real-time capture up to ${captureThrough} included)` : '';
        if (!options.wait) {
          summaries.push(summary);
          if (!options.json) console.log(`${outcome.mode === 'triggered' ? `triggered schedule ${outcome.scheduleId}` : 'started'}: ${outcome.workflowId}${through}\n  Temporal UI: ${summary.uiUrl}`);
          continue;
        }
        if (!options.json) console.error(`monitoring ${family} (${outcome.workflowId})${through}`);
        const report = await waitForMonitoringReport(outcome.handle, (runId) => temporalUiUrl(ctx.config, outcome.workflowId, runId), ctx.backend.objectStore);
        failed ||= report.status !== 'completed';
        summaries.push({ ...summary, ...runNowFields(report) });
        if (!options.json) printMonitoringReport(report);
      }
      // One family named: its object, as before; otherwise one entry per family.
      if (options.json) printJson(options.model !== undefined ? withoutFamily(summaries[0]!) : { runs: summaries });
      if (failed) process.exitCode = 1;
    });
}

/** What `run-now --wait --json` adds to a family's summary: the report, less what the summary has. */
export function runNowFields(report: MonitoringRunReport): Omit<MonitoringRunReport, 'workflowId' | 'runId' | 'uiUrl'> {
  const { workflowId: _workflowId, runId: _runId, uiUrl: _uiUrl, ...rest } = report;
  return rest;
}

function withoutFamily(summary: Record<string, unknown>): Record<string, unknown> {
  const { family: _family, ...rest } = summary;
  return rest;
}

/** The text form of a monitoring run (`run-now --wait`, `runs show`); `--json` prints the report itself. */
export function printMonitoringReport(report: Omit<MonitoringRunReport, 'status'> & { status: string }): void {
  const { result } = report;
  console.log(`\nRun ${report.workflowId}: ${result?.outcome ?? report.status}`);
  if (report.error) console.log(`  error (${report.error.type ?? 'failure'}): ${report.error.message}`);
  if (result) {
    console.log(`  window: ${result.windowStart} .. ${result.windowEnd}, ${result.filesRead} capture file(s) read${result.groundTruthFilesRead ? `, ${result.groundTruthFilesRead} ground-truth file(s)` : ''}`);
    if (result.dataQuality) console.log(`  data quality: ${result.dataQuality.violations} violation(s), ${result.dataQuality.reportUri}`);
    if (result.modelQuality) console.log(`  model quality: ${result.modelQuality.violations} violation(s), ${result.modelQuality.reportUri}`);
    if (result.driftRecordsUri) {
      console.log(`  drift records: ${result.driftRecordsUri}`);
      for (const record of report.driftRecords) console.log(`    ${driftSummaryLine(record)}`);
      if (report.driftRecordsError) console.log(`    (not readable: ${report.driftRecordsError})`);
    }
  }
  console.log(`  Temporal UI: ${report.uiUrl}`);
}

/** One violation as a line: "data drift: Mileage baseline_drift_check: 0.2292 (baseline / threshold 0.1)". */
export function driftSummaryLine(r: Pick<DriftRecord, 'kind' | 'feature' | 'metric' | 'checkType' | 'baselineValue' | 'currentValue'>): string {
  const values = r.currentValue !== null ? `: ${Number(r.currentValue.toPrecision(4))}${r.baselineValue !== null ? ` (baseline / threshold ${r.baselineValue})` : ''}` : '';
  return `${r.kind} drift: ${r.feature ?? r.metric ?? '-'} ${r.checkType}${values}`;
}

/** One line per violation of the run; none when the records cannot be read. */
export async function driftSummaryLines(backend: Backend, uri: string): Promise<string[]> {
  try {
    return (await readDriftRecords(backend.objectStore, uri)).map(driftSummaryLine);
  } catch {
    return [];
  }
}
