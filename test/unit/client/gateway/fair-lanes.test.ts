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
    const lane = new FairLane(2);
    const started: string[] = [];
    const owner = {};
    const gates = Array.from({ length: 5 }, (_, i) => gate(started, `t${i}`));

    const results = gates.map((g) => lane.run(owner, g.task));
    await tick();
    assert.deepEqual(started, ['t0', 't1']);
    assert.deepEqual(lane.load, { running: 2, waiting: 3 });
    for (const g of gates) {
      g.finish();
      await tick();
    }

    assert.deepEqual(await Promise.all(results), ['t0', 't1', 't2', 't3', 't4']);
    assert.deepEqual(lane.load, { running: 0, waiting: 0 });
  });

  it('when a one-task owner arrives behind a 100-task owner, then it takes the next free slot', async () => {
    const lane = new FairLane(2);
    const started: string[] = [];
    const big = {};
    const small = {};
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
    const lane = new FairLane(1);
    const started: string[] = [];
    const a = {};
    const b = {};
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
    const lane = new FairLane(1);
    const owner = {};

    await assert.rejects(lane.run(owner, () => Promise.reject(new Error('endpoint down'))), /endpoint down/);
    assert.equal(await lane.run(owner, async () => 'next'), 'next');
  });
});
