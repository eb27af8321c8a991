import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { combine, CombinerError, CombinerRegistry } from '../../../../client/gateway/combiners';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

const BOTH = { xgboost: 120, 'linear-learner': 100 };

describe('client/gateway/combiners', () => {
  let tmp: string;
  let registry: CombinerRegistry;

  beforeEach(async () => {
    tmp = await createTempDir('mlops-combiners-');
    registry = new CombinerRegistry(tmp);
  });

  afterEach(async () => {
    await removeTempDir(tmp);
  });

  async function writeModule(name: string, source: string): Promise<string> {
    const file = path.join(tmp, name);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, source);
    return file;
  }

  describe('built-in combiners', () => {
    it('when max combines both models, then the larger prediction wins', async () => {
      const max = await registry.resolve('max');

      assert.equal(max(BOTH), 120);
      assert.equal(max({ xgboost: -5, 'linear-learner': -7 }), -5);
    });

    it('when mean combines both models, then it is their average', async () => {
      const mean = await registry.resolve('mean');

      assert.equal(mean(BOTH), 110);
    });

    it('when only one model answered, then max and mean give its answer', async () => {
      const max = await registry.resolve('max');
      const mean = await registry.resolve('mean');

      assert.equal(max({ 'linear-learner': 100 }), 100);
      assert.equal(mean({ 'linear-learner': 100 }), 100);
    });

    it('when model:<family> is named, then that family’s prediction is the answer', async () => {
      assert.equal((await registry.resolve('model:xgboost'))(BOTH), 120);
      assert.equal((await registry.resolve('model:linear-learner'))(BOTH), 100);
    });

    it('when model:<family> gets no prediction from that family, then a CombinerError says so', async () => {
      const xgboostOnly = await registry.resolve('model:xgboost');

      assert.throws(() => xgboostOnly({ 'linear-learner': 100 }), (err: Error) => err instanceof CombinerError && err.message === "combiner 'model:xgboost': xgboost gave no prediction");
    });

    it('when model:<family> names an unknown family, then resolving fails with a CombinerError', async () => {
      await assert.rejects(registry.resolve('model:random-forest'), (err: Error) => err instanceof CombinerError && /unknown model family 'random-forest'/.test(err.message));
    });

    it('when the name is unknown, then the error lists the valid forms', async () => {
      for (const name of ['median', '', 'MAX', 'module', 'model']) {
        await assert.rejects(registry.resolve(name), { name: 'CombinerError', message: `unknown combiner '${name}': use max, mean, model:<family> or module:<path>` });
      }
    });
  });

  describe('module combiners', () => {
    it('when an ES module exports combine, then it is used', async () => {
      await writeModule('weighted.mjs', "export function combine(p) { return 0.75 * p.xgboost + 0.25 * p['linear-learner']; }\n");

      const weighted = await registry.resolve('module:weighted.mjs');

      assert.equal(weighted(BOTH), 115);
    });

    it('when an ES module has a default function, then it is used', async () => {
      await writeModule('first.mjs', 'export default (p) => p.xgboost ?? p["linear-learner"];\n');

      assert.equal((await registry.resolve('module:first.mjs'))({ 'linear-learner': 7 }), 7);
    });

    it('when a CommonJS module exports combine or an object with combine, then it is used', async () => {
      await writeModule('named.cjs', 'exports.combine = (p) => p.xgboost + 1;\n');
      await writeModule('object.cjs', 'module.exports = { combine: (p) => p.xgboost + 2 };\n');
      await writeModule('function.cjs', 'module.exports = (p) => p.xgboost + 3;\n');

      assert.equal((await registry.resolve('module:named.cjs'))(BOTH), 121);
      assert.equal((await registry.resolve('module:object.cjs'))(BOTH), 122);
      assert.equal((await registry.resolve('module:function.cjs'))(BOTH), 123);
    });

    it('when the path is in a subfolder or absolute, then it resolves from the base dir or as given', async () => {
      const file = await writeModule('combiners/lowest.mjs', 'export const combine = (p) => Math.min(...Object.values(p));\n');

      const relative = await registry.resolve('module:combiners/lowest.mjs');
      const absolute = await new CombinerRegistry(path.join(tmp, 'elsewhere')).resolve(`module:${file}`);

      assert.equal(relative(BOTH), 100);
      assert.equal(absolute(BOTH), 100);
    });

    it('when a module is resolved twice, then it is loaded once and the same function comes back', async () => {
      const loads = globalThis as { __combinerLoads?: number };
      delete loads.__combinerLoads;
      await writeModule('counted.mjs', 'globalThis.__combinerLoads = (globalThis.__combinerLoads ?? 0) + 1;\nexport const combine = (p) => p.xgboost;\n');

      const first = await registry.resolve('module:counted.mjs');
      const second = await registry.resolve('module:counted.mjs');

      assert.equal(first, second);
      assert.equal(loads.__combinerLoads, 1);
    });

    it('when the module exports no function, then a CombinerError says what is missing', async () => {
      const file = await writeModule('empty.mjs', 'export const weights = [0.5, 0.5];\n');

      await assert.rejects(registry.resolve('module:empty.mjs'), { name: 'CombinerError', message: `combiner module ${file} exports no 'combine' or default function` });
    });

    it('when the module file does not exist, then a CombinerError says it cannot be loaded', async () => {
      await assert.rejects(registry.resolve('module:missing.mjs'), (err: Error) => err instanceof CombinerError && err.message.startsWith(`combiner module ${path.join(tmp, 'missing.mjs')} cannot be loaded: `));
    });

    it('when the module throws while loading, then a CombinerError carries its message', async () => {
      await writeModule('throws.mjs', "throw new Error('weights file missing');\n");

      await assert.rejects(registry.resolve('module:throws.mjs'), (err: Error) => err instanceof CombinerError && /cannot be loaded: weights file missing/.test(err.message));
    });

    it('when a module was missing and is then added, then a later resolve loads it (failures are not cached)', async () => {
      await assert.rejects(registry.resolve('module:late.mjs'), CombinerError);
      await writeModule('late.mjs', 'export const combine = (p) => p.xgboost;\n');

      const late = await registry.resolve('module:late.mjs');

      assert.equal(late(BOTH), 120);
    });
  });

  describe('combine', () => {
    it('when the combiner returns a finite number, then it is the answer', () => {
      assert.equal(combine(() => 42.5, 'custom', BOTH), 42.5);
    });

    it('when the combiner returns NaN, Infinity or no number, then a CombinerError names the combiner and the value', () => {
      const cases: [unknown, string][] = [
        [Number.NaN, 'NaN'],
        [Number.POSITIVE_INFINITY, 'Infinity'],
        ['42', '42'],
        [undefined, 'undefined'],
      ];
      for (const [value, shown] of cases) {
        assert.throws(() => combine(() => value as number, 'module:x.mjs', BOTH), { name: 'CombinerError', message: `combiner 'module:x.mjs' returned ${shown}, not a finite number` });
      }
    });
  });
});
