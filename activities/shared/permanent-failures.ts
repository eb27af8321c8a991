import { ApplicationFailure } from '@temporalio/common';
import { invalidInput } from '../../common/errors';
import { InvalidObjectKeyError } from '../backends/errors';

/**
 * Errors no retry can heal, as the typed non-retryable failures workflows branch on. Without this
 * an object key that cannot be a file (a `..` segment, a name over NAME_MAX) failed as a plain
 * Error and was retried until the activity's attempts ran out.
 */
export function permanentFailureOf(err: unknown): ApplicationFailure | undefined {
  for (let current: unknown = err, depth = 0; current instanceof Error && depth < 8; current = current.cause, depth++) {
    if (current instanceof ApplicationFailure) return undefined; // already typed by whoever threw it
    if (current instanceof InvalidObjectKeyError) return invalidInput(current.message);
    const code = (current as NodeJS.ErrnoException).code;
    if (code === 'ENAMETOOLONG') return invalidInput(`a file name is too long for the file system (ENAMETOOLONG): ${current.message}`);
  }
  return undefined;
}

type ActivityFunction = (...args: never[]) => Promise<unknown>;

/** The same activities, each rethrowing a permanent error as its non-retryable failure. */
export function withPermanentFailures<T extends Record<string, ActivityFunction>>(activities: T): T {
  const wrapped: Record<string, ActivityFunction> = {};
  for (const [name, activity] of Object.entries(activities)) {
    wrapped[name] = async (...args: never[]) => {
      try {
        return await activity(...args);
      } catch (err) {
        throw permanentFailureOf(err) ?? err;
      }
    };
  }
  return wrapped as T;
}
