import { ApplicationFailure } from '@temporalio/common';
import { backendMisconfigured, invalidInput } from '../../../common/errors';

/** The parts of an AWS SDK v3 service exception the backend looks at. */
export interface AwsErrorShape {
  name: string;
  message: string;
  httpStatusCode?: number;
}

export function awsErrorOf(err: unknown): AwsErrorShape | undefined {
  if (!(err instanceof Error)) return undefined;
  const metadata = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
  return { name: err.name, message: err.message, httpStatusCode: metadata?.httpStatusCode };
}

export function isErrorNamed(err: unknown, ...names: string[]): boolean {
  const e = awsErrorOf(err);
  return e !== undefined && names.includes(e.name);
}

/**
 * SageMaker reports an unknown name as a ValidationException ("Could not find ...", "Requested
 * resource not found", "... does not exist"); emulators say the same with ValidationError.
 */
export function isSageMakerNotFound(err: unknown): boolean {
  const e = awsErrorOf(err);
  if (!e) return false;
  if (e.name === 'ResourceNotFound' || e.name === 'ResourceNotFoundException') return true;
  return (e.name === 'ValidationException' || e.name === 'ValidationError') && /could not find|not found|does not exist/i.test(e.message);
}

/** The name of an existing resource was used again (SageMaker: ResourceInUse or "already exist"). */
export function isAlreadyExists(err: unknown): boolean {
  const e = awsErrorOf(err);
  if (!e) return false;
  if (e.name === 'ResourceInUse' || e.name === 'ResourceInUseException' || e.name === 'ConflictException') return true;
  return (e.name === 'ValidationException' || e.name === 'ValidationError') && /already exist/i.test(e.message);
}

/**
 * Turns an AWS error into what Temporal should do with it: validation and permission errors are
 * permanent (non-retryable, with the operation named); throttling, 5xx and network errors (the SDK
 * already retried them with backoff) are rethrown unchanged, so the activity's retry policy takes
 * over.
 */
export function toActivityError(err: unknown, operation: string): Error {
  const e = awsErrorOf(err);
  if (!e || err instanceof ApplicationFailure) return err instanceof Error ? err : new Error(String(err));
  if (e.name === 'ValidationException' || e.name === 'ValidationError' || e.name === 'InvalidParameter' || e.name === 'InvalidParameterException' || e.name === 'InvalidArgument') {
    return invalidInput(`${operation} was rejected by AWS as invalid (${e.name}): ${e.message}`);
  }
  if (e.name === 'ResourceLimitExceeded' || e.name === 'ResourceLimitExceededException') {
    const quota = quotaNamed(e.message);
    return backendMisconfigured(
      `${operation} exceeds an AWS quota${quota ? ` ('${quota}')` : ''}: ${e.message} (new accounts often have 0 for SageMaker instances: ask for an increase in Service Quotas, service SageMaker${quota ? `, quota '${quota}'` : ''}, or pick an instance type you have quota for)`,
    );
  }
  if (/^(AccessDenied|AccessDeniedException|UnrecognizedClientException|InvalidClientTokenId|InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|NoSuchBucket|AuthorizationError)$/.test(e.name)) {
    return backendMisconfigured(`${operation} failed: ${e.name}: ${e.message} (check MLOPS_AWS_ROLE_ARN, credentials, region and bucket)`);
  }
  return err as Error;
}

/**
 * The quota a ResourceLimitExceeded names: SageMaker says "The account-level service limit
 * 'ml.m5.large for training job usage' is 0 Instances, with current utilization of 0 Instances
 * and a request delta of 1 Instances. Please use AWS Service Quotas to request an increase".
 */
export function quotaNamed(message: string): string | undefined {
  return /service limit '([^']+)'/i.exec(message)?.[1] ?? /quota '([^']+)'/i.exec(message)?.[1];
}

/**
 * S3 answers 403 (not 404) for a key that does not exist when the caller may not list the bucket
 * (no s3:ListBucket): HeadObject then fails as `Forbidden`, GetObject as `AccessDenied`.
 */
export function isS3Forbidden(err: unknown): boolean {
  const e = awsErrorOf(err);
  return e !== undefined && (e.httpStatusCode === 403 || e.name === 'Forbidden' || e.name === 'AccessDenied');
}

/** Runs one AWS call and maps its error with `toActivityError`. */
export async function call<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toActivityError(err, operation);
  }
}
