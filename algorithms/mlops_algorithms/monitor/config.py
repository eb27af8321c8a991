"""Model Monitor's job configuration from environment variables (reference 5.1 / 6.1).

Why env vars: the SageMaker analyzer image is configured this way, and the orchestrator passes
the same names to our local process.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from ..contract import ClientError


@dataclass(frozen=True)
class CsvFormat:
    """``{"csv": {"header": bool, "output_columns_position": "START"|"END"}}``."""

    header: bool = True
    output_columns_position: str = "START"


def required_path(env: Mapping[str, str], name: str) -> Path:
    value = env.get(name, "").strip()
    if not value:
        raise ClientError(f"environment variable {name} is required")
    return Path(value)


def optional_path(env: Mapping[str, str], name: str) -> Path | None:
    value = env.get(name, "").strip()
    return Path(value) if value else None


def parse_dataset_format(text: str | None) -> CsvFormat:
    """Only CSV is implemented locally; JSON, parquet and capture formats are a ClientError."""
    if text is None or not text.strip():
        return CsvFormat()
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ClientError(f"dataset_format is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or len(doc) != 1:
        raise ClientError("dataset_format must be an object with exactly one key such as {\"csv\": {...}}")
    kind, options = next(iter(doc.items()))
    if kind != "csv":
        raise ClientError(f"dataset_format '{kind}' is not supported locally (supported: csv)")
    options = options or {}
    if not isinstance(options, dict):
        raise ClientError("dataset_format.csv must be an object")
    header = options.get("header", True)
    if not isinstance(header, bool):
        raise ClientError("dataset_format.csv.header must be true or false")
    position = options.get("output_columns_position", "START")
    if position not in ("START", "END"):
        raise ClientError("dataset_format.csv.output_columns_position must be START or END")
    return CsvFormat(header, position)


def env() -> Mapping[str, str]:
    """The process environment (a function so tests can call jobs with their own mapping)."""
    return os.environ
