import assert from 'node:assert/strict';
import { mapWithLimit } from '../../../../activities/backends/files';

/** A call that ends when the test says so. */
function gate<T>(): { promise: Promise<T>; open: (value: T) => void; fail: (err: Error) => void } {
  let open!: (value: T) => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('activities/backends/files mapWithLimit', () => {
  it('when calls end out of order, then at most `limit` run at once and the results keep the items order', async () => {
    const gates = [0, 1, 2, 3].map(() => gate<string>());
    const started: number[] = [];
    const run = mapWithLimit([0, 1, 2, 3], 2, (i) => {
      started.push(i);
      return gates[i]!.promise;
    });
    await settle();
    assert.deepEqual(started, [0, 1]);
    gates[1]!.open('b');
    await settle();
    assert.deepEqual(started, [0, 1, 2]);
    gates[2]!.open('c');
    gates[0]!.open('a');
    await settle();
    gates[3]!.open('d');

    assert.deepEqual(await run, ['a', 'b', 'c', 'd']);
  });

  it('when a later item fails first, then no new call starts and the first item in order that failed is reported', async () => {
    const gates = [0, 1, 2, 3].map(() => gate<string>());
    const started: number[] = [];
    const run = mapWithLimit([0, 1, 2, 3], 2, (i) => {
      started.push(i);
      return gates[i]!.promise;
    });
    await settle();
    gates[1]!.fail(new Error('second'));
    await settle();
    gates[0]!.fail(new Error('first'));

    await assert.rejects(run, /first/);
    assert.deepEqual(started, [0, 1]);
  });

  it('when there are no items, then there are no results', async () => {
    assert.deepEqual(await mapWithLimit([], 4, async () => assert.fail('no call')), []);
  });
});
