import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { compileDefinition, scanMetrics } from '../../../../../activities/backends/local/metrics-scanner';
import { METRIC_DEFINITIONS } from '../../../../../activities/training/metric-definitions';
import { createTempDir, removeTempDir } from '../../../../helpers/temp-dir';

describe('activities/backends/local/metrics-scanner', () => {
  let tmp: string;

  beforeEach(async () => {
    tmp = await createTempDir();
  });

  afterEach(async () => {
    await removeTempDir(tmp);
  });

  async function log(lines: string[], eol = '\n'): Promise<string> {
    const file = path.join(tmp, 'logs.txt');
    await fs.writeFile(file, lines.join(eol) + eol);
    return file;
  }

  describe('with the XGBoost definitions', () => {
    it('when a round line has TAB-separated metrics, then each split and metric is read', async () => {
      const file = await log(['[299]\ttrain-rmse:1.5\tvalidation-rmse:2.5\ttest-rmse:2.75\tvalidation-r2:-0.25\tvalidation-mae:1e+03']);

      const metrics = await scanMetrics(file, METRIC_DEFINITIONS.xgboost);

      assert.deepEqual(metrics, [
        { name: 'train:rmse', value: 1.5 },
        { name: 'validation:rmse', value: 2.5 },
        { name: 'validation:mae', value: 1000 },
        { name: 'validation:r2', value: -0.25 },
        { name: 'test:rmse', value: 2.75 },
      ]);
    });

    it('when many rounds are logged, then the last match of each metric wins', async () => {
      const file = await log([
        '[0]\ttrain-rmse:9.0\tvalidation-rmse:10.0',
        'some unrelated line',
        '[1]\ttrain-rmse:4.0\tvalidation-rmse:5.0',
        '[2]\ttrain-rmse:3.0',
      ]);

      const metrics = await scanMetrics(file, METRIC_DEFINITIONS.xgboost);

      assert.deepEqual(metrics, [
        { name: 'train:rmse', value: 3 },
        { name: 'validation:rmse', value: 5 },
      ]);
    });

    it('when the log already carries #011 instead of TAB, then it matches the same way', async () => {
      const file = await log(['[7]#011train-rmse:1.25#011validation-rmse:2.5']);

      assert.deepEqual(await scanMetrics(file, METRIC_DEFINITIONS.xgboost), [
        { name: 'train:rmse', value: 1.25 },
        { name: 'validation:rmse', value: 2.5 },
      ]);
    });

    it('when metrics are separated by spaces, not TABs, then nothing matches (the definitions need #011)', async () => {
      const file = await log(['[299] train-rmse:1.5 validation-rmse:2.5']);

      assert.deepEqual(await scanMetrics(file, METRIC_DEFINITIONS.xgboost), []);
    });

    it('when a line has no round number, then it does not count', async () => {
      const file = await log(['summary\tvalidation-rmse:1.0']);

      assert.deepEqual(await scanMetrics(file, METRIC_DEFINITIONS.xgboost), []);
    });
  });

  describe('with the Linear Learner definitions', () => {
    it('when the final quality lines are logged, then rmse, mse, absolute_loss and r2 per split are read', async () => {
      const file = await log([
        '#quality_metric: host=algo-1, validation rmse <loss>=3106.4',
        '#quality_metric: host=algo-1, validation absolute_loss <loss>=2100.5',
        '#quality_metric: host=algo-1, validation r2 <loss>=0.91',
        '#quality_metric: host=algo-1, test rmse <loss>=3200.25',
        '#quality_metric: host=algo-1, test mse <loss>=10241600.0625',
      ]);

      const metrics = await scanMetrics(file, METRIC_DEFINITIONS['linear-learner']);

      assert.deepEqual(metrics, [
        { name: 'validation:rmse', value: 3106.4 },
        { name: 'validation:absolute_loss', value: 2100.5 },
        { name: 'validation:r2', value: 0.91 },
        { name: 'test:rmse', value: 3200.25 },
        { name: 'test:mse', value: 10241600.0625 },
      ]);
    });

    it('when only epoch lines are logged, then they feed the objective loss but no final metric', async () => {
      const file = await log([
        '#quality_metric: host=algo-1, epoch=0, validation mse_objective <loss>=9.5',
        '#quality_metric: host=algo-1, epoch=1, validation mse_objective <loss>=7.25',
        '#quality_metric: host=algo-1, epoch=1, validation rmse <loss>=2.0',
        '#progress_metric: host=algo-1, completed 50 % of epochs',
      ]);

      const metrics = await scanMetrics(file, METRIC_DEFINITIONS['linear-learner']);

      assert.deepEqual(metrics, [
        { name: 'validation:objective_loss', value: 7.25 },
        { name: 'train:progress', value: 50 },
      ]);
      assert.equal(metrics.find((m) => m.name === 'validation:rmse'), undefined);
    });

    it('when the final objective line follows the epochs, then it is not mistaken for the mse metric', async () => {
      const file = await log([
        '#quality_metric: host=algo-1, epoch=4, validation mse_objective <loss>=7.0',
        '#quality_metric: host=algo-1, validation mse_objective <loss>=6.5',
        '#quality_metric: host=algo-1, validation mse <loss>=6.4',
      ]);

      const metrics = await scanMetrics(file, METRIC_DEFINITIONS['linear-learner']);

      assert.deepEqual(metrics, [
        { name: 'validation:mse', value: 6.4 },
        { name: 'validation:objective_loss', value: 7 },
      ]);
    });

    it('when a value is not a finite number, then the last finite value is kept', async () => {
      const file = await log([
        '#quality_metric: host=algo-1, validation rmse <loss>=3000.5',
        '#quality_metric: host=algo-1, validation rmse <loss>=nan',
        '#quality_metric: host=algo-1, validation rmse <loss>=Infinity',
      ]);

      assert.deepEqual(await scanMetrics(file, METRIC_DEFINITIONS['linear-learner']), [{ name: 'validation:rmse', value: 3000.5 }]);
    });

    it('when the log uses CRLF line ends, then the values are read without the CR', async () => {
      const file = await log(['#quality_metric: host=algo-1, validation rmse <loss>=3106.4'], '\r\n');

      assert.deepEqual(await scanMetrics(file, METRIC_DEFINITIONS['linear-learner']), [{ name: 'validation:rmse', value: 3106.4 }]);
    });
  });

  it('when no line matches, then the result is empty', async () => {
    const file = await log(['hello', '']);

    assert.deepEqual(await scanMetrics(file, METRIC_DEFINITIONS.xgboost), []);
  });

  it('when the log file does not exist, then the scan rejects', async () => {
    await assert.rejects(scanMetrics(path.join(tmp, 'missing.txt'), METRIC_DEFINITIONS.xgboost));
  });
  describe('patterns that start with .* (read anchored at the line start, for speed)', () => {
    const lines = [
      '[0]#011train-rmse:9463.2#011train-mae:7222.9#011validation-rmse:10214.4#011validation-mae:7216.3',
      'noise [12] more noise #011validation-rmse:1e+03 trailing',
      '[1]#011train-rmse:1 [2]#011train-rmse:2',
      'no metric here at all, just a long line '.repeat(5),
      '',
      'a|b [3] x#011test-r2:-0.5',
    ];
    const patterns = [
      ...METRIC_DEFINITIONS.xgboost.map((d) => d.regex),
      '.*(rmse|mae):([0-9.]+)',
      '.*?\\[([0-9]+)\\]',
      '.*[|]\\s(\\[3\\])',
      '.*\\|\\s(\\[3\\])',
    ];

    it('when a line has no line terminator, then the anchored form finds the same match and groups as the pattern as written', () => {
      for (const pattern of patterns) {
        const { regex, anchored } = compileDefinition(pattern);
        assert.ok(anchored, `${pattern} is anchored`);
        for (const line of lines) assert.deepEqual(anchored.exec(line)?.slice(), regex.exec(line)?.slice(), `${pattern} on ${line}`);
      }
    });

    it('when a pattern has a top-level | or does not start with .*, then it is used as written', () => {
      assert.equal(compileDefinition('.*a|b').anchored, undefined);
      assert.equal(compileDefinition('x.*a').anchored, undefined);
      for (const d of METRIC_DEFINITIONS['linear-learner']) assert.equal(compileDefinition(d.regex).anchored, undefined, d.regex);
      // A | inside a group, a class or after a backslash is not top-level.
      assert.ok(compileDefinition('.*(a|b)').anchored);
      assert.ok(compileDefinition('.*[|]a').anchored);
      assert.ok(compileDefinition('.*[]|a').anchored === undefined, 'in JavaScript [] is an empty class, so this | is top-level');
      assert.ok(compileDefinition('.*\\|a').anchored);
    });

    it('when a log line holds a line separator before the metric, then the metric is still found (the pattern as written)', async () => {
      const file = await log(['progress 50%\u2028[3]\ttrain-rmse:1.5']);

      assert.deepEqual(await scanMetrics(file, METRIC_DEFINITIONS.xgboost), [{ name: 'train:rmse', value: 1.5 }]);
    });
  });
});
