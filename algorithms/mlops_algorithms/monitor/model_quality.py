"""``model-quality-baseline`` job (regression): metrics of predictions against labels.

Env as Model Monitor: ``dataset_source``, ``output_path``, ``dataset_format``,
``analysis_type=MODEL_QUALITY``, ``problem_type=Regression``, ``inference_attribute``,
``ground_truth_attribute``. The dataset holds predictions and labels (the training pipeline scores
the test split with a batch transform first, so any model the serving container loads works). A
prediction may be a number or a built-in algorithm's JSON answer (``{"score": v}``, Linear
Learner's only form).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Mapping

import numpy as np

from ..contract import ClientError
from .config import CsvFormat, parse_dataset_format, required_path
from .dataset import Dataset, read_csv_dataset
from .jsonio import write_json
from .regression_metrics import regression_constraints, regression_statistics


def _column(data: Dataset, attribute: str, env_name: str) -> int:
    if attribute in data.names:
        return data.names.index(attribute)
    if attribute.isdigit() and int(attribute) < len(data.names):
        return int(attribute)
    raise ClientError(f"{env_name} '{attribute}' is not a column of the dataset (columns: {', '.join(data.names)})")


def _value(raw: str | None) -> float:
    """A number, or the score of a JSON answer such as ``{"score": 28.7}``."""
    if raw is None:
        return math.nan
    text = raw.strip()
    if text.startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError:
            return math.nan
        score = doc.get("score") if isinstance(doc, dict) else None
        return float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else math.nan
    try:
        return float(text)
    except ValueError:
        return math.nan


def _numbers(data: Dataset, col: int, attribute: str) -> np.ndarray:
    out = np.empty(data.rows)
    for i, raw in enumerate(data.columns[col]):
        value = _value(raw)
        if not math.isfinite(value):
            file, line = data.line_numbers[i]
            shown = "empty value" if raw is None else f"value '{raw}' is not numeric"
            raise ClientError(f"{file}: column '{attribute}', line {line}: {shown}")
        out[i] = value
    return out


def run(env: Mapping[str, str]) -> str:
    """Execute the job; returns the success detail for ``output/message``."""
    analysis = env.get("analysis_type", "MODEL_QUALITY")
    if analysis != "MODEL_QUALITY":
        raise ClientError(f"analysis_type '{analysis}' is not supported by model-quality-baseline (MODEL_QUALITY)")
    problem = env.get("problem_type", "")
    if problem != "Regression":
        raise ClientError(f"problem_type '{problem}' is not supported locally (only Regression)")
    source = required_path(env, "dataset_source")
    output = required_path(env, "output_path")
    fmt: CsvFormat = parse_dataset_format(env.get("dataset_format"))
    data = read_csv_dataset(source, fmt.header)
    inference, truth = env.get("inference_attribute", ""), env.get("ground_truth_attribute", "")
    if not inference or not truth:
        raise ClientError("inference_attribute and ground_truth_attribute are required")
    y_pred = _numbers(data, _column(data, inference, "inference_attribute"), inference)
    y_true = _numbers(data, _column(data, truth, "ground_truth_attribute"), truth)
    stats = regression_statistics(y_true, y_pred)
    write_json(output / "statistics.json", stats)
    write_json(output / "constraints.json", regression_constraints(stats))
    rmse = stats["regression_metrics"]["rmse"]["value"]
    return f"Job completed successfully: {data.rows} rows, rmse {rmse:.4f}."

