"""The portable linear-learner model file (``linear-learner-model.json``): no pickle.

Why JSON: the model must be loadable by the TypeScript gateway and by any Python version, and be
human-inspectable.  Both the normalised-space parameters (what was trained) and the equivalent
raw-space coefficients (one dot product) are stored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from ..predict import LINEAR_MODEL_FILE
from .normalization import Normalizer
from .solvers import Weights

FORMAT = "temporal-mlops/linear-learner"


def raw_space(weights: Weights, norm: Normalizer) -> tuple[list[float], float]:
    """y = x . raw_coef + raw_intercept, equivalent to the normalised model."""
    coef = norm.label_scale * weights.coef / norm.scale
    intercept = norm.label_scale * (weights.intercept - float(np.sum(weights.coef * norm.shift / norm.scale))) + norm.label_shift
    return [float(c) for c in coef], float(intercept)


def build_document(weights: Weights, norm: Normalizer, feature_names: list[str], *, loss: str, solver: str,
                   hyperparameters: dict[str, str], epochs_run: int) -> dict[str, Any]:
    """The JSON document; ``predict.LinearPredictor`` is its reader."""
    raw_coef, raw_intercept = raw_space(weights, norm)
    return {
        "format": FORMAT,
        "formatVersion": 1,
        "predictorType": "regressor",
        "featureDim": len(feature_names),
        "featureNames": feature_names,
        "featureScaler": {"shift": [float(v) for v in norm.shift], "scale": [float(v) for v in norm.scale]},
        "coefficients": [float(v) for v in weights.coef],
        "intercept": float(weights.intercept),
        "labelNormalization": {"shift": norm.label_shift, "scale": norm.label_scale},
        "rawCoefficients": raw_coef,
        "rawIntercept": raw_intercept,
        "prediction": "((x - featureScaler.shift) / featureScaler.scale) . coefficients + intercept, "
                      "then * labelNormalization.scale + labelNormalization.shift",
        "training": {"loss": loss, "solver": solver, "epochsRun": epochs_run, "hyperparameters": hyperparameters},
    }


def save_model(model_dir: Path, document: dict[str, Any]) -> Path:
    """Write ``<model_dir>/linear-learner-model.json``."""
    model_dir.mkdir(parents=True, exist_ok=True)
    path = model_dir / LINEAR_MODEL_FILE
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path
