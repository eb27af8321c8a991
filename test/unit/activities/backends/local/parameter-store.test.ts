import assert from 'node:assert/strict';
import path from 'node:path';
import { LocalParameterStore } from '../../../../../activities/backends/local/parameter-store';
import { createTempDir, removeTempDir } from '../../../../helpers/temp-dir';

describe('activities/backends/local/parameter-store', () => {
  let tmp: string;
  let file: string;
  let store: LocalParameterStore;

  beforeEach(async () => {
    tmp = await createTempDir();
    file = path.join(tmp, 'registry', 'parameters.json');
    store = new LocalParameterStore(file);
  });

  afterEach(async () => {
    await removeTempDir(tmp);
  });

  it('when a parameter is put for the first time, then it has version 1 and get returns it', async () => {
    const put = await store.put('/mlops/xgboost/champion/model-name', 'model-a');

    assert.equal(put.version, 1);
    assert.equal(put.value, 'model-a');
    assert.deepEqual(await store.get('/mlops/xgboost/champion/model-name'), put);
  });

  it('when the value changes, then the version goes up; when it is the same, then it stays', async () => {
    await store.put('/p', 'a');

    const same = await store.put('/p', 'a');
    const changed = await store.put('/p', 'b');
    const back = await store.put('/p', 'a');

    assert.deepEqual([same.version, changed.version, back.version], [1, 2, 3]);
    assert.equal((await store.get('/p'))?.value, 'a');
  });

  it('when a parameter was never put, then get returns undefined', async () => {
    assert.equal(await store.get('/nothing'), undefined);
  });

  it('when reading by path, then only parameters under that path come back, sorted, without history', async () => {
    await store.put('/mlops/xgboost/champion/model-version', '2');
    await store.put('/mlops/xgboost/champion/model-name', 'm');
    await store.put('/mlops/xgboost/champion/model-name', 'm2');
    await store.put('/mlops/xgboost/championship', 'not under the path');
    await store.put('/mlops/linear-learner/champion/model-name', 'l');

    const found = await store.getByPath('/mlops/xgboost/champion');

    assert.deepEqual(found.map((p) => [p.name, p.value, p.version]), [
      ['/mlops/xgboost/champion/model-name', 'm2', 2],
      ['/mlops/xgboost/champion/model-version', '2', 1],
    ]);
    assert.deepEqual(Object.keys(found[0]!).sort(), ['lastModified', 'name', 'value', 'version']);
    assert.deepEqual(await store.getByPath('/mlops/xgboost/champion/'), found);
  });

  it('when the name is invalid, then put throws and nothing is stored', async () => {
    for (const name of ['no-leading-slash', '/', '/with space', '/semi;colon', `/${'a'.repeat(1011)}`, '']) {
      await assert.rejects(store.put(name, 'v'), /invalid parameter name/, JSON.stringify(name));
    }
    assert.deepEqual(await store.getByPath('/'), []);
  });

  it('when the value is empty, then put throws', async () => {
    await assert.rejects(store.put('/p', ''), /the value is empty/);
    assert.equal(await store.get('/p'), undefined);
  });

  it('when many changes to one parameter run at once, then every one gets its own version', async () => {
    await Promise.all(Array.from({ length: 10 }, (_, i) => store.put('/counter', `v${i}`)));

    assert.equal((await store.get('/counter'))?.version, 10);
  });

  it('when a new instance opens the same file, then it sees the values and continues versions', async () => {
    await store.put('/p', 'a');
    await store.put('/p', 'b');

    const reopened = new LocalParameterStore(file);
    const next = await reopened.put('/p', 'c');

    assert.equal(next.version, 3);
    assert.deepEqual(await new LocalParameterStore(file).get('/p'), next);
  });
  it('when several parameters are put at once, then each is versioned as if put alone, in order', async () => {
    await store.put('/a', '1');

    const put = await store.putMany([
      { name: '/a', value: '1' },
      { name: '/a', value: '2' },
      { name: '/b', value: 'x' },
    ]);

    assert.deepEqual(put.map((p) => `${p.name}@${p.version}=${p.value}`), ['/a@1=1', '/a@2=2', '/b@1=x']);
    assert.equal((await store.get('/a'))?.value, '2');
    assert.equal((await new LocalParameterStore(file).get('/b'))?.version, 1);
  });

  it('when one of several parameters is invalid, then none is stored', async () => {
    await assert.rejects(
      store.putMany([
        { name: '/ok', value: 'v' },
        { name: 'no-slash', value: 'v' },
      ]),
      /invalid parameter name 'no-slash'/,
    );

    assert.equal(await store.get('/ok'), undefined);
  });
});
