/**
 * `make bench-webhook`: the S3-event webhook (client/webhook/main.ts, its own process, as the
 * stack runs it) with the real Temporal starter against a real dev server, driven by autocannon
 * with DISTINCT events: every request is a new object (key, ETag, sequencer), so every accepted
 * request is one StartWorkflowExecution. Then, to see where the time goes:
 * - the webhook's own overhead: the same server with a starter that starts nothing (labelled so);
 * - Temporal alone: the real starter called in-process, no HTTP, concurrently and one at a time.
 * Progress goes to stderr; the last stdout line is one JSON object.
 */
import '../test/helpers/setup';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { openSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { Client } from '@temporalio/client';
import { createBackend } from '../activities/backends';
import { REPO_ROOT } from '../common/config/parse';
import { stackPorts } from '../common/config/schema';
import { defaultRoutes } from '../client/webhook/routes';
import { createTemporalStarter } from '../client/webhook/start-run';
import { minioEvent } from '../client/cli/commands/data';
import { pollUntil } from '../test/helpers/temp-dir';
import { createLocalEnv } from '../test/helpers/temporal-env';
import { freePortBase, tempDir, testConfig } from '../test/helpers/integration';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const DIRECT_STARTS = Number(process.env.BENCH_DIRECT_STARTS ?? 3000);
/**
 * `file`: SQLite on disk with the CLI's default pragmas, as `mlops stack up` runs the dev server;
 * `file-wal`: the same with journal_mode=WAL and synchronous=NORMAL; `memory`: the test default.
 */
const TEMPORAL_DB = (['file', 'file-wal', 'memory'] as const).find((m) => m === process.env.BENCH_TEMPORAL_DB) ?? 'file';
const DB_OPTIONS = (home: string) =>
  TEMPORAL_DB === 'memory'
    ? {}
    : { dbFilename: path.join(home, 'temporal.db'), ...(TEMPORAL_DB === 'file-wal' ? { extraArgs: ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'] } : {}) };
const TARGETS = { eventsPerSecond: 1000, p99Ms: 50 };
/** Accepting is fast and starting is bounded by the dev server: keep the queued load short. */
const QUEUED_SECONDS = Number(process.env.BENCH_QUEUED_SECONDS ?? 5);
const DRAIN_WINDOW_SECONDS = Number(process.env.BENCH_DRAIN_WINDOW_SECONDS ?? 20);
const TOKEN = 'bench-token-0123456789abcdef';

const log = (m: string) => console.error(m);
const round = (v: number, digits = 2) => Number(v.toFixed(digits));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Distinct object versions: a new key, ETag and sequencer each call. */
function eventFactory(bucket: string, tag: string) {
  let n = 0;
  return () => {
    n += 1;
    const key = `training/bench-${tag}/cars ${n}.csv`;
    const etag = createHash('md5').update(`${tag}/${n}`).digest('hex');
    return { key, etag, body: JSON.stringify(minioEvent(bucket, key, { size: 81234, etag, contentType: 'text/csv' })) };
  };
}

async function startService(entry: string, env: NodeJS.ProcessEnv, logFile: string, url: string): Promise<ChildProcess> {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, entry)], { env, stdio: ['ignore', fd, fd], cwd: REPO_ROOT });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`${entry} exited with ${code}; see ${logFile}`))));
  exited.catch(() => undefined);
  await Promise.race([
    exited,
    pollUntil(
      () => fetch(`${url}/ping`).then((r) => r.ok, () => false),
      (ok) => ok,
      { timeoutMs: 60_000, intervalMs: 100 },
    ),
  ]);
  return child;
}

async function stopService(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const done = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await done;
}

interface LoadResult {
  eventsPerSecond: number;
  accepted: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

async function drive(url: string, nextEvent: () => { body: string }, seconds: number): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/hooks/minio',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        setupRequest: (request) => ({ ...request, body: nextEvent().body }),
      },
    ],
  });
  return {
    eventsPerSecond: Math.round(result['2xx'] / seconds),
    accepted: result['2xx'],
    latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

/** Executions of the training workflow per visibility, read until the count stops moving. */
async function settledCount(client: Client, query: string): Promise<number> {
  const readings: number[] = [];
  await pollUntil(
    async () => {
      readings.push((await client.workflow.count(query)).count);
      return readings;
    },
    (r) => r.length >= 5 && new Set(r.slice(-5)).size === 1,
    { timeoutMs: 120_000, intervalMs: 200 },
  );
  return readings[readings.length - 1]!;
}

async function main(): Promise<void> {
  const home = await tempDir('bench-webhook');
  const env = await createLocalEnv(DB_OPTIONS(home));
  const portBase = await freePortBase();
  const config = testConfig({ home, portBase, temporalAddress: env.address });
  const url = `http://127.0.0.1:${stackPorts(portBase).webhook}`;
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    MLOPS_HOME: home,
    MLOPS_PORT_BASE: String(portBase),
    MLOPS_TEMPORAL_ADDRESS: env.address,
    MLOPS_TASK_QUEUE_SUFFIX: config.taskQueueSuffix,
    MLOPS_WEBHOOK_TOKEN: TOKEN,
    MLOPS_WEBHOOK_DISPATCH: process.env.MLOPS_WEBHOOK_DISPATCH ?? 'queued',
  };
  const runTag = Date.now().toString(36);
  log(`dev server at ${env.address} (${TEMPORAL_DB} database), ${os.cpus().length} cores, ${CONNECTIONS} connections, ${SECONDS} s per load`);
  try {
    // 1. The webhook's own overhead: a starter that starts nothing.
    log('webhook with a NO-OP starter (its own overhead; nothing is started)');
    const noopChild = await startService('bench/webhook-noop-target.ts', childEnv, path.join(home, 'noop.log'), url);
    const noopEvents = eventFactory(config.bucket, `${runTag}-noop`);
    await drive(url, noopEvents, WARMUP_SECONDS);
    const noop = await drive(url, noopEvents, SECONDS);
    await stopService(noopChild);
    log(`  ${noop.eventsPerSecond} events/s, p50 ${noop.latencyMs.p50} ms, p99 ${noop.latencyMs.p99} ms, non-2xx ${noop.non2xx}, errors ${noop.errors}`);

    // 2. The real thing: client/webhook/main.ts as the stack runs it (queued dispatch: each event is
    //    journaled and answered, then started at the pace the dev server takes starts).
    log(`webhook (client/webhook/main.ts, dispatch ${childEnv.MLOPS_WEBHOOK_DISPATCH}) with the real Temporal starter`);
    const child = await startService('client/webhook/main.ts', childEnv, path.join(home, 'webhook.log'), url);
    const events = eventFactory(config.bucket, `${runTag}-real`);
    const warm = await drive(url, events, WARMUP_SECONDS);
    const real = await drive(url, events, QUEUED_SECONDS);
    log(`  ${real.eventsPerSecond} events/s accepted, p50 ${real.latencyMs.p50} ms, p90 ${real.latencyMs.p90} ms, p99 ${real.latencyMs.p99} ms, max ${real.latencyMs.max} ms, non-2xx ${real.non2xx}, errors ${real.errors}`);
    const accepted = warm.accepted + real.accepted;
    const query = `WorkflowType = 'trainingPipeline' AND WorkflowId STARTS_WITH 'training/${config.bucket}/training/bench-${runTag}-real/'`;
    // Starting is bounded by the dev server: measure the dispatch rate over a window instead of
    // waiting for thousands of starts; what is not started yet stays journaled.
    log(`  measuring dispatch for ${DRAIN_WINDOW_SECONDS} s`);
    const windowStart = Date.now();
    const before = (await env.client.workflow.count(query)).count;
    await new Promise((r) => setTimeout(r, DRAIN_WINDOW_SECONDS * 1000));
    const after = (await env.client.workflow.count(query)).count;
    const startsPerSecond = Math.round((after - before) / ((Date.now() - windowStart) / 1000));
    await stopService(child);
    const executions = await settledCount(env.client, query);
    const journaled = (await fs.readFile(path.join(home, 'webhook', 'inbox.jsonl'), 'utf8')).split('\n').filter((l) => l.trim()).length;
    // autocannon stops with up to one request in flight per connection: accepted, never counted.
    const inFlight = 2 * CONNECTIONS;
    const noLossNoDuplicate = journaled >= accepted && journaled <= accepted + inFlight && executions <= journaled;
    const dispatch = { journaled, executions, startsPerSecond, drainSecondsAtThatRate: Math.round(journaled / Math.max(1, startsPerSecond)) };
    log(`  ${accepted} events accepted (with warm-up), ${journaled} journaled, ${executions} runs started so far (${startsPerSecond} starts/s); the rest stays journaled`);

    // 3. Where the time goes: the same starter in this process, no HTTP in between.
    log(`Temporal alone: ${DIRECT_STARTS} starts through createTemporalStarter, ${CONNECTIONS} at a time, then 500 one at a time`);
    const starter = createTemporalStarter({ client: env.client, backend: createBackend(config), config });
    const route = defaultRoutes(config.bucket)[0]!;
    const direct = eventFactory(config.bucket, `${runTag}-direct`);
    const startOne = async (): Promise<number> => {
      const { key, etag } = direct();
      const t0 = process.hrtime.bigint();
      await starter(route, { source: 'minio', bucket: config.bucket, key, etag, eventName: 'ObjectCreated:Put' });
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    const concurrentLatencies: number[] = [];
    let issued = 0;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (issued < DIRECT_STARTS) {
          issued += 1;
          concurrentLatencies.push(await startOne());
        }
      }),
    );
    const concurrentSeconds = (Date.now() - t0) / 1000;
    const sequentialLatencies: number[] = [];
    for (let i = 0; i < 500; i++) sequentialLatencies.push(await startOne());
    concurrentLatencies.sort((a, b) => a - b);
    sequentialLatencies.sort((a, b) => a - b);
    const directFigures = {
      concurrent: { connections: CONNECTIONS, startsPerSecond: Math.round(DIRECT_STARTS / concurrentSeconds), latencyMs: { p50: round(percentile(concurrentLatencies, 50)), p99: round(percentile(concurrentLatencies, 99)) } },
      oneAtATime: { startsPerSecond: Math.round(1000 / (sequentialLatencies.reduce((s, v) => s + v, 0) / sequentialLatencies.length)), latencyMs: { p50: round(percentile(sequentialLatencies, 50)), p99: round(percentile(sequentialLatencies, 99)) } },
    };
    log(`  concurrent: ${directFigures.concurrent.startsPerSecond} starts/s, p50 ${directFigures.concurrent.latencyMs.p50} ms, p99 ${directFigures.concurrent.latencyMs.p99} ms; one at a time: p50 ${directFigures.oneAtATime.latencyMs.p50} ms`);

    const checks = {
      eventsPerSecond: real.eventsPerSecond >= TARGETS.eventsPerSecond,
      p99Ms: real.latencyMs.p99 <= TARGETS.p99Ms,
      noErrors: real.non2xx === 0 && real.errors === 0 && real.timeouts === 0,
      noLossNoDuplicate,
    };
    console.log(
      JSON.stringify({
        benchmark: 'webhook',
        figures: {
          cores: os.cpus().length,
          temporalDatabase: TEMPORAL_DB,
          connections: CONNECTIONS,
          seconds: SECONDS,
          dispatch: childEnv.MLOPS_WEBHOOK_DISPATCH,
          temporalStarter: { ...real, executionsInVisibility: executions, acceptedWithWarmup: accepted, ...dispatch },
          noopStarterWebhookOverhead: noop,
          temporalAloneNoHttp: directFigures,
        },
        targets: TARGETS,
        checks,
        pass: Object.values(checks).every(Boolean),
      }),
    );
  } finally {
    await env.teardown();
    await fs.rm(home, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});

