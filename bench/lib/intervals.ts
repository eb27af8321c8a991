/** Interval arithmetic on a run's timeline (epoch milliseconds) for the benches' critical paths and breakdowns. */

export interface Interval {
  start: number;
  end: number;
}

export interface NamedInterval extends Interval {
  name: string;
}

/**
 * The critical path of a run's jobs as recorded: the chain of jobs, each started after the one
 * before it ended, with the largest total run time. A job that depends on another necessarily
 * starts after it ends, so the real dependency path is one of these chains and this one is at
 * least as long: wall time minus it never overstates the orchestration overhead, whatever jobs
 * a pipeline adds and however they depend on each other.
 */
export function criticalChain<T extends NamedInterval>(jobs: T[]): { jobs: T[]; ms: number } {
  const sorted = [...jobs].sort((a, b) => a.end - b.end || a.start - b.start);
  const best: number[] = [];
  const previous: (number | undefined)[] = [];
  sorted.forEach((job, i) => {
    let before: number | undefined;
    for (let j = 0; j < i; j++) {
      if (sorted[j]!.end <= job.start && (before === undefined || best[j]! > best[before]!)) before = j;
    }
    best.push((before === undefined ? 0 : best[before]!) + (job.end - job.start));
    previous.push(before);
  });
  if (sorted.length === 0) return { jobs: [], ms: 0 };
  let last: number | undefined = best.indexOf(Math.max(...best));
  const chain: T[] = [];
  for (; last !== undefined; last = previous[last]) chain.unshift(sorted[last]!);
  return { jobs: chain, ms: best[sorted.indexOf(chain[chain.length - 1]!)]! };
}

/** Total time covered by at least one of the intervals. */
export function unionMs(intervals: Interval[]): number {
  return merge(intervals).reduce((s, i) => s + (i.end - i.start), 0);
}

/** Time of `window` covered by at least one of the intervals. */
export function coveredMs(window: Interval, intervals: Interval[]): number {
  const clipped = intervals.map((i) => ({ start: Math.max(i.start, window.start), end: Math.min(i.end, window.end) })).filter((i) => i.end > i.start);
  return unionMs(clipped);
}

function merge(intervals: Interval[]): Interval[] {
  const sorted = intervals.filter((i) => i.end > i.start).sort((a, b) => a.start - b.start);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) last.end = Math.max(last.end, i.end);
    else out.push({ ...i });
  }
  return out;
}
