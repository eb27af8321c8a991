import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { buildWorkflowBundle, QUIET_LOGGER } from '../helpers/workflow-bundle';


/** The bundler is the second net behind lint: disallowed modules fail the bundle, also indirectly. */
describe('workflow bundle', function () {
  this.timeout(60_000);

  it('when workflows/index.ts is bundled, then it succeeds and contains every workflow', async () => {
    const { code } = await buildWorkflowBundle();
    assert.match(code, /trainingPipeline/);
    assert.doesNotMatch(code, /@temporalio\/activity\/lib/, 'no activity code in the bundle');
  });

  it('when a workflow imports a Node builtin, then bundling fails and names it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'mlops-bundle-'));
    try {
      const file = path.join(dir, 'bad-workflow.ts');
      await fs.writeFile(file, "import dns from 'dns';\nexport async function bad(): Promise<string> { return typeof dns.lookup; }\n");
      const logged: string[] = [];
      const recorder = { ...QUIET_LOGGER, error: (message: string, meta?: unknown) => void logged.push(`${message} ${JSON.stringify(meta ?? '')}`) };
      await assert.rejects(bundleWorkflowCode({ workflowsPath: file, logger: recorder }), /Webpack finished with errors/);
      assert.match(logged.join('\n'), /dns/, 'the bundler names the disallowed module');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
