import { Command } from 'commander';
import { registerApprovalCommands } from './commands/approvals';
import { registerAwsCommands } from './commands/aws';
import { registerConfigCommand } from './commands/config';
import { registerDashboardCommand } from './commands/dashboard';
import { registerDataCommands } from './commands/data';
import { registerDeploymentCommands } from './commands/deployments';
import { registerEndpointCommands } from './commands/endpoints';
import { registerModelsCommands } from './commands/models';
import { registerMonitorCommands } from './commands/monitor';
import { registerNotificationsCommand } from './commands/notifications';
import { registerPredictCommand } from './commands/predict';
import { registerProjectCommands } from './commands/project';
import { registerRetrainingCommands } from './commands/retraining';
import { registerRunsCommands } from './commands/runs';
import { registerScheduleCommands } from './commands/schedules';
import { registerScoreCommand } from './commands/score';
import { registerStackCommands } from './commands/stack';
import { registerTrainCommand } from './commands/train';
import type { CliContext } from './context';

/** Every `mlops` command, registered on one commander program (parsed by index.ts; walked by the tests). */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command();
  program
    .name('mlops')
    .description('MLOps pipelines for regression models on Temporal: local stack, training runs, model registry')
    .option('--debug', 'print stack traces on errors')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerStackCommands(program, ctx);
  registerProjectCommands(program, ctx);
  registerTrainCommand(program, ctx);
  registerDataCommands(program, ctx);
  registerRunsCommands(program, ctx);
  registerModelsCommands(program, ctx);
  registerApprovalCommands(program, ctx);
  registerRetrainingCommands(program, ctx);
  registerEndpointCommands(program, ctx);
  registerDeploymentCommands(program, ctx);
  registerPredictCommand(program, ctx);
  registerScoreCommand(program, ctx);
  registerNotificationsCommand(program, ctx);
  registerMonitorCommands(program, ctx);
  registerScheduleCommands(program, ctx);
  registerDashboardCommand(program, ctx);
  registerConfigCommand(program, ctx);
  registerAwsCommands(program, ctx);
  return program;
}
