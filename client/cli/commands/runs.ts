import type { Command } from 'commander';
import { WorkflowNotFoundError } from '@temporalio/client';
import { OUTCOME } from '../../../common/search-attributes';
import { temporalUiUrl } from '../../temporal';
import { waitForTrainingReport } from '../../training/report';
import { trainingProgressQuery } from '../../../workflows/training/training.messages';
import type { trainingPipeline } from '../../../workflows';
import type { CliContext } from '../context';
import { positiveInt } from '../options';
import { printJson, printTable } from '../output';
import { printReport } from './train';
import { UsageError } from '../../../services/usage-error';

export function registerRunsCommands(program: Command, ctx: CliContext): void {
  const runs = program.command('runs').description('inspect pipeline runs');

  runs
    .command('list')
    .description('the most recent runs, newest first')
    .option('--limit <n>', 'how many runs (1-10000)', positiveInt, 20)
    .option('--json', 'print JSON')
    .action(async (options: { limit: number; json?: boolean }) => {
      const client = await ctx.client();
      const rows = [];
      for await (const w of client.workflow.list({ query: `MlopsPipeline = 'training'` })) {
        rows.push({
          workflowId: w.workflowId,
          runId: w.runId,
          type: w.type,
          status: w.status.name.toLowerCase(),
          outcome: w.typedSearchAttributes.get(OUTCOME) ?? null,
          startTime: w.startTime.toISOString(),
          closeTime: w.closeTime?.toISOString() ?? null,
          uiUrl: temporalUiUrl(ctx.config, w.workflowId, w.runId),
        });
        if (rows.length >= options.limit) break;
      }
      if (options.json) return printJson({ runs: rows });
      if (rows.length === 0) return console.log('no runs yet: start one with `mlops train`');
      printTable(['WORKFLOW ID', 'STATUS', 'OUTCOME', 'STARTED'], rows.map((r) => [r.workflowId, r.status, r.outcome, r.startTime]));
    });

  runs
    .command('show <workflowId>')
    .description('one run: its status, progress or result per model, and its Temporal UI link')
    .option('--json', 'print JSON')
    .action(async (workflowId: string, options: { json?: boolean }) => {
      const client = await ctx.client();
      const handle = client.workflow.getHandle<typeof trainingPipeline>(workflowId);
      let description;
      try {
        description = await handle.describe();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw new UsageError(`no run with workflow id '${workflowId}' (see: mlops runs list)`);
        throw err;
      }
      const uiUrl = (runId: string) => temporalUiUrl(ctx.config, workflowId, runId);
      if (description.status.name === 'RUNNING') {
        const progress = await handle.query(trainingProgressQuery).catch(() => null);
        const out = { workflowId, runId: description.runId, status: 'running', progress, uiUrl: uiUrl(description.runId) };
        if (options.json) return printJson(out);
        console.log(`Run ${workflowId}: running (${progress?.stage ?? 'starting'})`);
        for (const [family, stage] of Object.entries(progress?.models ?? {})) console.log(`  ${family}: ${stage}`);
        console.log(`\n  Temporal UI: ${out.uiUrl}`);
        return;
      }
      const report = await waitForTrainingReport(handle, uiUrl);
      if (options.json) printJson(report);
      else printReport(report);
    });
}
