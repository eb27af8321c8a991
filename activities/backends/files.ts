import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ObjectStore } from './types';

/** File helpers both backends' object stores share (jobs' outputs are uploaded the same way on each). */

function isNotFound(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === 'ENOENT';
}

export async function md5OfFile(file: string): Promise<string> {
  const hash = createHash('md5');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** Every regular file under a dir, as paths relative to it, sorted; dotfiles are skipped. */
export async function listFilesRecursive(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(current: string, relative: string): Promise<void> {
    let entries;
    try {
      entries = await fs.readdir(current, { withFileTypes: true });
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path.join(current, entry.name), rel);
      else if (entry.isFile()) out.push(rel);
    }
  }
  await walk(dir, '');
  return out.sort();
}

/**
 * Uploads every file of a local dir under a prefix (relative paths kept); returns the URIs written,
 * in the order of the files. `concurrency` uploads run at once (the local store copies files: a few
 * at once finish sooner than one after another).
 */
export async function uploadDir(store: Pick<ObjectStore, 'putFile'>, localDir: string, prefixUri: string, concurrency = 1): Promise<string[]> {
  const prefix = prefixUri.endsWith('/') ? prefixUri : `${prefixUri}/`;
  return mapWithLimit(await listFilesRecursive(localDir), concurrency, async (rel) => {
    const uri = `${prefix}${rel}`;
    await store.putFile(uri, path.join(localDir, rel));
    return uri;
  });
}

/**
 * `fn` over `items` with at most `limit` calls in flight; the results in the items' order. After a
 * failure no new call starts; once the calls in flight end, the failure of the first item (in the
 * items' order) that failed is thrown, so the error does not depend on timing.
 */
export async function mapWithLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  const failures = new Map<number, unknown>();
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length && failures.size === 0) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!);
      } catch (err) {
        failures.set(i, err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failures.size > 0) throw failures.get(Math.min(...failures.keys()));
  return results;
}
