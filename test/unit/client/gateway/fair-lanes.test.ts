import assert from 'node:assert/strict';
import { FairLane } from '../../../../client/gateway/fair-lanes';

/** A task the test finishes by hand, recording when it started. */
function gate(started: string[], name: string): { task: () => Promise<string>; finish: () => void } {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  return {
    task: async () => {
      started.push(name);
      await done;
      return name;
    },
    finish: () => finish(),
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('client/gateway/fair-lanes', () => {
  it('when more tasks than the limit are queued, then at most limit run at once and all of them finish', async () => {
    const lane = new FairLane(2, 2);
    const started: string[] = [];
    const owner = { bulk: false };
    const gates = Array.from({ length: 5 }, (_, i) => gate(started, `t${i}`));

    const results = gates.map((g) => lane.run(owner, g.task));
    await tick();
    assert.deepEqual(started, ['t0', 't1']);
    assert.deepEqual(lane.load, { running: 2, bulkRunning: 0, waiting: 3 });
    for (const g of gates) {
      g.finish();
      await tick();
    }

    assert.deepEqual(await Promise.all(results), ['t0', 't1', 't2', 't3', 't4']);
    assert.deepEqual(lane.load, { running: 0, bulkRunning: 0, waiting: 0 });
  });

  it('when a one-task owner arrives behind a 100-task owner, then it takes the next free slot', async () => {
    const lane = new FairLane(2, 2);
    const started: string[] = [];
    const big = { bulk: false };
    const small = { bulk: false };
    const bigGates = Array.from({ length: 100 }, (_, i) => gate(started, `big${i}`));
    const bigRuns = bigGates.map((g) => lane.run(big, g.task));
    await tick();
    const smallGate = gate(started, 'small');
    const smallRun = lane.run(small, smallGate.task);

    bigGates[0]!.finish();
    await tick();

    assert.deepEqual(started, ['big0', 'big1', 'small']);
    smallGate.finish();
    for (const g of bigGates) g.finish();
    await Promise.all([smallRun, ...bigRuns]);
  });

  it('when two large owners share a lane, then they take turns', async () => {
    const lane = new FairLane(1, 1);
    const started: string[] = [];
    const a = { bulk: false };
    const b = { bulk: false };
    const gates = [...Array.from({ length: 3 }, (_, i) => ['a', i] as const), ...Array.from({ length: 3 }, (_, i) => ['b', i] as const)].map(([o, i]) => ({ owner: o === 'a' ? a : b, g: gate(started, `${o}${i}`) }));
    const runs = gates.map(({ owner, g }) => lane.run(owner, g.task));
    for (const { g } of gates) {
      await tick();
      g.finish();
    }
    await Promise.all(runs);

    assert.deepEqual(started, ['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
  });

  it('when a task fails, then its error reaches its caller and the slot is freed', async () => {
    const lane = new FairLane(1, 1);
    const owner = { bulk: false };

    await assert.rejects(lane.run(owner, () => Promise.reject(new Error('endpoint down'))), /endpoint down/);
    assert.equal(await lane.run(owner, async () => 'next'), 'next');
  });

  it('when bulk owners have many tasks, then together they hold at most the bulk limit, and a one-task owner still starts at once', async () => {
    const lane = new FairLane(4, 1);
    const started: string[] = [];
    const bulkA = { bulk: true };
    const bulkB = { bulk: true };
    const a = Array.from({ length: 5 }, (_, i) => gate(started, `a${i}`));
    const b = Array.from({ length: 5 }, (_, i) => gate(started, `b${i}`));
    const runs = [...a.map((g) => lane.run(bulkA, g.task)), ...b.map((g) => lane.run(bulkB, g.task))];
    await tick();
    assert.deepEqual(started, ['a0']);
    assert.deepEqual(lane.load, { running: 1, bulkRunning: 1, waiting: 9 });

    const single = gate(started, 'single');
    const singleRun = lane.run({ bulk: false }, single.task);
    await tick();
    assert.deepEqual(started, ['a0', 'single'], 'the one-task owner does not wait for the bulk slot');

    a[0]!.finish();
    await tick();
    assert.deepEqual(started, ['a0', 'single', 'b0'], 'the bulk slot goes to the other bulk owner in turn');
    single.finish();
    for (const g of [...a, ...b]) g.finish();
    await Promise.all([singleRun, ...runs]);
  });
});
