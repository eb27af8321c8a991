import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';

/** A mock activity context that logs only errors, so activity logs do not bury test output. */
export function quietActivityEnvironment(): MockActivityEnvironment {
  return new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
}

/**
 * Runs `fn` inside the mock activity context and keeps its result type (`env.run` infers
 * `unknown` for object-literal arguments, so every call would need a cast).
 */
export function runInActivity<T>(env: MockActivityEnvironment, fn: () => Promise<T>): Promise<T> {
  return env.run(fn) as Promise<T>;
}
