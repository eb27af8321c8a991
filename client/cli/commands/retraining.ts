import type { Command } from 'commander';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { lifecycleWorkflowId } from '../../../common/ids';
import type { modelLifecycle } from '../../../workflows';
import { decideRetrainingUpdate } from '../../../workflows/lifecycle/lifecycle.messages';
import { UsageError } from '../../../services/usage-error';
import type { CliContext } from '../context';
import { checkFamily } from './models';
import { printJson } from '../output';

export function registerRetrainingCommands(program: Command, ctx: CliContext): void {
  const retraining = program.command('retraining').description('decide a retraining the lifecycle asks for (policy approve-then-retrain)');
  for (const approve of [true, false]) {
    retraining
      .command(`${approve ? 'approve' : 'reject'} <family>`)
      .description(`${approve ? 'approve' : 'reject'} the retraining that the family's lifecycle waits for after a drift alert`)
      .option('--project <name>', "a project's family (default: the demo's)")
      .requiredOption('--by <name>', 'who decides')
      .requiredOption('--reason <text>', 'why')
      .option('--json', 'print JSON')
      .action(async (family: string, options: { project?: string; by: string; reason: string; json?: boolean }) => {
        await checkFamily(ctx, family, options.project);
        const client = await ctx.client();
        try {
          const result = await client.workflow.getHandle<typeof modelLifecycle>(lifecycleWorkflowId(family, options.project)).executeUpdate(decideRetrainingUpdate, { args: [{ approve, by: options.by, reason: options.reason }] });
          if (options.json) return printJson(result);
          console.log(`retraining of ${family} ${result.outcome} by ${result.by}${result.retrainingWorkflowId ? `: training run ${result.retrainingWorkflowId}` : ''}`);
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) throw new UsageError(`the ${family} lifecycle${options.project ? ` of project ${options.project}` : ''} is not running (it starts with the first drift alert or champion)`);
          if (err instanceof WorkflowUpdateFailedError) throw new UsageError(`the decision was not accepted: ${err.cause?.message ?? err.message}`);
          throw err;
        }
      });
  }
}
