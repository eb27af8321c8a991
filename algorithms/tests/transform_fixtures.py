"""Fixtures shared by the batch-transform tests: a real (small) XGBoost model, scoring rows, a runner."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import make_training_base
from mlops_algorithms.defaults import XGBOOST


@pytest.fixture(scope="session")
def xgb_model(prepared: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An XGBoost model trained by the real training entry point (40 rounds, train channel only)."""
    from mlops_algorithms.xgboost.__main__ import main

    base = make_training_base(tmp_path_factory.mktemp("xgb"), prepared, {**XGBOOST, "num_round": "40"},
                              channels=("train",))
    old = os.environ.get("SAGEMAKER_BASE_DIR")
    os.environ["SAGEMAKER_BASE_DIR"] = str(base)
    try:
        assert main(["train"]) == 0
    finally:
        if old is None:
            os.environ.pop("SAGEMAKER_BASE_DIR", None)
        else:
            os.environ["SAGEMAKER_BASE_DIR"] = old
    return base / "model"


@pytest.fixture(scope="session")
def linear_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A hand-written linear-learner model over 17 features (no missing-value support)."""
    d = tmp_path_factory.mktemp("linear")
    doc = {"featureNames": [f"f{i}" for i in range(17)], "featureDim": 17,
           "coefficients": [0.001] + [1.0] * 16, "intercept": 100.0}
    (d / "linear-learner-model.json").write_text(json.dumps(doc))
    return d


@pytest.fixture(scope="session")
def schema_path(prepared: Path) -> Path:
    return prepared / "schema" / "feature-schema.json"


@pytest.fixture(scope="session")
def feature_lines(prepared: Path) -> list[str]:
    """The test split's feature text of each row (label removed): '20105,6,4,1,0,...'."""
    lines = (prepared / "test" / "test.csv").read_text().splitlines()
    return [line.split(",", 1)[1] for line in lines if line]


def id_lines(feature_lines: list[str], n: int | None = None, start: int = 1000) -> list[str]:
    rows = feature_lines if n is None else [feature_lines[i % len(feature_lines)] for i in range(n)]
    return [f"{start + i},{f}" for i, f in enumerate(rows)]


def write(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + end for line in lines), encoding="utf-8")
    return path


def transform_env(model: Path, inp: Path, out: Path, **extra: Any) -> dict[str, str]:
    env = {"model_dir": str(model), "input_dir": str(inp), "output_dir": str(out), "nthread": "1",
           "job_start_time": "2025-06-01T12:00:03Z"}
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_transform(env: dict[str, str]) -> str:
    from mlops_algorithms.transform.config import load_config
    from mlops_algorithms.transform.job import run

    return run(load_config(env))


def predict_texts(model: Path, lines: list[str]) -> list[str]:
    """What the job must write for these feature lines: repr of the float32 predictions."""
    from mlops_algorithms.predict import load_predictor

    matrix = np.array([[float(v) if v else np.nan for v in line.split(",")] for line in lines])
    return [repr(float(v)) for v in load_predictor(model).predict(matrix)]
