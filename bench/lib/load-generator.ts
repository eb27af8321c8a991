import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { LatencySamples, type Sample, type SampleColumns } from './latency-samples';

export type LoadRequest =
  | { id: number; op: 'open'; endpoint: string; rps: number }
  | { id: number; op: 'rate'; rps: number }
  | { id: number; op: 'stop' }
  | { id: number; op: 'closed'; endpoint: string; ms: number; workers: number }
  | { id: number; op: 'close' };

export type LoadReply =
  | { id: number; op: 'open' | 'close' }
  | { id: number; op: 'stop'; columns: SampleColumns }
  | { id: number; op: 'closed'; latencies: Float64Array; failed: number; seconds: number }
  | { id: number; op: 'error'; message: string };

/** A running open-loop load: its rate can change; stopping it waits for the requests in flight. */
export interface OpenLoad {
  setRate(rps: number): void;
  stop(): Promise<Sample[]>;
}

/**
 * The bench's HTTP load generator, run on its own thread (load-worker.ts). Why a thread: it shares
 * the machine's CPUs with the stack it measures, and the bench's main heap (the backend, the stack
 * control, Temporal's client) is large; a major garbage collection of it, every ~12 s under the
 * step's load, stalled the generator's callbacks and ran marking threads on the CPUs the endpoint
 * host and its model servers need: single-second p99 spikes the stack did not cause. The thread's
 * heap holds only undici and the answers' typed columns, so its collections stay short.
 */
export class LoadGenerator {
  private readonly worker: Worker;
  private next = 0;
  private readonly waiting = new Map<number, { resolve: (reply: LoadReply) => void; reject: (err: Error) => void }>();
  private failed?: Error;

  constructor(url: string, options: { connections: number }) {
    const file = path.join(__dirname, 'load-worker.ts');
    // The worker runs TypeScript through tsx's require hook (a worker does not inherit the parent's loader).
    this.worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData: { url, connections: options.connections } });
    this.worker.on('message', (reply: LoadReply) => {
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return;
      this.waiting.delete(reply.id);
      if (reply.op === 'error') waiter.reject(new Error(`load generator: ${reply.message}`));
      else waiter.resolve(reply);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the load generator's thread exited with code ${code}`)));
  }

  private fail(err: Error): void {
    this.failed ??= err;
    for (const waiter of this.waiting.values()) waiter.reject(err);
    this.waiting.clear();
  }

  private call(request: LoadRequest): Promise<LoadReply> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting.set(request.id, { resolve, reject });
      this.worker.postMessage(request);
    });
  }

  /** Starts `rps` requests per second on `endpoint`, sent whether or not earlier ones answered. */
  async openLoop(endpoint: string, rps: number): Promise<OpenLoad> {
    const id = ++this.next;
    await this.call({ id, op: 'open', endpoint, rps });
    return {
      setRate: (value: number) => this.worker.postMessage({ id, op: 'rate', rps: value } satisfies LoadRequest),
      stop: async () => {
        const reply = await this.call({ id, op: 'stop' });
        if (reply.op !== 'stop') throw new Error(`load generator: unexpected ${reply.op} reply`);
        return LatencySamples.toArray(reply.columns);
      },
    };
  }

  /** `workers` requests in flight back to back on `endpoint` for `ms`: the latencies (ms) after the first second. */
  async closedLoop(endpoint: string, ms: number, workers: number): Promise<{ latencies: number[]; failed: number; seconds: number }> {
    const reply = await this.call({ id: ++this.next, op: 'closed', endpoint, ms, workers });
    if (reply.op !== 'closed') throw new Error(`load generator: unexpected ${reply.op} reply`);
    return { latencies: Array.from(reply.latencies), failed: reply.failed, seconds: reply.seconds };
  }

  async close(): Promise<void> {
    if (!this.failed) await this.call({ id: ++this.next, op: 'close' }).catch(() => undefined);
    this.failed ??= new Error('the load generator is closed');
    await this.worker.terminate();
  }
}
