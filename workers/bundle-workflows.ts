/**
 * Prebuilds the workflow bundle for production workers (`npm run bundle` writes
 * dist/workflow-bundle.js, or the file given as the argument), so a worker starts without running
 * webpack (MLOPS_WORKFLOW_BUNDLE).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { REPO_ROOT } from '../common/config/parse';
import { WORKFLOWS_PATH } from './workers';

async function main(): Promise<void> {
  const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
  const file = path.resolve(process.argv[2] ?? path.join(REPO_ROOT, 'dist', 'workflow-bundle.js'));
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, code);
  console.log(`wrote ${path.relative(process.cwd(), file)} (${(code.length / 1024).toFixed(0)} KiB)`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
