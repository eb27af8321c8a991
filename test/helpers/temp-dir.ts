import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A fresh dir under the OS temp dir, so each test owns its files. */
export function createTempDir(prefix = 'mlops-unit-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/**
 * Removes a dir made by `createTempDir` and everything in it (a no-op when it was never made). A
 * job process of the test may still be writing its last files as it exits (ENOTEMPTY while the
 * tree is walked): Node retries those with a short backoff.
 */
export async function removeTempDir(dir: string | undefined): Promise<void> {
  if (dir) await fs.rm(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
}

/**
 * Calls `probe` until `done` accepts its result, pausing `intervalMs` between calls: polling for a
 * state, not waiting a fixed time. Fails with the last result when `timeoutMs` passes first.
 */
export async function pollUntil<T>(probe: () => Promise<T>, done: (value: T) => boolean, options: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
