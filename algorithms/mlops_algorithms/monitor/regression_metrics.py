"""Model-quality (regression) ``statistics.json`` and ``constraints.json``.

r2 is the textbook 1 - SSE / sum((y - mean(y))^2).  Note the SDK quirk (reference 6.2): the
SageMaker SDK's fixture has r2 = 1 - SSE / sum((yhat - mean(yhat))^2), i.e. the denominator around
the *prediction* mean, which looks like swapped label/prediction in the analyzer.  We deliberately
keep the textbook value (it matches scikit-learn's r2_score); consumers comparing with numbers
from real SageMaker jobs should expect this difference.  When the ground truth has no variance, r2
is undefined: its ``value`` is null with a ``reason`` (never 1.0), and no r2 constraint is derived
from such a baseline.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..metrics import R2_UNDEFINED, regression_metrics

METRICS = ("mae", "mse", "rmse", "r2")
MIN_ROWS_FOR_STD = 200
SAMPLES = 5
SAMPLE_FRACTION = 0.8


def metric_deviations(y: np.ndarray, p: np.ndarray, seed: int = 0) -> dict[str, float | None] | None:
    """Std (population) of each metric over 5 random 80 % samples without replacement; None if < 200
    rows; a metric undefined in every sample (r2 of a constant label) has None."""
    n = len(y)
    if n < MIN_ROWS_FOR_STD:
        return None
    rng = np.random.default_rng(seed)
    size = int(n * SAMPLE_FRACTION)
    runs = []
    for _ in range(SAMPLES):
        idx = rng.choice(n, size=size, replace=False)
        runs.append(regression_metrics(y[idx], p[idx]))
    out: dict[str, float | None] = {}
    for m in METRICS:
        values = [r[m] for r in runs if r[m] is not None]
        out[m] = float(np.std(values)) if values else None
    return out


def regression_statistics(y_true: np.ndarray, y_pred: np.ndarray, seed: int = 0) -> dict[str, Any]:
    """``{"version", "dataset": {"item_count"}, "regression_metrics": {m: {value, standard_deviation}}}``."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.asarray(y_pred, dtype=np.float64)
    values = regression_metrics(y, p)
    devs = metric_deviations(y, p, seed)
    metrics: dict[str, Any] = {}
    for m in METRICS:
        std = devs.get(m) if devs is not None else None
        metrics[m] = {"value": values[m], "standard_deviation": "NaN" if std is None else std}
        if values[m] is None:
            metrics[m]["reason"] = R2_UNDEFINED.replace("the label", "the ground truth")
    return {"version": 0.0, "dataset": {"item_count": int(len(y))}, "regression_metrics": metrics}


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
            if metrics[m]["value"] is not None  # an undefined baseline value gives no threshold
        },
    }
