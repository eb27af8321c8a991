import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { bundleWorkflows } from '../helpers/workflow-bundle';

/**
 * Replays recorded histories of released workflows against today's code: a change that would
 * break running executions fails here (DeterminismViolationError) before it ships.
 */
describe('replay of recorded histories', function () {
  this.timeout(120_000);
  const dir = path.join(__dirname, 'histories');
  let bundle: WorkflowBundle;

  before(async () => {
    bundle = await bundleWorkflows();
  });

  it('when the histories are listed, then there is at least one per released workflow', async () => {
    const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.json'));
    for (const type of ['trainingPipeline', 'batchScoringPipeline', 'monitoringPipeline', 'modelLifecycle', 'endpointDeployment']) {
      assert.ok(files.some((f) => f.startsWith(`${type}-`)), `a ${type} history is recorded`);
    }
  });

  for (const file of require('node:fs').readdirSync(path.join(__dirname, 'histories')).filter((f: string) => f.endsWith('.json')) as string[]) {
    it(`when ${file} is replayed, then today's workflow code makes the same decisions`, async () => {
      const history = JSON.parse(await fs.readFile(path.join(dir, file), 'utf8')) as unknown;
      await Worker.runReplayHistory({ workflowBundle: bundle }, history, `replay-${file}`);
    });
  }
});
