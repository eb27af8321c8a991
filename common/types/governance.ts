import type { RegressionMetrics } from './metrics';

/**
 * Step 6: how a challenger must beat the champion. Both models are scored on the challenger's
 * validation and test rows (each by its own serving container), so the numbers compared always
 * come from the same rows.
 */
export interface ComparisonRule {
  /** Better by at least this much validation RMSE, in label units (default 0: any improvement). */
  minImprovement?: number;
  /** ...or by at least this share of the champion's RMSE (0.01 = 1 %); the larger margin applies. */
  minRelativeImprovement?: number;
  /**
   * Also require a significant improvement: the paired bootstrap's upper bound of the RMSE
   * difference (challenger minus champion) at this confidence is below 0. Seeded, so it replays.
   */
  significance?: { confidence: number; iterations: number; seed: number };
  /**
   * When the champion cannot be scored on the new data (its feature schema differs): ask a person
   * (default), reject, or accept without a comparison. Never a comparison of unrelated numbers.
   */
  onIncomparable?: GovernanceAction;
}

/** What a governance finding does to the model: a person decides, it is rejected, or nothing. */
export type GovernanceAction = 'require-approval' | 'reject' | 'accept';

/** Step 1 beside training: the new training data against the champion's data-quality baseline. */
export interface DataShiftPolicy {
  /** A shift (any violated constraint of the champion's baseline): ask a person (default), reject, or only report it. */
  onShift: GovernanceAction;
}

/** What the comparison job measured (both models, the same rows). */
export interface ChampionComparison {
  championVersion: number;
  championModelName: string;
  rows: { validation: number; test?: number };
  challenger: { validation: RegressionMetrics; test?: RegressionMetrics };
  champion: { validation: RegressionMetrics; test?: RegressionMetrics };
  /** Challenger minus champion validation RMSE, and that as a share of the champion's RMSE. */
  difference: { metric: 'rmse'; value: number; relative: number | null };
  /** The paired bootstrap of the RMSE difference (when the rule asked for it). */
  bootstrap?: { iterations: number; seed: number; confidence: number; differenceLow: number; differenceHigh: number; probabilityChallengerBetter: number };
  reportUri: string;
}

/** The new data's check against the champion's data-quality baseline. */
export interface DataShiftCheck {
  championVersion: number;
  violations: number;
  /** One line per violated check ("Mileage baseline_drift_check: distance 0.31 > 0.1"). */
  details: string[];
  reportUri: string;
}

/** Everything step 6 and the data checks found, recorded on the version and in the decision. */
export interface GovernanceRecord {
  /** Absent when there is no champion to compare with, or it could not be scored. */
  comparison?: ChampionComparison;
  /** Why the champion could not be compared. */
  incomparable?: { championVersion: number; reason: string };
  dataShift?: DataShiftCheck;
  /** What a person should look at before trusting the model (a validation RMSE of 0.0, a data shift). */
  warnings: string[];
  /** Findings that made a person's approval necessary although the policy did not ask for one. */
  approvalReasons: string[];
}
