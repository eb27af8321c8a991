/**
 * `make bench-monitoring`: the monitoring pipeline for real (dev server, local backend, Model
 * Monitor's data-quality job as a Python process) over real-time capture files in SageMaker's
 * layout, built from the demo dataset's rows.
 *
 * 1. "alone": a run over 10,000 new records, nothing consolidated before.
 * 2. "1M": a run over 1,000,000 new records (the data-drift target).
 * 3. "incremental": a run over 10,000 new records with the 1,010,000 above already consolidated;
 *    its cost must stay within 2x of "alone".
 * Prints progress, then one JSON object as its last line.
 */
import '../test/helpers/setup';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { createBackend } from '../activities/backends';
import { readChampion, writeChampion } from '../activities/registry/champion-store';
import type { MonitoringInput, MonitoringResult } from '../common/types/monitoring';
import { defaultMonitoringConfig } from '../client/schedules/monitoring-schedule';
import { startTraining } from '../services/training/start-training';
import { waitForTrainingReport } from '../client/training/report';
import { monitoringPipeline } from '../workflows';
import { createLocalEnv } from '../test/helpers/temporal-env';
import { runWorkers, type RunningWorkers } from '../test/helpers/workers';
import { DATASET, tempDir, testConfig } from '../test/helpers/integration';

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000);
const INCREMENT = Number(process.env.BENCH_INCREMENT ?? 10_000);
const PER_FILE = 1000;
const TARGETS = { dataDriftSeconds: 30, incrementalRatio: 2 };
const round = (v: number) => Math.round(v * 1000) / 1000;

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
    const monitor = async (label: string): Promise<{ seconds: number; jobSeconds: number; result: MonitoringResult }> => {
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
      process.stderr.write(`${label}: ${result.filesRead} files, ${result.outcome}, ${seconds.toFixed(2)} s (data-quality job ${jobSeconds.toFixed(2)} s)\n`);
      return { seconds, jobSeconds, result };
    };

    // Captured long enough ago that every file is settled.
    const base = Date.UTC(2026, 0, 1);
    await writeCapture(home, endpoint, new Date(base), INCREMENT, lines, 'alone');
    const alone = await monitor(`alone (${INCREMENT} records)`);
    process.stderr.write(`writing ${RECORDS} capture records...\n`);
    await writeCapture(home, endpoint, new Date(base + 3600_000), RECORDS, lines, 'bulk');
    const bulk = await monitor(`bulk (${RECORDS} records)`);
    await writeCapture(home, endpoint, new Date(base + 40 * 24 * 3600_000), INCREMENT, lines, 'increment');
    const incremental = await monitor(`incremental (${INCREMENT} new, ${RECORDS + INCREMENT} consolidated)`);

    const ratio = incremental.seconds / alone.seconds;
    const figures = {
      records: RECORDS,
      dataDriftSeconds: round(bulk.seconds),
      dataDriftJobSeconds: round(bulk.jobSeconds),
      aloneSeconds: round(alone.seconds),
      incrementalSeconds: round(incremental.seconds),
      incrementalRatio: round(ratio),
      filesRead: { alone: alone.result.filesRead, bulk: bulk.result.filesRead, incremental: incremental.result.filesRead },
    };
    const pass = bulk.seconds <= TARGETS.dataDriftSeconds && ratio <= TARGETS.incrementalRatio && incremental.result.filesRead === Math.ceil(INCREMENT / PER_FILE);
    console.log(JSON.stringify({ bench: 'monitoring', ...figures, targets: TARGETS, pass }));
  } finally {
    await workers?.stop();
    await env.teardown();
    await fs.rm(home, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});
