import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig, REPO_ROOT } from '../../common/config/parse';
import type { Config } from '../../common/config/schema';
import { stackPorts } from '../../common/config/schema';
import { isPortOpen } from '../../client/stack/processes';
import { createEndpointHost } from '../../hosting';
import type { EndpointHost } from '../../hosting/endpoint-host/endpoint-host';
import { buildEndpointHostServer } from '../../hosting/endpoint-host/server';

export const DATASET = path.join(REPO_ROOT, 'data', 'kbb-2005-gm-used-cars.csv');

export async function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), `mlops-${prefix}-`));
}

/** A configuration of its own for one test: data dir, task queues and (optionally) ports. */
export function testConfig(options: { home: string; temporalAddress?: string; portBase?: number }): Config {
  return parseConfig(
    {
      MLOPS_HOME: options.home,
      MLOPS_TASK_QUEUE_SUFFIX: `-${randomUUID().slice(0, 8)}`,
      ...(options.portBase ? { MLOPS_PORT_BASE: String(options.portBase) } : {}),
      ...(options.temporalAddress ? { MLOPS_TEMPORAL_ADDRESS: options.temporalAddress } : {}),
      MLOPS_JOB_POLL_MS: '50',
      // `MLOPS_FORK_SERVER=false make bench-projects` measures the processes started without it.
      ...(process.env.MLOPS_FORK_SERVER ? { MLOPS_FORK_SERVER: process.env.MLOPS_FORK_SERVER } : {}),
    },
    REPO_ROOT,
  );
}

/** Port bases handed out in this process: stacks started side by side must not share ports. */
const handedOut: number[] = [];

/** Ports of stacks are chosen below the kernel's ephemeral range (32768 and up), where outgoing connections would take a service's port before it binds. */
const PORT_RANGE = { from: 20000, to: 32768 };
/** Test files may run in parallel processes (mocha --parallel): each worker draws bases from its own slice of the range. */
const PORT_SLICES = 4;

function overlaps(a: number, b: number): boolean {
  const ports = new Set(Object.values(stackPorts(a)));
  return Object.values(stackPorts(b)).some((p) => ports.has(p));
}

/**
 * A port base whose stack ports are all free right now and apart from the bases handed out
 * before in this process; under mocha's parallel mode, inside this worker's slice of the range, so
 * two test files never race for the same ports (a probe alone cannot see a port another process
 * is about to bind).
 */
export async function freePortBase(): Promise<number> {
  const span = Math.max(...Object.values(stackPorts(0))) + 1;
  const worker = process.env.MOCHA_WORKER_ID === undefined ? undefined : Number(process.env.MOCHA_WORKER_ID) % PORT_SLICES;
  const sliceSize = Math.floor((PORT_RANGE.to - PORT_RANGE.from) / PORT_SLICES);
  const from = worker === undefined ? PORT_RANGE.from : PORT_RANGE.from + worker * sliceSize;
  const to = worker === undefined ? PORT_RANGE.to : from + sliceSize;
  for (let i = 0; i < 200; i++) {
    const base = from + Math.floor(Math.random() * (to - from - span));
    if (handedOut.some((b) => overlaps(b, base))) continue;
    const busy = await Promise.all(Object.values(stackPorts(base)).map((p) => isPortOpen(p)));
    if (busy.some(Boolean)) continue;
    handedOut.push(base);
    return base;
  }
  throw new Error('no free port range found');
}

/** A stack that stopped gives its ports back (a benchmark runs many stacks one after another). */
export function releasePortBase(base: number): void {
  const i = handedOut.indexOf(base);
  if (i >= 0) handedOut.splice(i, 1);
}

/** Polls until `check` returns a value; fails with `what` after the timeout. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as T;
}

export async function jobDirs(home: string, kind: 'training' | 'processing'): Promise<string[]> {
  return (await fs.readdir(path.join(home, 'jobs', kind)).catch(() => [] as string[])).sort();
}

/** A real endpoint host in this process, on the port the config's backend nudges. */
export async function startEndpointHost(config: Config): Promise<{ host: EndpointHost; stop: () => Promise<void> }> {
  const host = createEndpointHost(config, { readyTimeoutMs: 60_000 });
  const app = buildEndpointHostServer(host);
  await app.listen({ host: '127.0.0.1', port: stackPorts(config.portBase).endpointHost });
  const timer = setInterval(() => void host.reconcile(), 500);
  return {
    host,
    stop: async () => {
      clearInterval(timer);
      await app.close();
      await host.stop();
    },
  };
}

/** Data-capture records on disk for one endpoint of a local stack (every variant, every hour). */
export async function countCaptureRecords(home: string, endpoint: string, bucket = 'mlops'): Promise<number> {
  let n = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(path.join(dir, e.name));
      else if (e.name.endsWith('.jsonl')) n += (await fs.readFile(path.join(dir, e.name), 'utf8')).split('\n').filter((l) => l.trim()).length;
    }
  };
  await walk(path.join(home, 'objects', bucket, 'capture', endpoint));
  return n;
}
