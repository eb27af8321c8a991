import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { parseDocument } from 'yaml';
import { createBackend } from '../../activities/backends';
import type { Backend } from '../../activities/backends/types';
import { buildDashboardServer } from '../../client/dashboard/server';
import { waitForScoringReport } from '../../client/scoring/report';
import { createMonitoringSchedule, describeSchedule, monitoringScheduleId, triggerSchedule } from '../../client/schedules/monitoring-schedule';
import { temporalUiUrl } from '../../client/temporal';
import { waitForTrainingReport } from '../../client/training/report';
import { REPO_ROOT } from '../../common/config/parse';
import type { Config } from '../../common/config/schema';
import { DEFAULT_PROJECT } from '../../common/project';
import type { MonitoringResult } from '../../common/types/monitoring';
import { readLifecycleState } from '../../services/lifecycle/ensure';
import { startScoring } from '../../services/scoring/start-scoring';
import { startTraining } from '../../services/training/start-training';
import { createLocalEnv } from '../helpers/temporal-env';
import { runWorkers, type RunningWorkers } from '../helpers/workers';
import { DATASET, eventually, tempDir, testConfig } from '../helpers/integration';

const PENGUINS = 'penguins';
const PENGUINS_CSV = path.join(REPO_ROOT, 'projects', 'penguins', 'data', 'penguins.csv');
const CARS_SAMPLE = path.join(REPO_ROOT, 'data', 'scoring-sample.csv');

/**
 * The repository's two projects, cut down to their xgboost algorithm with few boosting rounds so
 * a stack trains both in seconds: everything else (dataset specs, thresholds, policies) as
 * committed. Both projects have a family of the same name, so a name that forgot its project would
 * meet the other's.
 */
async function smallProjects(dir: string): Promise<void> {
  for (const name of [DEFAULT_PROJECT, PENGUINS]) {
    const doc = parseDocument(await fs.readFile(path.join(REPO_ROOT, 'projects', name, 'project.yaml'), 'utf8'));
    const algorithms = doc.toJS().algorithms as { name: string; hyperparameters: Record<string, string> }[];
    const xgboost = algorithms.find((a) => a.name === 'xgboost')!;
    doc.set('algorithms', [{ ...xgboost, hyperparameters: { ...xgboost.hyperparameters, num_round: '40' } }]);
    await fs.mkdir(path.join(dir, name), { recursive: true });
    await fs.writeFile(path.join(dir, name, 'project.yaml'), doc.toString());
  }
}

/** The penguins file with bills and flippers 40 % longer (missing values kept; flippers stay whole millimetres, as the spec wants): drift on those features. */
async function shiftedPenguins(file: string): Promise<void> {
  const [header, ...rows] = (await fs.readFile(PENGUINS_CSV, 'utf8')).trim().split('\n');
  const columns = header!.split(',');
  const bill = columns.indexOf('bill_length_mm');
  const flipper = columns.indexOf('flipper_length_mm');
  const shift = (v: string, i: number) => (v === 'NA' || v === '' || (i !== bill && i !== flipper) ? v : i === flipper ? String(Math.round(Number(v) * 1.4)) : (Number(v) * 1.4).toFixed(1));
  const out = rows.map((row) => row.split(',').map(shift).join(','));
  await fs.writeFile(file, `${[header, ...out].join('\n')}\n`);
}

/**
 * Issue 15, "two projects monitored on schedules at once": the demo project and the penguins
 * project trained, batch-scored and monitored by their own schedules on one dev server with real
 * jobs. Drift is injected into the penguins' scored data only: its alert reaches
 * `lifecycle/penguins/xgboost` and not the demo's `lifecycle/xgboost`, and the dashboard's data
 * API filtered by each project shows only that project's rows. The schedules are triggered at
 * once instead of waited for.
 */
describe('projects side by side (integration: two projects monitored on schedules, dev server, real jobs)', function () {
  this.timeout(240_000);
  let env: TestWorkflowEnvironment;
  let home: string;
  let config: Config;
  let backend: Backend;
  let workers: RunningWorkers | undefined;
  let dashboard: FastifyInstance | undefined;

  before(async () => {
    env = await createLocalEnv();
    home = await tempDir('projects-monitoring');
    await smallProjects(path.join(home, 'projects'));
    config = { ...testConfig({ home }), projectsDir: path.join(home, 'projects') };
    backend = createBackend(config);
    workers = await runWorkers(env, config, backend, { lifecycle: true });
  });

  after(async () => {
    await dashboard?.close();
    await workers?.stop();
    await env?.teardown();
    if (home) await fs.rm(home, { recursive: true, force: true });
  });

  it("when drift is injected into one project's captured data, then only its schedule's run finds it, the alert reaches its own lifecycle, and the dashboard shows each project only its own rows", async () => {
    // Train both projects at once (no endpoints: monitoring reads the batch capture of scoring).
    const trainings = await Promise.all([
      startTraining(env.client, backend, config, { project: DEFAULT_PROJECT, data: DATASET, deploy: false, trigger: 'test' }),
      startTraining(env.client, backend, config, { project: PENGUINS, data: PENGUINS_CSV, deploy: false, trigger: 'test' }),
    ]);
    for (const t of trainings) {
      const report = await waitForTrainingReport(t.handle, (r) => r);
      assert.equal(report.status, 'completed', `${t.workflowId}: ${JSON.stringify(report.error)}`);
      assert.deepEqual(report.models.map((m) => [m.family, m.decision.outcome]), [['xgboost', 'accepted']], JSON.stringify(report.models.map((m) => m.decision)));
    }

    // Score: the demo's sample as it was trained on, the penguins with longer bills and flippers.
    const shifted = path.join(home, 'penguins-shifted.csv');
    await shiftedPenguins(shifted);
    const scorings = await Promise.all([
      startScoring(env.client, backend, config, { project: DEFAULT_PROJECT, data: CARS_SAMPLE, trigger: 'test' }),
      startScoring(env.client, backend, config, { project: PENGUINS, data: shifted, trigger: 'test' }),
    ]);
    for (const s of scorings) {
      const report = await waitForScoringReport(s.handle, (r) => r);
      assert.equal(report.status, 'completed', `${s.workflowId}: ${JSON.stringify(report)}`);
    }

    // Both projects monitored on schedules of their own, triggered now rather than waited for.
    const results = new Map<string, MonitoringResult>();
    await Promise.all(
      [DEFAULT_PROJECT, PENGUINS].map(async (project) => {
        await createMonitoringSchedule(env.client, config, { family: 'xgboost', project, every: '1h', createdBy: 'test' });
        const scheduleId = monitoringScheduleId('xgboost', project);
        await triggerSchedule(env.client, scheduleId);
        const run = await eventually(`the run of ${scheduleId}`, async () => (await describeSchedule(env.client, scheduleId)).recentActions[0], 30_000, 200);
        assert.ok(run.workflowId.startsWith(`${scheduleId}-`), run.workflowId);
        results.set(project, await env.client.workflow.getHandle(run.workflowId, run.runId).result());
      }),
    );
    assert.deepEqual([...results.keys()].sort(), [PENGUINS, DEFAULT_PROJECT].sort());
    assert.equal(monitoringScheduleId('xgboost', PENGUINS), 'monitoring-penguins-xgboost');
    const demo = results.get(DEFAULT_PROJECT)!;
    const penguins = results.get(PENGUINS)!;
    assert.equal(demo.filesRead, 1, JSON.stringify(demo));
    assert.equal(demo.outcome, 'no-drift', JSON.stringify(demo));
    assert.equal(penguins.filesRead, 1, JSON.stringify(penguins));
    assert.equal(penguins.outcome, 'drift', JSON.stringify(penguins));
    assert.ok(penguins.driftRecordsUri?.startsWith(`s3://${config.bucket}/projects/penguins/`), penguins.driftRecordsUri);

    // The alert reached the penguins' lifecycle only; the demo's lifecycle (told of its champion) saw none.
    const penguinsLifecycle = await eventually('the penguins alert in its lifecycle', async () => {
      const state = await readLifecycleState(env.client, 'xgboost', PENGUINS);
      return state && state.recentAlerts.length > 0 && state;
    }, 30_000, 100);
    assert.equal(penguinsLifecycle.project, PENGUINS);
    assert.deepEqual(penguinsLifecycle.recentAlerts.map((a) => [a.project, a.family]), [[PENGUINS, 'xgboost']]);
    assert.equal((await env.client.workflow.getHandle('lifecycle/penguins/xgboost').describe()).type, 'modelLifecycle');
    const demoLifecycle = await readLifecycleState(env.client, 'xgboost');
    assert.equal(demoLifecycle?.champion?.version, 1, 'the demo lifecycle runs, told of its champion');
    assert.deepEqual(demoLifecycle?.recentAlerts, [], "the penguins' alert did not reach the demo's lifecycle");

    // The dashboard's data API, filtered by each project.
    dashboard = buildDashboardServer({ backend, bucket: config.bucket, temporalUiUrl: (workflowId, runId) => temporalUiUrl(config, workflowId, runId) });
    const api = async <T>(route: string, project?: string): Promise<T> => {
      const response = await dashboard!.inject({ method: 'GET', url: `${route}${project ? `?project=${project}` : ''}` });
      assert.equal(response.statusCode, 200, `${route} ${project}: ${response.body}`);
      return response.json<T>();
    };
    const filters = await api<{ projects: string[] }>('/api/filters');
    assert.deepEqual(filters.projects, [PENGUINS, DEFAULT_PROJECT].sort());
    type Drift = { records: { project: string; monitoringWorkflowId: string; feature: string | null; checkType: string }[] };
    const drift = (await api<Drift>('/api/drift', PENGUINS)).records;
    assert.ok(drift.length > 0, 'the penguins drift rows');
    assert.ok(drift.every((r) => r.project === PENGUINS && r.monitoringWorkflowId.startsWith('monitoring-penguins-xgboost-')), JSON.stringify(drift));
    assert.ok(drift.some((r) => r.feature === 'bill_length_mm') && drift.some((r) => r.feature === 'flipper_length_mm'), JSON.stringify(drift.map((r) => r.feature)));
    // The prediction stands where the training rows had the (integer) label: its distribution may move with the inputs, its type (fractions) is no violation.
    assert.deepEqual(drift.filter((r) => r.feature === 'body_mass_g' && r.checkType === 'data_type_check'), []);
    assert.deepEqual((await api<Drift>('/api/drift', DEFAULT_PROJECT)).records, []);
    assert.equal((await api<Drift>('/api/drift')).records.length, drift.length);
    for (const project of [DEFAULT_PROJECT, PENGUINS]) {
      const scoring = (await api<{ records: { scoringWorkflowId: string; records: number }[] }>('/api/scoring', project)).records;
      assert.equal(scoring.length, 1, `${project}: ${JSON.stringify(scoring)}`);
      assert.equal(scoring[0]!.scoringWorkflowId.startsWith('scoring/penguins:'), project === PENGUINS, scoring[0]!.scoringWorkflowId);
      const models = (await api<{ versions: { family: string; version: number; runUrl: string }[] }>('/api/models', project)).versions;
      assert.deepEqual(models.map((m) => [m.family, m.version]), [['xgboost', 1]], `${project}: ${JSON.stringify(models)}`);
      assert.equal(decodeURIComponent(models[0]!.runUrl).includes('training/penguins:'), project === PENGUINS, models[0]!.runUrl);
    }
  });
});
