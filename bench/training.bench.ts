/**
 * `make bench-training`: the whole training pipeline on the demo dataset, for real (dev server,
 * local backend, Python jobs), with the product's default settings (job polling included). Each
 * measured run gets a fresh data dir, so every run does the full work (both models accepted, all
 * baselines). The targets cover steps 1-7 and 11 (no endpoints); `wallWithDeploymentSeconds` adds
 * steps 9-10 (model servers started and passing /ping). Prints progress, then one JSON object as
 * its last line; exits 1 when a target is missed.
 *
 * Orchestration overhead is wall time minus the critical path of the run's jobs: the heaviest
 * chain of jobs that ran one after another, from the start and end times the jobs recorded
 * (bench/lib/intervals.ts), so jobs a pipeline adds count without a list here. Jobs run in
 * parallel, so wall minus the *sum* of job times is negative and says nothing. The rest of the
 * wall time is split by cause along that path (bench/lib/run-timeline.ts), from the run's history
 * and the job records.
 *
 * The RMSE targets take the test-split RMSE the training job reported AND the one the run's
 * model-quality baseline measured by scoring the test split through the model's own serving
 * container: the two must agree, so a metric the job misreports cannot pass.
 */
import '../test/helpers/setup';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { type Worker } from '@temporalio/worker';
import { createBackend } from '../activities/backends';
import type { Backend } from '../activities/backends/types';
import { parseConfig, taskQueuesOf } from '../common/config/parse';
import { startTraining } from '../services/training/start-training';
import { waitForTrainingReport, type ModelReport } from '../client/training/report';
import { createWorkers } from '../workers/workers';
import { createLocalEnv } from '../test/helpers/temporal-env';
import { DATASET, freePortBase, releasePortBase, startEndpointHost, tempDir, testConfig } from '../test/helpers/integration';
import { bundleWorkflows } from '../test/helpers/workflow-bundle';
import { crashBench, finishBench, median, round } from './lib/report';
import { runTimeline, type OverheadBreakdown, type RecordedJob, type RunTimeline } from './lib/run-timeline';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const DEPLOY_RUNS = Number(process.env.BENCH_DEPLOY_RUNS ?? 3);
/** Runs that meet a champion (a second training of the same data in one data dir): what step 6's comparison on the same rows adds. */
const CHAMPION_RUNS = Number(process.env.BENCH_CHAMPION_RUNS ?? 2);
/** Jobs of step 6 against a champion: scoring both models on the same rows, the paired comparison, the data-shift check. */
const CHAMPION_CHECK_JOB = /^(compare|data-shift)-/;
const TARGETS = {
  wallSeconds: 20,
  overheadVsCriticalPathSeconds: 0.3,
  xgboostTestRmse: 2500,
  linearTestRmse: 3100,
  /** The training job's test RMSE and the model-quality baseline's, relative difference. */
  testRmseAgreement: 0.01,
};

async function recordedJobs(home: string): Promise<RecordedJob[]> {
  const out: RecordedJob[] = [];
  const time = (iso: string | undefined) => (iso ? Date.parse(iso) : undefined);
  for (const kind of ['processing', 'training', 'transform']) {
    const dir = path.join(home, 'jobs', kind);
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      const record = JSON.parse(await fs.readFile(path.join(dir, name, 'job.json'), 'utf8')) as {
        description: { startTime?: string; endTime?: string };
        exitNoticedTime?: string;
        finalizedTime?: string;
      };
      const start = time(record.description.startTime);
      const end = time(record.description.endTime);
      if (start === undefined || end === undefined) throw new Error(`job ${name} has no start or end time`);
      const noticed = time(record.exitNoticedTime);
      const finalized = time(record.finalizedTime);
      out.push({ name, start, end, ...(noticed !== undefined ? { noticed } : {}), ...(finalized !== undefined ? { finalized } : {}) });
    }
  }
  return out;
}

/** Test-split RMSE as the training job reported it, and as the model-quality baseline measured it. */
async function testRmse(backend: Backend, model: ModelReport): Promise<{ reported: number; measured: number }> {
  const reported = model.metrics?.test?.rmse;
  const statisticsUri = model.baselines.modelQuality?.statisticsUri;
  if (reported === undefined || !statisticsUri) throw new Error(`${model.family}: no test RMSE or no model-quality baseline`);
  const statistics = JSON.parse((await backend.objectStore.get(statisticsUri)).toString('utf8')) as { regression_metrics?: { rmse?: { value?: unknown } } };
  const measured = statistics.regression_metrics?.rmse?.value;
  if (typeof measured !== 'number') throw new Error(`${statisticsUri}: no regression_metrics.rmse.value`);
  return { reported, measured };
}

interface Sample {
  timeline: RunTimeline;
  rmse: Record<'xgboost' | 'linear-learner', { reported: number; measured: number }>;
}

/**
 * The workers stay up across runs, as the stack's worker does; each run points them at a backend on
 * its own data dir (activities read the backend's parts when they run, not when they are made).
 */
function switchableBackend(): { backend: Backend; use: (b: Backend) => void } {
  let current: Backend | undefined;
  const backend = new Proxy({} as Backend, {
    get: (_target, key) => {
      if (!current) throw new Error('no run is going on');
      return Reflect.get(current, key) as unknown;
    },
  });
  return { backend, use: (b) => (current = b) };
}

async function main(): Promise<void> {
  const env = await createLocalEnv();
  const bundle = await bundleWorkflows();
  const runs: Sample[] = [];
  const deployWalls: number[] = [];
  const championRuns: { wallSeconds: number; checkOnCriticalPathSeconds: number; checkJobSeconds: number }[] = [];
  const empty = await tempDir('bench-defaults');
  // The product's own default (a run of `mlops stack up` has no MLOPS_JOB_POLL_MS), not the tests' faster one.
  const productPollMs = parseConfig({}, empty).jobPollIntervalMs;
  // One task queue suffix for every run: the workers serve them all.
  const { taskQueueSuffix } = testConfig({ home: empty });
  const queues = taskQueuesOf({ taskQueueSuffix });
  const switchable = switchableBackend();
  const created = performance.now();
  const workers: Worker[] = await createWorkers({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueues: queues,
    backend: switchable.backend,
    pollIntervalMs: productPollMs,
    workflowBundle: bundle,
  });
  const coldWorker = { createSeconds: (performance.now() - created) / 1000, firstRunOverheadSeconds: NaN, firstWorkflowTaskSeconds: NaN, warmFirstWorkflowTaskSeconds: [] as number[] };
  const running = Promise.all(workers.map((w) => w.run()));
  try {
    // Run 0 is the first on fresh workers (cold workflow code, Python bytecode, page cache): reported
    // apart, not counted. Then steps 1-7 and 11 (the targets' scope), then whole runs with endpoints (steps 8-10).
    for (let i = 0; i <= RUNS + DEPLOY_RUNS; i++) {
      const deploy = i > RUNS;
      const home = await tempDir('bench');
      const config = { ...testConfig({ home, portBase: await freePortBase() }), taskQueueSuffix, jobPollIntervalMs: productPollMs };
      const endpointHost = deploy ? await startEndpointHost(config) : undefined;
      const backend = createBackend(config);
      switchable.use(backend);
      try {
        const t0 = Date.now();
        const started = await startTraining(env.client, backend, config, { data: DATASET, newRun: true, deploy, trigger: 'bench' });
        const report = await waitForTrainingReport(started.handle, (r) => r);
        const tDone = Date.now();
        const wall = (tDone - t0) / 1000;
        if (report.status !== 'completed') throw new Error(`run failed: ${report.error?.message}`);
        if (!report.models.every((m) => m.decision.outcome === 'accepted')) throw new Error('a fresh data dir must accept both models');
        if (deploy) {
          deployWalls.push(wall);
          console.error(`with deployment ${deployWalls.length}/${DEPLOY_RUNS}: wall ${wall.toFixed(2)} s`);
          continue;
        }
        const timeline = runTimeline(t0, tDone, await started.handle.fetchHistory(), await recordedJobs(home));
        const model = (family: string) => report.models.find((m) => m.family === family)!;
        const sample: Sample = { timeline, rmse: { xgboost: await testRmse(backend, model('xgboost')), 'linear-learner': await testRmse(backend, model('linear-learner')) } };
        if (i > 0) {
          runs.push(sample);
          coldWorker.warmFirstWorkflowTaskSeconds.push(timeline.firstWorkflowTaskMs / 1000);
        } else {
          coldWorker.firstRunOverheadSeconds = (timeline.wallMs - timeline.criticalPath.ms) / 1000;
          coldWorker.firstWorkflowTaskSeconds = timeline.firstWorkflowTaskMs / 1000;
        }
        const t = timeline;
        const o = t.overheadMs;
        console.error(
          `${i === 0 ? 'first run on fresh workers' : `run ${i}/${RUNS}`}: wall ${(t.wallMs / 1000).toFixed(2)} s, critical path ${(t.criticalPath.ms / 1000).toFixed(2)} s ` +
            `(${t.criticalPath.jobs.length} jobs), overhead ${((t.wallMs - t.criticalPath.ms) / 1000).toFixed(3)} s = ` +
            Object.entries(o)
              .map(([k, v]) => `${k} ${v.toFixed(0)}`)
              .join(', ') +
            ' ms',
        );
      } finally {
        await endpointHost?.stop();
        releasePortBase(config.portBase);
        await fs.rm(home, { recursive: true, force: true });
      }
    }
    // A run that meets a champion: the first training in a data dir makes the champions, the second
    // (same data) is measured. Its step 6 scores both models on the same rows and compares them.
    for (let i = 0; i < CHAMPION_RUNS; i++) {
      const home = await tempDir('bench-champion');
      const config = { ...testConfig({ home, portBase: await freePortBase() }), taskQueueSuffix, jobPollIntervalMs: productPollMs };
      const backend = createBackend(config);
      switchable.use(backend);
      try {
        const first = await startTraining(env.client, backend, config, { data: DATASET, newRun: true, deploy: false, trigger: 'bench' });
        await waitForTrainingReport(first.handle, (r) => r);
        const t0 = Date.now();
        const started = await startTraining(env.client, backend, config, { data: DATASET, newRun: true, deploy: false, trigger: 'bench' });
        const report = await waitForTrainingReport(started.handle, (r) => r);
        const tDone = Date.now();
        if (report.status !== 'completed') throw new Error(`run with a champion failed: ${report.error?.message}`);
        const jobs = (await recordedJobs(home)).filter((j) => j.start >= t0);
        const timeline = runTimeline(t0, tDone, await started.handle.fetchHistory(), jobs);
        const checkJobs = jobs.filter((j) => CHAMPION_CHECK_JOB.test(j.name));
        if (checkJobs.length === 0) throw new Error('a run with a champion ran no comparison job');
        const onPath = new Set(timeline.criticalPath.jobs.filter((name) => CHAMPION_CHECK_JOB.test(name)));
        const seconds = (list: typeof jobs) => list.reduce((sum, j) => sum + (j.end - j.start), 0) / 1000;
        championRuns.push({ wallSeconds: (tDone - t0) / 1000, checkOnCriticalPathSeconds: seconds(checkJobs.filter((j) => onPath.has(j.name))), checkJobSeconds: seconds(checkJobs) });
        console.error(`with a champion ${i + 1}/${CHAMPION_RUNS}: wall ${((tDone - t0) / 1000).toFixed(2)} s, ${checkJobs.length} comparison jobs, ${championRuns.at(-1)!.checkOnCriticalPathSeconds.toFixed(2)} s of them on the critical path`);
      } finally {
        releasePortBase(config.portBase);
        await fs.rm(home, { recursive: true, force: true });
      }
    }
  } finally {
    for (const w of workers) w.shutdown();
    await running;
    await env.teardown();
    await fs.rm(empty, { recursive: true, force: true });
  }
  const of = (f: (s: Sample) => number) => runs.map(f);
  const wall = of((s) => s.timeline.wallMs / 1000);
  const overhead = of((s) => (s.timeline.wallMs - s.timeline.criticalPath.ms) / 1000);
  const breakdown = Object.fromEntries(
    (Object.keys(runs[0]?.timeline.overheadMs ?? {}) as (keyof OverheadBreakdown)[]).map((k) => [k, round(median(of((s) => s.timeline.overheadMs[k] / 1000)))]),
  );
  const rmse = (family: 'xgboost' | 'linear-learner') => ({
    // The worst run decides (the data and seed are fixed, so every run should agree).
    reported: Math.max(...of((s) => s.rmse[family].reported)),
    measured: Math.max(...of((s) => s.rmse[family].measured)),
    disagreement: Math.max(...of((s) => Math.abs(s.rmse[family].reported - s.rmse[family].measured) / s.rmse[family].measured)),
  });
  const xgb = rmse('xgboost');
  const lin = rmse('linear-learner');
  const within = (v: number, max: number) => runs.length > 0 && Number.isFinite(v) && v > 0 && v <= max;
  finishBench({
    benchmark: 'training',
    figures: {
      runs: runs.length,
      jobPollIntervalMs: productPollMs,
      workers: {
        createSeconds: round(coldWorker.createSeconds),
        firstRunOverheadSeconds: round(coldWorker.firstRunOverheadSeconds),
        firstWorkflowTaskSeconds: round(coldWorker.firstWorkflowTaskSeconds),
        warmFirstWorkflowTaskSeconds: round(median(coldWorker.warmFirstWorkflowTaskSeconds)),
      },
      wallSeconds: { median: round(median(wall)), min: round(Math.min(...wall)), max: round(Math.max(...wall)) },
      jobSecondsSum: round(median(of((s) => s.timeline.jobSumMs / 1000))),
      jobSecondsUnion: round(median(of((s) => s.timeline.jobUnionMs / 1000))),
      criticalPathJobSeconds: round(median(of((s) => s.timeline.criticalPath.ms / 1000))),
      criticalPathJobs: runs[0]?.timeline.criticalPath.jobs.map((j) => j.replace(/-[0-9a-f]{12}(?=-|$)/, '')) ?? [],
      overheadVsCriticalPathSeconds: { median: round(median(overhead)), min: round(Math.min(...overhead)), max: round(Math.max(...overhead)) },
      overheadBreakdownSeconds: breakdown,
      wallWithDeploymentSeconds: deployWalls.length ? round(median(deployWalls)) : null,
      // Reported, not a target: what meeting a champion adds to a run (issue 14).
      withChampion: championRuns.length
        ? {
            runs: championRuns.length,
            wallSeconds: round(median(championRuns.map((r) => r.wallSeconds))),
            comparisonJobsOnCriticalPathSeconds: round(median(championRuns.map((r) => r.checkOnCriticalPathSeconds))),
            comparisonJobSecondsSum: round(median(championRuns.map((r) => r.checkJobSeconds))),
            addedWallSecondsVsFreshRun: round(median(championRuns.map((r) => r.wallSeconds)) - median(wall)),
          }
        : null,
      xgboostTestRmse: { reportedByJob: round(xgb.reported), measuredByBaseline: round(xgb.measured) },
      linearTestRmse: { reportedByJob: round(lin.reported), measuredByBaseline: round(lin.measured) },
      testRmseDisagreement: round(Math.max(xgb.disagreement, lin.disagreement)),
    },
    targets: TARGETS,
    checks: {
      wallSeconds: within(median(wall), TARGETS.wallSeconds),
      overheadVsCriticalPathSeconds: runs.length > 0 && median(overhead) >= 0 && median(overhead) <= TARGETS.overheadVsCriticalPathSeconds,
      xgboostTestRmse: within(Math.max(xgb.reported, xgb.measured), TARGETS.xgboostTestRmse),
      linearTestRmse: within(Math.max(lin.reported, lin.measured), TARGETS.linearTestRmse),
      testRmseAgreement: runs.length > 0 && Math.max(xgb.disagreement, lin.disagreement) <= TARGETS.testRmseAgreement,
    },
  });
}

main().catch(crashBench);
