"""``model-quality-baseline`` job (regression): metrics of predictions against labels.

Env as Model Monitor: ``dataset_source``, ``output_path``, ``dataset_format``,
``analysis_type=MODEL_QUALITY``, ``problem_type=Regression``, ``inference_attribute``,
``ground_truth_attribute``.  Local extension: with ``model_dir`` and ``feature_schema`` the job
first scores the header-less test split in ``dataset_source`` (label first) with ``predict.py``,
writes ``<output_path>/predictions.csv`` (``label,prediction``) and analyses that file.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Mapping

import numpy as np

from ..contract import ClientError
from .config import CsvFormat, optional_path, parse_dataset_format, required_path
from .dataset import Dataset, read_csv_dataset, read_csv_files
from .jsonio import write_json
from .regression_metrics import regression_constraints, regression_statistics


def _column(data: Dataset, attribute: str, env_name: str) -> int:
    if attribute in data.names:
        return data.names.index(attribute)
    if attribute.isdigit() and int(attribute) < len(data.names):
        return int(attribute)
    raise ClientError(f"{env_name} '{attribute}' is not a column of the dataset (columns: {', '.join(data.names)})")


def _numbers(data: Dataset, col: int, attribute: str) -> np.ndarray:
    out = np.empty(data.rows)
    for i, raw in enumerate(data.columns[col]):
        try:
            value = float(raw) if raw is not None else math.nan
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            file, line = data.line_numbers[i]
            shown = "empty value" if raw is None else f"value '{raw}' is not numeric"
            raise ClientError(f"{file}: column '{attribute}', line {line}: {shown}")
        out[i] = value
    return out


def _score_test_split(source: Path, model_dir: Path, schema_path: Path, output: Path) -> Path:
    """Predict the header-less test split (label first) and write predictions.csv."""
    from ..features import csv_rows_to_matrix, load_schema
    from ..predict import load_predictor
    from ..validation import convert_columns

    schema = load_schema(schema_path)
    names = [schema["label"]["name"], *(f["name"] for f in schema["features"])]
    data = read_csv_dataset(source, header=False, names=names)
    rows = [[c[i] or "" for c in data.columns[1:]] for i in range(data.rows)]
    file = data.files[0].name if len(data.files) == 1 else source.name
    lines = [line for _, line in data.line_numbers]
    (labels,) = convert_columns([(schema["label"], data.columns[0])], lambda i: f"line {lines[i]}", f"{file}: ")
    matrix = csv_rows_to_matrix(rows, schema, file=file, line_numbers=lines)
    predictions = load_predictor(model_dir).predict(matrix)
    path = output / "predictions.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "".join(f"{y!r},{float(p)!r}\n" for y, p in zip(labels, predictions))
    path.write_text("label,prediction\n" + body, encoding="utf-8")
    return path


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
    model_dir, schema_path = optional_path(env, "model_dir"), optional_path(env, "feature_schema")
    if model_dir is not None:
        if schema_path is None:
            raise ClientError("model_dir requires feature_schema (to validate the test split)")
        predictions = _score_test_split(source, model_dir, schema_path, output)
        data = read_csv_files([predictions], header=True)
        inference, truth = "prediction", "label"
    else:
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

