import { SCALE_IN_SECONDS } from './autoscaler';
import type { ModelServer } from './model-server';

/** Invocations per second over the last complete seconds: what the autoscaler tracks. */
export class RateWindow {
  private readonly counts: number[];
  private readonly seconds: number[];

  constructor(readonly windowSeconds = 10) {
    this.counts = new Array<number>(windowSeconds + 1).fill(0);
    this.seconds = new Array<number>(windowSeconds + 1).fill(-1);
  }

  add(now = Date.now(), n = 1): void {
    const second = Math.floor(now / 1000);
    const i = second % this.counts.length;
    if (this.seconds[i] !== second) {
      this.seconds[i] = second;
      this.counts[i] = 0;
    }
    this.counts[i]! += n;
  }

  /** Requests in one second (ms since the epoch / 1000, floored); 0 once it left the window. */
  private countAt(second: number): number {
    const i = second % this.counts.length;
    return this.seconds[i] === second ? this.counts[i]! : 0;
  }

  /** The lowest, the highest and the mean per-second count of the `seconds` complete seconds before `now`. */
  range(seconds: number, now = Date.now()): { lowest: number; highest: number; mean: number } {
    if (seconds < 1 || seconds > this.windowSeconds) throw new RangeError(`a rate window of ${this.windowSeconds} s cannot look back ${seconds} s`);
    const current = Math.floor(now / 1000);
    let lowest = Infinity;
    let highest = 0;
    let total = 0;
    for (let s = current - seconds; s < current; s++) {
      const n = this.countAt(s);
      lowest = Math.min(lowest, n);
      highest = Math.max(highest, n);
      total += n;
    }
    return { lowest, highest, mean: total / seconds };
  }

  /** Requests per second over the `windowSeconds` complete seconds before `now`. */
  perSecond(now = Date.now()): number {
    return this.range(this.windowSeconds, now).mean;
  }
}

export interface VariantPoolOptions {
  variantName: string;
  modelName: string;
  role: 'production' | 'shadow';
  /** A new, not yet started instance of this variant (numbered for logs). */
  createInstance: (n: number) => ModelServer;
  log: (message: string) => void;
}

/**
 * The running instances of one variant. Instances join the routing only once they pass /ping;
 * on scale-in they leave the routing first and stop once their in-flight requests finished, so a
 * resize never fails a request. Resizes of one pool run one after another.
 */
export class VariantPool {
  readonly variantName: string;
  readonly modelName: string;
  readonly role: 'production' | 'shadow';
  /** Routable instances (started, passed /ping). */
  private readonly instances: ModelServer[] = [];
  private starting = 0;
  private numbered = 0;
  private resizing: Promise<void> = Promise.resolve();
  private stopped = false;
  readonly rate = new RateWindow(SCALE_IN_SECONDS);
  /** Mirrored requests in flight (shadow pools). */
  mirroring = 0;

  constructor(private readonly options: VariantPoolOptions) {
    this.variantName = options.variantName;
    this.modelName = options.modelName;
    this.role = options.role;
  }

  /** Instances that serve now. */
  get size(): number {
    return this.instances.filter((i) => !i.exited).length;
  }

  /** Instances serving or being started. */
  get target(): number {
    return this.size + this.starting;
  }

  /** The least busy running instance, or undefined when none runs. */
  pick(): ModelServer | undefined {
    let best: ModelServer | undefined;
    for (const instance of this.instances) {
      if (instance.exited) continue;
      if (!best || instance.busy < best.busy) best = instance;
    }
    return best;
  }

  view(): { port?: number; busy: number; running: boolean }[] {
    return this.instances.map((i) => ({ ...(i.port ? { port: i.port } : {}), busy: i.busy, running: !i.exited }));
  }

  /**
   * Starts or stops instances until `count` serve (instances that died are dropped first). Throws
   * when an instance fails to start (the others that started keep serving).
   */
  scaleTo(count: number): Promise<void> {
    const run = this.resizing.then(() => this.resize(count));
    this.resizing = run.catch(() => undefined);
    return run;
  }

  private async resize(count: number): Promise<void> {
    if (this.stopped) return;
    for (let i = this.instances.length - 1; i >= 0; i--) if (this.instances[i]!.exited) this.instances.splice(i, 1);
    const running = this.instances.length;
    if (count > running) {
      const fresh = Array.from({ length: count - running }, () => this.options.createInstance(++this.numbered));
      this.starting += fresh.length;
      const results = await Promise.allSettled(fresh.map((s) => s.start()));
      this.starting -= fresh.length;
      const failed: unknown[] = [];
      results.forEach((r, i) => {
        if (r.status === 'fulfilled' && !this.stopped) this.instances.push(fresh[i]!);
        else {
          if (r.status === 'rejected') failed.push(r.reason);
          void fresh[i]!.stop(0, 2000);
        }
      });
      if (failed.length) throw failed[0] instanceof Error ? failed[0] : new Error(String(failed[0]));
    } else if (count < running) {
      // The least busy leave the routing at once; each stops once its in-flight requests are done.
      const leaving = [...this.instances].sort((a, b) => a.busy - b.busy).slice(0, running - count);
      for (const instance of leaving) this.instances.splice(this.instances.indexOf(instance), 1);
      this.options.log(`${this.variantName}: scaling in from ${running} to ${count} instance(s)`);
      await Promise.all(leaving.map((i) => i.stop()));
    }
  }

  /** Takes every instance out of the routing, then stops them once their requests finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    const all = this.instances.splice(0);
    await Promise.all(all.map((i) => i.stop()));
  }
}
