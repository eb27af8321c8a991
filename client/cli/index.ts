import { CommanderError } from 'commander';
import { WorkflowFailedError } from '@temporalio/client';
import { ConfigError } from '../../common/config/parse';
import { StackError } from '../stack/stack';
import { TemporalUnavailableError } from '../temporal';
import { ConfigFileError } from '../../services/training/config-file';
import { UsageError } from '../../services/usage-error';
import { WebhookUnavailableError } from './commands/data';
import { CliContext } from './context';
import { buildProgram } from './program';

/** Exit codes: 0 ok, 1 the operation failed, 2 bad usage or configuration, 3 the stack is not reachable. */
function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError || err instanceof ConfigError || err instanceof ConfigFileError) return 2;
  if (err instanceof TemporalUnavailableError || err instanceof WebhookUnavailableError) return 3;
  return 1;
}

async function main(argv: string[]): Promise<void> {
  const ctx = new CliContext();
  const program = buildProgram(ctx);
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
