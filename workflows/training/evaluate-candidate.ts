import type { ChampionComparison, ComparisonRule } from '../../common/types/governance';
import type { SplitMetrics } from '../../common/types/model';

export interface CandidateEvaluation {
  outcome: 'accepted' | 'rejected';
  rule: 'passed' | 'threshold' | 'not-better' | 'not-significant' | 'incomparable' | 'data-shift';
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

export interface ChampionVerdict {
  outcome: 'accepted' | 'rejected';
  rule: 'better' | 'not-better' | 'not-significant';
  /** One sentence naming both models' RMSE on the same rows, the margin and (when asked) the interval. */
  reason: string;
}

/**
 * Step 6 on the same rows: the challenger must have a lower validation RMSE than the champion by
 * at least the rule's margin (the larger of the absolute and the relative one), and, when the rule
 * asks for significance, the bootstrap interval of the difference must lie wholly below 0.
 */
export function compareWithChampion(comparison: ChampionComparison, rule: ComparisonRule): ChampionVerdict {
  const ours = comparison.challenger.validation.rmse;
  const theirs = comparison.champion.validation.rmse;
  const margin = Math.max(rule.minImprovement ?? 0, (rule.minRelativeImprovement ?? 0) * theirs);
  const change = theirs > 0 ? ` (${signedPercent((ours - theirs) / theirs)})` : '';
  const needs = margin > 0 ? `; needs an improvement of at least ${fmt(margin)}` : '';
  const sameRows = `on the same ${comparison.rows.validation} validation rows, RMSE ${fmt(ours)} vs ${fmt(theirs)} of the champion (version ${comparison.championVersion})${change}${needs}`;
  if (!(ours < theirs - margin)) return { outcome: 'rejected', rule: 'not-better', reason: `not better than the champion: ${sameRows}` };
  if (rule.significance) {
    const b = comparison.bootstrap;
    if (!b) return { outcome: 'rejected', rule: 'not-significant', reason: `better than the champion ${sameRows}, but its significance was not measured` };
    const interval = `${Math.round(b.confidence * 100)} % interval of the difference [${fmt(b.differenceLow)}, ${fmt(b.differenceHigh)}] (paired bootstrap, ${b.iterations} resamples, seed ${b.seed})`;
    if (!(b.differenceHigh < 0)) return { outcome: 'rejected', rule: 'not-significant', reason: `not significantly better than the champion: ${sameRows}; the ${interval} reaches 0` };
    return { outcome: 'accepted', rule: 'better', reason: `significantly better than the champion: ${sameRows}; ${interval}` };
  }
  return { outcome: 'accepted', rule: 'better', reason: `better than the champion: ${sameRows}` };
}

/** The per-model rule's fields over the run-wide ones. */
export function comparisonRuleFor(runWide: ComparisonRule | undefined, perModel: ComparisonRule | undefined): ComparisonRule {
  return { ...runWide, ...perModel };
}

/** Things a person should see about metrics that look too good (never a silent acceptance). */
export function suspiciousMetrics(metrics: SplitMetrics): string[] {
  return metrics.validation.rmse === 0 ? ['validation RMSE is 0.0: a perfect fit usually means a leak of the label into the features or a degenerate validation split'] : [];
}

function signedPercent(share: number): string {
  const pct = share * 100;
  return `${pct > 0 ? '+' : ''}${pct.toFixed(1)} %`;
}
