/**
 * The monitoring bookmark of one family (`<outputUri>/<family>/bookmark.json`): which capture and
 * ground-truth files which run has taken. Pure functions over the document, so the claim rules are
 * unit-tested without a store; `consolidate.ts` reads and writes it with conditional writes.
 *
 * A file is claimed by one run, then either settled `done` when that run finishes or released when
 * it fails, so the next run takes it again (a file whose runs failed MAX_FAILED_RUNS times is given
 * up, so one broken file cannot stop monitoring for good). A claim whose run vanished (terminated, worker lost
 * for good) is taken over after a lease. `done` entries are pruned once they are older than the
 * late-file horizon behind the newest file taken; the watermark remembers the cut, and a file
 * older than the watermark is too late to be taken (reported, not read).
 */

export interface Claim {
  run: string;
  /** `released`: its run failed; the next run takes it again (up to MAX_FAILED_RUNS runs). */
  state: 'claimed' | 'done' | 'released';
  /** Runs that took this file and failed. */
  failures?: number;
  /** Set with `done` when the file was given up after MAX_FAILED_RUNS failed runs (a poison file). */
  quarantined?: boolean;
  /** When the run claimed it (ISO). */
  at: string;
  /** The file's own time from its path (ISO), when it has one. */
  time?: string;
}

export type Source = 'capture' | 'groundTruth';

/** After this many failed runs took a file, it is quarantined (settled done without being read). */
export const MAX_FAILED_RUNS = 3;

export interface Bookmark {
  version: 2;
  /** Files older than this were pruned as done; a new file older than this is too late. */
  watermark?: string;
  capture: Record<string, Claim>;
  groundTruth: Record<string, Claim>;
}

/** Version 1 (`{ consumed: { uri: run } }`) read as version 2: every consumed file is done. */
export function parseBookmark(text: string | undefined): Bookmark {
  if (!text) return { version: 2, capture: {}, groundTruth: {} };
  const doc = JSON.parse(text) as Partial<Bookmark> & { consumed?: Record<string, string> };
  if (doc.version === 2) return { version: 2, ...(doc.watermark ? { watermark: doc.watermark } : {}), capture: doc.capture ?? {}, groundTruth: doc.groundTruth ?? {} };
  const capture: Record<string, Claim> = {};
  for (const [uri, run] of Object.entries(doc.consumed ?? {})) capture[uri] = { run, state: 'done', at: new Date(0).toISOString() };
  return { version: 2, capture, groundTruth: {} };
}

/** A file's time from SageMaker's layouts: `.../yyyy/mm/dd/hh/MM-SS-mmm-<id>.jsonl` (to the minute), else the `yyyy/mm/dd/hh/` folder. */
export function fileTime(uri: string): number | undefined {
  const minute = /\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/(\d{2})-(\d{2})-\d{3}-[^/]+\.jsonl$/.exec(uri);
  if (minute) return Date.UTC(Number(minute[1]), Number(minute[2]) - 1, Number(minute[3]), Number(minute[4]), Number(minute[5]));
  const hour = /\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\//.exec(uri);
  return hour ? Date.UTC(Number(hour[1]), Number(hour[2]) - 1, Number(hour[3]), Number(hour[4])) : undefined;
}

export interface ClaimOptions {
  run: string;
  now: number;
  /** A claim of another run older than this is taken over (its run is gone). */
  leaseMs: number;
}

/**
 * Claims for `run` every candidate nobody holds (late and out-of-order files included), keeps its
 * own earlier claims (a retried activity gets the same set back) and takes over expired claims.
 * Returns the run's files and those too late to take; mutates `bookmark`.
 */
export function claim(bookmark: Bookmark, source: Source, candidates: string[], options: ClaimOptions): { mine: string[]; changed: boolean; tooLate: string[] } {
  const entries = bookmark[source];
  const watermark = bookmark.watermark ? Date.parse(bookmark.watermark) : undefined;
  const mine: string[] = [];
  const tooLate: string[] = [];
  let changed = false;
  for (const uri of candidates) {
    const entry = entries[uri];
    if (entry?.run === options.run) {
      mine.push(uri);
      continue;
    }
    if (entry && (entry.state === 'done' || (entry.state === 'claimed' && options.now - Date.parse(entry.at) < options.leaseMs))) continue;
    const time = fileTime(uri);
    if (!entry && watermark !== undefined && time !== undefined && time < watermark) {
      tooLate.push(uri);
      continue;
    }
    entries[uri] = {
      run: options.run,
      state: 'claimed',
      at: new Date(options.now).toISOString(),
      ...(time !== undefined ? { time: new Date(time).toISOString() } : {}),
      ...(entry?.failures ? { failures: entry.failures } : {}),
    };
    mine.push(uri);
    changed = true;
  }
  return { mine, changed, tooLate };
}

/**
 * A run's end: its claims become `done` (it read them) or are released (it failed: the next run
 * takes them); then `done` entries behind the horizon are pruned. Returns whether anything changed.
 */
export function settle(bookmark: Bookmark, run: string, outcome: 'done' | 'release', horizonMs: number, now: number): { changed: boolean; quarantined: string[] } {
  let changed = false;
  const quarantined: string[] = [];
  for (const source of ['capture', 'groundTruth'] as const) {
    const entries = bookmark[source];
    for (const [uri, entry] of Object.entries(entries)) {
      if (entry.run !== run || entry.state !== 'claimed') continue;
      changed = true;
      if (outcome === 'done') {
        entries[uri] = { ...entry, state: 'done' };
        continue;
      }
      const failures = (entry.failures ?? 0) + 1;
      if (failures >= MAX_FAILED_RUNS) {
        entries[uri] = { ...entry, state: 'done', failures, quarantined: true };
        quarantined.push(uri);
      } else entries[uri] = { ...entry, state: 'released', failures };
    }
  }
  return { changed: prune(bookmark, horizonMs, now) || changed, quarantined };
}

/** Drops `done` entries older than the horizon behind the newest file taken (never ahead of now), and moves the watermark there. */
export function prune(bookmark: Bookmark, horizonMs: number, now: number): boolean {
  const times = [...Object.values(bookmark.capture), ...Object.values(bookmark.groundTruth)].filter((e) => e.state === 'done' && e.time).map((e) => Date.parse(e.time!));
  if (times.length === 0) return false;
  const cut = Math.min(Math.max(...times), now) - horizonMs;
  if (bookmark.watermark && Date.parse(bookmark.watermark) >= cut) return false;
  for (const source of ['capture', 'groundTruth'] as const) {
    for (const [uri, entry] of Object.entries(bookmark[source])) {
      if (entry.state === 'done' && entry.time && Date.parse(entry.time) < cut) delete bookmark[source][uri];
    }
  }
  bookmark.watermark = new Date(cut).toISOString();
  return true;
}
