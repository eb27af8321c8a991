"""The feature schema (``feature-schema.json``) and raw records -> model feature matrix.

Why: the schema written by pre-processing is the single source of truth for every consumer
(serving gateway, batch scoring, monitoring).  Turning raw records into the matrix the model was
trained on, with the same validation messages as pre-processing, lives here so that the model
server and the batch scorer cannot drift from training.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .contract import ClientError
from .validation import MISSING, FeatureValidationError, check_header, check_one_hot, check_row_lengths, convert_columns

SCHEMA_VERSION = 1


def load_schema(path: str | Path) -> dict[str, Any]:
    """Read and sanity-check a feature schema (ClientError if it is not one)."""
    p = Path(path)
    try:
        schema = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ClientError(f"cannot read feature schema {p}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ClientError(f"feature schema {p.name} is not valid JSON: {exc}") from None
    if not isinstance(schema, dict) or schema.get("schemaVersion") != SCHEMA_VERSION:
        raise ClientError(f"feature schema {p.name}: expected an object with schemaVersion {SCHEMA_VERSION}")
    features = schema.get("features")
    if not isinstance(features, list) or not features or not all(isinstance(f, dict) and "name" in f for f in features):
        raise ClientError(f"feature schema {p.name}: 'features' must be a non-empty list of {{name, type}} objects")
    if not isinstance(schema.get("label"), dict) or "name" not in schema["label"]:
        raise ClientError(f"feature schema {p.name}: 'label' must be an object with a name")
    return schema


def feature_names(schema: dict[str, Any]) -> list[str]:
    """Feature column names in model order."""
    return [f["name"] for f in schema["features"]]


def _to_matrix(columns: list[list[float]], n_rows: int) -> np.ndarray:
    if not columns:
        return np.empty((n_rows, 0))
    return np.asarray(columns, dtype=np.float64).T.reshape(n_rows, len(columns))


def records_to_matrix(records: Sequence[dict[str, Any]], schema: dict[str, Any], *, source: str = "") -> np.ndarray:
    """JSON-like records keyed by raw column names -> (n, n_features) float64 matrix.

    Extra keys (id columns, the label, anything else) are ignored.  Errors say ``record <i>``
    (0-based index into ``records``) instead of a line number.
    """
    prefix = f"{source}: " if source else ""
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise FeatureValidationError(f"{prefix}record {i}: expected an object keyed by column name (rule: record shape)",
                                         rule="record shape", position=i)
    features = schema["features"]
    columns = convert_columns([(f, [rec.get(f["name"], MISSING) for rec in records]) for f in features],
                              lambda i: f"record {i}", prefix)
    values = {f["name"]: col for f, col in zip(features, columns)}
    check_one_hot(schema.get("oneHotGroups", []), values, lambda i: f"record {i}", prefix)
    return _to_matrix(columns, len(records))


def csv_rows_to_matrix(rows: Sequence[Sequence[str]], schema: dict[str, Any], *, header: Sequence[str] | None = None,
                       file: str = "", line_numbers: Sequence[int] | None = None) -> np.ndarray:
    """Parsed CSV rows -> (n, n_features) float64 matrix with pre-processing's messages.

    Without ``header`` the rows hold exactly the features in schema order (the built-in
    algorithms' inference format).  With ``header`` columns are matched by name and extra columns
    (ids, label, others) are ignored.  ``line_numbers`` gives each row's line in the file (default:
    row i is on line i+1, or i+2 after a header).
    """
    prefix = f"{file}: " if file else ""
    names = feature_names(schema)
    offset = 2 if header is not None else 1
    lines = list(line_numbers) if line_numbers is not None else [i + offset for i in range(len(rows))]
    locate = lambda i: f"line {lines[i]}"  # noqa: E731
    if header is None:
        header = names
        index = {n: i for i, n in enumerate(names)}
    else:
        index = check_header(header, names, prefix)
    check_row_lengths(rows, header, locate, prefix)
    features = schema["features"]
    columns = convert_columns([(f, [row[index[f["name"]]] for row in rows]) for f in features], locate, prefix)
    check_one_hot(schema.get("oneHotGroups", []), {f["name"]: c for f, c in zip(features, columns)}, locate, prefix)
    return _to_matrix(columns, len(rows))
