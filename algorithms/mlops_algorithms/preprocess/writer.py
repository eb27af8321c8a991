"""Writing the splits in the built-in algorithms' CSV format (label first, no header, comma).

Integers are written without a decimal point (``6`` not ``6.0``) and floats as their shortest
round-trip repr, so the files are exact, small and read back identically everywhere.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def format_value(value: float, kind: str) -> str:
    """Text of one cell: integers/binaries without a decimal point, floats as shortest repr; a
    missing value (NaN, kept for algorithms that take it) as an empty field."""
    if value != value:
        return ""
    if kind in ("integer", "binary"):
        return str(int(value))
    return repr(float(value))


def write_split(path: Path, label: np.ndarray, features: np.ndarray, kinds: list[str], label_kind: str) -> None:
    """One CSV file: label then features, one row per record, ``\\n`` line endings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for y, row in zip(label.tolist(), features.tolist()):
        cells = [format_value(y, label_kind)] + [format_value(v, k) for v, k in zip(row, kinds)]
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + ("\n" if lines else ""), encoding="utf-8")


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Pretty-printed JSON with a trailing newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
