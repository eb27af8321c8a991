import type { SplitMetrics } from '../../common/types/model';

export interface CandidateEvaluation {
  outcome: 'accepted' | 'rejected';
  rule: 'passed' | 'threshold' | 'not-better';
  reason: string;
}

/**
 * Steps 5 and 6: the RMSE threshold, then the comparison with the best approved version of the
 * same family. Pure, so the rules are unit-tested without a server. RMSE is the validation RMSE
 * (the test split stays untouched for reporting).
 */
export function evaluateCandidate(input: {
  metrics: SplitMetrics;
  threshold?: number;
  previousBest: { version: number; validationRmse: number } | null;
}): CandidateEvaluation {
  const rmse = input.metrics.validation.rmse;
  if (input.threshold !== undefined && rmse > input.threshold) {
    return { outcome: 'rejected', rule: 'threshold', reason: `validation RMSE ${fmt(rmse)} exceeds the threshold ${fmt(input.threshold)}` };
  }
  if (input.previousBest && !(rmse < input.previousBest.validationRmse)) {
    return {
      outcome: 'rejected',
      rule: 'not-better',
      reason: `validation RMSE ${fmt(rmse)} is not better than the previous best ${fmt(input.previousBest.validationRmse)} (version ${input.previousBest.version})`,
    };
  }
  const versus = input.previousBest ? `better than the previous best ${fmt(input.previousBest.validationRmse)} (version ${input.previousBest.version})` : 'no previous approved version';
  const limit = input.threshold !== undefined ? `within the threshold ${fmt(input.threshold)}` : 'no threshold set';
  return { outcome: 'accepted', rule: 'passed', reason: `validation RMSE ${fmt(rmse)}: ${limit}; ${versus}` };
}

function fmt(value: number): string {
  return value.toFixed(1);
}
