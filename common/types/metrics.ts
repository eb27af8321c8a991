/** Regression metrics of one dataset split. */
export interface RegressionMetrics {
  rmse: number;
  mae: number;
  /** Absent when the algorithm does not report it (SageMaker's built-in Linear Learner has no R2 metric). */
  r2?: number;
}

export interface SplitMetrics {
  validation: RegressionMetrics;
  /**
   * Absent when the job saw no test split: SageMaker's built-in XGBoost accepts only train and
   * validation channels. The model-quality baseline (statistics.json) always holds the test metrics.
   */
  test?: RegressionMetrics;
}
