"""Building ``feature-schema.json``, the contract every later consumer reads.

Stats come from the training split only, so that nothing about validation/test leaks into what
the serving gateway or monitors treat as "normal".
"""

from __future__ import annotations

from typing import Any

import numpy as np

RULE_KEYS = ("min", "max", "allowed", "outOfRange")

# What the gateway does with a value outside a feature's training range (stats min..max, width w):
# within tolerance*w of it: in range; beyond rejectBeyond*w: always rejected (absurd); in between:
# ``policy`` ("flag": answer and flag the record, "reject": 400).  Mirrored in
# common/schemas/feature-schema.ts (DEFAULT_OUT_OF_RANGE); a dataset spec may set its own,
# for the whole schema or per feature.
DEFAULT_OUT_OF_RANGE = {"policy": "flag", "tolerance": 0.1, "rejectBeyond": 10.0}


def _number(value: float, kind: str) -> int | float:
    return int(value) if kind in ("integer", "binary") else float(value)


def column_stats(values: np.ndarray, kind: str) -> dict[str, int | float]:
    """min/max in the column's type, mean as float (training split)."""
    return {
        "min": _number(float(values.min()), kind),
        "max": _number(float(values.max()), kind),
        "mean": float(values.mean()),
    }


def _column_entry(col: dict[str, Any], values: np.ndarray) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": col["name"], "type": col["type"]}
    entry.update({k: col[k] for k in RULE_KEYS if k in col})
    entry["stats"] = column_stats(values, col["type"])
    return entry


def build_schema(spec: dict[str, Any], label: np.ndarray, features: np.ndarray, train_idx: np.ndarray,
                 rows: dict[str, int], split: dict[str, Any], source: dict[str, Any],
                 ignored: list[str]) -> dict[str, Any]:
    """Assemble the schema document (key order is part of the readability contract)."""
    return {
        "schemaVersion": 1,
        "label": _column_entry(spec["label"], label[train_idx]),
        "idColumns": list(spec.get("idColumns", [])),
        "features": [_column_entry(f, features[train_idx, j]) for j, f in enumerate(spec["features"])],
        "oneHotGroups": [{"name": g["name"], "columns": list(g["columns"])} for g in spec.get("oneHotGroups", [])],
        "outOfRange": {**DEFAULT_OUT_OF_RANGE, **spec.get("outOfRange", {})},
        "ignoredColumns": ignored,
        "split": {**split, "rows": rows},
        "source": source,
    }


def _nan_stats(values: np.ndarray, kind: str) -> dict[str, int | float] | None:
    present = values[~np.isnan(values)]
    return column_stats(present, kind) if present.size else None


def build_encoded_schema(spec: dict[str, Any], label: np.ndarray, encoded: Any, train_idx: np.ndarray,
                         rows: dict[str, int], split: dict[str, Any], source: dict[str, Any], ignored: list[str],
                         missing: dict[str, int]) -> dict[str, Any]:
    """The schema of an encoded dataset: ``features`` are the model features (what algorithms read),
    ``rawFeatures`` the columns a record carries, ``categoricals`` each categorical column's levels
    and policies; the imputed values are those of the training split."""
    features = []
    for j, entry in enumerate(encoded.entries):
        e = dict(entry)
        stats = _nan_stats(encoded.matrix[train_idx, j], entry["type"])
        if stats is not None:
            e["stats"] = stats
        features.append(e)
    total = max(1, sum(rows.values()))
    return {
        "schemaVersion": 1,
        "label": _column_entry(spec["label"], label[train_idx]),
        "idColumns": list(spec.get("idColumns", [])),
        "features": features,
        "rawFeatures": [f["name"] for f in spec["features"]],
        "categoricals": encoded.categoricals,
        "missingValues": list(spec.get("missingValues", [""])),
        "missingShare": {name: count / total for name, count in missing.items()},
        "oneHotGroups": [{"name": g["name"], "columns": list(g["columns"])} for g in spec.get("oneHotGroups", [])],
        "outOfRange": {**DEFAULT_OUT_OF_RANGE, **spec.get("outOfRange", {})},
        "ignoredColumns": ignored,
        "split": {**split, "rows": rows},
        "source": source,
    }
