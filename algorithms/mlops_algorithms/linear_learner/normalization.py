"""Feature and label normalisation (``normalize_data``, ``unbias_data``, ``normalize_label``, ...).

Why explicit: the portable model stores shift/scale so that any runtime (TypeScript gateway
included) reproduces the prediction without scikit-learn.  Statistics come from the train
channel only; constant columns keep scale 1 to avoid division by zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Normalizer:
    """z = (x - shift) / scale per feature; t = (y - label_shift) / label_scale."""

    shift: np.ndarray
    scale: np.ndarray
    label_shift: float
    label_scale: float

    def features(self, X: np.ndarray) -> np.ndarray:
        return (X - self.shift) / self.scale

    def label(self, y: np.ndarray) -> np.ndarray:
        return (y - self.label_shift) / self.label_scale

    def unlabel(self, t: np.ndarray) -> np.ndarray:
        return t * self.label_scale + self.label_shift


def _safe_std(values: np.ndarray) -> np.ndarray:
    std = np.std(values, axis=0)
    return np.where(std > 0, std, 1.0)


def fit_normalizer(X: np.ndarray, y: np.ndarray, *, normalize_data: bool, unbias_data: bool,
                   normalize_label: bool, unbias_label: bool) -> Normalizer:
    """Population statistics of the training data (as StandardScaler)."""
    n = X.shape[1]
    shift = X.mean(axis=0) if unbias_data else np.zeros(n)
    scale = _safe_std(X) if normalize_data else np.ones(n)
    label_shift = float(y.mean()) if unbias_label else 0.0
    label_scale = float(_safe_std(y.reshape(-1, 1))[0]) if normalize_label else 1.0
    return Normalizer(shift, scale, label_shift, label_scale)
