import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { withFileLock } from '../../../../../activities/backends/local/fs-utils';
import { runChildScript, type ChildScript } from '../../../../helpers/children';
import { createTempDir, pollUntil, removeTempDir } from '../../../../helpers/temp-dir';

/**
 * The file lock across real processes: a child process (test/helpers/children/lock-holder.ts)
 * holds the lock while the test process waits for it, kills the holder or freezes it.
 */
/** The state letter of a process (Linux /proc): R, S, T (stopped), Z ... */
async function processState(pid: number): Promise<string> {
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] ?? '?';
}

describe('activities/backends/local/file-lock (across processes)', function () {
  this.timeout(20_000);
  let tmp: string;
  let lockPath: string;
  let journal: string;
  const holders: ChildScript[] = [];

  beforeEach(async () => {
    tmp = await createTempDir('mlops-lock-');
    lockPath = path.join(tmp, 'job.lock');
    journal = path.join(tmp, 'journal.txt');
  });

  afterEach(async () => {
    for (const h of holders.splice(0)) {
      if (h.child.exitCode === null && h.child.signalCode === null) {
        h.child.kill('SIGKILL');
        await h.exited;
      }
    }
    await removeTempDir(tmp);
  });

  async function holdInChild(leaseMs: number): Promise<{ holder: ChildScript; release: () => Promise<void> }> {
    const releaseFile = path.join(tmp, `release-${holders.length}`);
    const holder = runChildScript('lock-holder.ts', [lockPath, String(leaseMs), releaseFile, journal]);
    holders.push(holder);
    await holder.printed('locked');
    return { holder, release: () => fs.writeFile(releaseFile, '') };
  }

  async function journalLines(): Promise<string[]> {
    return (await fs.readFile(journal, 'utf8').catch(() => '')).split('\n').filter(Boolean).map((l) => l.replace(/ \d+$/, ''));
  }

  it('when a live holder keeps the lock past its lease and past a waiter\'s limit, then the waiter gives up without breaking it', async () => {
    const { holder, release } = await holdInChild(300);

    await assert.rejects(
      withFileLock(lockPath, () => fs.appendFile(journal, 'waiter in\n'), { timeoutMs: 1500 }),
      (err: Error) => /timed out after \d+ ms waiting for the lock/.test(err.message) && err.message.includes(`pid ${holder.child.pid}`),
    );

    assert.deepEqual(await journalLines(), ['holder in'], 'the waiter never entered while the holder held the lock');
    await release();
    await withFileLock(lockPath, () => fs.appendFile(journal, 'waiter in\n'), { timeoutMs: 5000 });
    assert.deepEqual(await journalLines(), ['holder in', 'holder out', 'waiter in']);
    assert.equal(await holder.exited, 0, holder.stderr());
  });

  it('when a holder\'s critical section outlasts its lease many times, then its renewals keep the lock and a waiter enters only after the release', async () => {
    const { holder, release } = await holdInChild(250);
    const reports: { waitedMs: number; pid?: number }[] = [];

    const waiter = withFileLock(lockPath, () => fs.appendFile(journal, 'waiter in\n'), {
      timeoutMs: 10_000,
      onWait: (wait) => reports.push({ waitedMs: wait.waitedMs, ...(wait.holder ? { pid: wait.holder.pid } : {}) }),
    });
    // Let four leases pass (the waiter reports them) before the holder lets go.
    await pollUntil(async () => reports.at(-1)?.waitedMs ?? 0, (waited) => waited >= 1000);
    await release();
    await waiter;

    assert.deepEqual(await journalLines(), ['holder in', 'holder out', 'waiter in']);
    assert.ok(reports.every((r) => r.pid === holder.child.pid), JSON.stringify(reports));
  });

  it('when the holder is SIGKILLed, then a waiter of the same host takes the lock over at once (its holder is proven dead), long before its lease ends', async () => {
    const { holder } = await holdInChild(60_000);
    holder.child.kill('SIGKILL');
    await holder.exited;
    const started = Date.now();

    await withFileLock(lockPath, () => fs.appendFile(journal, 'waiter in\n'), { timeoutMs: 5000 });

    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assert.deepEqual(await journalLines(), ['holder in', 'waiter in']);
  });

  it('when a live holder stops renewing (frozen with SIGSTOP, like a holder whose death cannot be seen), then its lock is taken over after its lease and not before', async () => {
    const leaseMs = 1200;
    const { holder } = await holdInChild(leaseMs);
    holder.child.kill('SIGSTOP');
    await pollUntil(() => processState(holder.child.pid!), (state) => state === 'T');
    // Frozen: the lock's mtime is its last renewal, and no renewal follows.
    const lastRenewal = (await fs.stat(lockPath)).mtimeMs;
    let takenAt = 0;

    await withFileLock(
      lockPath,
      async () => {
        takenAt = Date.now();
        await fs.appendFile(journal, 'waiter in\n');
      },
      { timeoutMs: 10_000 },
    );

    assert.ok(takenAt >= lastRenewal + leaseMs - 5, `taken over ${lastRenewal + leaseMs - takenAt} ms before the lease ended`);
    assert.ok(takenAt < lastRenewal + leaseMs + 2000, `taken over only ${takenAt - lastRenewal - leaseMs} ms after the lease ended`);
    assert.deepEqual(await journalLines(), ['holder in', 'waiter in']);
  });

  it('when several waiters find the same dead holder\'s lock, then they take it one at a time', async () => {
    const { holder } = await holdInChild(60_000);
    holder.child.kill('SIGKILL');
    await holder.exited;
    let inside = 0;
    let most = 0;

    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        withFileLock(
          lockPath,
          async () => {
            most = Math.max(most, ++inside);
            await fs.appendFile(journal, `waiter ${i}\n`);
            await new Promise((r) => setTimeout(r, 5));
            inside--;
          },
          { timeoutMs: 10_000 },
        ),
      ),
    );

    assert.equal(most, 1);
    assert.equal((await journalLines()).length, 7);
  });

  it('when the lock is an empty directory left by the previous version, then it counts as held for the default lease after its last change', async () => {
    await fs.mkdir(lockPath);
    await assert.rejects(withFileLock(lockPath, async () => undefined, { timeoutMs: 300 }), /timed out/);
    const old = new Date(Date.now() - 31_000);
    await fs.utimes(lockPath, old, old);

    assert.equal(await withFileLock(lockPath, async () => 'mine', { timeoutMs: 300 }), 'mine');
    await assert.rejects(fs.stat(lockPath), /ENOENT/, 'released');
  });
});
