"""Writing Model Monitor JSON files: pretty-printed, ``"version": 0.0``, never bare NaN."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Pretty-print ``document``; ``allow_nan=False`` turns an accidental NaN into an error, not bad JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n", encoding="utf-8")
