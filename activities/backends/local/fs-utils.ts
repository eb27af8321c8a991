import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

/**
 * Writes a file atomically (temp file + rename), so readers never see half a file. The temp file
 * is a dotfile of fixed length beside it (never `<name>.tmp-...`): a name that fits NAME_MAX must
 * not fail only because its temp name is longer.
 */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = tempSibling(file);
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, file);
}

/** A unique temp name in the same directory (so a rename onto `file` is atomic), as short as a UUID. */
export function tempSibling(file: string): string {
  return path.join(path.dirname(file), `.tmp-${randomUUID()}`);
}

export async function readJsonFile<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT';
}

export { listFilesRecursive, md5OfFile } from '../files';

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `fn` while holding an exclusive lock shared by every process on this machine. The lock is
 * a directory (mkdir is atomic); one older than `staleMs` is left over from a crashed holder and
 * is taken over. Critical sections here last milliseconds, so no refresh timer is needed.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: { staleMs?: number; timeoutMs?: number } = {}): Promise<T> {
  const staleMs = options.staleMs ?? 30_000;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (let attempt = 0; ; attempt++) {
    try {
      await fs.mkdir(lockPath);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const stat = await fs.stat(lockPath).catch(() => undefined);
      if (stat && Date.now() - stat.mtimeMs > staleMs) {
        await fs.rm(lockPath, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${lockPath}`);
      await new Promise((r) => setTimeout(r, Math.min(2 ** attempt, 50) + Math.random() * 5));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockPath, { recursive: true, force: true });
  }
}
