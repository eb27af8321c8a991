import assert from 'node:assert/strict';
import { readChampion, writeChampion } from '../../activities/registry/champion-store';
import { parameterNames } from '../../common/artifacts';
import { BOTH_PROJECTS, contractSuite } from './backends';

/** Runs for the demo project and a second one: the names are the suite's project's (`p`). */
contractSuite('contract: ParameterStore', (target, _kind, p) => {
  it('put then get returns the value with version 1; an unknown name is undefined', async () => {
    const { backend } = target();
    const name = parameterNames.champion('xgboost', 'model-name', p);
    const put = await backend.parameters.put(name, 'model-a');
    assert.equal(put.name, name);
    assert.equal(put.value, 'model-a');
    assert.equal(put.version, 1);
    assert.ok(!Number.isNaN(Date.parse(put.lastModified)));
    const got = await backend.parameters.get(name);
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
    const { backend, names: project } = target();
    const root = `/mlops/${project.key('tree')}`;
    const names = Array.from({ length: 23 }, (_, i) => `${root}/a/${i % 2 ? 'odd' : 'even'}/p${String(i).padStart(2, '0')}`);
    for (const name of names) await backend.parameters.put(name, `value of ${name}`);
    await backend.parameters.put(`${root}/ab`, 'sibling, not under a/');
    const found = await backend.parameters.getByPath(`${root}/a`);
    assert.deepEqual(found.map((x) => x.name), [...names].sort((a, b) => a.localeCompare(b)));
    assert.deepEqual((await backend.parameters.getByPath(`${root}/a/`)).length, 23);
    assert.deepEqual(await backend.parameters.getByPath(`${root}/none`), []);
  });

  it("when another project exports a champion of the same family, then each project's path and champion read back only its own", async () => {
    const { backend, other } = target();
    const champion = (project: string, modelName: string) => ({
      family: 'xgboost',
      ...(project === p ? target().names.field : target().otherNames.field),
      modelName,
      modelVersion: 1,
      modelArtifactUri: `s3://mlops/m/${modelName}/model.tar.gz`,
      featureSchemaUri: 's3://mlops/f.json',
      endpointName: (project === p ? target().names : target().otherNames).endpoint('xgboost'),
    });
    const mine = await writeChampion(backend.parameters, champion(p, 'mine'));
    const theirs = await writeChampion(backend.parameters, champion(other, 'theirs'));
    assert.equal(new Set([...mine, ...theirs]).size, mine.length + theirs.length, 'no parameter name is shared');
    assert.deepEqual((await backend.parameters.getByPath(parameterNames.championPrefix('xgboost', p))).map((x) => x.name).sort(), [...mine].sort());
    assert.deepEqual((await backend.parameters.getByPath(parameterNames.championPrefix('xgboost', other))).map((x) => x.name).sort(), [...theirs].sort());
    assert.equal((await readChampion(backend.parameters, 'xgboost', p))?.modelName, 'mine');
    assert.equal((await readChampion(backend.parameters, 'xgboost', other))?.modelName, 'theirs');
    assert.equal((await readChampion(backend.parameters, 'xgboost', p))?.endpointName, target().names.endpoint('xgboost'));
    assert.equal(await readChampion(backend.parameters, 'linear-learner', p), undefined);
  });

  it('refuses invalid names and empty values', async () => {
    const { backend } = target();
    await assert.rejects(backend.parameters.put('no-leading-slash', 'x'), /invalid parameter name/);
    await assert.rejects(backend.parameters.put('/mlops/bad name', 'x'), /invalid parameter name/);
    await assert.rejects(backend.parameters.put('/mlops/empty', ''), /the value is empty/);
  });
}, { projects: BOTH_PROJECTS });
