import type { ActivityFunctionWithOptions, ActivityOptions } from '@temporalio/workflow';
import { NON_RETRYABLE_ERROR_TYPES } from '../../common/errors';

/**
 * Activity option presets. Every activity call in a workflow uses one of these, so timeouts and
 * retries are explicit and the permanent failure types are never retried.
 */

/** Registry, parameter store and other short calls. */
export function quickActivityOptions(taskQueue: string): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 8, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
  };
}

/**
 * Activities that start or adopt a job and poll it. The heartbeat timeout is what notices a dead
 * worker: the retry on another worker adopts the job by its name instead of starting a second one.
 */
export function jobActivityOptions(taskQueue: string, maxJobRuntimeSeconds: number): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: `${maxJobRuntimeSeconds + 600} seconds`,
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 20, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
  };
}

/** Notifications: retried for a while; the workflow logs and goes on if they still fail. */
export function notifyActivityOptions(taskQueue: string): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 6, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
  };
}

/** Create-or-update an endpoint and wait until it serves: model servers must pass /ping first. */
export function deployActivityOptions(taskQueue: string): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: '20 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE_ERROR_TYPES },
  };
}

/**
 * Calls an activity with the one-line summary the Temporal UI shows for it in the run's timeline
 * ("step 2: train xgboost"), so parallel branches that call the same activity tell apart.
 */
export function step<I, O>(summary: string, activity: ActivityFunctionWithOptions<(input: I) => Promise<O>>, input: I): Promise<O> {
  return activity.executeWithOptions({ summary }, [input]);
}
