"""Regression metrics shared by the training logs and the model-quality monitor.

One implementation so that ``validation:rmse`` in a training job and ``rmse`` in a model-quality
baseline can never disagree about the definition.
"""

from __future__ import annotations

import numpy as np


R2_UNDEFINED = "r2 is undefined: the label has the same value in every row (no variance)"


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float | None]:
    """mae, mse, rmse and textbook r2 = 1 - SSE / sum((y - mean(y))^2).

    r2 is None when the label has no variance (the denominator is 0): it is undefined, and
    reporting 1.0 for a perfect fit of a constant (scikit-learn's convention) would make a model
    that learnt nothing look perfect.  Callers report ``R2_UNDEFINED`` instead of a number.
    """
    y = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).ravel()
    if y.shape != p.shape or y.size == 0:
        raise ValueError(f"need two equally long non-empty vectors, got {y.size} and {p.size}")
    err = y - p
    mse = float(np.mean(err * err))
    sst = float(np.sum((y - y.mean()) ** 2))
    sse = float(np.sum(err * err))
    r2 = None if sst == 0.0 else 1.0 - sse / sst
    return {"mae": float(np.mean(np.abs(err))), "mse": mse, "rmse": float(np.sqrt(mse)), "r2": r2}
