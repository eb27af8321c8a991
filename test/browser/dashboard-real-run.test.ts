import assert from 'node:assert/strict';
import { mkdirSync, promises as fs, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { createBackend } from '../../activities/backends';
import type { Backend } from '../../activities/backends/types';
import { buildDashboardServer } from '../../client/dashboard/server';
import { defaultMonitoringConfig } from '../../client/schedules/monitoring-schedule';
import { startScoring } from '../../services/scoring/start-scoring';
import { waitForScoringReport } from '../../client/scoring/report';
import { temporalUiUrl } from '../../client/temporal';
import { waitForTrainingReport } from '../../client/training/report';
import { startTraining } from '../../services/training/start-training';
import { REPO_ROOT } from '../../common/config/parse';
import type { Config } from '../../common/config/schema';
import type { MonitoringInput, MonitoringResult } from '../../common/types/monitoring';
import { monitoringPipeline } from '../../workflows';
import { DATASET, tempDir, testConfig } from '../helpers/integration';
import { chartSummary, launchChromium, loaded } from '../helpers/chromium';
import { createLocalEnv } from '../helpers/temporal-env';
import { runWorkers, type RunningWorkers } from '../helpers/workers';

const SCREENSHOT = path.join(REPO_ROOT, 'test-results', 'dashboard-real-run.png');

/**
 * The dashboard over the data of real pipeline runs: a dev server, real jobs (training, batch
 * scoring of the sample and of its Mileage +30 % copy, two monitoring runs), then the page in
 * headless Chromium.
 */
describe('insights dashboard over real pipeline runs (dev server, real jobs, headless Chromium)', function () {
  this.timeout(240_000);
  let env: TestWorkflowEnvironment;
  let home: string;
  let config: Config;
  let backend: Backend;
  let workers: RunningWorkers | undefined;
  let app: FastifyInstance;
  let browser: Browser;
  let drift: MonitoringResult & { workflowId: string; runId: string };

  before(async () => {
    env = await createLocalEnv();
    home = await tempDir('dashboard-real-run');
    config = testConfig({ home });
    backend = createBackend(config);
    workers = await runWorkers(env, config, backend, { lifecycle: true });
    const trained = await startTraining(env.client, backend, config, { data: DATASET, deploy: false, trigger: 'test' });
    await waitForTrainingReport(trained.handle, (r) => r);
    const monitor = async (n: number) => {
      const input: MonitoringInput = { family: 'xgboost', trigger: 'test', config: defaultMonitoringConfig(config) };
      const handle = await env.client.workflow.start(monitoringPipeline, { taskQueue: input.config.taskQueues.orchestration, workflowId: `monitoring-xgboost/browser-${n}`, args: [input] });
      return { ...(await handle.result()), workflowId: handle.workflowId, runId: handle.firstExecutionRunId };
    };
    for (const file of ['scoring-sample.csv', 'scoring-shifted.csv']) {
      const scored = await startScoring(env.client, backend, config, { data: path.join(REPO_ROOT, 'data', file), families: ['xgboost'], trigger: 'test' });
      await waitForScoringReport(scored.handle, (r) => r);
      drift = await monitor(file === 'scoring-sample.csv' ? 1 : 2);
    }
    assert.equal(drift.outcome, 'drift');
    app = buildDashboardServer({ backend, bucket: config.bucket, temporalUiUrl: (workflowId, runId) => temporalUiUrl(config, workflowId, runId) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await app?.close();
    await workers?.stop();
    await env?.teardown();
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  it('shows the drift the monitoring run found, linked to that run in the Temporal UI, with the versions and scoring runs', async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await page.goto(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`);
    await loaded(page, 1);

    const mileage = page.getByTestId('drift-row').filter({ hasText: 'Mileage' });
    assert.equal(await mileage.count(), 1, await page.getByTestId('drift-table').innerText());
    assert.equal(await mileage.getByTestId('drift-run-link').getAttribute('href'), temporalUiUrl(config, drift.workflowId, drift.runId));
    assert.match((await mileage.getByTestId('drift-data-link').getAttribute('href')) ?? '', /^\/data\?uri=s3%3A%2F%2Fmlops%2Fmonitoring%2Fxgboost%2F/);
    assert.equal(await page.getByTestId('model-row').count(), 2, 'xgboost and linear-learner version 1');
    assert.equal(await page.getByTestId('scoring-row').count(), 2, 'the two scoring runs of xgboost');
    assert.match(await page.getByTestId('scoring-table').innerText(), /200/);

    // The charts are drawn from the real runs: drift per feature and metric over time, inference volumes.
    const chart = await chartSummary(page, 'drift-chart');
    assert.ok(chart.points > 0 && chart.drawnPixels > 5000, `the drift chart painted its canvas (${JSON.stringify(chart)})`);
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(statSync(SCREENSHOT).size > 20_000);

    // A filter changes what is shown: only xgboost was monitored, so linear-learner has no drift.
    await page.getByTestId('filter-family').selectOption('linear-learner');
    await loaded(page, 2);
    assert.equal(await page.getByTestId('drift-row').count(), 0);
    assert.equal(await page.getByTestId('model-row').count(), 1);
    assert.equal((await chartSummary(page, 'drift-chart')).points, 0);
    await page.getByTestId('filter-family').selectOption('xgboost');
    await loaded(page, 3);
    assert.equal(await page.getByTestId('drift-row').filter({ hasText: 'Mileage' }).count(), 1);
    await page.close();
  });
});
