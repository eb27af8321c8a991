/**
 * The body of the load generator's thread (see load-generator.ts): open- and closed-loop loads of
 * CSV records on one endpoint host, answers kept in typed columns. It imports nothing but undici,
 * so its heap stays a few MB and its garbage collections stay short.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Pool } from 'undici';
import { LatencySamples } from './latency-samples';
import type { LoadReply, LoadRequest } from './load-generator';

const CSV_HEADERS = { 'content-type': 'text/csv' };
/** Half of the records carry a missing value (the XGBoost models take it, the linear one refuses it). */
const RECORDS = ['0.5,1.5,-0.2', '0.5,,-0.2'] as const;

const { url, connections } = workerData as { url: string; connections: number };
const pool = new Pool(url, { connections, pipelining: 1 });
const port = parentPort!;

/**
 * One POST of a record: the status (0: no answer) and the variant that answered. Dispatched with
 * a handler that drops the body, not `pool.request`, which wraps every answer in a readable stream.
 */
function invokeOnce(endpoint: string, body: string, done: (status: number, variant: string) => void): void {
  let status = 0;
  let variant = '';
  pool.dispatch(
    { method: 'POST', path: `/endpoints/${endpoint}/invocations`, headers: CSV_HEADERS, body },
    {
      onRequestStart: () => undefined,
      onResponseStart: (_controller, statusCode, headers) => {
        status = statusCode;
        const answered = headers['x-amzn-invoked-production-variant'];
        variant = typeof answered === 'string' ? answered : '';
      },
      onResponseData: () => undefined,
      onResponseEnd: () => done(status, variant),
      onResponseError: () => done(0, ''),
    },
  );
}

interface OpenLoad {
  rps: number;
  stop: () => Promise<LatencySamples>;
}
const open = new Map<number, OpenLoad>();

/**
 * `rps` requests per second sent on a ~10 ms tick whether or not earlier ones answered (a slow
 * endpoint cannot slow the offered load down), until stopped.
 */
function openLoop(endpoint: string, rps: number): OpenLoad {
  const samples = new LatencySamples();
  let inFlight = 0;
  let idle: (() => void) | undefined;
  let sent = 0;
  let owed = 0;
  const send = (n: number) => {
    const t0 = performance.now();
    inFlight++;
    invokeOnce(endpoint, RECORDS[n % 2]!, (status, variant) => {
      samples.push(Date.now(), performance.now() - t0, status, variant);
      if (--inFlight === 0) idle?.();
    });
  };
  // Owed by the time that passed, not per tick: a tick the busy machine delays sends what it owes
  // (a per-tick share would quietly offer less than asked).
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    owed += (load.rps * (now - last)) / 1000;
    last = now;
    while (owed >= 1) {
      send(sent++);
      owed -= 1;
    }
  }, 10);
  const load: OpenLoad = {
    rps,
    stop: async () => {
      clearInterval(timer);
      if (inFlight > 0) await new Promise<void>((r) => (idle = r));
      return samples;
    },
  };
  return load;
}

/** `workers` requests kept in flight back to back for `ms`; the latencies of those sent after the first second. */
async function closedLoop(endpoint: string, ms: number, workers: number): Promise<{ latencies: Float64Array; failed: number; seconds: number }> {
  const started = performance.now();
  const from = started + 1000;
  const until = started + ms;
  const latencies = new LatencySamples();
  let failed = 0;
  let n = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const t0 = performance.now();
      invokeOnce(endpoint, RECORDS[n++ % 2]!, (status) => {
        if (t0 >= from) {
          latencies.push(0, performance.now() - t0, status, '');
          if (status !== 200) failed++;
        }
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < until) await one();
    }),
  );
  return { latencies: latencies.columns().ms, failed, seconds: (performance.now() - from) / 1000 };
}

function reply(message: LoadReply, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

port.on('message', (request: LoadRequest) => {
  void (async () => {
    try {
      switch (request.op) {
        case 'open':
          open.set(request.id, openLoop(request.endpoint, request.rps));
          reply({ id: request.id, op: 'open' });
          return;
        case 'rate': {
          const load = open.get(request.id);
          if (load) load.rps = request.rps;
          return;
        }
        case 'stop': {
          const load = open.get(request.id);
          if (!load) throw new Error(`no open load ${request.id}`);
          open.delete(request.id);
          const columns = (await load.stop()).columns();
          reply({ id: request.id, op: 'stop', columns }, [columns.at.buffer, columns.ms.buffer, columns.status.buffer, columns.variant.buffer] as ArrayBuffer[]);
          return;
        }
        case 'closed': {
          const result = await closedLoop(request.endpoint, request.ms, request.workers);
          reply({ id: request.id, op: 'closed', ...result }, [result.latencies.buffer as ArrayBuffer]);
          return;
        }
        case 'close':
          await pool.close();
          reply({ id: request.id, op: 'close' });
          return;
      }
    } catch (err) {
      reply({ id: request.id, op: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  })();
});
