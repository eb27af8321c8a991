import type { Command } from 'commander';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { lifecycleWorkflowId } from '../../../common/ids';
import { modelKey } from '../../../common/project';
import { DEMO_MODEL_FAMILIES as MODEL_FAMILIES } from '../../../common/types/model';
import type { modelLifecycle } from '../../../workflows';
import { decideRetrainingUpdate } from '../../../workflows/lifecycle/lifecycle.messages';
import { UsageError } from '../../../services/usage-error';
import type { CliContext } from '../context';
import { checkFamily, PROJECT_HELP } from '../project-option';
import { printJson } from '../output';

export function registerRetrainingCommands(program: Command, ctx: CliContext): void {
  const retraining = program.command('retraining').description('decide a retraining the lifecycle asks for (policy approve-then-retrain)');
  for (const approve of [true, false]) {
    retraining
      .command(approve ? 'approve' : 'reject')
      .description(`${approve ? 'approve' : 'reject'} the retraining that the family's lifecycle waits for after a drift alert`)
      .argument('<family>', `the model family (${MODEL_FAMILIES.join(', ')}, or an algorithm of --project)`)
      .option('--project <name>', PROJECT_HELP)
      .requiredOption('--by <name>', 'who decides')
      .requiredOption('--reason <text>', 'why')
      .option('--json', 'print JSON')
      .action(async (family: string, options: { project?: string; by: string; reason: string; json?: boolean }) => {
        const { project } = options;
        await checkFamily(ctx, project, family);
        const client = await ctx.client();
        const model = modelKey(project, family);
        try {
          const result = await client.workflow.getHandle<typeof modelLifecycle>(lifecycleWorkflowId(family, project)).executeUpdate(decideRetrainingUpdate, { args: [{ approve, by: options.by, reason: options.reason }] });
          if (options.json) return printJson(result);
          console.log(`retraining of ${model} ${result.outcome} by ${result.by}${result.retrainingWorkflowId ? `: training run ${result.retrainingWorkflowId}` : ''}`);
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) throw new UsageError(`the ${model} lifecycle is not running (it starts with the first drift alert or champion)`);
          if (err instanceof WorkflowUpdateFailedError) throw new UsageError(`the decision was not accepted: ${err.cause?.message ?? err.message}`);
          throw err;
        }
      });
  }
}
