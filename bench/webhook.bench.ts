/**
 * `make bench-webhook`: the S3-event webhook (client/webhook/main.ts, its own process, as the
 * stack runs it: durable inbox, ETag check against the object store) with the real Temporal
 * starter against a real dev server, driven by autocannon. Phases:
 * 1. baseline: the same service with a starter that starts nothing (bench/webhook-noop-target.ts),
 *    so it pays the journal, the fsync and the ETag check like the real one; same load;
 * 2. throughput: distinct events (a new object each: key, ETag) for the real webhook; every
 *    acknowledged event must be in its journal;
 * 3. exactly once: a bounded burst of D objects, each delivered three times (MinIO format, the same
 *    bytes again, S3 format with a quoted upper-case ETag), shuffled, with the webhook killed
 *    (SIGKILL) halfway and restarted; after a full drain the dev server must hold exactly one run
 *    per object version, and no other;
 * 4. where the time goes: the real starter in-process, no HTTP, concurrently and one at a time.
 * Progress goes to stderr; the last stdout line is one JSON object; the exit code is 1 when a
 * target is missed.
 */
import '../test/helpers/setup';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { openSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { Client } from '@temporalio/client';
import { createBackend } from '../activities/backends';
import { LocalObjectStore } from '../activities/backends/local/object-store';
import { localPaths } from '../activities/backends/local';
import { REPO_ROOT } from '../common/config/parse';
import { stackPorts } from '../common/config/schema';
import { trainingWorkflowId } from '../common/ids';
import { defaultRoutes } from '../client/webhook/routes';
import { createTemporalStarter } from '../client/webhook/start-run';
import { minioEvent } from '../client/cli/commands/data';
import { pollUntil } from '../test/helpers/temp-dir';
import { createLocalEnv } from '../test/helpers/temporal-env';
import { freePortBase, tempDir, testConfig } from '../test/helpers/integration';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 1);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
/** Distinct objects for phases 1-2 (shared: their journals are apart); both loads must fit in it. */
const OBJECTS = Number(process.env.BENCH_OBJECTS ?? 24_000);
const EXACTLY_ONCE_OBJECTS = Number(process.env.BENCH_EXACTLY_ONCE_OBJECTS ?? 400);
const DIRECT_STARTS = Number(process.env.BENCH_DIRECT_STARTS ?? 500);
const DRAIN_WINDOW_SECONDS = Number(process.env.BENCH_DRAIN_WINDOW_SECONDS ?? 10);
/**
 * `file`: SQLite on disk with the CLI's default pragmas, as `mlops stack up` runs the dev server;
 * `file-wal`: the same with journal_mode=WAL and synchronous=NORMAL; `memory`: the test default.
 */
const TEMPORAL_DB = (['file', 'file-wal', 'memory'] as const).find((m) => m === process.env.BENCH_TEMPORAL_DB) ?? 'file';
const DB_OPTIONS = (home: string) =>
  TEMPORAL_DB === 'memory'
    ? {}
    : { dbFilename: path.join(home, 'temporal.db'), ...(TEMPORAL_DB === 'file-wal' ? { extraArgs: ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'] } : {}) };
const TARGETS = {
  eventsPerSecond: 1000,
  p99Ms: 50,
  /**
   * Accepting with the real starter against the baseline. The inbox answers before Temporal does,
   * so only CPU is shared: the dev server takes about one of two cores while it starts runs.
   */
  throughputVsBaseline: 0.4,
  /** Exactly one run per distinct object version after redeliveries and a crash, counted on the server. */
  runsPerObjectVersion: 1,
};
const TOKEN = 'bench-token-0123456789abcdef';

const log = (m: string) => console.error(m);
const round = (v: number, digits = 2) => Number(v.toFixed(digits));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface BenchObject {
  key: string;
  etag: string;
  size: number;
}

/** Puts `count` small CSV objects under `prefix` through the local store the webhook reads (so the ETag check finds them). */
async function putObjects(objectsRoot: string, bucket: string, prefix: string, count: number): Promise<BenchObject[]> {
  const store = new LocalObjectStore(objectsRoot);
  const out: BenchObject[] = new Array(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let i = next++; i < count; i = next++) {
        const key = `${prefix}cars ${i}.csv`;
        const meta = await store.put(`s3://${bucket}/${key}`, `Price,Mileage\n${10_000 + i},${i}\n`, { contentType: 'text/csv' });
        out[i] = { key, etag: meta.etag, size: meta.size };
      }
    }),
  );
  return out;
}

/** The MinIO notification of one object version (fixed bytes, so a redelivery is the same body). */
function minioBody(bucket: string, o: BenchObject): string {
  return JSON.stringify(minioEvent(bucket, o.key, { size: o.size, etag: o.etag, contentType: 'text/csv' }));
}

/** The same object version as S3 announces it: form-encoded key, the ETag quoted and upper case (as a HEAD spells it). */
function s3Body(bucket: string, o: BenchObject): string {
  const key = o.key.split('/').map((part) => part.split(' ').map(encodeURIComponent).join('+')).join('/');
  return JSON.stringify({
    Records: [{ eventVersion: '2.1', eventSource: 'aws:s3', eventTime: new Date().toISOString(), eventName: 'ObjectCreated:Put', s3: { s3SchemaVersion: '1.0', bucket: { name: bucket }, object: { key, size: o.size, eTag: `"${o.etag.toUpperCase()}"` } } }],
  });
}

/** Distinct events, one per object of the pool, in order; `exhausted` says the pool ran out (then it wraps). */
function distinctEvents(bucket: string, pool: BenchObject[]) {
  let n = 0;
  let exhausted = false;
  return {
    next: (): string => {
      if (n >= pool.length) {
        exhausted = true;
        n = 0;
      }
      return minioBody(bucket, pool[n++]!);
    },
    get sent() {
      return n;
    },
    get exhausted() {
      return exhausted;
    },
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

async function stopService(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
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

async function drive(url: string, nextBody: () => string, seconds: number): Promise<LoadResult> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/hooks/minio',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        setupRequest: (request) => ({ ...request, body: nextBody() }),
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

/** Posts each body once, `CONNECTIONS` at a time; returns the status of each. */
async function postAll(url: string, bodies: { path: string; body: string }[]): Promise<number[]> {
  const statuses: number[] = new Array(bodies.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      for (let i = next++; i < bodies.length; i = next++) {
        const { path: p, body } = bodies[i]!;
        const response = await fetch(`${url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body }).catch(() => undefined);
        statuses[i] = response?.status ?? 0;
        await response?.arrayBuffer();
      }
    }),
  );
  return statuses;
}

/** A deterministic shuffle (so a failing run can be reproduced). */
function shuffled<T>(items: T[], seed = 42): T[] {
  const out = [...items];
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A visibility count read until it stops moving. */
async function settledCount(client: Client, query: string, atLeast = 0, timeoutMs = 120_000): Promise<number> {
  await pollUntil(async () => (await client.workflow.count(query)).count, (n) => n >= atLeast, { timeoutMs, intervalMs: 250 }).catch(() => undefined);
  const readings: number[] = [];
  await pollUntil(
    async () => {
      readings.push((await client.workflow.count(query)).count);
      return readings;
    },
    (r) => r.length >= 5 && new Set(r.slice(-5)).size === 1,
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  return readings[readings.length - 1]!;
}

async function journalLines(file: string): Promise<number> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l.trim()).length;
}

async function main(): Promise<void> {
  const home = await tempDir('bench-webhook');
  const onceHome = path.join(home, 'exactly-once');
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
    MLOPS_WEBHOOK_DISPATCH: 'queued',
    MLOPS_BACKEND: 'local',
  };
  const runTag = Date.now().toString(36);
  log(`dev server at ${env.address} (${TEMPORAL_DB} database), ${os.cpus().length} cores, ${CONNECTIONS} connections, ${SECONDS} s per load`);
  let exitCode = 1;
  try {
    log(`putting ${OBJECTS} objects into the local store (the ETag check reads them)`);
    const t0 = Date.now();
    const pool = await putObjects(localPaths(home).objects, config.bucket, `training/bench-${runTag}/`, OBJECTS);
    // Written well before their events, as in life: flushed now, or the journal's fsyncs would pay
    // for committing tens of thousands of new files.
    spawnSync('sync');
    log(`  ${round((Date.now() - t0) / 1000, 1)} s`);

    // 1. Baseline: the same service, journal, fsync and ETag check, a starter that starts nothing.
    log('baseline: the webhook with a starter that starts NOTHING (journal, fsync and ETag check included)');
    const noopChild = await startService('bench/webhook-noop-target.ts', { ...childEnv, MLOPS_WEBHOOK_BENCH_INBOX_DIR: path.join(home, 'webhook-noop') }, path.join(home, 'noop.log'), url);
    const noopEvents = distinctEvents(config.bucket, pool);
    await drive(url, noopEvents.next, WARMUP_SECONDS);
    const noop = await drive(url, noopEvents.next, SECONDS);
    await stopService(noopChild);
    log(`  ${noop.eventsPerSecond} events/s, p50 ${noop.latencyMs.p50} ms, p99 ${noop.latencyMs.p99} ms, non-2xx ${noop.non2xx}, errors ${noop.errors}`);

    // 2. The real thing, distinct events: each is journaled and answered, then started at the
    //    pace the dev server takes starts.
    log('throughput: client/webhook/main.ts (queued dispatch) with the real Temporal starter, distinct events');
    const child = await startService('client/webhook/main.ts', childEnv, path.join(home, 'webhook.log'), url);
    const events = distinctEvents(config.bucket, pool);
    const warm = await drive(url, events.next, WARMUP_SECONDS);
    const real = await drive(url, events.next, SECONDS);
    log(`  ${real.eventsPerSecond} events/s accepted, p50 ${real.latencyMs.p50} ms, p90 ${real.latencyMs.p90} ms, p99 ${real.latencyMs.p99} ms, max ${real.latencyMs.max} ms, non-2xx ${real.non2xx}, errors ${real.errors}`);
    const accepted = warm.accepted + real.accepted;
    const query = `WorkflowType = 'trainingPipeline' AND WorkflowId STARTS_WITH 'training/${config.bucket}/training/bench-${runTag}/'`;
    log(`  measuring dispatch for ${DRAIN_WINDOW_SECONDS} s`);
    const windowStart = Date.now();
    const before = (await env.client.workflow.count(query)).count;
    await new Promise((r) => setTimeout(r, DRAIN_WINDOW_SECONDS * 1000));
    const after = (await env.client.workflow.count(query)).count;
    const startsPerSecond = Math.round((after - before) / ((Date.now() - windowStart) / 1000));
    await stopService(child);
    const journaled = await journalLines(path.join(home, 'webhook', 'inbox.jsonl'));
    // autocannon stops with up to one request in flight per connection: journaled, never counted.
    const inFlight = 2 * CONNECTIONS;
    log(`  ${accepted} events acknowledged (with warm-up), ${journaled} journaled, ${startsPerSecond} starts/s; the rest stays journaled`);

    // 3. Exactly once: redeliveries in the burst (same bytes, and the S3 spelling of the ETag), a
    //    crash halfway, a full drain, counted on the server.
    log(`exactly once: ${EXACTLY_ONCE_OBJECTS} objects x 3 deliveries, shuffled, the webhook killed halfway and restarted`);
    const onceObjects = await putObjects(localPaths(onceHome).objects, config.bucket, `training/once-${runTag}/`, EXACTLY_ONCE_OBJECTS);
    spawnSync('sync');
    const deliveries = shuffled(
      onceObjects.flatMap((o) => {
        const minio = minioBody(config.bucket, o);
        return [
          { path: '/hooks/minio', body: minio },
          { path: '/hooks/minio', body: minio },
          { path: '/hooks/s3', body: s3Body(config.bucket, o) },
        ];
      }),
    );
    const onceEnv = { ...childEnv, MLOPS_HOME: onceHome };
    const onceLog = path.join(home, 'webhook-exactly-once.log');
    const half = Math.floor(deliveries.length / 2);
    let onceChild = await startService('client/webhook/main.ts', onceEnv, onceLog, url);
    const firstHalf = await postAll(url, deliveries.slice(0, half));
    await stopService(onceChild, 'SIGKILL');
    onceChild = await startService('client/webhook/main.ts', onceEnv, onceLog, url);
    const secondHalf = await postAll(url, deliveries.slice(half));
    const statuses = [...firstHalf, ...secondHalf];
    const onceQuery = `WorkflowType = 'trainingPipeline' AND WorkflowId STARTS_WITH 'training/${config.bucket}/training/once-${runTag}/'`;
    const drainStart = Date.now();
    const onceExecutions = await settledCount(env.client, onceQuery, EXACTLY_ONCE_OBJECTS, 30_000 + EXACTLY_ONCE_OBJECTS * 200);
    const drainSeconds = round((Date.now() - drainStart) / 1000, 1);
    await stopService(onceChild);
    const runsById = new Map<string, number>();
    for await (const execution of env.client.workflow.list({ query: onceQuery })) runsById.set(execution.workflowId, (runsById.get(execution.workflowId) ?? 0) + 1);
    const expectedIds = onceObjects.map((o) => trainingWorkflowId({ bucket: config.bucket, key: o.key, version: o.etag }));
    const missing = expectedIds.filter((id) => !runsById.has(id)).length;
    const expected = new Set(expectedIds);
    const unexpected = [...runsById.keys()].filter((id) => !expected.has(id)).length;
    const duplicated = [...runsById.values()].filter((n) => n > 1).length;
    const exactlyOnce = {
      objects: EXACTLY_ONCE_OBJECTS,
      deliveries: deliveries.length,
      answered202: statuses.filter((s) => s === 202).length,
      executions: onceExecutions,
      objectsWithoutRun: missing,
      runsForNoObject: unexpected,
      objectsWithMoreThanOneRun: duplicated,
      drainSecondsAfterBurst: drainSeconds,
    };
    log(`  ${exactlyOnce.answered202}/${deliveries.length} answered 202; ${onceExecutions} runs for ${EXACTLY_ONCE_OBJECTS} objects (missing ${missing}, unexpected ${unexpected}, duplicated ${duplicated}); drained in ${drainSeconds} s`);

    // 4. Where the time goes: the same starter in this process, no HTTP in between.
    log(`Temporal alone: ${DIRECT_STARTS} starts through createTemporalStarter, ${CONNECTIONS} at a time, then 100 one at a time`);
    const starter = createTemporalStarter({ client: env.client, backend: createBackend(config), config });
    const route = defaultRoutes(config.bucket)[0]!;
    let direct = 0;
    const startOne = async (): Promise<number> => {
      direct += 1;
      const key = `training/bench-${runTag}-direct/cars ${direct}.csv`;
      const etag = createHash('md5').update(key).digest('hex');
      const t = process.hrtime.bigint();
      await starter(route, { source: 'minio', bucket: config.bucket, key, etag, eventName: 'ObjectCreated:Put' });
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    const concurrentLatencies: number[] = [];
    let issued = 0;
    const tc = Date.now();
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (issued < DIRECT_STARTS) {
          issued += 1;
          concurrentLatencies.push(await startOne());
        }
      }),
    );
    const concurrentSeconds = (Date.now() - tc) / 1000;
    const sequentialLatencies: number[] = [];
    for (let i = 0; i < 100; i++) sequentialLatencies.push(await startOne());
    concurrentLatencies.sort((a, b) => a - b);
    sequentialLatencies.sort((a, b) => a - b);
    const directFigures = {
      concurrent: { connections: CONNECTIONS, startsPerSecond: Math.round(DIRECT_STARTS / concurrentSeconds), latencyMs: { p50: round(percentile(concurrentLatencies, 50)), p99: round(percentile(concurrentLatencies, 99)) } },
      oneAtATime: { startsPerSecond: Math.round(1000 / (sequentialLatencies.reduce((s, v) => s + v, 0) / sequentialLatencies.length)), latencyMs: { p50: round(percentile(sequentialLatencies, 50)), p99: round(percentile(sequentialLatencies, 99)) } },
    };
    log(`  concurrent: ${directFigures.concurrent.startsPerSecond} starts/s, p50 ${directFigures.concurrent.latencyMs.p50} ms, p99 ${directFigures.concurrent.latencyMs.p99} ms; one at a time: p50 ${directFigures.oneAtATime.latencyMs.p50} ms`);

    const throughputVsBaseline = round(real.eventsPerSecond / Math.max(1, noop.eventsPerSecond));
    const checks = {
      eventsPerSecond: real.eventsPerSecond >= TARGETS.eventsPerSecond,
      p99Ms: real.latencyMs.p99 <= TARGETS.p99Ms,
      throughputVsBaseline: throughputVsBaseline >= TARGETS.throughputVsBaseline,
      noErrors: real.non2xx === 0 && real.errors === 0 && real.timeouts === 0 && noop.non2xx === 0 && noop.errors === 0,
      // Every acknowledged event is in the journal, and at most the requests in flight when the
      // load stopped are in it unacknowledged: fails if the inbox answers before its fsync.
      everyAcknowledgedEventJournaled: journaled >= accepted && journaled <= accepted + inFlight,
      // The figures are for distinct events only: a pool that ran out would have mixed in redeliveries.
      distinctEventsOnly: !events.exhausted && !noopEvents.exhausted,
      everyDeliveryAnswered202: exactlyOnce.answered202 === deliveries.length,
      oneRunPerObjectVersion: onceExecutions === EXACTLY_ONCE_OBJECTS && missing === 0 && unexpected === 0 && duplicated === 0,
    };
    const pass = Object.values(checks).every(Boolean);
    if (!pass) log(`MISSED: ${Object.entries(checks).filter(([, ok]) => !ok).map(([name]) => name).join(', ')}${checks.distinctEventsOnly ? '' : ' (raise BENCH_OBJECTS)'}`);
    console.log(
      JSON.stringify({
        benchmark: 'webhook',
        figures: {
          cores: os.cpus().length,
          temporalDatabase: TEMPORAL_DB,
          connections: CONNECTIONS,
          seconds: SECONDS,
          dispatch: 'queued',
          temporalStarter: { ...real, acceptedWithWarmup: accepted, journaled, dispatchStartsPerSecond: startsPerSecond, distinctObjectsSent: events.sent },
          baselineNoopStarter: { ...noop, distinctObjectsSent: noopEvents.sent },
          throughputVsBaseline,
          exactlyOnce,
          temporalAloneNoHttp: directFigures,
        },
        targets: TARGETS,
        checks,
        pass,
      }),
    );
    exitCode = pass ? 0 : 1;
  } finally {
    await env.teardown();
    await fs.rm(home, { recursive: true, force: true });
  }
  process.exit(exitCode);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});
