import { ApplicationFailure } from '@temporalio/common';

/**
 * Failure types shared by activities, workflows and the edges. Workflows branch on `type`, never
 * on `instanceof`; the CLI and HTTP edges map each type to an exit code or status.
 */
export const ErrorType = {
  /** A workflow or activity input breaks a rule (bad URI, unknown family, bad config). */
  InvalidInput: 'InvalidInput',
  /** The raw dataset does not match the dataset spec (message names file, column and rule). */
  DatasetSchemaInvalid: 'DatasetSchemaInvalid',
  /** A processing or training job ended Failed or Stopped. */
  JobFailed: 'JobFailed',
  /** An endpoint did not reach InService (its model servers failed to start or to pass /ping). */
  DeploymentFailed: 'DeploymentFailed',
  /** A human approval did not arrive before its deadline. */
  ApprovalTimedOut: 'ApprovalTimedOut',
  /** The backend configuration cannot work (missing binary, bad bucket). */
  BackendMisconfigured: 'BackendMisconfigured',
  /** A referenced object, job, model or parameter does not exist. */
  NotFound: 'NotFound',
  /** The request conflicts with the current state (already decided, already exists). */
  Conflict: 'Conflict',
} as const;

export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

/** Every type above is permanent: retrying cannot fix it. */
export const NON_RETRYABLE_ERROR_TYPES: string[] = Object.values(ErrorType);

export function invalidInput(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, ErrorType.InvalidInput, details);
}

export function datasetSchemaInvalid(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, ErrorType.DatasetSchemaInvalid, details);
}

export function jobFailed(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, ErrorType.JobFailed, details);
}

export function deploymentFailed(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, ErrorType.DeploymentFailed, details);
}

export function notFound(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, ErrorType.NotFound, details);
}

export function conflict(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, ErrorType.Conflict, details);
}

export function backendMisconfigured(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, ErrorType.BackendMisconfigured, details);
}
