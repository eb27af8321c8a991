"""The bare-Python reference of `make bench-projects`: the same algorithms with the same
hyperparameters on the same rows as the pipeline, without the pipeline.

Reads the pipeline's own train, validation and test splits (label first, no header: the rows and
encoding the pipeline trained on), then for each algorithm:

* ``bare``: one fit on the train split and the test RMSE, timed (what the pipeline's training
  jobs do, without orchestration, registry, baselines or the comparison);
* ``cv``: a 5-fold cross-validated RMSE over train + validation rows (the quality reference).

Prints one JSON object: ``{"bareSeconds": s, "models": {name: {"testRmse": r, "cvRmse": r}}}``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import xgboost as xgb
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold


def read_split(directory: Path) -> tuple[np.ndarray, np.ndarray]:
    files = sorted(directory.glob("*.csv"))
    data = np.vstack([np.genfromtxt(f, delimiter=",", ndmin=2) for f in files])
    return data[:, 1:], data[:, 0]


def make_model(kind: str, hp: dict[str, str]):  # type: ignore[no-untyped-def]
    if kind == "xgboost":
        params = {k: v for k, v in hp.items() if k not in ("num_round", "eval_metric")}
        rounds = int(hp.get("num_round", "100"))

        def fit(x: np.ndarray, y: np.ndarray):  # type: ignore[no-untyped-def]
            booster = xgb.train({**params, "nthread": 1}, xgb.DMatrix(x, label=y), num_boost_round=rounds)
            return lambda z: booster.predict(xgb.DMatrix(z))

        return fit
    if kind == "hgb":
        kwargs = {
            "max_iter": int(hp.get("max_iter", "100")),
            "learning_rate": float(hp.get("learning_rate", "0.1")),
            "min_samples_leaf": int(hp.get("min_samples_leaf", "20")),
            "random_state": int(hp.get("random_state", "42")),
        }

        def fit(x: np.ndarray, y: np.ndarray):  # type: ignore[no-untyped-def]
            model = HistGradientBoostingRegressor(**kwargs).fit(x, y)
            return model.predict

        return fit
    raise SystemExit(f"unknown algorithm {kind}")


def rmse(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.sqrt(np.mean((y - p) ** 2)))


def main(argv: list[str]) -> int:
    splits = Path(argv[1])
    algorithms = json.loads(argv[2])  # {name: {"kind": k, "hyperparameters": {...}}}
    started = time.perf_counter()
    x_train, y_train = read_split(splits / "train")
    x_test, y_test = read_split(splits / "test")
    out: dict[str, dict[str, float]] = {}
    for name, spec in algorithms.items():
        predict = make_model(spec["kind"], spec["hyperparameters"])(x_train, y_train)
        out[name] = {"testRmse": rmse(y_test, predict(x_test))}
    bare = time.perf_counter() - started
    x_val, y_val = read_split(splits / "validation")
    x_all, y_all = np.vstack([x_train, x_val]), np.concatenate([y_train, y_val])
    for name, spec in algorithms.items():
        scores = []
        for tr, te in KFold(n_splits=5, shuffle=True, random_state=42).split(x_all):
            predict = make_model(spec["kind"], spec["hyperparameters"])(x_all[tr], y_all[tr])
            scores.append(rmse(y_all[te], predict(x_all[te])))
        out[name]["cvRmse"] = float(np.mean(scores))
    print(json.dumps({"bareSeconds": bare, "models": out}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
