"""Loading a trained model directory and predicting on a feature matrix.

Why one loader for both families: batch scoring, the model server and the model-quality baseline
only know "a model directory"; the family is detected from the files SageMaker's built-in
containers would produce (``xgboost-model``; our portable ``linear-learner-model.json``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

import numpy as np

from .contract import ClientError

XGBOOST_MODEL_FILE = "xgboost-model"
LINEAR_MODEL_FILE = "linear-learner-model.json"


class Predictor(Protocol):
    """A loaded model: ``predict`` maps an (n, n_features) matrix to n float32 predictions."""

    family: str
    n_features: int

    def predict(self, matrix: np.ndarray) -> np.ndarray: ...


def _as_matrix(matrix: np.ndarray, n_features: int) -> np.ndarray:
    m = np.asarray(matrix, dtype=np.float64)
    if m.ndim == 1:
        m = m.reshape(1, -1) if m.size else m.reshape(0, n_features)
    if m.ndim != 2 or m.shape[1] != n_features:
        got = m.shape[1] if m.ndim == 2 else m.shape
        raise ClientError(
            f"Feature size of inference data {got} is not consistent with feature size of trained model {n_features}"
        )
    return m


class XGBoostPredictor:
    """Booster saved by the XGBoost training job (format detected by xgboost itself)."""

    family = "xgboost"

    def __init__(self, path: Path, nthread: int = 1) -> None:
        from ._xgb import import_xgboost

        xgb = import_xgboost()
        # From bytes: xgboost sniffs JSON vs UBJSON itself and does not warn about the missing extension.
        self.booster = xgb.Booster(params={"nthread": nthread}, model_file=bytearray(path.read_bytes()))
        self.n_features = int(self.booster.num_features())

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        m = _as_matrix(matrix, self.n_features)
        if m.shape[0] == 0:
            return np.empty(0, dtype=np.float32)
        return np.asarray(self.booster.inplace_predict(m), dtype=np.float32).ravel()


class LinearPredictor:
    """Portable linear-learner JSON: scale features, dot, add bias, undo label normalisation."""

    family = "linear-learner"

    def __init__(self, path: Path) -> None:
        doc = json.loads(path.read_text(encoding="utf-8"))
        self.document = doc
        self.feature_names: list[str] = list(doc["featureNames"])
        self.n_features = int(doc["featureDim"])
        self.coefficients = np.asarray(doc["coefficients"], dtype=np.float64)
        self.intercept = float(doc["intercept"])
        scaler = doc.get("featureScaler") or {}
        self.shift = np.asarray(scaler.get("shift", [0.0] * self.n_features), dtype=np.float64)
        self.scale = np.asarray(scaler.get("scale", [1.0] * self.n_features), dtype=np.float64)
        label = doc.get("labelNormalization") or {}
        self.label_shift = float(label.get("shift", 0.0))
        self.label_scale = float(label.get("scale", 1.0))

    def predict(self, matrix: np.ndarray) -> np.ndarray:
        m = _as_matrix(matrix, self.n_features)
        z = (m - self.shift) / self.scale
        y = (z @ self.coefficients + self.intercept) * self.label_scale + self.label_shift
        return y.astype(np.float32)


MODEL_ARCHIVE = "model.tar.gz"


def _extract_archive(archive: Path) -> Path:
    """Unpack a SageMaker ``model.tar.gz`` beside a temp dir, as hosting does into /opt/ml/model.

    A processing job gets the training job's artifact as it is stored (the archive), so the loader
    accepts it too. The ``data`` filter refuses absolute paths, ``..`` and links out of the dir.
    """
    import tarfile
    import tempfile

    target = Path(tempfile.mkdtemp(prefix="mlops-model-"))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(target, filter="data")
    except (tarfile.TarError, OSError) as err:
        raise ClientError(f"{archive.name}: not a readable model archive ({err})") from err
    return target


def load_predictor(model_dir: str | Path, nthread: int = 1) -> Predictor:
    """Detect the model family from the files in ``model_dir`` and load it.

    ``model_dir`` may also hold just the training job's ``model.tar.gz``; it is then unpacked first.
    """
    d = Path(model_dir)
    if not (d / XGBOOST_MODEL_FILE).is_file() and not (d / LINEAR_MODEL_FILE).is_file() and (d / MODEL_ARCHIVE).is_file():
        d = _extract_archive(d / MODEL_ARCHIVE)
    if (d / XGBOOST_MODEL_FILE).is_file():
        return XGBoostPredictor(d / XGBOOST_MODEL_FILE, nthread)
    if (d / LINEAR_MODEL_FILE).is_file():
        return LinearPredictor(d / LINEAR_MODEL_FILE)
    raise ClientError(f"no model found in {d}: expected {XGBOOST_MODEL_FILE} or {LINEAR_MODEL_FILE}")
