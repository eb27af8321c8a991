import { CommanderError } from 'commander';
import { WorkflowFailedError } from '@temporalio/client';
import { CliContext } from './context';
import { exitCodeOf } from '../edge-errors';
import { buildProgram } from './program';

/**
 * Runs one `mlops` command line and returns its exit code: every error ends as one line on
 * stderr (its stack only with `--debug`) and the code `exitCodeOf` gives it.
 */
export async function runCli(argv: string[], ctx: CliContext = new CliContext()): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv);
    // A command that ends without throwing may still set a code (a failed run: 1; the dashboard down: 3).
    const code = Number(process.exitCode ?? 0);
    process.exitCode = undefined;
    return code;
  } catch (err) {
    // Commander printed its message (and the usage hint) already.
    if (err instanceof CommanderError) return exitCodeOf(err);
    const debug = program.opts<{ debug?: boolean }>().debug;
    const message = err instanceof WorkflowFailedError && err.cause ? `${err.message}: ${err.cause.message}` : err instanceof Error ? err.message : String(err);
    console.error(`mlops: ${message}`);
    if (debug && err instanceof Error && err.stack) console.error(err.stack);
    return exitCodeOf(err);
  } finally {
    // A connection that fails to close must not turn the command's answer into a stack trace.
    await ctx.close().catch(() => undefined);
  }
}
