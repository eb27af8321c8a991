import assert from 'node:assert/strict';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createBackend } from '../../activities/backends';
import type { Backend } from '../../activities/backends/types';
import type { RunRow } from '../../client/cli/commands/runs';
import { registerSearchAttributes } from '../../client/search-attributes';
import { REPO_ROOT } from '../../common/config/parse';
import type { Config } from '../../common/config/schema';
import { ALL_SEARCH_ATTRIBUTES, PROJECT } from '../../common/search-attributes';
import { ensureLifecycle } from '../../services/lifecycle/ensure';
import { startTraining } from '../../services/training/start-training';
import { runInProcess, TestCliContext } from '../helpers/cli-in-process';
import { eventually, tempDir, testConfig } from '../helpers/integration';
import { createLocalEnv, TEMPORAL_CLI } from '../helpers/temporal-env';

const PENGUINS_CSV = path.join(REPO_ROOT, 'projects', 'penguins', 'data', 'penguins.csv');

async function terminateAll(client: Client): Promise<void> {
  for await (const wf of client.workflow.list({ query: `ExecutionStatus = 'Running'` })) {
    await client.workflow.getHandle(wf.workflowId, wf.runId).terminate('test cleanup').catch(() => undefined);
  }
}

/** Runs started on a real dev server (no worker: they stay open), found by their MlopsProject. */
describe('the MlopsProject search attribute (integration: dev server, no worker)', function () {
  this.timeout(180_000);
  let config: Config;
  let backend: Backend;

  before(async () => {
    config = testConfig({ home: await tempDir('project-attribute') });
    backend = createBackend(config);
  });

  describe('on the dev server the project starts', () => {
    let env: TestWorkflowEnvironment;

    before(async () => {
      env = await createLocalEnv();
    });

    after(async () => {
      if (env) await terminateAll(env.client);
      await env?.teardown();
    });

    it('when a penguins run and a used-cars run are started, then runs list --project penguins finds the penguins run (and its lifecycle) and not the used-cars one, and the reverse', async () => {
      const penguins = await startTraining(env.client, backend, config, { project: 'penguins', data: PENGUINS_CSV, trigger: 'test' });
      const cars = await startTraining(env.client, backend, config, { trigger: 'test' });
      const lifecycle = await ensureLifecycle(env.client, config, 'hgb', {}, 'penguins');
      const ctx = new TestCliContext(config, env.client);
      const list = async (project: string) => {
        const result = await runInProcess(ctx, 'runs', 'list', '--project', project, '--json');
        assert.equal(result.code, 0, result.stderr);
        return (JSON.parse(result.stdout) as { runs: RunRow[] }).runs;
      };

      const penguinRuns = await eventually('the penguins runs in visibility', async () => {
        const rows = await list('penguins');
        return rows.length >= 2 ? rows : undefined;
      });
      assert.deepEqual(penguinRuns.map((r) => r.workflowId).sort(), [lifecycle.workflowId, penguins.workflowId].sort());
      assert.ok(penguinRuns.every((r) => r.project === 'penguins'));

      const carRuns = await eventually('the used-cars run in visibility', async () => {
        const rows = await list('used-cars');
        return rows.length >= 1 ? rows : undefined;
      });
      assert.deepEqual(carRuns.map((r) => [r.workflowId, r.project]), [[cars.workflowId, 'used-cars']]);

      // The attribute itself, as the Temporal UI queries it.
      const described = await env.client.workflow.getHandle(penguins.workflowId).describe();
      assert.equal(described.typedSearchAttributes.get(PROJECT), 'penguins');
      assert.equal((await env.client.workflow.count(`${PROJECT.name} = 'used-cars'`)).count, 1);
    });
  });

  describe('on a server someone else runs, without the attribute', () => {
    let env: TestWorkflowEnvironment;

    before(async () => {
      env = await TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'existing-path', path: TEMPORAL_CLI },
          ip: '127.0.0.1',
          ui: false,
          searchAttributes: ALL_SEARCH_ATTRIBUTES.filter((k) => k.name !== PROJECT.name),
        },
      });
    });

    after(async () => {
      if (env) await terminateAll(env.client);
      await env?.teardown();
    });

    it('when a run is started before the attribute exists it is refused; once the worker registered it (twice, harmlessly), the same start succeeds', async () => {
      await assert.rejects(startTraining(env.client, backend, config, { project: 'penguins', data: PENGUINS_CSV, trigger: 'test' }), (err: unknown) => {
        // The SDK wraps the server's refusal ("search attribute MlopsProject is not defined") as the cause.
        const messages: string[] = [];
        for (let e: unknown = err; e instanceof Error; e = e.cause) messages.push(e.message);
        assert.match(messages.join(' / '), /MlopsProject/);
        return true;
      });

      await registerSearchAttributes(env.connection, env.namespace ?? 'default');
      await registerSearchAttributes(env.connection, env.namespace ?? 'default');

      const listed = await env.connection.operatorService.listSearchAttributes({ namespace: env.namespace ?? 'default' });
      assert.ok(PROJECT.name in (listed.customAttributes ?? {}));
      const started = await eventually('a start once the attribute is registered', () =>
        startTraining(env.client, backend, config, { project: 'penguins', data: PENGUINS_CSV, trigger: 'test' }).catch(() => undefined),
      );
      assert.equal(started.started, true);
    });
  });
});
