/**
 * `make bench-monitoring`: the monitoring pipeline for real (dev server, local backend, Model
 * Monitor's data-quality job as a Python process) over real-time capture files in SageMaker's
 * layout, built from the demo dataset's rows.
 *
 * 0. "warm-up": a run over 10,000 new records, not counted (the first run pays for cold caches:
 *    Python imports, the workflow code, the page cache), so the baseline below is a warm run too.
 * 1. "alone": runs over 10,000 new records each, little consolidated before (the baseline).
 * 2. "1M": a run over 1,000,000 new records (the data-drift target).
 * 3. "incremental": runs over 10,000 new records each with the 1,000,000 above already
 *    consolidated; their cost must stay within 2x of "alone" (medians of the same number of runs).
 * Every run must read exactly the capture files written for it and its data-quality job must
 * count exactly the records in them, with no drift found (the capture is the training data), so a
 * run that skips data cannot pass. Prints progress, then one JSON object as its last line; exits 1
 * when a target is missed.
 */
import '../test/helpers/setup';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createBackend } from '../activities/backends';
import type { Backend } from '../activities/backends/types';
import { readChampion, writeChampion } from '../activities/registry/champion-store';
import type { MonitoringInput, MonitoringResult } from '../common/types/monitoring';
import { defaultMonitoringConfig } from '../client/schedules/monitoring-schedule';
import { startTraining } from '../services/training/start-training';
import { waitForTrainingReport } from '../client/training/report';
import { monitoringPipeline } from '../workflows';
import { createLocalEnv } from '../test/helpers/temporal-env';
import { runWorkers, type RunningWorkers } from '../test/helpers/workers';
import { DATASET, tempDir, testConfig } from '../test/helpers/integration';
import { crashBench, finishBench, median, round } from './lib/report';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const INCREMENT = Number(process.env.BENCH_INCREMENT ?? 10_000);
/** Measured runs of "alone" and of "incremental" (medians). */
const REPEATS = Number(process.env.BENCH_REPEATS ?? 2);
const PER_FILE = 1000;
const TARGETS = { dataDriftSeconds: 30, incrementalRatio: 2 };
/** Capture lines from the dataset's rows: its features as the request, its price as the response (no drift by construction). */
async function captureLines(): Promise<string[]> {
  const rows = (await fs.readFile(DATASET, 'utf8')).trim().split('\n').slice(1);
  return rows.map((row) => {
    const [, price, ...rest] = row.split(',');
    const features = rest.join(',');
    return JSON.stringify({
      captureData: {
        endpointInput: { observedContentType: 'text/csv', mode: 'INPUT', data: features, encoding: 'CSV' },
        endpointOutput: { observedContentType: 'text/csv; charset=utf-8', mode: 'OUTPUT', data: `${price}\n`, encoding: 'CSV' },
      },
      eventMetadata: { eventId: randomUUID(), inferenceId: randomUUID(), inferenceTime: '2026-01-01T00:00:00Z' },
      eventVersion: '0',
    });
  });
}

/** Writes `records` requests as capture files of PER_FILE lines, one file per minute from `start`, straight into the local store's dir. */
async function writeCapture(home: string, endpoint: string, start: Date, records: number, lines: string[], tag: string): Promise<void> {
  const files = Math.ceil(records / PER_FILE);
  const p = (n: number) => String(n).padStart(2, '0');
  for (let f = 0; f < files; f++) {
    const t = new Date(start.getTime() + f * 60_000);
    const dir = path.join(home, 'objects', 'mlops', 'capture', endpoint, 'AllTraffic', String(t.getUTCFullYear()), p(t.getUTCMonth() + 1), p(t.getUTCDate()), p(t.getUTCHours()));
    await fs.mkdir(dir, { recursive: true });
    const n = Math.min(PER_FILE, records - f * PER_FILE);
    const body = Array.from({ length: n }, (_, i) => lines[(f * PER_FILE + i) % lines.length]).join('\n') + '\n';
    await fs.writeFile(path.join(dir, `${p(t.getUTCMinutes())}-00-000-${tag}-${f}.jsonl`), body);
  }
}

interface Measured {
  label: string;
  seconds: number;
  jobSeconds: number;
  result: MonitoringResult;
  /** Capture files written for this run, and the records in them. */
  files: number;
  records: number;
  /** Records the run's data-quality job counted (its statistics.json), or null without a report. */
  analyzed: number | null;
}

async function main(): Promise<void> {
  const home = await tempDir('bench-monitoring');
  const env = await createLocalEnv();
  const config = testConfig({ home });
  const backend = createBackend(config);
  let workers: RunningWorkers | undefined;
  try {
    workers = await runWorkers(env, config, backend, { lifecycle: true });
    process.stderr.write('training the champion (baselines)...\n');
    const trained = await startTraining(env.client, backend, config, { data: DATASET, deploy: false, trigger: 'bench' });
    await waitForTrainingReport(trained.handle, (r) => r);
    const endpoint = 'mlops-xgboost';
    const champion = await readChampion(backend.parameters, 'xgboost');
    await writeChampion(backend.parameters, { ...champion!, endpointName: endpoint });
    const lines = await captureLines();
    const input: MonitoringInput = { family: 'xgboost', trigger: 'bench', config: defaultMonitoringConfig(config) };
    let n = 0;
    // Captured long enough ago that every file is settled; each run's files get hours of their own.
    const base = Date.UTC(2026, 0, 1);
    let hour = 0;
    const monitor = async (label: string, records: number): Promise<Measured> => {
      const start = new Date(base + hour * 3600_000);
      hour += Math.ceil(records / PER_FILE / 60) + 1;
      if (records > INCREMENT) process.stderr.write(`writing ${records} capture records...\n`);
      await writeCapture(home, endpoint, start, records, lines, `run${n + 1}`);
      const started = Date.now();
      const result = await env.client.workflow.execute(monitoringPipeline, { taskQueue: input.config.taskQueues.orchestration, workflowId: `monitoring-xgboost/bench-${++n}`, args: [input] });
      const seconds = (Date.now() - started) / 1000;
      const jobs = path.join(home, 'jobs', 'processing');
      let jobSeconds = 0;
      for (const name of await fs.readdir(jobs)) {
        if (!name.startsWith('monitor-')) continue;
        const record = JSON.parse(await fs.readFile(path.join(jobs, name, 'job.json'), 'utf8')) as { description: { startTime: string; endTime: string } };
        if (Date.parse(record.description.startTime) >= started) jobSeconds += (Date.parse(record.description.endTime) - Date.parse(record.description.startTime)) / 1000;
      }
      const analyzed = await analyzedRecords(backend, result);
      const measured = { label, seconds, jobSeconds, result, files: Math.ceil(records / PER_FILE), records, analyzed };
      process.stderr.write(`${label}: ${result.filesRead}/${measured.files} files, ${analyzed ?? 'no'}/${records} records analyzed, ${result.outcome}, ${seconds.toFixed(2)} s (data-quality job ${jobSeconds.toFixed(2)} s)\n`);
      return measured;
    };

    const runs: Measured[] = [];
    runs.push(await monitor(`warm-up (${INCREMENT} records, not counted)`, INCREMENT));
    const alone: Measured[] = [];
    for (let i = 0; i < REPEATS; i++) alone.push(await monitor(`alone ${i + 1}/${REPEATS} (${INCREMENT} records)`, INCREMENT));
    const bulk = await monitor(`bulk (${RECORDS} records)`, RECORDS);
    const incremental: Measured[] = [];
    for (let i = 0; i < REPEATS; i++) incremental.push(await monitor(`incremental ${i + 1}/${REPEATS} (${INCREMENT} new, ${RECORDS + (1 + REPEATS + i) * INCREMENT} consolidated before)`, INCREMENT));
    runs.push(...alone, bulk, ...incremental);

    const aloneSeconds = median(alone.map((r) => r.seconds));
    const incrementalSeconds = median(incremental.map((r) => r.seconds));
    const ratio = incrementalSeconds / aloneSeconds;
    const readAll = runs.every((r) => r.result.filesRead === r.files);
    const analyzedAll = runs.every((r) => r.analyzed === r.records);
    finishBench({
      benchmark: 'monitoring',
      figures: {
        records: RECORDS,
        dataDriftSeconds: round(bulk.seconds),
        dataDriftJobSeconds: round(bulk.jobSeconds),
        aloneSeconds: round(aloneSeconds),
        incrementalSeconds: round(incrementalSeconds),
        incrementalRatio: round(ratio),
        runs: runs.map((r) => ({ run: r.label, seconds: round(r.seconds), filesRead: r.result.filesRead, filesWritten: r.files, recordsAnalyzed: r.analyzed, recordsWritten: r.records, outcome: r.result.outcome })),
      },
      targets: { ...TARGETS, filesRead: 'every run reads exactly the files captured for it', recordsAnalyzed: 'its data-quality job counts exactly their records', outcome: 'no-drift' },
      checks: {
        dataDriftSeconds: bulk.seconds <= TARGETS.dataDriftSeconds,
        incrementalRatio: Number.isFinite(ratio) && ratio <= TARGETS.incrementalRatio,
        filesRead: readAll,
        recordsAnalyzed: analyzedAll,
        outcome: runs.every((r) => r.result.outcome === 'no-drift'),
      },
    });
  } finally {
    await workers?.stop();
    await env.teardown();
    await fs.rm(home, { recursive: true, force: true });
  }
}

/** The record count of the run's data-quality report (Model Monitor's statistics.json: dataset.item_count). */
async function analyzedRecords(backend: Backend, result: MonitoringResult): Promise<number | null> {
  if (!result.dataQuality) return null;
  const uri = `${result.dataQuality.reportUri.replace(/\/$/, '')}/statistics.json`;
  const statistics = JSON.parse((await backend.objectStore.get(uri)).toString('utf8')) as { dataset?: { item_count?: unknown } };
  const count = statistics.dataset?.item_count;
  return typeof count === 'number' ? count : null;
}

main().catch(crashBench);
