import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { heartbeatCurrentActivity } from './activity-heartbeat';
import { currentProcess, livenessOf, type Liveness, type ProcessIdentity } from './process-identity';

/**
 * An exclusive lock shared by every process that sees the same file system (workers, the CLI, the
 * endpoint host). The lock is a file created atomically with its content (link(2) of a written temp
 * file fails when the lock exists) naming its holder and its lease:
 *
 * - the holder renews the lease (the file's mtime) every third of it while its critical section
 *   runs, so a section may last as long as it needs (finalize uploading a big output);
 * - a waiter takes the lock over only when the lease expired (mtime + the holder's `leaseMs`) or
 *   when the holder is proven dead (a process of this host, boot and pid namespace that is gone),
 *   never by a limit of its own: how long a waiter is willing to wait (`timeoutMs`) only decides
 *   when it gives up;
 * - takeovers are serialised by a guard (`<lock>.break`, a mkdir): the guard re-reads the lock and
 *   removes it only if it is still the same, still expired lock, so two waiters cannot both break
 *   it and one of them remove the lock the other just took;
 * - a waiter reports every second (`onWait`; by default a heartbeat of the current Temporal
 *   activity, so an activity waiting on a lock never exceeds its heartbeat timeout).
 *
 * What it cannot guard against: a holder alive but stalled for longer than its whole lease (its
 * event loop blocked, its machine suspended) loses the lock to a waiter while it still thinks it
 * holds it; and across hosts, the lease trusts the clocks to agree within a fraction of it.
 */

export interface FileLockOptions {
  /** How long the lock stays valid without a renewal; the holder renews it every third of this. Default 30 s. */
  leaseMs?: number;
  /** How long to wait for a live holder before giving up with LockTimeoutError (retryable). Default 60 s. */
  timeoutMs?: number;
  /** Called about once a second while waiting. Default: heartbeat the current Temporal activity, if any. */
  onWait?: (wait: LockWait) => void;
}

export interface LockWait {
  lockPath: string;
  waitedMs: number;
  /** Undefined for a lock written by an older version (an empty directory) or one being created. */
  holder?: ProcessIdentity;
  expiresAt: string;
}

/** What the lock file holds: who holds it and for how long without a renewal. */
export interface LockRecord {
  version: 1;
  token: string;
  holder: ProcessIdentity;
  acquiredAt: string;
  leaseMs: number;
}

export const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_TIMEOUT_MS = 60_000;
const WAIT_REPORT_EVERY_MS = 1_000;
const MAX_POLL_MS = 50;
/** The takeover guard lives for milliseconds; one this old was left by a waiter that crashed inside it. */
const BREAK_GUARD_STALE_MS = 10_000;

export class LockTimeoutError extends Error {
  constructor(
    readonly lockPath: string,
    readonly waitedMs: number,
    readonly holder: ProcessIdentity | undefined,
    readonly expiresAt: string,
  ) {
    const who = holder ? `pid ${holder.pid} on ${holder.host}` : 'an unnamed holder';
    super(`timed out after ${waitedMs} ms waiting for the lock ${lockPath}, held by ${who} (lease until ${expiresAt})`);
    this.name = 'LockTimeoutError';
  }
}

/** A lock this process holds. */
export interface HeldLock {
  readonly lockPath: string;
  readonly token: string;
  /** Whether the lock file is still this holder's (false once a waiter took it over after a stall longer than the lease). */
  isHeld(): Promise<boolean>;
  /** Stops renewing and removes the lock if it is still this holder's. */
  release(): Promise<void>;
}

/** What another process sees of a lock: its holder, its token and until when its lease runs without a renewal. */
export interface LockState {
  token: string;
  holder: ProcessIdentity;
  expiresAtMs: number;
  expired: boolean;
}

/** The lock at `lockPath` as it is now; undefined when nobody holds it (or its record cannot be read). */
export async function readLockState(lockPath: string): Promise<LockState | undefined> {
  const seen = await inspect(lockPath);
  if (!seen?.record) return undefined;
  return { token: seen.record.token, holder: seen.record.holder, expiresAtMs: seen.expiresAtMs, expired: isExpired(seen) };
}

/** Runs `fn` while holding the lock at `lockPath` (see the module comment for the rules). */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const lock = await acquireFileLock(lockPath, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

export async function acquireFileLock(lockPath: string, options: FileLockOptions = {}): Promise<HeldLock> {
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  if (!(leaseMs > 0)) throw new Error(`the lease of ${lockPath} must be positive, got ${leaseMs}`);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const onWait = options.onWait ?? reportAsHeartbeat;
  const started = Date.now();
  let reported = started;
  for (let attempt = 0; ; attempt++) {
    const token = randomUUID();
    if (await tryCreate(lockPath, { version: 1, token, holder: currentProcess(), acquiredAt: new Date().toISOString(), leaseMs })) {
      return holdWithRenewal(lockPath, token, leaseMs);
    }
    const seen = await inspect(lockPath);
    if (seen && (isExpired(seen) || seen.liveness === 'dead')) {
      await breakLock(lockPath, seen);
      continue;
    }
    const now = Date.now();
    if (now - started >= timeoutMs) throw new LockTimeoutError(lockPath, now - started, seen?.record?.holder, new Date(seen?.expiresAtMs ?? now).toISOString());
    if (seen && now - reported >= WAIT_REPORT_EVERY_MS) {
      reported = now;
      onWait({ lockPath, waitedMs: now - started, ...(seen.record ? { holder: seen.record.holder } : {}), expiresAt: new Date(seen.expiresAtMs).toISOString() });
    }
    await sleep(Math.min(2 ** attempt, MAX_POLL_MS) + Math.random() * 5);
  }
}

function reportAsHeartbeat(wait: LockWait): void {
  heartbeatCurrentActivity({ waitingForLock: wait.lockPath, waitedMs: wait.waitedMs, holder: wait.holder, leaseUntil: wait.expiresAt });
}

/** Creates the lock with its content in one step; false when it exists. */
async function tryCreate(lockPath: string, record: LockRecord): Promise<boolean> {
  const tmp = `${lockPath}.${record.token}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(record));
  try {
    await fs.link(tmp, lockPath);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code && NO_HARD_LINKS.has(code)) return createExclusive(lockPath, record);
    throw err;
  } finally {
    await fs.unlink(tmp).catch(() => undefined);
  }
}

/** Errors of a file system without hard links (some network and FUSE mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * Exclusive create, then write: a waiter that reads the file before its content is written sees an
 * unnamed lock and waits for the default lease, so the gap costs nothing but a slower takeover.
 */
async function createExclusive(lockPath: string, record: LockRecord): Promise<boolean> {
  let handle;
  try {
    handle = await fs.open(lockPath, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(JSON.stringify(record));
  } finally {
    await handle.close();
  }
  return true;
}

interface SeenLock {
  ino: number;
  /** Undefined for a lock of the previous format (an empty directory) or an unreadable file. */
  record?: LockRecord;
  isDirectory: boolean;
  expiresAtMs: number;
  liveness: Liveness;
}

/** Reads the lock's record and its last renewal from one open file, so both describe the same lock. */
async function inspect(lockPath: string): Promise<SeenLock | undefined> {
  let handle;
  try {
    handle = await fs.open(lockPath, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const stat = await handle.stat();
    const record = stat.isFile() ? parseRecord(await handle.readFile('utf8')) : undefined;
    // An unnamed lock (the previous format, or one whose writer died mid-way) gets the default lease.
    const leaseMs = record?.leaseMs ?? DEFAULT_LEASE_MS;
    return {
      ino: stat.ino,
      ...(record ? { record } : {}),
      isDirectory: stat.isDirectory(),
      expiresAtMs: stat.mtimeMs + leaseMs,
      liveness: record ? livenessOf(record.holder) : 'unknown',
    };
  } finally {
    await handle.close();
  }
}

function parseRecord(text: string): LockRecord | undefined {
  try {
    const doc = JSON.parse(text) as Partial<LockRecord>;
    const holder = doc.holder;
    if (doc.version !== 1 || typeof doc.token !== 'string' || typeof doc.leaseMs !== 'number' || !holder || typeof holder.pid !== 'number' || typeof holder.host !== 'string') return undefined;
    return doc as LockRecord;
  } catch {
    return undefined;
  }
}

function isExpired(seen: SeenLock): boolean {
  return Date.now() > seen.expiresAtMs;
}

/** Removes `seen` if it is still the lock there and still expired or dead, one waiter at a time. */
async function breakLock(lockPath: string, seen: SeenLock): Promise<void> {
  const guard = `${lockPath}.break`;
  try {
    await fs.mkdir(guard);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const stat = await fs.stat(guard).catch(() => undefined);
    if (stat && Date.now() - stat.mtimeMs > BREAK_GUARD_STALE_MS) await fs.rm(guard, { recursive: true, force: true });
    await sleep(1 + Math.random() * 5);
    return;
  }
  try {
    const again = await inspect(lockPath);
    if (!again || again.ino !== seen.ino || again.record?.token !== seen.record?.token) return;
    if (isExpired(again) || again.liveness === 'dead') await fs.rm(lockPath, { recursive: again.isDirectory, force: true });
  } finally {
    await fs.rm(guard, { recursive: true, force: true });
  }
}

function holdWithRenewal(lockPath: string, token: string, leaseMs: number): HeldLock {
  let stopped = false;
  let renewing: Promise<void> = Promise.resolve();
  const renew = async () => {
    if (stopped) return;
    try {
      const seen = await inspect(lockPath);
      // Lost (taken over after a stall longer than the lease): touching it would extend another holder's lease.
      if (stopped || seen?.record?.token !== token) return;
      const now = new Date();
      await fs.utimes(lockPath, now, now);
    } catch {
      // A failed renewal is retried at the next tick; it must never crash the process.
    }
  };
  const timer = setInterval(() => {
    renewing = renewing.then(renew);
  }, Math.max(1, Math.floor(leaseMs / 3)));
  timer.unref();
  return {
    lockPath,
    token,
    async isHeld() {
      const seen = await inspect(lockPath).catch(() => undefined);
      return !stopped && seen?.record?.token === token;
    },
    async release() {
      stopped = true;
      clearInterval(timer);
      await renewing;
      const seen = await inspect(lockPath).catch(() => undefined);
      if (seen?.record?.token === token) await fs.rm(lockPath, { force: true });
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
