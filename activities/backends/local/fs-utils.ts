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
export { withFileLock } from './file-lock';

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
