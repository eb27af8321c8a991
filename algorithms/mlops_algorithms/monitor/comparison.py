"""``model-comparison``: the challenger and the champion scored on the same rows.

The training pipeline's step 6 scores the challenger's validation (and test) split with both
models, each in a batch transform of its own serving container (so every algorithm works), keeping
``label,prediction`` per line. This job lines the outputs up row by row (the same files, the same
labels in the same order, or it refuses), computes both models' regression metrics on each split,
and a seeded paired bootstrap of the validation RMSE difference (challenger minus champion), so
the pipeline can ask for a significant improvement, not only a lower number.

Env: ``challenger_validation``, ``champion_validation`` (dirs of ``label,prediction`` CSV, no
header; a prediction may be a built-in algorithm's JSON answer ``{"score": v}``), optional
``challenger_test`` / ``champion_test``, ``output_path``, ``bootstrap_iterations`` (default 1000,
0 = none), ``bootstrap_seed`` (default 0), ``confidence`` (default 0.95). Writes
``comparison.json``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..contract import ClientError, data_files
from ..metrics import regression_metrics
from .config import optional_path, required_path
from .dataset import read_csv_files
from .jsonio import write_json
from .model_quality import _value

#: Resampled index matrices are built this many cells at a time (about 64 MiB of int64).
_CELLS_PER_CHUNK = 8_000_000


def _split(challenger_dir: Path, champion_dir: Path, split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(labels, challenger predictions, champion predictions) of one split, lined up row by row."""
    ours, theirs = data_files(challenger_dir), data_files(champion_dir)
    if not ours:
        raise ClientError(f"{split}: {challenger_dir} holds no predictions of the challenger")
    names = [p.relative_to(challenger_dir).as_posix() for p in ours]
    if names != [p.relative_to(champion_dir).as_posix() for p in theirs]:
        raise ClientError(f"{split}: the two models scored different files ({', '.join(names)} vs "
                          f"{', '.join(p.relative_to(champion_dir).as_posix() for p in theirs)})")
    a = read_csv_files(ours, header=False, source=str(challenger_dir))
    b = read_csv_files(theirs, header=False, source=str(champion_dir))
    if a.rows != b.rows:
        raise ClientError(f"{split}: {a.rows} rows scored by the challenger but {b.rows} by the champion: not the same rows")
    if len(a.names) < 2 or len(b.names) < 2:
        raise ClientError(f"{split}: expected label,prediction per line")
    y = np.empty(a.rows)
    p_ours = np.empty(a.rows)
    p_theirs = np.empty(a.rows)
    for i in range(a.rows):
        label, other_label = a.columns[0][i], b.columns[0][i]
        if label != other_label:
            file, line = a.line_numbers[i]
            raise ClientError(f"{split}: {file}, line {line}: the label is '{label}' in the challenger's output "
                              f"and '{other_label}' in the champion's: not the same rows")
        values = (_value(label), _value(a.columns[1][i]), _value(b.columns[1][i]))
        if not all(math.isfinite(v) for v in values):
            file, line = a.line_numbers[i]
            raise ClientError(f"{split}: {file}, line {line}: label or prediction is not numeric")
        y[i], p_ours[i], p_theirs[i] = values
    return y, p_ours, p_theirs


def paired_bootstrap_rmse(y: np.ndarray, ours: np.ndarray, theirs: np.ndarray, iterations: int, seed: int,
                          confidence: float) -> dict[str, Any]:
    """Seeded paired bootstrap of RMSE(ours) - RMSE(theirs): the same resampled rows for both models."""
    sq_ours = (y - ours) ** 2
    sq_theirs = (y - theirs) ** 2
    n = len(y)
    rng = np.random.default_rng(seed)
    diffs = np.empty(iterations)
    per_chunk = max(1, _CELLS_PER_CHUNK // max(n, 1))
    done = 0
    while done < iterations:
        k = min(per_chunk, iterations - done)
        idx = rng.integers(0, n, size=(k, n))
        diffs[done:done + k] = np.sqrt(sq_ours[idx].mean(axis=1)) - np.sqrt(sq_theirs[idx].mean(axis=1))
        done += k
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(diffs, [alpha, 1.0 - alpha])
    return {
        "metric": "rmse",
        "iterations": iterations,
        "seed": seed,
        "confidence": confidence,
        "difference_low": float(low),
        "difference_high": float(high),
        "probability_challenger_better": float(np.mean(diffs < 0.0)),
    }


def _int(env: Mapping[str, str], name: str, default: int, lowest: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ClientError(f"{name} '{text}' is not an integer") from None
    if value < lowest:
        raise ClientError(f"{name} must be at least {lowest}, got {value}")
    return value


def run(env: Mapping[str, str]) -> str:
    output = required_path(env, "output_path")
    iterations = _int(env, "bootstrap_iterations", 1000, 0)
    seed = _int(env, "bootstrap_seed", 0, 0)
    try:
        confidence = float(env.get("confidence", "0.95") or "0.95")
    except ValueError:
        raise ClientError(f"confidence '{env.get('confidence')}' is not a number") from None
    if not 0.5 <= confidence < 1.0:
        raise ClientError(f"confidence must be in [0.5, 1), got {confidence}")
    doc: dict[str, Any] = {"version": 1, "rows": {}, "challenger": {}, "champion": {}}
    splits = [("validation", required_path(env, "challenger_validation"), required_path(env, "champion_validation"))]
    test_ours, test_theirs = optional_path(env, "challenger_test"), optional_path(env, "champion_test")
    if test_ours is not None and test_theirs is not None:
        splits.append(("test", test_ours, test_theirs))
    validation: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    for split, ours_dir, theirs_dir in splits:
        y, ours, theirs = _split(ours_dir, theirs_dir, split)
        doc["rows"][split] = int(len(y))
        doc["challenger"][split] = regression_metrics(y, ours)
        doc["champion"][split] = regression_metrics(y, theirs)
        if split == "validation":
            validation = (y, ours, theirs)
    assert validation is not None
    ch, cp = doc["challenger"]["validation"]["rmse"], doc["champion"]["validation"]["rmse"]
    doc["difference"] = {"metric": "rmse", "split": "validation", "value": ch - cp,
                         "relative": (ch - cp) / cp if cp > 0 else None}
    if iterations:
        doc["bootstrap"] = paired_bootstrap_rmse(*validation, iterations, seed, confidence)
    write_json(output / "comparison.json", doc)
    return (f"Job completed successfully: {doc['rows']['validation']} validation rows, rmse challenger {ch:.4f} "
            f"vs champion {cp:.4f}.")
