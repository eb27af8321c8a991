import type { Command } from 'commander';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { DEMO_MODEL_FAMILIES as MODEL_FAMILIES, type ModelFamily } from '../../../common/types/model';
import type { PendingApproval } from '../../../common/types/approval';
import { decideApprovalUpdate, pendingApprovalsQuery } from '../../../workflows/training/approval';
import { temporalUiUrl } from '../../temporal';
import { UsageError } from '../../../services/usage-error';
import type { CliContext } from '../context';
import { fmtNumber, printJson, printTable } from '../output';

interface DecideOptions {
  model?: string;
  by: string;
  reason: string;
  json?: boolean;
}

export function registerApprovalCommands(program: Command, ctx: CliContext): void {
  program
    .command('approvals')
    .description('models waiting for a human decision, across running training runs')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const client = await ctx.client();
      const rows: (PendingApproval & { workflowId: string; uiUrl: string })[] = [];
      for await (const w of client.workflow.list({ query: `MlopsPipeline = 'training' AND ExecutionStatus = 'Running'` })) {
        const pending = await client.workflow.getHandle(w.workflowId, w.runId).query(pendingApprovalsQuery).catch(() => []);
        for (const p of pending) rows.push({ ...p, workflowId: w.workflowId, uiUrl: temporalUiUrl(ctx.config, w.workflowId, w.runId) });
      }
      if (options.json) return printJson({ approvals: rows });
      if (rows.length === 0) return console.log('nothing waits for approval');
      printTable(
        ['RUN', 'MODEL', 'VERSION', 'VAL RMSE', 'TEST RMSE', 'REQUESTED', 'DEADLINE'],
        rows.map((r) => [r.workflowId, r.family, r.version, fmtNumber(r.metrics.validation.rmse), fmtNumber(r.metrics.test?.rmse), r.requestedAt, r.deadline]),
      );
      console.log(`\nDecide with: mlops approve RUN --model FAMILY --by NAME --reason TEXT (or mlops reject ...)`);
    });

  for (const approve of [true, false]) {
    program
      .command(approve ? 'approve <run>' : 'reject <run>')
      .description(`${approve ? 'approve' : 'reject'} a model that waits in a training run (RUN is its workflow id)`)
      .option('--model <family>', `which model (${MODEL_FAMILIES.join(', ')}); optional when only one waits`)
      .requiredOption('--by <name>', 'who decides')
      .requiredOption('--reason <text>', 'why')
      .option('--json', 'print JSON')
      .action(async (run: string, options: DecideOptions) => {
        let family: ModelFamily | undefined;
        if (options.model !== undefined) {
          if (!MODEL_FAMILIES.includes(options.model)) throw new UsageError(`--model: unknown model family '${options.model}' (known: ${MODEL_FAMILIES.join(', ')})`);
          family = options.model;
        }
        const client = await ctx.client();
        try {
          const result = await client.workflow.getHandle(run).executeUpdate(decideApprovalUpdate, {
            args: [{ ...(family ? { family } : {}), approve, by: options.by, reason: options.reason }],
          });
          if (options.json) return printJson(result);
          console.log(`${result.family} version ${result.version} ${result.outcome} by ${result.by}`);
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) throw new UsageError(`no running training run with workflow id '${run}' (see: mlops approvals)`);
          if (err instanceof WorkflowUpdateFailedError) throw new UsageError(`the decision was not accepted: ${err.cause?.message ?? err.message}`);
          throw err;
        }
      });
  }
}
