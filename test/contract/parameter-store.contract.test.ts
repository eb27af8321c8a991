import assert from 'node:assert/strict';
import { contractSuite } from './backends';

contractSuite('contract: ParameterStore', (target) => {
  it('put then get returns the value with version 1; an unknown name is undefined', async () => {
    const { backend } = target();
    const put = await backend.parameters.put('/mlops/xgboost/champion/model-name', 'model-a');
    assert.equal(put.name, '/mlops/xgboost/champion/model-name');
    assert.equal(put.value, 'model-a');
    assert.equal(put.version, 1);
    assert.ok(!Number.isNaN(Date.parse(put.lastModified)));
    const got = await backend.parameters.get('/mlops/xgboost/champion/model-name');
    assert.deepEqual({ ...got, lastModified: undefined }, { ...put, lastModified: undefined });
    assert.equal(await backend.parameters.get('/mlops/nope'), undefined);
  });

  it('a new value adds a version; writing the same value again does not (retries stay idempotent)', async () => {
    const { backend } = target();
    await backend.parameters.put('/mlops/v/p', 'one');
    assert.equal((await backend.parameters.put('/mlops/v/p', 'two')).version, 2);
    assert.equal((await backend.parameters.put('/mlops/v/p', 'two')).version, 2);
    assert.deepEqual({ value: (await backend.parameters.get('/mlops/v/p'))?.value, version: (await backend.parameters.get('/mlops/v/p'))?.version }, { value: 'two', version: 2 });
  });

  it('getByPath is recursive, sorted by name, pages through results and ignores sibling prefixes', async () => {
    const { backend } = target();
    const names = Array.from({ length: 23 }, (_, i) => `/tree/a/${i % 2 ? 'odd' : 'even'}/p${String(i).padStart(2, '0')}`);
    for (const name of names) await backend.parameters.put(name, `value of ${name}`);
    await backend.parameters.put('/tree/ab', 'sibling, not under /tree/a/');
    const found = await backend.parameters.getByPath('/tree/a');
    assert.deepEqual(found.map((p) => p.name), [...names].sort((a, b) => a.localeCompare(b)));
    assert.deepEqual((await backend.parameters.getByPath('/tree/a/')).length, 23);
    assert.deepEqual(await backend.parameters.getByPath('/tree/none'), []);
  });

  it('refuses invalid names and empty values', async () => {
    const { backend } = target();
    await assert.rejects(backend.parameters.put('no-leading-slash', 'x'), /invalid parameter name/);
    await assert.rejects(backend.parameters.put('/mlops/bad name', 'x'), /invalid parameter name/);
    await assert.rejects(backend.parameters.put('/mlops/empty', ''), /the value is empty/);
  });
});
