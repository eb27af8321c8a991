"""Model-quality (regression) ``statistics.json`` and ``constraints.json``.

r2 is the textbook 1 - SSE / sum((y - mean(y))^2).  Note the SDK quirk (reference 6.2): the
SageMaker SDK's fixture has r2 = 1 - SSE / sum((yhat - mean(yhat))^2), i.e. the denominator around
the *prediction* mean, which looks like swapped label/prediction in the analyzer.  We deliberately
keep the textbook value (it matches scikit-learn's r2_score); consumers comparing with numbers
from real SageMaker jobs should expect this difference.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..metrics import regression_metrics

METRICS = ("mae", "mse", "rmse", "r2")
MIN_ROWS_FOR_STD = 200
SAMPLES = 5
SAMPLE_FRACTION = 0.8


def metric_deviations(y: np.ndarray, p: np.ndarray, seed: int = 0) -> dict[str, float] | None:
    """Std (population) of each metric over 5 random 80 % samples without replacement; None if < 200 rows."""
    n = len(y)
    if n < MIN_ROWS_FOR_STD:
        return None
    rng = np.random.default_rng(seed)
    size = int(n * SAMPLE_FRACTION)
    runs = []
    for _ in range(SAMPLES):
        idx = rng.choice(n, size=size, replace=False)
        runs.append(regression_metrics(y[idx], p[idx]))
    return {m: float(np.std([r[m] for r in runs])) for m in METRICS}


def regression_statistics(y_true: np.ndarray, y_pred: np.ndarray, seed: int = 0) -> dict[str, Any]:
    """``{"version", "dataset": {"item_count"}, "regression_metrics": {m: {value, standard_deviation}}}``."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    values = regression_metrics(y, p)
    devs = metric_deviations(y, p, seed)
    return {
        "version": 0.0,
        "dataset": {"item_count": int(len(y))},
        "regression_metrics": {
            m: {"value": values[m], "standard_deviation": devs[m] if devs is not None else "NaN"} for m in METRICS
        },
    }


def regression_constraints(statistics: dict[str, Any]) -> dict[str, Any]:
    """Thresholds = baseline values; error metrics alarm when greater, r2 when less."""
    metrics = statistics["regression_metrics"]
    return {
        "version": 0.0,
        "regression_constraints": {
            m: {
                "threshold": metrics[m]["value"],
                "comparison_operator": "LessThanThreshold" if m == "r2" else "GreaterThanThreshold",
            }
            for m in METRICS
        },
    }
