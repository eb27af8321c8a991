import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readJsonFile, withFileLock, writeFileAtomic } from './fs-utils';

/**
 * A small JSON document on disk, read whole and replaced atomically under a lock, so several
 * processes (workers, CLI) can share it. Fit for registries of hundreds of entries, not for data.
 */
export class JsonState<T> {
  constructor(
    private readonly file: string,
    private readonly initial: () => T,
  ) {}

  async read(): Promise<T> {
    return (await readJsonFile<T>(this.file)) ?? this.initial();
  }

  /** Applies `change` to the current document under an exclusive lock and persists the result. */
  async update<R>(change: (state: T) => R): Promise<R> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    return withFileLock(`${this.file}.lock`, async () => {
      const state = await this.read();
      const result = change(state);
      await writeFileAtomic(this.file, JSON.stringify(state, null, 2));
      return result;
    });
  }
}
