import assert from 'node:assert/strict';
import { mkdirSync, promises as fs } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { createBackend } from '../../activities/backends';
import type { Backend } from '../../activities/backends/types';
import { writeInsightRows } from '../../activities/insights/parquet';
import { buildDashboardServer } from '../../client/dashboard/server';
import { temporalUiUrl } from '../../client/temporal';
import { REPO_ROOT, taskQueuesOf } from '../../common/config/parse';
import { stackPorts, type Config } from '../../common/config/schema';
import type { EndpointDeploymentInput } from '../../common/types/deployment';
import type { InferenceVolumeRow } from '../../common/types/insights';
import { endpointDeployment } from '../../workflows';
import { abortDeploymentUpdate, deploymentStateQuery } from '../../workflows/deployment/deployment.messages';
import { chartSummary, launchChromium, loaded, type BrowserGlobals } from '../helpers/chromium';
import { createDeploymentModel } from '../helpers/deployment-models';
import { eventually, freePortBase, startEndpointHost, tempDir, testConfig } from '../helpers/integration';
import { createLocalEnv } from '../helpers/temporal-env';
import { runWorkers, type RunningWorkers } from '../helpers/workers';

const SCREENSHOT = path.join(REPO_ROOT, 'test-results', 'dashboard-deployments.png');
/** What a person typed as the reason: the page must show it as text, never run or render it. */
const HOSTILE_REASON = '<img src=x onerror="globalThis.pwned=1"> differences explained';

/**
 * The deployments view over a real shadow deployment: a dev server, the project's workers, the
 * endpoint host with two real linear-learner model servers under load, the `endpointDeployment` workflow
 * mirroring half of the requests to the new model, a person aborting it (with a reason full of
 * markup), then the dashboard in headless Chromium.
 */
describe('dashboard deployments over a real shadow deployment (dev server, endpoint host, headless Chromium)', function () {
  this.timeout(120_000);
  let home: string;
  let config: Config;
  let backend: Backend;
  let env: TestWorkflowEnvironment;
  let workers: RunningWorkers | undefined;
  let host: Awaited<ReturnType<typeof startEndpointHost>> | undefined;
  let app: FastifyInstance;
  let browser: Browser;
  let failedRequests = 0;

  before(async () => {
    home = await tempDir('dashboard-deployments');
    config = testConfig({ home, portBase: await freePortBase() });
    backend = createBackend(config);
    const modelsDir = path.join(home, 'models');
    [env, host] = await Promise.all([createLocalEnv(), startEndpointHost(config)]);
    workers = await runWorkers(env, config, backend);
    // Two linear models (written as the built-in algorithm saves one, no training needed) that answer a little apart.
    await Promise.all(
      (['old', 'new'] as const).map(async (name, i) => {
        const dir = path.join(modelsDir, name);
        await fs.mkdir(dir, { recursive: true });
        await fs.writeFile(path.join(dir, 'linear-learner-model.json'), JSON.stringify({ featureNames: ['a', 'b', 'c'], featureDim: 3, coefficients: [1, 2, 3 + i * 0.2], intercept: 10 + i }));
        await createDeploymentModel(backend, name, dir, 'linear-learner', 'dep');
      }),
    );
    // The new model is a version of the demo project (the project filter finds it through the registry).
    await backend.registry.registerVersion({ family: 'linear-learner', modelName: 'new', artifactUri: 's3://mlops/test-models/new/model.tar.gz', trainingJobName: 'train-new', workflowId: 'training/browser', runId: 'run', featureSchemaUri: 's3://mlops/schema.json', hyperparameters: {} });
    // The project filter offers the projects the insights tables name: one inference hour each, written by their writer.
    const volume = (project: string, family: string): InferenceVolumeRow => ({ hour: new Date(), project, family, model_name: 'new', model_version: 2, endpoint_name: 'dep', variant_name: 'new', requests: 1, prediction_mean: 1, monitoring_workflow_id: 'monitoring', monitoring_run_id: 'run' });
    await writeInsightRows(backend.objectStore, config.bucket, 'inference_volumes', 'browser', [volume('used-cars', 'linear-learner'), volume('penguins', 'hgb')]);
    await backend.hosting.createEndpoint('dep', 'cfg-old');
    await eventually('the endpoint serves', async () => (await backend.hosting.describeEndpoint('dep'))?.status === 'InService', 60_000);

    // Steady load while the shadow is compared: the champion answers, half is mirrored to the shadow.
    const url = `http://127.0.0.1:${stackPorts(config.portBase).endpointHost}/endpoints/dep/invocations`;
    let running = true;
    const load = Promise.all(
      [0, 1, 2].map(async (k) => {
        for (let i = 0; running; i++) {
          const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: `${(i % 7) / 3},${k - 1},${(i % 5) / 2}` });
          await response.arrayBuffer();
          if (response.status !== 200) failedRequests++;
          await new Promise((r) => setTimeout(r, 5));
        }
      }),
    );
    const queues = taskQueuesOf(config);
    const input: EndpointDeploymentInput = {
      endpointName: 'dep',
      family: 'linear-learner',
      target: { modelName: 'new', version: 2, endpointConfigName: 'cfg-new' },
      policy: { type: 'shadow', shadowShare: 0.5, shadowPeriod: '2 seconds', promotion: 'manual', decisionTimeout: '1 minute', finalBake: '1 second' },
      alarms: { maxErrorRate: 0.05, maxP99LatencyMs: 2000, minInvocations: 8, window: '10 seconds', evaluationInterval: '1 second' },
      requestedBy: { workflowId: 'training/browser', kind: 'training' },
      taskQueues: queues,
    };
    const handle = await env.client.workflow.start(endpointDeployment, { taskQueue: queues.orchestration, workflowId: 'deployment/dep/v2', args: [input] });
    try {
      await eventually('the shadow awaits a decision', async () => (await handle.query(deploymentStateQuery)).phase === 'awaiting-decision', 30_000);
      // Aborted rather than promoted: taking a shadow away is one endpoint update (promoting moves all traffic and bakes).
      await handle.executeUpdate(abortDeploymentUpdate, { args: [{ by: 'cleo', reason: HOSTILE_REASON }] });
      const result = await handle.result();
      assert.equal(result.outcome, 'rolled-back', result.reason);
    } finally {
      running = false;
      await load;
    }
    app = buildDashboardServer({ backend, bucket: config.bucket, temporalUiUrl: (workflowId, runId) => temporalUiUrl(config, workflowId, runId), temporal: async () => env.client });
    await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await workers?.stop();
    await host?.stop();
    await env?.teardown();
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  async function deploymentOpened(page: Page, n: number): Promise<void> {
    await page.waitForFunction((k) => Number((globalThis as unknown as BrowserGlobals).document.body.dataset.deploymentLoads ?? 0) >= k, n, { timeout: 30_000 });
  }

  it('lists the deployment with its phase, policy, split, alarms and who aborted it and why, and draws the shadow comparison from its recorded readings', async () => {
    assert.equal(failedRequests, 0, 'the shadow never answered and no request failed');
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    const detail = page.getByTestId('deployment-detail');
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/?project=used-cars`);
    await loaded(page, 1);

    const row = page.getByTestId('deployment-row').filter({ hasText: 'dep' });
    assert.equal(await row.count(), 1, await page.getByTestId('deployments').innerText());
    assert.equal(await row.getAttribute('data-deployment'), 'dep/v2');
    assert.equal(await page.getByTestId('deployment-endpoint').innerText(), 'dep · 1 deployment');
    assert.equal(await row.getByTestId('deployment-phase').innerText(), 'rolled-back');
    assert.match(await row.innerText(), /shadow 50 % for 2 seconds, promoted by a person/);
    assert.equal(await row.getByTestId('deployment-traffic').innerText(), 'old 100 %');
    assert.match(await row.getByTestId('deployment-alarm').filter({ hasText: 'error-rate' }).innerText(), /(OK|INSUFFICIENT_DATA) error-rate .* \/ 5 %/);
    // Who aborted and why, the markup in the reason shown as the text it is.
    assert.equal(await row.getByTestId('deployment-decision').evaluate((n) => (n as unknown as { firstChild: { textContent: string } }).firstChild.textContent), `abort by cleo: ${HOSTILE_REASON}`);
    assert.match(await row.getByTestId('deployment-rollback').innerText(), /^rolled back by cleo: /);
    assert.equal(await page.locator('#deployments img').count(), 0);
    assert.equal(await row.getByTestId('deployment-run-link').getAttribute('href'), temporalUiUrl(config, 'deployment/dep/v2', await runIdOf('deployment/dep/v2')));

    assert.ok(await detail.isHidden(), 'no deployment opened yet');
    await row.getByTestId('deployment-open').click();
    await deploymentOpened(page, 1);
    assert.match(page.url(), /deployment=dep%2Fv2/);
    const shadow = page.getByTestId('shadow-comparison');
    assert.ok(await shadow.isVisible());
    assert.match(await page.getByTestId('shadow-summary').innerText(), /^[1-9][\d,]* pairs/);
    const champion = page.getByTestId('shadow-row').and(page.locator('[data-role="champion"]'));
    const mirrored = page.getByTestId('shadow-row').and(page.locator('[data-role="shadow"]'));
    const cells = async (r: typeof champion) => (await r.locator('td').allInnerTexts()).slice(1);
    const [championCells, shadowCells] = [await cells(champion), await cells(mirrored)];
    assert.equal(championCells[0], 'old');
    assert.equal(shadowCells[0], 'new');
    for (const c of [...championCells, ...shadowCells].slice(1)) assert.notEqual(c, '–', `every figure is there: ${championCells.join(' | ')} / ${shadowCells.join(' | ')}`);
    assert.equal(shadowCells[2], '0', 'no mirrored request failed');
    // The distribution chart: one bar per difference bucket, some of them non-zero.
    const chart = await chartSummary(page, 'shadow-chart');
    assert.ok(chart.datasets === 1 && chart.points >= 10 && chart.drawnPixels > 2000, JSON.stringify(chart));
    const report = await page.evaluate(() => (globalThis as unknown as { dashboard: { data: { deployment: { shadowReport: { pairs: number; relativeDifference: { buckets: { count: number }[] } } } } } }).dashboard.data.deployment.shadowReport);
    assert.equal(report.relativeDifference.buckets.reduce((s, b) => s + b.count, 0), report.pairs);
    assert.equal(await page.locator('img').count(), 0);
    assert.equal((await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)) ?? 0, 0);
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Another project has none of it.
    await page.getByTestId('filter-project').selectOption('penguins');
    await loaded(page, 2);
    assert.equal(await page.getByTestId('deployment-row').count(), 0);
    assert.ok(await detail.isHidden());
    await page.getByTestId('filter-project').selectOption('used-cars');
    await loaded(page, 3);
    assert.equal(await page.getByTestId('deployment-row').count(), 1);
    assert.deepEqual(problems, []);
    await page.close();
  });

  async function runIdOf(workflowId: string): Promise<string> {
    return (await env.client.workflow.getHandle(workflowId).describe()).runId;
  }
});
