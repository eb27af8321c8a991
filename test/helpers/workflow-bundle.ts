import { promises as fs } from 'node:fs';
import { bundleWorkflowCode, type WorkflowBundle, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../workers/workers';

/** A logger that drops everything: webpack's bundling chatter would bury test output. */
export const QUIET_LOGGER = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** Runs webpack over `workflows/`, as a worker without a prebuilt bundle does at start. */
export function buildWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: QUIET_LOGGER });
}

/**
 * The workflow bundle the worker loads, once per suite. `scripts/test-all.sh` builds it once per
 * test run from this checkout's `workflows/` (MLOPS_WORKFLOW_BUNDLE, the production worker's own
 * setting), so the suites and the stacks they start do not each spend seconds of CPU in webpack.
 */
export async function bundleWorkflows(): Promise<WorkflowBundle> {
  const prebuilt = process.env.MLOPS_WORKFLOW_BUNDLE;
  if (prebuilt) return { code: await fs.readFile(prebuilt, 'utf8') };
  return buildWorkflowBundle();
}
