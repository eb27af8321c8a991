/** One answered (or failed) request as a bench reads it after the load stopped. */
export interface Sample {
  /** When the answer arrived, ms since the epoch. */
  at: number;
  /** Round trip, ms. */
  ms: number;
  /** HTTP status; 0 when no answer came. */
  status: number;
  /** The variant that answered (x-amzn-invoked-production-variant), '' when none did. */
  variant: string;
}

/** The columns of LatencySamples as they cross from the load generator's thread (transferable buffers). */
export interface SampleColumns {
  at: Float64Array;
  ms: Float64Array;
  status: Uint16Array;
  variant: Uint8Array;
  variants: string[];
}

/**
 * Request outcomes of a load generator, kept in typed columns while the load runs: a load of
 * thousands of requests per second for a minute would otherwise keep hundreds of thousands of
 * small objects alive in the generator's heap for the garbage collector to trace again and again,
 * on the CPUs the stack under test uses. Columns are a few flat buffers the collector does not trace.
 */
export class LatencySamples {
  private at = new Float64Array(1024);
  private ms = new Float64Array(1024);
  private status = new Uint16Array(1024);
  private variant = new Uint8Array(1024);
  private readonly variants: string[] = [''];
  private n = 0;

  get length(): number {
    return this.n;
  }

  push(at: number, ms: number, status: number, variant: string): void {
    if (this.n === this.at.length) this.grow();
    const i = this.n++;
    this.at[i] = at;
    this.ms[i] = ms;
    this.status[i] = status;
    this.variant[i] = this.variantIndex(variant);
  }

  /** The filled part of the columns (copies: the generator may go on pushing). */
  columns(): SampleColumns {
    return { at: this.at.slice(0, this.n), ms: this.ms.slice(0, this.n), status: this.status.slice(0, this.n), variant: this.variant.slice(0, this.n), variants: [...this.variants] };
  }

  /** The samples as objects, in arrival order (for the analysis once the load stopped). */
  static toArray(c: SampleColumns): Sample[] {
    const out: Sample[] = new Array<Sample>(c.at.length);
    for (let i = 0; i < c.at.length; i++) out[i] = { at: c.at[i]!, ms: c.ms[i]!, status: c.status[i]!, variant: c.variants[c.variant[i]!] ?? '' };
    return out;
  }

  private variantIndex(name: string): number {
    // A handful of variants per run: a linear scan beats a map, and the header's string is not kept.
    for (let i = 0; i < this.variants.length; i++) if (this.variants[i] === name) return i;
    if (this.variants.length === 256) throw new RangeError('more than 255 variant names in one load');
    this.variants.push(name);
    return this.variants.length - 1;
  }

  private grow(): void {
    this.at = doubled(this.at, new Float64Array(this.at.length * 2));
    this.ms = doubled(this.ms, new Float64Array(this.ms.length * 2));
    this.status = doubled(this.status, new Uint16Array(this.status.length * 2));
    this.variant = doubled(this.variant, new Uint8Array(this.variant.length * 2));
  }
}

/** `into` (twice the size) holding `from`'s values first. */
function doubled<T extends Float64Array | Uint16Array | Uint8Array>(from: T, into: T): T {
  into.set(from);
  return into;
}
