import type { Command } from 'commander';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { DEMO_MODEL_FAMILIES as MODEL_FAMILIES, type ModelFamily } from '../../../common/types/model';
import { projectOf } from '../../../common/project';
import type { PendingApproval } from '../../../common/types/approval';
import { decideApprovalUpdate, pendingApprovalsQuery } from '../../../workflows/training/approval';
import { temporalUiUrl } from '../../temporal';
import { UsageError } from '../../../services/usage-error';
import type { CliContext } from '../context';
import { checkFamily, checkProject, PROJECT_FILTER_HELP, PROJECT_HELP, sameProject } from '../project-option';
import { fmtNumber, printJson, printTable } from '../output';

interface DecideOptions {
  project?: string;
  model?: string;
  by: string;
  reason: string;
  json?: boolean;
}

export function registerApprovalCommands(program: Command, ctx: CliContext): void {
  program
    .command('approvals')
    .description('models waiting for a human decision, across running training runs')
    .option('--project <name>', PROJECT_FILTER_HELP)
    .option('--json', 'print JSON')
    .action(async (options: { project?: string; json?: boolean }) => {
      const { project } = options;
      await checkProject(ctx, project);
      const client = await ctx.client();
      const rows: (PendingApproval & { workflowId: string; uiUrl: string })[] = [];
      for await (const w of client.workflow.list({ query: `MlopsPipeline = 'training' AND ExecutionStatus = 'Running'` })) {
        // A project's training runs carry it in their memo (the demo's carry none).
        if (project !== undefined && !sameProject(w.memo?.project, project)) continue;
        const pending = await client.workflow.getHandle(w.workflowId, w.runId).query(pendingApprovalsQuery).catch(() => []);
        for (const p of pending) rows.push({ ...p, workflowId: w.workflowId, uiUrl: temporalUiUrl(ctx.config, w.workflowId, w.runId) });
      }
      if (options.json) return printJson({ approvals: rows });
      if (rows.length === 0) return console.log(project === undefined ? 'nothing waits for approval' : `nothing of project ${project} waits for approval`);
      printTable(
        ['RUN', 'MODEL', 'VERSION', 'VAL RMSE', 'TEST RMSE', 'REQUESTED', 'DEADLINE'],
        rows.map((r) => [r.workflowId, r.family, r.version, fmtNumber(r.metrics.validation.rmse), fmtNumber(r.metrics.test?.rmse), r.requestedAt, r.deadline]),
      );
      console.log(`\nDecide with: mlops approve RUN${project === undefined ? '' : ` --project ${project}`} --model FAMILY --by NAME --reason TEXT (or mlops reject ...)`);
    });

  for (const approve of [true, false]) {
    program
      .command(approve ? 'approve <run>' : 'reject <run>')
      .description(`${approve ? 'approve' : 'reject'} a model that waits in a training run (RUN is its workflow id)`)
      .option('--project <name>', `${PROJECT_HELP}: --model is one of its algorithms, and RUN must be one of its runs`)
      .option('--model <family>', `which model (${MODEL_FAMILIES.join(', ')}, or an algorithm of --project); optional when only one waits`)
      .requiredOption('--by <name>', 'who decides')
      .requiredOption('--reason <text>', 'why')
      .option('--json', 'print JSON')
      .action(async (run: string, options: DecideOptions) => {
        const { project } = options;
        const family: ModelFamily | undefined = options.model === undefined ? undefined : await checkFamily(ctx, project, options.model, '--model');
        const client = await ctx.client();
        try {
          if (project !== undefined) {
            // The run names its project: a decision meant for one project never lands on another's run.
            const recorded = (await client.workflow.getHandle(run).describe()).memo?.project;
            if (!sameProject(recorded, project)) throw new UsageError(`run '${run}' is a run of project ${projectOf(typeof recorded === 'string' ? recorded : undefined)}, not ${project} (see: mlops approvals --project ${project})`);
          }
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
