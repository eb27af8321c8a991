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

/** Uploads every file of a local dir under a prefix (relative paths kept); returns the URIs written. */
export async function uploadDir(store: Pick<ObjectStore, 'putFile'>, localDir: string, prefixUri: string): Promise<string[]> {
  const prefix = prefixUri.endsWith('/') ? prefixUri : `${prefixUri}/`;
  const written: string[] = [];
  for (const rel of await listFilesRecursive(localDir)) {
    const uri = `${prefix}${rel}`;
    await store.putFile(uri, path.join(localDir, rel));
    written.push(uri);
  }
  return written;
}
