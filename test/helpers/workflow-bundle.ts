import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WORKFLOWS_PATH } from '../../workers/workers';

/** A logger that drops everything: webpack's bundling chatter would bury test output. */
export const QUIET_LOGGER = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** The workflow bundle the worker loads, built once per suite. */
export function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: QUIET_LOGGER });
}
