import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createLocalBackend } from '../../activities/backends/local';
import { buildDashboardServer } from '../../client/dashboard/server';
import { temporalUiUrl } from '../../client/temporal';
import { parseConfig, REPO_ROOT } from '../../common/config/parse';
import { DEFAULT_PROJECT } from '../../common/project';
import { launchChromium, loaded } from '../helpers/chromium';
import { createTempDir, removeTempDir } from '../helpers/temp-dir';
import { produceInsights, type ProducedInsights } from './insights-data';

/**
 * Issue 15, "the dashboard filters by project", in headless Chromium: two projects with families
 * of the same names (xgboost, linear-learner) produced their data through the real activities on
 * one local backend; the project select shows one project's drift records and model versions at a
 * time, switches between them, and keeps the choice in the URL as the other filters do.
 */
describe('insights dashboard in headless Chromium: the project select', () => {
  const bucket = 'mlops';
  const PENGUINS = 'penguins';
  let home: string;
  let app: FastifyInstance;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  const produced = new Map<string, ProducedInsights>();
  const problems: string[] = [];

  before(async () => {
    home = await createTempDir('mlops-dashboard-projects-');
    const config = parseConfig({ MLOPS_HOME: home, MLOPS_BUCKET: bucket });
    const backend = createLocalBackend({ home, python: config.python, algorithmsDir: path.join(REPO_ROOT, 'algorithms') });
    for (const project of [DEFAULT_PROJECT, PENGUINS]) produced.set(project, await produceInsights(backend, bucket, Date.now(), project));
    // The stack's projects, as the dashboard process reads them from the project files.
    app = buildDashboardServer({ backend, bucket, temporalUiUrl: (workflowId, runId) => temporalUiUrl(config, workflowId, runId), projects: async () => [DEFAULT_PROJECT, PENGUINS] });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
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

  /** The projects whose monitoring runs the shown drift rows belong to (each run id is one project's). */
  async function driftProjects(page: Page): Promise<string[]> {
    const runIds = await page.getByTestId('drift-row').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run-id')));
    const owners = runIds.map((id) => [...produced.values()].find((p) => p.monitoringRuns.some((r) => r.runId === id))?.project ?? `unknown run ${id}`);
    return [...new Set(owners)].sort();
  }

  /** The projects whose training runs the shown model versions link to (`training-<project>-<family>-<n>` outside the demo). */
  async function modelProjects(page: Page): Promise<string[]> {
    const hrefs = await page.getByTestId('model-run-link').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
    return [...new Set(hrefs.map((h) => (decodeURIComponent(h).includes(`training-${PENGUINS}-`) ? PENGUINS : DEFAULT_PROJECT)))].sort();
  }

  const driftOf = (project: string, family?: string) => produced.get(project)!.monitoringRuns.filter((r) => !family || r.family === family).reduce((s, r) => s + r.driftRecords, 0);
  const selected = (page: Page) => page.getByTestId('filter-project').inputValue();

  it('when a project is chosen, then only its drift records and model versions show and the URL names it; choosing the other switches them', async () => {
    const page = await openPage();
    const options = await page.getByTestId('filter-project').locator('option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value));
    assert.deepEqual(options, ['', PENGUINS, DEFAULT_PROJECT].sort());
    assert.equal(await page.getByTestId('drift-row').count(), driftOf(DEFAULT_PROJECT) + driftOf(PENGUINS), 'all projects at first');
    // ... and every project's model versions, each row naming its project (the families share names).
    assert.equal(await page.getByTestId('model-row').count(), 6);
    assert.deepEqual(await modelProjects(page), [PENGUINS, DEFAULT_PROJECT].sort());
    assert.deepEqual((await page.getByTestId('model-row').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-project')))).sort(), [...Array(3).fill(PENGUINS), ...Array(3).fill(DEFAULT_PROJECT)].sort());
    assert.match(await page.getByTestId('model-row').filter({ has: page.locator(`[href*="training-${PENGUINS}-xgboost-1"]`) }).innerText(), /penguins \/ xgboost/);

    await page.getByTestId('filter-project').selectOption(PENGUINS);
    await loaded(page, 2);
    assert.equal(await page.getByTestId('drift-row').count(), driftOf(PENGUINS));
    assert.deepEqual(await driftProjects(page), [PENGUINS]);
    assert.equal(await page.getByTestId('model-row').count(), 3);
    assert.deepEqual(await modelProjects(page), [PENGUINS]);
    assert.equal(await page.getByTestId('stat-drift').innerText(), String(driftOf(PENGUINS)));
    assert.equal(new URL(page.url()).searchParams.get('project'), PENGUINS, 'the choice is kept in the URL');

    await page.getByTestId('filter-project').selectOption(DEFAULT_PROJECT);
    await loaded(page, 3);
    assert.equal(await page.getByTestId('drift-row').count(), driftOf(DEFAULT_PROJECT));
    assert.deepEqual(await driftProjects(page), [DEFAULT_PROJECT]);
    assert.equal(await page.getByTestId('model-row').count(), 3);
    assert.deepEqual(await modelProjects(page), [DEFAULT_PROJECT]);
    assert.equal(new URL(page.url()).searchParams.get('project'), DEFAULT_PROJECT);

    await page.getByTestId('filter-project').selectOption('');
    await loaded(page, 4);
    assert.equal(new URL(page.url()).searchParams.get('project'), null, 'all projects: no project in the URL');
    assert.deepEqual(await driftProjects(page), [PENGUINS, DEFAULT_PROJECT].sort());
    assert.equal(await page.getByTestId('model-row').count(), 6);
    assert.deepEqual(problems, []);
    await page.close();
  });

  it('when the page is opened with a project and a family in the URL, then both are chosen and only that project\'s rows of the family show; the other filters keep the project', async () => {
    const page = await openPage(`?project=${PENGUINS}&family=linear-learner`);
    assert.equal(await selected(page), PENGUINS);
    assert.equal(await page.getByTestId('filter-family').inputValue(), 'linear-learner');
    assert.equal(await page.getByTestId('drift-row').count(), driftOf(PENGUINS, 'linear-learner'));
    assert.deepEqual(await driftProjects(page), [PENGUINS]);
    assert.deepEqual(await page.getByTestId('drift-row').evaluateAll((trs) => [...new Set(trs.map((tr) => tr.getAttribute('data-family')))]), ['linear-learner']);
    assert.deepEqual(await modelProjects(page), [PENGUINS]);

    // Another filter changes: the project stays chosen, in the page and in the URL.
    await page.getByTestId('filter-family').selectOption('xgboost');
    await loaded(page, 2);
    assert.equal(await selected(page), PENGUINS);
    assert.equal(await page.getByTestId('drift-row').count(), driftOf(PENGUINS, 'xgboost'));
    assert.deepEqual(await driftProjects(page), [PENGUINS]);
    const url = new URL(page.url());
    assert.deepEqual([url.searchParams.get('project'), url.searchParams.get('family')], [PENGUINS, 'xgboost']);
    assert.deepEqual(problems, []);
    await page.close();
  });
});
