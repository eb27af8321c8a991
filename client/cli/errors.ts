import { CommanderError } from 'commander';
import { ConfigError } from '../../common/config/parse';
import { InvalidObjectKeyError } from '../../activities/backends/local/object-store';
import { ConfigFileError } from '../../services/training/config-file';
import { UsageError } from '../../services/usage-error';
import { TemporalUnavailableError } from '../temporal';

/** A service of the local stack (webhook, gateway) does not answer: exit code 3, as for the Temporal server. */
export class StackUnreachableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackUnreachableError';
  }
}

/** The CLI's exit codes (README, "The `mlops` CLI"). */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

/**
 * Exit codes: 0 ok, 1 the operation failed, 2 bad usage or configuration, 3 the stack is not
 * reachable. Commander's own parse errors (unknown option or command, missing argument, an option
 * value its parser refused, a group called without a subcommand) are bad usage too; only its
 * help and version output end with 0.
 */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (err instanceof UsageError || err instanceof ConfigError || err instanceof ConfigFileError) return EXIT.usage;
  // An object key the store refuses (`..`, a leading `/`, too long) is the user's URI, not a failure.
  if (err instanceof InvalidObjectKeyError) return EXIT.usage;
  if (err instanceof TemporalUnavailableError || err instanceof StackUnreachableError) return EXIT.unreachable;
  return EXIT.failed;
}
