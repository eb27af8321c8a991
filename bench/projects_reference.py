"""The bare-Python reference of `make bench-projects`: the same algorithms with the same
hyperparameters on the same rows as the pipeline, without the pipeline.

``bare RAW_CSV SCHEMA ALGORITHMS`` is what a data scientist's script does, and what the bench
times from the process's start to its exit: import the libraries, read the raw CSV, pre-process it
as the algorithms need it (the seeded train/validation/test split of the feature schema, the
categorical columns one-hot encoded with the schema's levels, missing values imputed as the schema
says with statistics learned on the train rows), then for each algorithm one fit on the train rows
and the test RMSE. Prints ``{"inProcessSeconds": s, "fitSeconds": s, "models": {name: {"testRmse": r}}}``:
after the imports, and the fits alone.

``cv SPLITS RAW_CSV SCHEMA ALGORITHMS`` is untimed: it checks that the bare pre-processing gives
exactly the pipeline's own train and test splits (label first, no header; a bench that compared
against other rows would prove nothing), then computes a 5-fold cross-validated RMSE over train +
validation rows per algorithm (the quality reference). Prints
``{"models": {name: {"cvRmse": r}}}``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold


def preprocess(raw_csv: Path, schema: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Raw CSV -> {split: (features, label)} as the algorithms need them, per the feature schema."""
    label = schema["label"]["name"]
    frame = pd.read_csv(raw_csv, keep_default_na=False, na_values=schema.get("missingValues", [""]), dtype={c["name"]: str for c in schema["categoricals"]})
    frame = frame[frame[label].notna()].reset_index(drop=True)
    split = schema["split"]
    n = len(frame)
    n_test, n_val = int(round(n * split["testFraction"])), int(round(n * split["validationFraction"]))
    order = np.random.default_rng(split["seed"]).permutation(n)
    rows = {"train": np.sort(order[n_test + n_val:]), "validation": np.sort(order[n_test:n_test + n_val]), "test": np.sort(order[:n_test])}
    train = frame.iloc[rows["train"]]
    categoricals = {c["name"]: c for c in schema["categoricals"]}
    for name, c in categoricals.items():
        if c.get("missing") == "impute":
            frame[name] = frame[name].fillna(train[name].mode().sort_values().iloc[0])
    columns = []
    for f in schema["features"]:
        source = f.get("category")
        if source is not None:
            levels = categoricals[source["column"]]["levels"]
            values = frame[source["column"]]
            hit = ~values.isin(levels) & values.notna() if source.get("other") else values == source["level"]
            columns.append(np.where(values.isna(), np.nan, hit.to_numpy(dtype=np.float64)))
            continue
        values = frame[f["name"]].to_numpy(dtype=np.float64)
        if f.get("missing") == "impute":
            present = train[f["name"]].dropna().to_numpy(dtype=np.float64)
            fill = float(np.median(present) if f["impute"]["strategy"] == "median" else np.mean(present))
            values = np.where(np.isnan(values), round(fill) if f["type"] in ("integer", "binary") else fill, values)
        columns.append(values)
    x = np.column_stack(columns)
    y = frame[label].to_numpy(dtype=np.float64)
    return {name: (x[idx], y[idx]) for name, idx in rows.items()}


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


def read_split(directory: Path) -> tuple[np.ndarray, np.ndarray]:
    files = sorted(directory.glob("*.csv"))
    data = np.vstack([np.genfromtxt(f, delimiter=",", ndmin=2) for f in files])
    return data[:, 1:], data[:, 0]


def bare(raw_csv: Path, schema_file: Path, algorithms: dict) -> int:
    started = time.perf_counter()
    splits = preprocess(raw_csv, json.loads(schema_file.read_text()))
    x_train, y_train = splits["train"]
    x_test, y_test = splits["test"]
    fitting = time.perf_counter()
    out: dict[str, dict[str, float]] = {}
    for name, spec in algorithms.items():
        predict = make_model(spec["kind"], spec["hyperparameters"])(x_train, y_train)
        out[name] = {"testRmse": rmse(y_test, predict(x_test))}
    done = time.perf_counter()
    print(json.dumps({"inProcessSeconds": done - started, "fitSeconds": done - fitting, "models": out}))
    return 0


def cross_validate(splits_dir: Path, raw_csv: Path, schema_file: Path, algorithms: dict) -> int:
    mine = preprocess(raw_csv, json.loads(schema_file.read_text()))
    pipeline = {name: read_split(splits_dir / name) for name in ("train", "validation", "test")}
    for name, (x, y) in pipeline.items():
        ours_x, ours_y = mine[name]
        if ours_x.shape != x.shape or not (np.allclose(ours_x, x, equal_nan=True) and np.allclose(ours_y, y)):
            raise SystemExit(f"the bare pre-processing's {name} split differs from the pipeline's ({ours_x.shape} vs {x.shape})")
    x_all = np.vstack([pipeline["train"][0], pipeline["validation"][0]])
    y_all = np.concatenate([pipeline["train"][1], pipeline["validation"][1]])
    out: dict[str, dict[str, float]] = {}
    for name, spec in algorithms.items():
        scores = []
        for tr, te in KFold(n_splits=5, shuffle=True, random_state=42).split(x_all):
            predict = make_model(spec["kind"], spec["hyperparameters"])(x_all[tr], y_all[tr])
            scores.append(rmse(y_all[te], predict(x_all[te])))
        out[name] = {"cvRmse": float(np.mean(scores))}
    print(json.dumps({"models": out}))
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 5 and argv[1] == "bare":
        return bare(Path(argv[2]), Path(argv[3]), json.loads(argv[4]))
    if len(argv) == 6 and argv[1] == "cv":
        return cross_validate(Path(argv[2]), Path(argv[3]), Path(argv[4]), json.loads(argv[5]))
    print("usage: projects_reference.py bare RAW_CSV SCHEMA ALGORITHMS | cv SPLITS RAW_CSV SCHEMA ALGORITHMS", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
