import { ApplicationFailure } from '@temporalio/workflow';

/** The innermost failure message: an activity failure wraps the cause a person needs to read. */
export function innermostMessage(err: unknown): string {
  let current: unknown = err;
  while (typeof current === 'object' && current !== null && (current as { cause?: unknown }).cause) current = (current as { cause: unknown }).cause;
  return current instanceof Error ? current.message : String(current);
}

/** The first ApplicationFailure type along the cause chain (e.g. DatasetSchemaInvalid), if any. */
export function failureTypeOf(err: unknown): string | undefined {
  let current: unknown = err;
  while (typeof current === 'object' && current !== null) {
    if (current instanceof ApplicationFailure && current.type) return current.type;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
