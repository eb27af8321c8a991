"""Linear Learner's regression losses, evaluated for the ``<loss>_objective`` log lines.

Values are on the original label scale; thresholds (huber_delta, loss_insensitivity) are
defined on the training scale (normalised label) as in Linear Learner and rescaled here.
"""

from __future__ import annotations

import numpy as np

OBJECTIVE_NAMES = {
    "squared_loss": "mse_objective",
    "absolute_loss": "absolute_loss_objective",
    "huber_loss": "huber_loss_objective",
    "quantile_loss": "quantile_loss_objective",
    "eps_insensitive_squared_loss": "eps_insensitive_squared_loss_objective",
    "eps_insensitive_absolute_loss": "eps_insensitive_absolute_loss_objective",
}


def objective(loss: str, y: np.ndarray, pred: np.ndarray, *, label_scale: float, huber_delta: float,
              quantile: float, loss_insensitivity: float) -> float:
    """Mean per-record loss (no regularisation term)."""
    r = np.asarray(y, dtype=np.float64) - np.asarray(pred, dtype=np.float64)
    a = np.abs(r)
    if loss == "squared_loss":
        values = r * r
    elif loss == "absolute_loss":
        values = a
    elif loss == "huber_loss":
        d = huber_delta * label_scale
        values = np.where(a <= d, 0.5 * r * r, d * (a - 0.5 * d))
    elif loss == "quantile_loss":
        values = np.maximum(quantile * r, (quantile - 1.0) * r)
    elif loss == "eps_insensitive_squared_loss":
        values = np.maximum(a - loss_insensitivity * label_scale, 0.0) ** 2
    elif loss == "eps_insensitive_absolute_loss":
        values = np.maximum(a - loss_insensitivity * label_scale, 0.0)
    else:
        raise ValueError(f"unknown loss {loss}")
    return float(np.mean(values))
