"""Regression metrics shared by the training logs and the model-quality monitor.

One implementation so that ``validation:rmse`` in a training job and ``rmse`` in a model-quality
baseline can never disagree about the definition.
"""

from __future__ import annotations

import numpy as np


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """mae, mse, rmse and textbook r2 = 1 - SSE / sum((y - mean(y))^2).

    r2 follows scikit-learn's convention for a constant label (1.0 if perfect, else 0.0) so the
    value is always finite and JSON-serialisable.
    """
    y = np.asarray(y_true, dtype=np.float64).ravel()
    p = np.asarray(y_pred, dtype=np.float64).ravel()
    if y.shape != p.shape or y.size == 0:
        raise ValueError(f"need two equally long non-empty vectors, got {y.size} and {p.size}")
    err = y - p
    mse = float(np.mean(err * err))
    sst = float(np.sum((y - y.mean()) ** 2))
    sse = float(np.sum(err * err))
    r2 = (1.0 if sse == 0.0 else 0.0) if sst == 0.0 else 1.0 - sse / sst
    return {"mae": float(np.mean(np.abs(err))), "mse": mse, "rmse": float(np.sqrt(mse)), "r2": r2}
