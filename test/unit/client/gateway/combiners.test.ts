import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../../../common/config/parse';
import { combine, CombinerError, CombinerFailure, loadOperatorCombiner, requestCombiner } from '../../../../client/gateway/combiners';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

const BOTH = { xgboost: 120, 'linear-learner': 100 };
const REQUEST_RULE = "a request may name max, mean or model:<family>; module combiners are the operator's choice (MLOPS_GATEWAY_COMBINER=module:<path>, loaded once at start)";

describe('client/gateway/combiners', () => {
  let tmp: string;

  beforeEach(async () => {
    tmp = await createTempDir('mlops-combiners-');
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

  const resolve = (name: string) => requestCombiner(name).combine;

  describe('built-in combiners', () => {
    it('when max combines both models, then the larger prediction wins', async () => {
      const max = resolve('max');

      assert.equal(max(BOTH), 120);
      assert.equal(max({ xgboost: -5, 'linear-learner': -7 }), -5);
    });

    it('when mean combines both models, then it is their average', async () => {
      const mean = resolve('mean');

      assert.equal(mean(BOTH), 110);
    });

    it('when only one model answered, then max and mean give its answer', async () => {
      const max = resolve('max');
      const mean = resolve('mean');

      assert.equal(max({ 'linear-learner': 100 }), 100);
      assert.equal(mean({ 'linear-learner': 100 }), 100);
    });

    it('when model:<family> is named, then that family’s prediction is the answer', async () => {
      assert.equal((resolve('model:xgboost'))(BOTH), 120);
      assert.equal((resolve('model:linear-learner'))(BOTH), 100);
    });

    it('when model:<family> gets no prediction from that family, then a CombinerError says so', async () => {
      const xgboostOnly = resolve('model:xgboost');

      assert.throws(() => xgboostOnly({ 'linear-learner': 100 }), (err: Error) => err instanceof CombinerError && err.message === "combiner 'model:xgboost': xgboost gave no prediction");
    });

    it('when model:<family> names an unknown family, then resolving fails with a CombinerError', () => {
      assert.throws(() => resolve('model:random-forest'), (err: Error) => err instanceof CombinerError && /unknown model family 'random-forest'/.test(err.message));
    });

    it('when the name is unknown, then the error lists the valid forms', () => {
      for (const name of ['median', '', 'MAX', 'module', 'model']) {
        assert.throws(() => resolve(name), { name: 'CombinerError', message: `unknown combiner '${name}': ${REQUEST_RULE}` });
      }
    });
  });

  describe('a request naming a module', () => {
    it('when a request names module:<path> (absolute, relative, existing or not), then one CombinerError, and the module never runs', async () => {
      const marker = path.join(tmp, 'ran');
      const evil = await writeModule('evil.mjs', `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport const combine = () => 1;\n`);
      const names = [`module:${evil}`, 'module:evil.mjs', 'module:/etc/passwd', `module:${path.join(tmp, 'missing.mjs')}`, 'module:'];

      for (const name of names) {
        assert.throws(() => requestCombiner(name), { name: 'CombinerError', message: `module combiners cannot be chosen per request: ${REQUEST_RULE}` }, name);
      }
      await new Promise((r) => setImmediate(r));
      await assert.rejects(fs.stat(marker), { code: 'ENOENT' });
    });
  });

  describe("the operator's combiner (MLOPS_GATEWAY_COMBINER)", () => {
    it('when the setting is a built-in or model:<family>, then it is that combiner under its name', async () => {
      assert.equal((await loadOperatorCombiner('mean', tmp)).combine(BOTH), 110);
      const model = await loadOperatorCombiner('model:linear-learner', tmp);
      assert.equal(model.name, 'model:linear-learner');
      assert.equal(model.combine(BOTH), 100);
    });

    it('when the setting names an unknown combiner, then a ConfigError names the setting', async () => {
      await assert.rejects(loadOperatorCombiner('median', tmp), (err: Error) => err instanceof ConfigError && /MLOPS_GATEWAY_COMBINER: unknown combiner 'median'/.test(err.message));
    });

    it('when an ES module exports combine, then it is used and named by the setting', async () => {
      await writeModule('weighted.mjs', "export function combine(p) { return 0.75 * p.xgboost + 0.25 * p['linear-learner']; }\n");

      const weighted = await loadOperatorCombiner('module:weighted.mjs', tmp);

      assert.equal(weighted.name, 'module:weighted.mjs');
      assert.equal(weighted.combine(BOTH), 115);
    });

    it('when an ES module has a default function, then it is used', async () => {
      await writeModule('first.mjs', 'export default (p) => p.xgboost ?? p["linear-learner"];\n');

      assert.equal((await loadOperatorCombiner('module:first.mjs', tmp)).combine({ 'linear-learner': 7 }), 7);
    });

    it('when a CommonJS module exports combine, an object with combine or a function, then it is used', async () => {
      await writeModule('named.cjs', 'exports.combine = (p) => p.xgboost + 1;\n');
      await writeModule('object.cjs', 'module.exports = { combine: (p) => p.xgboost + 2 };\n');
      await writeModule('function.cjs', 'module.exports = (p) => p.xgboost + 3;\n');

      assert.equal((await loadOperatorCombiner('module:named.cjs', tmp)).combine(BOTH), 121);
      assert.equal((await loadOperatorCombiner('module:object.cjs', tmp)).combine(BOTH), 122);
      assert.equal((await loadOperatorCombiner('module:function.cjs', tmp)).combine(BOTH), 123);
    });

    it('when the operator gives a path in a subfolder, then it resolves from the base dir (the working dir of the gateway)', async () => {
      await writeModule('combiners/lowest.mjs', 'export const combine = (p) => Math.min(...Object.values(p));\n');

      assert.equal((await loadOperatorCombiner('module:combiners/lowest.mjs', tmp)).combine(BOTH), 100);
    });

    it('when the module exports no function, then a ConfigError names the setting, the file and what is missing', async () => {
      const file = await writeModule('empty.mjs', 'export const weights = [0.5, 0.5];\n');

      await assert.rejects(loadOperatorCombiner('module:empty.mjs', tmp), (err: Error) => err instanceof ConfigError && err.problems[0] === `MLOPS_GATEWAY_COMBINER: the combiner module ${file} exports no 'combine' or default function`);
    });

    it('when the module file does not exist, then a ConfigError names the setting and the file', async () => {
      await assert.rejects(loadOperatorCombiner('module:missing.mjs', tmp), (err: Error) => err instanceof ConfigError && err.problems[0] === `MLOPS_GATEWAY_COMBINER: the combiner module ${path.join(tmp, 'missing.mjs')} cannot be loaded: no such file`);
    });

    it('when the module throws while loading, then a ConfigError carries its message on one line', async () => {
      await writeModule('throws.mjs', "throw new Error('weights file missing');\n");

      await assert.rejects(loadOperatorCombiner('module:throws.mjs', tmp), (err: Error) => err instanceof ConfigError && /throws\.mjs cannot be loaded: weights file missing$/.test(err.problems[0]!));
    });
  });

  describe('combine', () => {
    it('when the combiner returns a finite number, then it is the answer', () => {
      assert.equal(combine({ name: 'custom', combine: () => 42.5 }, BOTH), 42.5);
    });

    it('when the combiner returns NaN, Infinity or no number, then a CombinerFailure (the operator’s fault) names the combiner and the value', () => {
      const cases: [unknown, string][] = [
        [Number.NaN, 'NaN'],
        [Number.POSITIVE_INFINITY, 'Infinity'],
        ['42', '42'],
        [undefined, 'undefined'],
      ];
      for (const [value, shown] of cases) {
        assert.throws(() => combine({ name: 'module:x.mjs', combine: () => value as number }, BOTH), (err: Error) => err instanceof CombinerFailure && err.message === `combiner 'module:x.mjs' returned ${shown}, not a finite number`);
      }
    });
  });
});
