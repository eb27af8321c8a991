"""Reading data-capture JSON Lines (reference 4.2) into flat rows of value texts (reference 5.1).

A capture record becomes one row per request line: the OUTPUT sides first (``endpointOutput``,
``batchTransformOutput``), then the INPUT side (``endpointInput``) — Model Monitor's
``output_columns_position=START``.  Decoding by ``encoding``:

* ``CSV``: the ``data`` text is parsed as CSV; a multi-line request gives one row per line, and
  line i of the input is paired with line i of the output (a record whose sides have different
  line counts is skipped and counted).
* ``JSON``: the ``data`` text is parsed; numbers are taken from ``{"instances": [...]}``,
  ``{"features": [...]}``, ``{"data": {"features": {"values": [...]}}}``, ``{"predictions":
  [{"score": v}]}``, ``{"score": v}``, a list of lists, a list of numbers or a number.
* ``BASE64``: decoded, then read as CSV, JSON or JSON Lines by ``observedContentType``.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..contract import ClientError, data_files

OUTPUT_INDEXES = ("endpointOutput", "batchTransformOutput")


@dataclass
class CaptureRecord:
    """One capture line: file/line, its metadata and the decoded rows of each captured side."""

    file: str
    line: int
    record: dict[str, Any]
    sides: dict[str, list[list[str]]] = field(default_factory=dict)

    @property
    def event_id(self) -> str | None:
        meta = self.record.get("eventMetadata") or {}
        return meta.get("inferenceId") or meta.get("eventId")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return "" if value is None else str(value)


def _json_rows(doc: Any) -> list[list[str]]:
    """Rows of value texts from the JSON shapes the model server accepts and returns."""
    if isinstance(doc, dict):
        if "instances" in doc:
            return [r for item in doc["instances"] for r in _json_rows(item)]
        if "predictions" in doc:
            return [r for item in doc["predictions"] for r in _json_rows(item)]
        if "features" in doc:
            return _json_rows(doc["features"])
        if "data" in doc:
            return _json_rows(doc["data"])
        if "values" in doc:
            return _json_rows(doc["values"])
        if "score" in doc:
            return [[_text(doc["score"])]]
        return [[_text(v) for v in doc.values()]]
    if isinstance(doc, list):
        if doc and all(isinstance(x, (list, dict)) for x in doc):
            return [r for item in doc for r in _json_rows(item)]
        return [[_text(v) for v in doc]]
    return [[_text(doc)]]


def _csv_rows(text: str) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(text)) if row and row != [""]]


def decode_side(side: dict[str, Any]) -> list[list[str]]:
    """Rows of one captured side (``endpointInput`` / ``endpointOutput``)."""
    encoding = str(side.get("encoding", "CSV")).upper()
    data = side.get("data", "")
    content_type = str(side.get("observedContentType", "")).lower()
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ValueError("BASE64 data does not decode to UTF-8 text") from None
        if "jsonlines" in content_type or "x-ndjson" in content_type:
            return [r for line in data.splitlines() if line.strip() for r in _json_rows(json.loads(line))]
        encoding = "JSON" if "json" in content_type else "CSV"
    if encoding == "JSON":
        return _json_rows(json.loads(data))
    if encoding == "CSV":
        return _csv_rows(data)
    raise ValueError(f"unknown encoding '{encoding}'")


def read_capture(source: Path, index_names: Sequence[str] | None = None) -> list[CaptureRecord]:
    """All capture records below ``source`` (recursive, sorted, no dotfiles; blank lines skipped).

    Only the sides named in ``index_names`` (default: all) are decoded.
    """
    records: list[CaptureRecord] = []
    for path in data_files(source):
        rel = str(path.relative_to(source))
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise ClientError(f"{rel}: not UTF-8 text") from None
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
            except ValueError as exc:
                raise ClientError(f"{rel}, line {number}: not a JSON capture record: {exc}") from None
            data = doc.get("captureData") if isinstance(doc, dict) else None
            if not isinstance(data, dict):
                raise ClientError(f"{rel}, line {number}: no captureData object")
            rec = CaptureRecord(rel, number, doc)
            names = list(index_names) if index_names else list(data)
            try:
                for name in names:
                    if isinstance(data.get(name), dict):
                        rec.sides[name] = decode_side(data[name])
            except ValueError as exc:
                raise ClientError(f"{rel}, line {number}: cannot decode captured data: {exc}") from None
            records.append(rec)
    return records


def flatten(records: Sequence[CaptureRecord]) -> tuple[list[list[str]], int]:
    """Rows ``output columns + input columns`` of every record; returns (rows, skipped records)."""
    rows: list[list[str]] = []
    skipped = 0
    for rec in records:
        ordered = sorted(rec.sides, key=lambda n: 0 if n in OUTPUT_INDEXES or "Output" in n else 1)
        sides = [rec.sides[n] for n in ordered if rec.sides[n]]
        if not sides:
            continue
        lengths = {len(s) for s in sides}
        if len(lengths) != 1:
            skipped += 1
            continue
        for i in range(lengths.pop()):
            rows.append([v for s in sides for v in s[i]])
    return rows, skipped
