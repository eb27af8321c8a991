import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { startHealthProbe } from '../../../workers/health-probe';
import { createTempDir, pollUntil, removeTempDir } from '../../helpers/temp-dir';

describe('workers/health-probe (the worker ready file)', () => {
  let tmp: string;
  let stop: (() => void) | undefined;
  beforeEach(async () => {
    tmp = await createTempDir();
  });
  afterEach(async () => {
    stop?.();
    await removeTempDir(tmp);
  });

  it('when the worker stops reaching a dependency, then its ready file stops being refreshed (so it ages into unhealthy), and is refreshed again once it recovers', async () => {
    const readyFile = path.join(tmp, 'run', 'worker.ready');
    let reachable = true;
    let rounds = 0;
    const logs: string[] = [];
    ({ stop } = await startHealthProbe({
      readyFile,
      everyMs: 20,
      log: (m) => logs.push(m),
      checks: [{ name: 'temporal', check: async () => {
        rounds++;
        if (!reachable) throw new Error('getaddrinfo ENOTFOUND temporal');
      } }],
    }));
    assert.equal(await fs.readFile(readyFile, 'utf8'), String(process.pid), 'written at once when the checks pass');

    reachable = false;
    const since = rounds;
    await pollUntil(async () => rounds, (n) => n >= since + 2);
    const staleAt = (await fs.stat(readyFile)).mtimeMs;
    await pollUntil(async () => rounds, (n) => n >= since + 6);
    assert.equal((await fs.stat(readyFile)).mtimeMs, staleAt, 'not refreshed while Temporal cannot be reached');
    assert.equal(logs.filter((l) => l.includes('ENOTFOUND temporal')).length, 1, 'the failure is logged once, not every round');

    reachable = true;
    await pollUntil(async () => (await fs.stat(readyFile)).mtimeMs, (m) => m > staleAt);
    assert.ok(logs.some((l) => l.includes('passes again')));
  });
});
