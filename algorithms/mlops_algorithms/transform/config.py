"""The batch transform job's settings from environment variables (CreateTransformJob fields).

Why env vars: the orchestrator starts every local job the same way (processing-job style), and
the names mirror the API fields (``TransformInput.ContentType`` -> ``content_type`` ...).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping

from ..contract import ClientError
from ..fastcsv import DEFAULT_CHUNK_ROWS
from .jsonpath import JsonPath, compile_path

CSV = "text/csv"
JSONLINES = "application/jsonlines"
CONTENT_TYPES = (CSV, JSONLINES)
MAX_PAYLOAD_LIMIT_MB = 100  # CreateTransformJob: MaxPayloadInMB 0..100
DEFAULT_STREAM_CHUNK_MB = 6  # chunk size in bytes when MaxPayloadInMB is 0 (streaming)


@dataclass(frozen=True)
class TransformConfig:
    model_dir: Path
    input_dir: Path
    output_dir: Path
    content_type: str = CSV
    accept: str = CSV
    split_type: str = "Line"
    assemble_with: str = "Line"
    input_filter: JsonPath = compile_path("$", "InputFilter")
    join_source: str = "None"
    output_filter: JsonPath = compile_path("$", "OutputFilter")
    generate_inference_id: bool = False
    job_start_time: str = ""  # YYYY-MM-DDTHH:MM:SSZ (UTC)
    max_payload_mb: int = 6
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    capture_dir: Path | None = None
    feature_schema: Path | None = None
    nthread: int = 1

    @property
    def join(self) -> bool:
        return self.join_source == "Input"

    @property
    def chunk_bytes(self) -> int:
        return (self.max_payload_mb or DEFAULT_STREAM_CHUNK_MB) * 1024 * 1024


def _media(value: str, name: str) -> str:
    media = value.split(";", 1)[0].strip().lower()
    if media not in CONTENT_TYPES:
        raise ClientError(f"{name} '{value}' is not supported (supported: {', '.join(CONTENT_TYPES)})")
    return media


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip() or default
    for a in allowed:
        if raw.lower() == a.lower():
            return a
    raise ClientError(f"{name} '{raw}' is not supported (allowed: {', '.join(allowed)})")


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int | None = None) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ClientError(f"{name} '{raw}' is not an integer") from None
    if value < low or (high is not None and value > high):
        limit = f"[{low}, {high}]" if high is not None else f">= {low}"
        raise ClientError(f"{name} {value} is out of range {limit}")
    return value


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "false", "0", "no"):
        return False
    if raw in ("true", "1", "yes"):
        return True
    raise ClientError(f"{name} '{env.get(name)}' must be true or false")


def format_start_time(raw: str | None, now: datetime | None = None) -> str:
    """ISO-8601 (``Z`` or an offset; naive = UTC) -> ``YYYY-MM-DDTHH:MM:SSZ`` in UTC."""
    if raw is None or not raw.strip():
        moment = now or datetime.now(timezone.utc)
    else:
        text = raw.strip()
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise ClientError(f"job_start_time '{raw}' is not an ISO-8601 date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _path(env: Mapping[str, str], name: str, required: bool) -> Path | None:
    value = env.get(name, "").strip()
    if not value:
        if required:
            raise ClientError(f"environment variable {name} is required")
        return None
    return Path(value)


def default_threads() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _omp_threads(env: Mapping[str, str]) -> int | None:
    """``OMP_NUM_THREADS`` as the local job runner sets it (the instance count), if it is a positive int."""
    raw = env.get("OMP_NUM_THREADS", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


def load_config(env: Mapping[str, str]) -> TransformConfig:
    """Parse and cross-check the settings; every problem is a ClientError naming the variable."""
    model_dir = _path(env, "model_dir", True)
    input_dir = _path(env, "input_dir", True)
    output_dir = _path(env, "output_dir", True)
    content_type = _media(env.get("content_type", "").strip() or CSV, "content_type")
    accept = _media(env.get("accept", "").strip() or CSV, "accept")
    split_type = _choice(env, "split_type", "Line", ("Line", "None", "RecordIO", "TFRecord"))
    if split_type in ("RecordIO", "TFRecord"):
        raise ClientError(f"split_type {split_type} is not supported locally (supported: Line, None)")
    assemble_with = _choice(env, "assemble_with", "Line", ("Line", "None"))
    join_source = _choice(env, "join_source", "None", ("None", "Input"))
    input_filter = compile_path(env.get("input_filter"), "InputFilter")
    output_filter = compile_path(env.get("output_filter"), "OutputFilter")
    if content_type == CSV and not input_filter.index_only:
        raise ClientError(f"InputFilter '{input_filter.text}': CSV records are arrays of fields; "
                          "only index filters ($, $[i], $[i,j], $[start:end], $[*]) apply")
    if accept == CSV and join_source == "Input" and content_type == JSONLINES:
        raise ClientError("join_source Input with content_type application/jsonlines needs accept "
                          "application/jsonlines (the joined record is a JSON object)")
    if accept == CSV and not output_filter.index_only:
        raise ClientError(f"OutputFilter '{output_filter.text}': with accept text/csv the output record is an "
                          "array of fields; only index filters ($, $[i], $[i,j], $[start:end], $[*]) apply")
    capture_dir = _path(env, "capture_dir", False)
    return TransformConfig(
        model_dir=model_dir, input_dir=input_dir, output_dir=output_dir,  # type: ignore[arg-type]
        content_type=content_type, accept=accept, split_type=split_type, assemble_with=assemble_with,
        input_filter=input_filter, join_source=join_source, output_filter=output_filter,
        generate_inference_id=_bool(env, "generate_inference_id"),
        job_start_time=format_start_time(env.get("job_start_time")),
        max_payload_mb=_int(env, "max_payload_mb", 6, 0, MAX_PAYLOAD_LIMIT_MB),
        chunk_rows=_int(env, "chunk_rows", DEFAULT_CHUNK_ROWS, 1),
        capture_dir=capture_dir, feature_schema=_path(env, "feature_schema", False),
        nthread=_int(env, "nthread", _omp_threads(env) or default_threads(), 1),
    )
