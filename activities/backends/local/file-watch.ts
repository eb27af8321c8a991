import { watch, type FSWatcher } from 'node:fs';

/**
 * Resolves true as soon as one of `names` in `dir` is created, replaced or removed (or the platform
 * does not say which file changed), false after `timeoutMs` or when `signal` aborts. `settled` is
 * checked once the watch is in place, so a change that happened just before it is not missed.
 * Without a working watch (no inotify left, a file system that sends no events) it is a plain
 * timer: callers keep polling at `timeoutMs`.
 */
export function waitForFileEvent(dir: string, names: readonly string[], timeoutMs: number, signal: AbortSignal | undefined, settled: () => Promise<boolean>): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let watcher: FSWatcher | undefined;
    let done = false;
    const finish = (changed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
      watcher?.close();
      resolve(changed);
    };
    const aborted = () => finish(false);
    const timer = setTimeout(() => finish(false), timeoutMs);
    if (signal?.aborted) return finish(false);
    signal?.addEventListener('abort', aborted, { once: true });
    try {
      watcher = watch(dir, { persistent: false }, (_event, filename) => {
        if (filename === null || names.includes(filename.toString())) finish(true);
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      watcher = undefined;
    }
    settled().then(
      (already) => {
        if (already) finish(true);
      },
      () => undefined,
    );
  });
}
