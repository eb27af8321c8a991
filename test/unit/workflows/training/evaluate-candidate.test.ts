import assert from 'node:assert/strict';
import type { SplitMetrics } from '../../../../common/types/model';
import { compareWithChampion, evaluateCandidate, suspiciousMetrics } from '../../../../workflows/training/evaluate-candidate';
import type { ChampionComparison } from '../../../../common/types/governance';

function metrics(validationRmse: number, testRmse = 1): SplitMetrics {
  return { validation: { rmse: validationRmse, mae: 1, r2: 0.9 }, test: { rmse: testRmse, mae: 1, r2: 0.9 } };
}

describe('workflows/training/evaluate-candidate', () => {
  describe('threshold', () => {
    it('when the validation RMSE is above the threshold, then the candidate is rejected by the threshold rule', () => {
      const result = evaluateCandidate({ metrics: metrics(3120.44), threshold: 3000, previousBest: null });

      assert.deepEqual(result, { outcome: 'rejected', rule: 'threshold', reason: 'validation RMSE 3120.4 exceeds the threshold 3000.0' });
    });

    it('when the validation RMSE equals the threshold, then it passes', () => {
      const result = evaluateCandidate({ metrics: metrics(3000), threshold: 3000, previousBest: null });

      assert.equal(result.outcome, 'accepted');
      assert.equal(result.rule, 'passed');
    });

    it('when only the test RMSE is above the threshold, then it passes (the test split is for reporting)', () => {
      assert.equal(evaluateCandidate({ metrics: metrics(2000, 9000), threshold: 3000, previousBest: null }).outcome, 'accepted');
    });

    it('when the threshold is exceeded and there is a better previous best, then the threshold is the reason given', () => {
      const result = evaluateCandidate({ metrics: metrics(3500), threshold: 3000, previousBest: { version: 2, validationRmse: 2000 } });

      assert.equal(result.rule, 'threshold');
    });

    it('when the threshold is 0 and the RMSE is positive, then the candidate is rejected (0 is a threshold, not "none")', () => {
      assert.equal(evaluateCandidate({ metrics: metrics(0.5), threshold: 0, previousBest: null }).rule, 'threshold');
    });
  });

  describe('comparison with the previous best', () => {
    it('when the RMSE equals the previous best, then the candidate is rejected as not better', () => {
      const result = evaluateCandidate({ metrics: metrics(2300), previousBest: { version: 4, validationRmse: 2300 } });

      assert.deepEqual(result, {
        outcome: 'rejected',
        rule: 'not-better',
        reason: 'validation RMSE 2300.0 is not better than the previous best 2300.0 (version 4)',
      });
    });

    it('when the RMSE is worse than the previous best, then the candidate is rejected as not better', () => {
      assert.equal(evaluateCandidate({ metrics: metrics(2400), threshold: 3000, previousBest: { version: 1, validationRmse: 2300 } }).rule, 'not-better');
    });

    it('when the RMSE is NaN, then it is never counted as better', () => {
      assert.equal(evaluateCandidate({ metrics: metrics(Number.NaN), previousBest: { version: 1, validationRmse: 2300 } }).outcome, 'rejected');
    });

    it('when the RMSE is lower than the previous best and within the threshold, then the reason says both', () => {
      const result = evaluateCandidate({ metrics: metrics(2250.06), threshold: 3000, previousBest: { version: 3, validationRmse: 2300 } });

      assert.deepEqual(result, {
        outcome: 'accepted',
        rule: 'passed',
        reason: 'validation RMSE 2250.1: within the threshold 3000.0; better than the previous best 2300.0 (version 3)',
      });
    });
  });

  describe('first model and no threshold', () => {
    it('when there is no previous best and no threshold, then the candidate is accepted and the reason says so', () => {
      const result = evaluateCandidate({ metrics: metrics(9999), previousBest: null });

      assert.deepEqual(result, { outcome: 'accepted', rule: 'passed', reason: 'validation RMSE 9999.0: no threshold set; no previous approved version' });
    });

    it('when there is a threshold but no previous best, then the reason names the threshold and no previous version', () => {
      const result = evaluateCandidate({ metrics: metrics(100), threshold: 3000, previousBest: null });

      assert.equal(result.reason, 'validation RMSE 100.0: within the threshold 3000.0; no previous approved version');
    });
  });
});

describe('compareWithChampion (step 6 on the same rows)', () => {
  const comparison = (ours: number, theirs: number, bootstrap?: [number, number]): ChampionComparison => ({
    championVersion: 3,
    championModelName: 'model-3',
    rows: { validation: 117, test: 118 },
    challenger: { validation: { rmse: ours, mae: ours * 0.7 } },
    champion: { validation: { rmse: theirs, mae: theirs * 0.7 } },
    difference: { metric: 'rmse', value: ours - theirs, relative: (ours - theirs) / theirs },
    ...(bootstrap ? { bootstrap: { iterations: 500, seed: 1, confidence: 0.9, differenceLow: bootstrap[0], differenceHigh: bootstrap[1], probabilityChallengerBetter: 0.8 } } : {}),
    reportUri: 's3://mlops/c/comparison.json',
  });

  it('when the challenger is lower by any amount and no margin is set, then it is accepted naming both RMSEs on the same rows', () => {
    const v = compareWithChampion(comparison(2299.9, 2300), {});
    assert.equal(v.outcome, 'accepted');
    assert.equal(v.reason, 'better than the champion: on the same 117 validation rows, RMSE 2299.9 vs 2300.0 of the champion (version 3) (-0.0 %)');
  });

  it('when it is equal or worse, then it is rejected as not better', () => {
    assert.equal(compareWithChampion(comparison(2300, 2300), {}).rule, 'not-better');
    assert.equal(compareWithChampion(comparison(2301, 2300), {}).outcome, 'rejected');
  });

  it('when both margins are set, then the larger one applies', () => {
    const rule = { minImprovement: 10, minRelativeImprovement: 0.01 };
    assert.equal(compareWithChampion(comparison(2278, 2300), rule).outcome, 'rejected', '22 < 23 (1 % of 2300)');
    assert.equal(compareWithChampion(comparison(2276, 2300), rule).outcome, 'accepted');
    assert.match(compareWithChampion(comparison(2278, 2300), rule).reason, /needs an improvement of at least 23\.0/);
  });

  it('when significance is asked, then only an interval wholly below 0 accepts; a missing bootstrap never accepts', () => {
    const significance = { confidence: 0.9, iterations: 500, seed: 1 };
    assert.equal(compareWithChampion(comparison(2200, 2300, [-150, -5]), { significance }).outcome, 'accepted');
    assert.equal(compareWithChampion(comparison(2200, 2300, [-150, 0]), { significance }).rule, 'not-significant');
    assert.equal(compareWithChampion(comparison(2200, 2300), { significance }).rule, 'not-significant');
  });

  it('when the validation RMSE is 0.0, then it is named as suspicious; otherwise nothing', () => {
    assert.equal(suspiciousMetrics({ validation: { rmse: 0, mae: 0 } }).length, 1);
    assert.deepEqual(suspiciousMetrics({ validation: { rmse: 0.01, mae: 0 } }), []);
  });
});
