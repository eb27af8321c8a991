import { isGrpcServiceError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { CommanderError } from 'commander';
import { InvalidObjectKeyError } from '../activities/backends/errors';
import { ConfigError } from '../common/config/parse';
import { ErrorType, type ErrorTypeName } from '../common/errors';
import { ConfigFileError } from '../services/training/config-file';
import { UsageError } from '../services/usage-error';

/**
 * The one place where an error at an edge becomes an answer: an HTTP status and body for the
 * gateway, the webhook and the dashboard, an exit code for the CLI. Errors raised at an edge say
 * what kind of problem they are (`EdgeError`); failures of runs and activities carry their
 * `ErrorType`; everything else is an internal error, logged where it happened and answered without
 * details.
 */
export type EdgeErrorKind =
  | 'bad-request'
  | 'unauthorized'
  | 'forbidden'
  | 'not-found'
  | 'conflict'
  | 'too-large'
  | 'unsupported-media'
  | 'unprocessable'
  | 'failed'
  | 'internal'
  | 'not-implemented'
  | 'bad-gateway'
  | 'unavailable';

const HTTP_STATUS: Record<EdgeErrorKind, number> = {
  'bad-request': 400,
  unauthorized: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  'too-large': 413,
  'unsupported-media': 415,
  unprocessable: 422,
  failed: 500,
  internal: 500,
  'not-implemented': 501,
  'bad-gateway': 502,
  unavailable: 503,
};

/** The CLI's exit codes (README, "The `mlops` CLI"): 0 ok, 1 failed, 2 bad usage or input, 3 unreachable. */
export const EXIT = { ok: 0, failed: 1, usage: 2, unreachable: 3 } as const;

const EXIT_CODE: Record<EdgeErrorKind, number> = {
  'bad-request': EXIT.usage,
  unauthorized: EXIT.usage,
  forbidden: EXIT.usage,
  'not-found': EXIT.usage,
  conflict: EXIT.usage,
  'too-large': EXIT.usage,
  'unsupported-media': EXIT.usage,
  unprocessable: EXIT.usage,
  failed: EXIT.failed,
  internal: EXIT.failed,
  'not-implemented': EXIT.failed,
  'bad-gateway': EXIT.unreachable,
  unavailable: EXIT.unreachable,
};

/** What each failure type of the project is at an edge. */
export const ERROR_TYPE_KIND: Record<ErrorTypeName, EdgeErrorKind> = {
  [ErrorType.InvalidInput]: 'bad-request',
  [ErrorType.DatasetSchemaInvalid]: 'unprocessable',
  [ErrorType.JobFailed]: 'failed',
  [ErrorType.DeploymentFailed]: 'failed',
  [ErrorType.ApprovalTimedOut]: 'failed',
  [ErrorType.BackendMisconfigured]: 'internal',
  [ErrorType.NotFound]: 'not-found',
  [ErrorType.Conflict]: 'conflict',
};

/** An error an edge answers as it is: its kind (status, exit code), a code for the body, one sentence. */
export class EdgeError extends Error {
  constructor(
    readonly kind: EdgeErrorKind,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'EdgeError';
  }
}

/** A service of the local stack (webhook, gateway) does not answer: exit code 3, as for the Temporal server. */
export class StackUnreachableError extends EdgeError {
  constructor(message: string) {
    super('unavailable', 'Unreachable', message);
    this.name = 'StackUnreachableError';
  }
}

export interface EdgeProblem {
  kind: EdgeErrorKind;
  status: number;
  exitCode: number;
  /** `{error, message, details?}`: what the caller gets. An internal error says only where to look. */
  body: { error: string; message: string; details?: Record<string, unknown> };
  /** Not the caller's fault and not a known failure: log it with the request or run id. */
  internal: boolean;
}

/** The first ApplicationFailure type of the project along the cause chain, with its message. */
function failureOf(err: unknown): { type: ErrorTypeName; message: string } | undefined {
  for (let current: unknown = err; typeof current === 'object' && current !== null; current = (current as { cause?: unknown }).cause) {
    if (current instanceof ApplicationFailure && current.type && current.type in ERROR_TYPE_KIND) return { type: current.type as ErrorTypeName, message: current.message };
  }
  return undefined;
}

/** Temporal cannot be reached (gRPC UNAVAILABLE or DEADLINE_EXCEEDED), as opposed to refusing a start. */
export function isTemporalUnavailable(error: unknown): boolean {
  if (error instanceof WorkflowExecutionAlreadyStartedError) return false;
  if (error instanceof EdgeError) return error.kind === 'unavailable';
  const grpc = isGrpcServiceError(error) ? error : isGrpcServiceError((error as { cause?: unknown } | undefined)?.cause) ? (error as { cause: unknown }).cause : undefined;
  return isGrpcServiceError(grpc) && (grpc.code === 14 || grpc.code === 4);
}

function problem(kind: EdgeErrorKind, code: string, message: string, details?: Record<string, unknown>): EdgeProblem {
  return { kind, status: HTTP_STATUS[kind], exitCode: EXIT_CODE[kind], body: { error: code, message, ...(details ? { details } : {}) }, internal: false };
}

/**
 * Sorts any throwable into what the edges answer. `service` names the edge in the internal-error
 * message; `maxBodyBytes` and `acceptedMediaTypes` word an HTTP edge's 413 and 415.
 */
export function toEdgeProblem(err: unknown, context: { service: string; maxBodyBytes?: number; acceptedMediaTypes?: string }): EdgeProblem {
  if (err instanceof EdgeError) return problem(err.kind, err.code, err.message, err.details);
  if (err instanceof CommanderError) return { ...problem('bad-request', 'Usage', err.message), exitCode: err.exitCode === 0 ? EXIT.ok : EXIT.usage };
  if (err instanceof UsageError || err instanceof ConfigError || err instanceof ConfigFileError) return problem('bad-request', 'BadRequest', err.message);
  // An object key the store refuses (`..`, a leading `/`, too long) is the caller's URI, not a failure.
  if (err instanceof InvalidObjectKeyError) return problem('bad-request', 'InvalidObjectKey', err.message);
  const failure = failureOf(err);
  if (failure) return problem(ERROR_TYPE_KIND[failure.type], failure.type, failure.message);
  if (isTemporalUnavailable(err)) return problem('unavailable', 'TemporalUnavailable', 'the Temporal server is not reachable; retry later');
  const statusCode = (err as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    if (statusCode === 413) return problem('too-large', 'PayloadTooLarge', context.maxBodyBytes !== undefined ? `the body exceeds ${context.maxBodyBytes} bytes` : 'the body is too large');
    if (statusCode === 415) return problem('unsupported-media', 'UnsupportedMediaType', context.acceptedMediaTypes ? `send ${context.acceptedMediaTypes}` : (err as Error).message);
    return { ...problem('bad-request', 'BadRequest', (err as Error).message), status: statusCode };
  }
  return { ...problem('internal', 'InternalError', `the ${context.service} failed; see its log`), internal: true };
}

/** The CLI's exit code of an error (0 only for commander's help and version output). */
export function exitCodeOf(err: unknown): number {
  return toEdgeProblem(err, { service: 'mlops' }).exitCode;
}
