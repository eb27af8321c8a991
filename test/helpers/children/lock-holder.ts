/**
 * A process that holds a file lock until told to let go, for tests of locks across processes.
 *
 *   node --import tsx lock-holder.ts <lockPath> <leaseMs> <releaseFile> <journal>
 *
 * Prints `locked` once it holds the lock, appends `holder in <pid>` / `holder out <pid>` to the
 * journal around its critical section, and leaves it once `releaseFile` exists.
 */
import { promises as fs } from 'node:fs';
import { withFileLock } from '../../../activities/backends/local/fs-utils';

async function main(): Promise<void> {
  const [lockPath, leaseMs, releaseFile, journal] = process.argv.slice(2);
  if (!lockPath || !leaseMs || !releaseFile || !journal) throw new Error('usage: lock-holder <lockPath> <leaseMs> <releaseFile> <journal>');
  await withFileLock(
    lockPath,
    async () => {
      await fs.appendFile(journal, `holder in ${process.pid}\n`);
      process.stdout.write('locked\n');
      while (!(await fs.stat(releaseFile).then(() => true, () => false))) await new Promise((r) => setTimeout(r, 20));
      await fs.appendFile(journal, `holder out ${process.pid}\n`);
    },
    { leaseMs: Number(leaseMs) },
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
