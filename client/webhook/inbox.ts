import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { ObjectCreatedEvent } from './event-schemas';
import type { RouteRule } from './routes';
import { objectKeyProblem } from '../../common/object-keys';
import { isPermanentStartError, workflowIdForEvent, type PipelineStart, type PipelineStarter } from './start-run';

interface Entry {
  seq: number;
  workflowId: string;
  route: RouteRule;
  event: ObjectCreatedEvent;
}

interface Outcome {
  seq: number;
  outcome: 'started' | 'existing' | 'failed';
  error?: string;
}

export interface InboxOptions {
  /** Where the journal lives (`<home>/webhook`). */
  dir: string;
  /** Starts the run of one event against Temporal (the direct starter). */
  start: PipelineStarter;
  /** Starts running at once (default 8). */
  concurrency?: number;
  /** Errors that retrying cannot fix: recorded as failed, never retried (default `isPermanentStartError`). */
  isPermanent?: (err: unknown) => boolean;
  log?: (message: string) => void;
  /** How many recent workflow ids are remembered to answer redeliveries without journaling them. */
  rememberIds?: number;
}

/**
 * A durable inbox in front of the pipeline starts: an event is appended to a journal (written and
 * fsynced in groups, so many concurrent deliveries share one disk flush) and answered at once with
 * its deterministic workflow id; a dispatcher then starts the runs at the pace Temporal takes them.
 * Nothing accepted is lost: a restart replays every journaled event whose start was not recorded,
 * and a replayed start is harmless because the workflow id makes it exactly-once.
 */
export class EventInbox {
  private journal?: FileHandle;
  private outcomes?: FileHandle;
  private seq = 0;
  private readonly pending: Entry[] = [];
  private readonly recent = new Map<string, number>();
  private readonly writes: { line: string; done: (err?: unknown) => void }[] = [];
  private writing = false;
  private active = 0;
  private closed = false;
  private idle?: () => void;
  /** Retry waits, cut short by close(). */
  private readonly sleepers = new Set<() => void>();
  readonly stats = { accepted: 0, duplicates: 0, started: 0, existing: 0, failed: 0, retries: 0 };

  constructor(private readonly options: InboxOptions) {}

  /** Opens the journal and re-queues what an earlier process accepted but did not start. */
  async open(): Promise<void> {
    await fs.mkdir(this.options.dir, { recursive: true });
    const journalFile = path.join(this.options.dir, 'inbox.jsonl');
    const outcomesFile = path.join(this.options.dir, 'dispatched.jsonl');
    const outcomes = await readJournal<Outcome>(outcomesFile);
    const journal = await readJournal<Entry>(journalFile);
    for (const [file, read] of [[journalFile, journal], [outcomesFile, outcomes]] as const) {
      if (read.torn > 0) {
        this.options.log?.(
          `inbox: skipped ${read.torn} torn line(s) of ${path.basename(file)} (a crash mid-write; ${file === journalFile ? 'such an event was never acknowledged' : 'its event is started again, harmlessly'})`,
        );
      }
    }
    const done = new Set(outcomes.items.map((o) => o.seq));
    const entries = journal.items;
    for (const entry of entries) {
      this.seq = Math.max(this.seq, entry.seq);
      if (!done.has(entry.seq)) this.pending.push(entry);
    }
    if (this.pending.length === 0 && entries.length > 0) {
      // Everything was dispatched: start the journal afresh instead of growing it forever.
      await fs.rm(journalFile, { force: true });
      await fs.rm(outcomesFile, { force: true });
    }
    this.journal = await fs.open(journalFile, 'a');
    this.outcomes = await fs.open(outcomesFile, 'a');
    if (this.pending.length) this.options.log?.(`inbox: replaying ${this.pending.length} accepted event(s) not yet started`);
    this.pump();
  }

  /** The PipelineStarter the webhook server uses: accept durably, answer, start later. */
  readonly starter: PipelineStarter = async (route, event) => {
    const workflowId = workflowIdForEvent(route, event);
    if (!workflowId) return this.options.start(route, event); // no version in the event: start directly
    if (this.recent.has(workflowId)) {
      this.stats.duplicates++;
      return { workflowId, started: false };
    }
    if (this.closed || !this.journal) throw new Error('the inbox is closed');
    const entry: Entry = { seq: ++this.seq, workflowId, route, event };
    this.remember(workflowId, entry.seq);
    try {
      await this.write(`${JSON.stringify(entry)}\n`);
    } catch (err) {
      this.recent.delete(workflowId);
      throw err;
    }
    this.stats.accepted++;
    this.pending.push(entry);
    this.pump();
    return { workflowId, started: false, queued: true } satisfies PipelineStart;
  };

  private remember(workflowId: string, seq: number): void {
    this.recent.set(workflowId, seq);
    const limit = this.options.rememberIds ?? 100_000;
    if (this.recent.size > limit) this.recent.delete(this.recent.keys().next().value!);
  }

  /** Group commit: every line queued while a write is in progress goes out with the next one. */
  private write(line: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.writes.push({ line, done: (err) => (err ? reject(err) : resolve()) });
      if (!this.writing) void this.flushWrites();
    });
  }

  private async flushWrites(): Promise<void> {
    this.writing = true;
    while (this.writes.length > 0) {
      const batch = this.writes.splice(0);
      try {
        await this.journal!.appendFile(batch.map((w) => w.line).join(''));
        await this.journal!.datasync();
        for (const w of batch) w.done();
      } catch (err) {
        for (const w of batch) w.done(err);
      }
    }
    this.writing = false;
  }

  private pump(): void {
    const limit = this.options.concurrency ?? 8;
    while (!this.closed && this.active < limit && this.pending.length > 0) {
      const entry = this.pending.shift()!;
      this.active++;
      void this.dispatch(entry).finally(() => {
        this.active--;
        if (this.active === 0 && this.pending.length === 0) this.idle?.();
        this.pump();
      });
    }
  }

  private async dispatch(entry: Entry, attempt = 1): Promise<void> {
    // Journals written before keys were checked at the door may hold keys that can never start.
    const rule = objectKeyProblem(entry.event.key);
    if (rule) {
      this.stats.failed++;
      this.options.log?.(`inbox: event ${entry.seq} cannot start (${rule}); recorded as failed`);
      await this.record({ seq: entry.seq, outcome: 'failed', error: rule });
      return;
    }
    try {
      const result = await this.options.start(entry.route, entry.event);
      this.stats[result.started ? 'started' : 'existing']++;
      await this.record({ seq: entry.seq, outcome: result.started ? 'started' : 'existing' });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if ((this.options.isPermanent ?? isPermanentStartError)(err)) {
        this.stats.failed++;
        this.options.log?.(`inbox: ${entry.workflowId} cannot start (${message}); recorded as failed`);
        await this.record({ seq: entry.seq, outcome: 'failed', error: message });
        return;
      }
      if (this.closed) return; // stays in the journal: the next start replays it
      this.stats.retries++;
      const delay = Math.min(30_000, 250 * 2 ** Math.min(attempt, 7));
      this.options.log?.(`inbox: start of ${entry.workflowId} failed (${message}); retry ${attempt} in ${delay} ms`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.sleepers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, delay);
        this.sleepers.add(wake);
      });
      if (!this.closed) await this.dispatch(entry, attempt + 1);
    }
  }

  private async record(outcome: Outcome): Promise<void> {
    // Not fsynced: losing an outcome only means a harmless, deduplicated start after a crash.
    await this.outcomes?.appendFile(`${JSON.stringify(outcome)}\n`).catch(() => undefined);
  }

  /** Resolves once every accepted event has been dispatched (for tests and benchmarks). */
  async drained(): Promise<void> {
    if (this.active === 0 && this.pending.length === 0) return;
    await new Promise<void>((resolve) => (this.idle = resolve));
  }

  /** Stops dispatching; starts under way finish; what is left stays journaled for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    for (const wake of [...this.sleepers]) wake();
    while (this.writing) await new Promise((r) => setTimeout(r, 5));
    while (this.active > 0) await new Promise((r) => setTimeout(r, 10));
    await this.journal?.close();
    await this.outcomes?.close();
  }
}

/**
 * The complete lines of a JSONL journal, and how many were torn. A crash mid-write leaves a last
 * line without its newline: it is cut off the file here, so the next append starts on a line of
 * its own instead of gluing a complete entry onto the fragment. A fragment already glued to a
 * complete entry (a journal of an earlier version) gives the entry back: it starts at `{"seq":`.
 */
async function readJournal<T>(file: string): Promise<{ items: T[]; torn: number }> {
  let data: Buffer;
  try {
    data = await fs.readFile(file);
  } catch {
    return { items: [], torn: 0 };
  }
  const complete = data.lastIndexOf(0x0a) + 1;
  let torn = 0;
  if (complete < data.length) {
    torn += data.subarray(complete).toString('utf8').trim() ? 1 : 0;
    await fs.truncate(file, complete);
  }
  const items: T[] = [];
  for (const line of data.subarray(0, complete).toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    const whole = parseEntry<T>(line);
    if (whole !== undefined) {
      items.push(whole);
      continue;
    }
    torn += 1;
    const glued = line.lastIndexOf('{"seq":');
    const recovered = glued > 0 ? parseEntry<T>(line.slice(glued)) : undefined;
    if (recovered !== undefined) items.push(recovered);
  }
  return { items, torn };
}

function parseEntry<T>(text: string): T | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && typeof (value as { seq?: unknown }).seq === 'number' ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}
