import type { Command } from 'commander';
import { MODEL_FAMILIES } from '../../../common/types/model';
import { monitoringResult, runMonitorNow } from '../../schedules/monitoring-schedule';
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
    .description('run monitoring now: triggers schedule monitoring-<family> if it exists, else starts one run (skipped while a run of the family is going)')
    .option('--model <family>', `model family (${MODEL_FAMILIES.join(', ')}; default: every family with a champion)`)
    .option('--wait', 'wait for the run to end and print its result')
    .option('--json', 'print one JSON object')
    .action(async (options: { model?: string; wait?: boolean; json?: boolean }) => {
      const families = await familiesOption(ctx, options.model);
      const client = await ctx.client();
      const summaries: Record<string, unknown>[] = [];
      for (const family of families) {
        const outcome = await runMonitorNow(client, ctx.config, { family, trigger: `cli:${process.env.USER ?? 'user'}` });
        if (outcome.mode === 'skipped') {
          summaries.push({ family, mode: outcome.mode, ...(outcome.scheduleId ? { scheduleId: outcome.scheduleId } : {}), runningWorkflowIds: outcome.runningWorkflowIds });
          if (!options.json) console.log(`skipped: a monitoring run of ${family} is still going (${outcome.runningWorkflowIds.join(', ') || 'unknown'})`);
          continue;
        }
        const summary = { family, mode: outcome.mode, ...(outcome.mode === 'triggered' ? { scheduleId: outcome.scheduleId } : {}), workflowId: outcome.workflowId, uiUrl: temporalUiUrl(ctx.config, outcome.workflowId) };
        if (!options.wait) {
          summaries.push(summary);
          if (!options.json) console.log(`${outcome.mode === 'triggered' ? `triggered schedule ${outcome.scheduleId}` : 'started'}: ${outcome.workflowId}\n  Temporal UI: ${summary.uiUrl}`);
          continue;
        }
        if (!options.json) console.error(`monitoring ${family} (${outcome.workflowId})`);
        const result = await monitoringResult(outcome.handle);
        summaries.push({ ...summary, result });
        if (options.json) continue;
        console.log(`\nRun ${outcome.workflowId}: ${result.outcome}`);
        console.log(`  window: ${result.windowStart} .. ${result.windowEnd}, ${result.filesRead} capture file(s) read${result.groundTruthFilesRead ? `, ${result.groundTruthFilesRead} ground-truth file(s)` : ''}`);
        if (result.dataQuality) console.log(`  data quality: ${result.dataQuality.violations} violation(s), ${result.dataQuality.reportUri}`);
        if (result.modelQuality) console.log(`  model quality: ${result.modelQuality.violations} violation(s), ${result.modelQuality.reportUri}`);
        if (result.driftRecordsUri) {
          console.log(`  drift records: ${result.driftRecordsUri}`);
          for (const line of await driftSummaryLines(ctx.backend, result.driftRecordsUri)) console.log(`    ${line}`);
        }
        console.log(`  Temporal UI: ${summary.uiUrl}`);
      }
      // One family named: its object, as before; otherwise one entry per family.
      if (options.json) printJson(options.model !== undefined ? withoutFamily(summaries[0]!) : { runs: summaries });
    });
}

function withoutFamily(summary: Record<string, unknown>): Record<string, unknown> {
  const { family: _family, ...rest } = summary;
  return rest;
}

/** One line per violation of the run ("Mileage baseline_drift_check: 0.229 (threshold 0.1)"); none when unreadable. */
export async function driftSummaryLines(backend: Backend, uri: string): Promise<string[]> {
  try {
    const text = (await backend.objectStore.get(uri)).toString('utf8');
    return text
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as DriftRecord)
      .map((r) => {
        const values = r.currentValue !== null ? `: ${Number(r.currentValue.toPrecision(4))}${r.baselineValue !== null ? ` (baseline / threshold ${r.baselineValue})` : ''}` : '';
        return `${r.kind} drift: ${r.feature ?? r.metric ?? '-'} ${r.checkType}${values}`;
      });
  } catch {
    return [];
  }
}
