import assert from 'node:assert/strict';
import type { SplitMetrics } from '../../../../common/types/model';
import { evaluateCandidate } from '../../../../workflows/training/evaluate-candidate';

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
