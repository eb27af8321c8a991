import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createLocalBackend } from '../../activities/backends/local';
import type { Backend } from '../../activities/backends/types';
import { buildDashboardServer } from '../../client/dashboard/server';
import { temporalUiUrl } from '../../client/temporal';
import { parseConfig, REPO_ROOT } from '../../common/config/parse';
import type { Config } from '../../common/config/schema';
import { chartSummary, launchChromium, loaded, type BrowserGlobals, type CanvasLike } from '../helpers/chromium';
import { createTempDir, removeTempDir } from '../helpers/temp-dir';
import { produceInsights, type ProducedInsights } from './insights-data';

const SCREENSHOT = path.join(REPO_ROOT, 'test-results', 'dashboard.png');

describe('insights dashboard in headless Chromium (system Chromium via playwright-core)', () => {
  const bucket = 'mlops';
  let home: string;
  let config: Config;
  let backend: Backend;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let produced: ProducedInsights;
  const outside: string[] = [];
  const problems: string[] = [];

  before(async () => {
    home = await createTempDir('mlops-dashboard-browser-');
    config = parseConfig({ MLOPS_HOME: home, MLOPS_BUCKET: bucket });
    backend = createLocalBackend({ home, python: config.python, algorithmsDir: path.join(REPO_ROOT, 'algorithms') });
    produced = await produceInsights(backend, bucket);
    app = buildDashboardServer({ backend, bucket, temporalUiUrl: (workflowId, runId) => temporalUiUrl(config, workflowId, runId) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    // Nothing leaves the machine: every request the page makes goes to the dashboard itself.
    context.on('request', (r) => {
      if (!r.url().startsWith(`${base}/`)) outside.push(r.url());
    });
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await app?.close();
    await removeTempDir(home);
  });

  async function openPage(query = ''): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    await page.goto(`${base}/${query}`);
    await loaded(page, 1);
    return page;
  }

  const totalDrift = () => produced.monitoringRuns.reduce((s, r) => s + r.driftRecords, 0);
  const driftOf = (family: string) => produced.monitoringRuns.filter((r) => r.family === family).reduce((s, r) => s + r.driftRecords, 0);

  it('loads with data from a real run (registry, consolidateCapture and writeDriftRecords activities over a local backend) and renders its charts', async () => {
    const page = await openPage();
    assert.notEqual(await page.getByTestId('status').getAttribute('data-state'), 'error', await page.getByTestId('status').innerText());
    assert.equal(await page.getByTestId('drift-row').count(), totalDrift());
    assert.equal(await page.getByTestId('model-row').count(), 3);
    assert.equal(await page.getByTestId('scoring-row').count(), 2);
    assert.equal(await page.getByTestId('stat-drift').innerText(), String(totalDrift()));
    assert.ok(Number((await page.getByTestId('stat-requests').innerText()).replace(/,/g, '')) > 0, 'inference volumes are shown');
    // The model versions table shows metrics and decisions.
    const rejected = page.getByTestId('model-row').filter({ hasText: 'rejected' });
    assert.equal(await rejected.count(), 1);
    assert.match(await rejected.innerText(), /3,500|3500/);

    const drift = await chartSummary(page, 'drift-chart');
    assert.ok(drift.datasets >= 3, `one line per feature and metric (${drift.datasets})`);
    assert.ok(drift.points >= totalDrift() - 1, `a point per run and series (${drift.points})`);
    assert.ok(drift.drawnPixels > 5000, `the drift chart painted its canvas (${drift.drawnPixels} pixels)`);
    const inference = await chartSummary(page, 'inference-chart');
    assert.equal(inference.datasets, 4, 'requests (bars) and prediction mean (line) per endpoint');
    assert.ok(inference.points > 0 && inference.drawnPixels > 5000, `the inference chart painted its canvas (${JSON.stringify(inference)})`);

    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    assert.ok(statSync(SCREENSHOT).size > 20_000, 'a screenshot with content was saved');
    assert.deepEqual(outside, [], 'no request left the dashboard (Chart.js is served by it)');
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('a filter changes what is shown: choosing a model family narrows the drift table, charts and endpoints', async () => {
    const page = await openPage();
    const before = await chartSummary(page, 'drift-chart');
    await page.getByTestId('filter-family').selectOption('linear-learner');
    await loaded(page, 2);
    const rows = page.getByTestId('drift-row');
    assert.equal(await rows.count(), driftOf('linear-learner'));
    assert.ok(driftOf('linear-learner') < totalDrift());
    assert.deepEqual([...new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-family'))))], ['linear-learner']);
    assert.equal(await page.getByTestId('model-row').count(), 1);
    assert.deepEqual(await page.getByTestId('filter-endpoint').locator('option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value)), ['', produced.endpoints['linear-learner']]);
    const after = await chartSummary(page, 'drift-chart');
    assert.ok(after.points < before.points, `the chart shows fewer points (${before.points} -> ${after.points})`);
    assert.match(page.url(), /[?&]family=linear-learner/, 'the filter is kept in the URL');

    // The time window: a window before any run empties the table; a bad one says why.
    await page.getByTestId('filter-to').fill('2000-01-01');
    await page.getByTestId('apply').click();
    await loaded(page, 3);
    assert.equal(await page.getByTestId('drift-row').count(), 0);
    await page.getByTestId('filter-to').fill('not-a-date');
    await page.getByTestId('apply').click();
    await loaded(page, 4);
    assert.equal(await page.getByTestId('status').getAttribute('data-state'), 'error');
    assert.match(await page.getByTestId('status').innerText(), /to must be an ISO date/);
    await page.getByTestId('preset-all').click();
    await loaded(page, 5);
    assert.equal(await page.getByTestId('drift-row').count(), driftOf('linear-learner'));
    problems.splice(0).forEach((p) => assert.match(p, /400/, p)); // the refused window is the only console error
    await page.close();
  });

  it('stays readable on a phone-sized screen: the page does not overflow sideways (wide tables scroll in place)', async () => {
    const page = await openPage();
    await page.setViewportSize({ width: 390, height: 844 });
    // Chart.js follows its box through a ResizeObserver: wait for the redraw at the new width.
    await page.waitForFunction(() => ((globalThis as unknown as BrowserGlobals).document.getElementById('drift-chart') as CanvasLike).width < 390);
    const widths = await page.evaluate(() => {
      const g = globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } };
      return { scroll: g.document.documentElement.scrollWidth, client: g.document.documentElement.clientWidth };
    });
    assert.ok(widths.scroll <= widths.client + 1, `no sideways scrolling of the page (${JSON.stringify(widths)})`);
    assert.ok((await chartSummary(page, 'drift-chart')).drawnPixels > 1000, 'the chart redraws at the new width');
    await page.close();
  });

  it("each drift record links to its monitoring run in the Temporal UI and to the data the run checked", async () => {
    const page = await openPage('?family=xgboost');
    const rows = page.getByTestId('drift-row');
    assert.equal(await rows.count(), driftOf('xgboost'));
    for (const row of await rows.all()) {
      const runId = (await row.getAttribute('data-run-id'))!;
      const run = produced.monitoringRuns.find((r) => r.runId === runId);
      assert.ok(run, `row of a run that wrote drift records (${runId})`);
      const href = (await row.getByTestId('drift-run-link').getAttribute('href'))!;
      assert.equal(href, temporalUiUrl(config, run.workflowId, run.runId));
      assert.ok(href.includes(encodeURIComponent(run.workflowId)) && href.includes(run.runId), href);
      const dataHref = (await row.getByTestId('drift-data-link').getAttribute('href'))!;
      assert.match(dataHref, /^\/data\?uri=s3%3A%2F%2Fmlops%2Fmonitoring%2Fxgboost%2F/);
      const listing = (await (await page.request.get(`${base}${dataHref}`)).json()) as { objects: { uri: string }[] };
      assert.ok(listing.objects.length > 0 && listing.objects.every((o) => o.uri.endsWith('.jsonl')), 'the link lists the captured files the run consolidated');
    }
    // Following a data link shows the captured records themselves.
    const first = (await rows.first().getByTestId('drift-data-link').getAttribute('href'))!;
    const listing = (await (await page.request.get(`${base}${first}`)).json()) as { objects: { url: string }[] };
    await page.goto(`${base}${listing.objects[0]!.url}`);
    assert.match(await page.locator('body').innerText(), /"captureData"/);
    assert.deepEqual(problems, []);
    await page.close();
  });
});
