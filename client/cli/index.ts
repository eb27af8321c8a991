import { Command, CommanderError } from 'commander';
import { WorkflowFailedError } from '@temporalio/client';
import { ConfigError } from '../../common/config/parse';
import { StackError } from '../stack/stack';
import { TemporalUnavailableError } from '../temporal';
import { ConfigFileError } from '../training/config-file';
import { UsageError } from '../training/start-training';
import { registerApprovalCommands } from './commands/approvals';
import { registerConfigCommand } from './commands/config';
import { registerDashboardCommand } from './commands/dashboard';
import { registerDataCommands, WebhookUnavailableError } from './commands/data';
import { registerEndpointCommands } from './commands/endpoints';
import { registerModelsCommands } from './commands/models';
import { registerMonitorCommands } from './commands/monitor';
import { registerNotificationsCommand } from './commands/notifications';
import { registerPredictCommand } from './commands/predict';
import { registerRetrainingCommands } from './commands/retraining';
import { registerRunsCommands } from './commands/runs';
import { registerScheduleCommands } from './commands/schedules';
import { registerScoreCommand } from './commands/score';
import { registerStackCommands } from './commands/stack';
import { registerTrainCommand } from './commands/train';
import { CliContext } from './context';

/** Exit codes: 0 ok, 1 the operation failed, 2 bad usage or configuration, 3 the stack is not reachable. */
function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError || err instanceof ConfigError || err instanceof ConfigFileError) return 2;
  if (err instanceof TemporalUnavailableError || err instanceof WebhookUnavailableError) return 3;
  return 1;
}

async function main(argv: string[]): Promise<void> {
  const ctx = new CliContext();
  const program = new Command();
  program
    .name('mlops')
    .description('MLOps pipelines for regression models on Temporal: local stack, training runs, model registry')
    .option('--debug', 'print stack traces on errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerStackCommands(program, ctx);
  registerTrainCommand(program, ctx);
  registerDataCommands(program, ctx);
  registerRunsCommands(program, ctx);
  registerModelsCommands(program, ctx);
  registerApprovalCommands(program, ctx);
  registerRetrainingCommands(program, ctx);
  registerEndpointCommands(program, ctx);
  registerPredictCommand(program, ctx);
  registerScoreCommand(program, ctx);
  registerNotificationsCommand(program, ctx);
  registerMonitorCommands(program, ctx);
  registerScheduleCommands(program, ctx);
  registerDashboardCommand(program, ctx);
  registerConfigCommand(program, ctx);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    const debug = program.opts<{ debug?: boolean }>().debug;
    const message = err instanceof WorkflowFailedError && err.cause ? `${err.message}: ${err.cause.message}` : err instanceof Error ? err.message : String(err);
    console.error(`mlops: ${message}`);
    if (debug && err instanceof Error && err.stack) console.error(err.stack);
    process.exitCode = exitCodeOf(err);
  } finally {
    await ctx.close();
  }
}

void main(process.argv);

export { StackError };
