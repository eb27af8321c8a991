import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { applyConfigFile, ConfigFileError, readTrainingConfigFile } from '../../../../services/training/config-file';
import { defaultTrainingConfig, DEFAULT_HYPERPARAMETERS } from '../../../../services/training/defaults';
import type { TrainingConfig } from '../../../../common/types/training';
import { createTempDir, removeTempDir } from '../../../helpers/temp-dir';

const queues = { orchestration: 'mlops-orchestration', compute: 'mlops-compute' };

describe('client/training/config-file', () => {
  let tmp: string;

  beforeEach(async () => {
    tmp = await createTempDir();
  });

  afterEach(async () => {
    await removeTempDir(tmp);
  });

  async function configFile(content: unknown): Promise<string> {
    const file = path.join(tmp, 'training.json');
    await fs.writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  }

  async function rejection(file: string): Promise<ConfigFileError> {
    try {
      await readTrainingConfigFile(file);
    } catch (err) {
      assert.ok(err instanceof ConfigFileError, `expected a ConfigFileError, got ${String(err)}`);
      return err;
    }
    assert.fail('the file was accepted');
  }

  describe('readTrainingConfigFile', () => {
    it('when hyperparameters are numbers or booleans, then they become strings', async () => {
      const file = await configFile({ models: { xgboost: { hyperparameters: { num_round: 50, eta: 0.1, verbose: true, objective: 'reg:squarederror' } } } });

      const parsed = await readTrainingConfigFile(file);

      assert.deepEqual(parsed.models?.xgboost?.hyperparameters, { num_round: '50', eta: '0.1', verbose: 'true', objective: 'reg:squarederror' });
      assert.equal(parsed.models?.xgboost?.enabled, true);
    });

    it('when the file is an empty object, then every key stays unset', async () => {
      assert.deepEqual(await readTrainingConfigFile(await configFile({})), {});
    });

    it('when an unknown top-level key is present, then the error names the file and the root', async () => {
      const file = await configFile({ rmseThreshhold: 3000 });

      const err = await rejection(file);

      assert.equal(err.message, `${file}: (root): Unrecognized key: "rmseThreshhold"`);
    });

    it('when an unknown nested key or family is present, then the error names its path', async () => {
      const file = await configFile({ models: { xgboost: { hyperparams: {} }, catboost: {} }, split: { seed: 1, extra: true } });

      const err = await rejection(file);

      assert.ok(err.message.startsWith(`${file}: `), err.message);
      assert.match(err.message, /models\.xgboost: Unrecognized key: "hyperparams"/);
      assert.match(err.message, /models: Unrecognized key: "catboost"/);
      assert.match(err.message, /split: Unrecognized key: "extra"/);
    });

    it('when values break their rules, then every problem is listed with its path', async () => {
      const file = await configFile({
        rmseThreshold: -1,
        split: { validationFraction: 1.5 },
        models: { 'linear-learner': { instanceType: 'm5.large', instanceCount: 0 } },
        maxJobRuntimeSeconds: 10,
      });

      const err = await rejection(file);

      for (const where of ['rmseThreshold', 'split.validationFraction', "models.linear-learner.instanceType: 'm5.large' is not a SageMaker training instance type", 'models.linear-learner.instanceCount', 'maxJobRuntimeSeconds']) {
        assert.ok(err.message.includes(where), `'${where}' missing from: ${err.message}`);
      }
    });

    it('when the file does not exist, then the error names the file and the reason', async () => {
      const file = path.join(tmp, 'missing.json');

      const err = await rejection(file);

      assert.equal(err.message, `${file}: cannot read the file (ENOENT)`);
    });

    it('when the file is not valid JSON, then the error names the file', async () => {
      const file = await configFile('{ "models": ');

      const err = await rejection(file);

      assert.match(err.message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid JSON \\(`));
    });
  });

  describe('applyConfigFile', () => {
    let base: TrainingConfig;

    beforeEach(() => {
      base = defaultTrainingConfig('mlops', queues);
    });

    it('when hyperparameters are given for a family, then they merge key by key over the defaults', async () => {
      const file = await readTrainingConfigFile(await configFile({ models: { xgboost: { hyperparameters: { num_round: 50, max_depth: 6 } } } }));

      const config = applyConfigFile(base, file);

      const xgboost = config.models.find((m) => m.family === 'xgboost');
      assert.deepEqual(xgboost?.hyperparameters, { ...DEFAULT_HYPERPARAMETERS.xgboost, num_round: '50', max_depth: '6' });
      assert.deepEqual(config.models.find((m) => m.family === 'linear-learner')?.hyperparameters, DEFAULT_HYPERPARAMETERS['linear-learner']);
    });

    it('when a family is disabled, then it is dropped from the run', async () => {
      const file = await readTrainingConfigFile(await configFile({ models: { 'linear-learner': { enabled: false } } }));

      const config = applyConfigFile(base, file);

      assert.deepEqual(config.models.map((m) => m.family), ['xgboost']);
    });

    it('when resources and a per-family threshold are given, then only that family changes', async () => {
      const file = await readTrainingConfigFile(await configFile({ models: { xgboost: { instanceType: 'ml.c5.xlarge', rmseThreshold: 2500 } } }));

      const config = applyConfigFile(base, file);

      const [xgboost, linear] = config.models;
      assert.deepEqual(xgboost?.resources, { instanceType: 'ml.c5.xlarge', instanceCount: 1 });
      assert.equal(xgboost?.rmseThreshold, 2500);
      assert.deepEqual(linear?.resources, base.models[1]?.resources);
      assert.equal(linear?.rmseThreshold, undefined);
    });

    it('when run-wide keys are given, then threshold, split and runtime are merged', async () => {
      const file = await readTrainingConfigFile(await configFile({ rmseThreshold: 3000, split: { seed: 7 }, maxJobRuntimeSeconds: 600 }));

      const config = applyConfigFile(base, file);

      assert.equal(config.rmseThreshold, 3000);
      assert.deepEqual(config.split, { seed: 7, validationFraction: 0.15, testFraction: 0.15 });
      assert.equal(config.maxJobRuntimeSeconds, 600);
    });

    it('when a file is applied, then the base configuration is left untouched', async () => {
      const before = structuredClone(base);
      const file = await readTrainingConfigFile(await configFile({ models: { xgboost: { hyperparameters: { eta: 1 } }, 'linear-learner': { enabled: false } }, split: { seed: 1 } }));

      applyConfigFile(base, file);

      assert.deepEqual(base, before);
    });

    it('when the file is empty, then the result equals the defaults', () => {
      assert.deepEqual(applyConfigFile(base, {}), base);
    });

    it('when dataChecks are given, then each limit merges over the defaults; out-of-range limits are refused naming the key', async () => {
      assert.deepEqual(base.dataChecks, { minRowsPerSplit: 10, maxDuplicateShare: 0.5 });
      const config = applyConfigFile(base, await readTrainingConfigFile(await configFile({ dataChecks: { maxDuplicateShare: 0.2 } })));
      assert.deepEqual(config.dataChecks, { minRowsPerSplit: 10, maxDuplicateShare: 0.2 });
      const bad = await rejection(await configFile({ dataChecks: { minRowsPerSplit: 0, maxDuplicateShare: 1.5 } }));
      assert.match(bad.message, /dataChecks\.minRowsPerSplit: .*>=1/);
      assert.match(bad.message, /dataChecks\.maxDuplicateShare: .*<=1/);
      assert.match((await rejection(await configFile({ dataChecks: { minRows: 5 } }))).message, /dataChecks: Unrecognized key/);
    });
  });
  describe('deployment policy', () => {
    it('when a run sets a canary policy and alarms, then missing fields take their defaults and a model may override the policy', async () => {
      const file = await configFile({
        deployment: { policy: { type: 'canary', canaryShare: 0.1 }, alarms: { maxErrorRate: 0.02, predictionSanity: { maxOutOfRangeShare: 0.05, tolerance: 0.1 } } },
        models: { xgboost: { deployment: { policy: { type: 'linear', stepShare: 0.25, stepInterval: '1 minute', finalBake: '2 minutes' }, autoscaling: null } } },
      });
      const config = applyConfigFile(defaultTrainingConfig('mlops', queues), await readTrainingConfigFile(file));
      assert.deepEqual(config.deployment?.policy, { type: 'canary', canaryShare: 0.1, canaryBake: '5 minutes', finalBake: '5 minutes' });
      assert.deepEqual(config.deployment?.alarms, { maxErrorRate: 0.02, maxP99LatencyMs: 1000, predictionSanity: { maxOutOfRangeShare: 0.05, tolerance: 0.1 }, minInvocations: 20, window: '1 minute', evaluationInterval: '5 seconds' });
      const xgb = config.models.find((m) => m.family === 'xgboost')!;
      assert.deepEqual(xgb.deployment, { policy: { type: 'linear', stepShare: 0.25, stepInterval: '1 minute', finalBake: '2 minutes' }, autoscaling: null });
    });

    it('when a shadow policy names only its share, then it is promoted by rule after 10 minutes by default', async () => {
      const file = await configFile({ deployment: { policy: { type: 'shadow', shadowShare: 0.3 } } });
      const config = applyConfigFile(defaultTrainingConfig('mlops', queues), await readTrainingConfigFile(file));
      assert.deepEqual(config.deployment?.policy, { type: 'shadow', shadowShare: 0.3, shadowPeriod: '10 minutes', promotion: 'auto', decisionTimeout: '1 day', finalBake: '5 minutes' });
    });

    it('when a policy would take more alarm readings than a workflow history holds well, then the file is refused naming the interval to use', async () => {
      const longBake = { type: 'canary', canaryShare: 0.1, canaryBake: '1 day', finalBake: '1 day' };
      assert.match((await rejection(await configFile({ deployment: { policy: longBake } }))).message, /deployment\.alarms\.evaluationInterval: the policy bakes for 172800 s: .* 34560 readings, more than 2000; read at least every 87 seconds/);
      assert.match((await rejection(await configFile({ models: { xgboost: { deployment: { policy: longBake } } } }))).message, /models\.xgboost\.deployment\.alarms\.evaluationInterval/);
      await readTrainingConfigFile(await configFile({ deployment: { policy: longBake, alarms: { evaluationInterval: '90 seconds' } } }));
    });

    it('when a model sets only its alarms (or only its policy), then the limit holds for the policy and alarms it deploys with, merged from the top level', async () => {
      const longBake = { type: 'canary', canaryShare: 0.1, canaryBake: '1 day', finalBake: '1 day' };
      const fast = { evaluationInterval: '5 seconds' };
      assert.match(
        (await rejection(await configFile({ deployment: { policy: longBake, alarms: { evaluationInterval: '90 seconds' } }, models: { xgboost: { deployment: { alarms: fast } } } }))).message,
        /models\.xgboost\.deployment\.alarms\.evaluationInterval: the policy bakes for 172800 s: .* 34560 readings, more than 2000/,
      );
      // The top level's slow alarms make the model's long policy fine.
      await readTrainingConfigFile(await configFile({ deployment: { alarms: { evaluationInterval: '90 seconds' } }, models: { xgboost: { deployment: { policy: longBake } } } }));
    });

    it('when a policy, a tolerance or autoscaling bounds are wrong, then the file is refused naming the field and the rule', async () => {
      assert.match((await rejection(await configFile({ deployment: { policy: { type: 'blue-green' } } }))).message, /deployment\.policy\.type: /);
      assert.match((await rejection(await configFile({ deployment: { policy: { type: 'canary', canaryShare: 1 } } }))).message, /deployment\.policy\.canaryShare: .*<1/);
      assert.match((await rejection(await configFile({ deployment: { alarms: { predictionSanity: { maxOutOfRangeShare: 0.1, tolerance: 0.3 } } } }))).message, /tolerance: must be one of 0, 0.05, 0.1, 0.2, 0.5, 1/);
      assert.match(
        (await rejection(await configFile({ deployment: { autoscaling: { minInstances: 3, maxInstances: 2, targetInvocationsPerInstancePerMinute: 100 } } }))).message,
        /deployment\.autoscaling\.maxInstances: minInstances must not exceed maxInstances/,
      );
    });
  });
});
