"""Scheduled monitoring runs: ``data-quality-monitor`` and ``model-quality-monitor``.

Both write ``statistics.json`` and ``constraint_violations.json`` to ``output_path`` and return
``(status, detail)`` for ``<base>/output/message``: ``Completed: Job completed successfully with no
violations.`` or ``CompletedWithViolations: Job completed successfully with N violations.``
A run without data fails with a ClientError, as SageMaker fails an execution with no data.
"""

from __future__ import annotations

import json
import math
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..contract import ClientError, data_files
from .capture import CaptureRecord, read_capture
from .config import optional_path, required_path
from .dataset import read_csv_dataset
from .jsonio import write_json
from .regression_metrics import regression_statistics
from .statistics import ColumnAccumulator, profile_dataset, statistics_document
from .streaming import profile_capture
from .violations import data_quality_violations, model_quality_violations


def _load_json(path: Path, what: str) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ClientError(f"{what} {path} cannot be read: {exc.strerror}") from None
    except ValueError as exc:
        raise ClientError(f"{what} {path} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ClientError(f"{what} {path} is not a JSON object")
    return doc


def _status(violations: list[dict[str, Any]]) -> tuple[str, str]:
    if not violations:
        return "Completed", "Job completed successfully with no violations."
    return "CompletedWithViolations", f"Job completed successfully with {len(violations)} violations."


def _parse_monitor_format(text: str | None) -> tuple[str, dict[str, Any]]:
    if text is None or not text.strip():
        return "sagemakerCaptureJson", {}
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ClientError(f"dataset_format is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or len(doc) != 1:
        raise ClientError("dataset_format must be an object with exactly one key")
    kind, options = next(iter(doc.items()))
    if kind not in ("sagemakerCaptureJson", "csv"):
        raise ClientError(f"dataset_format '{kind}' is not supported locally (supported: sagemakerCaptureJson, csv)")
    if not isinstance(options or {}, dict):
        raise ClientError(f"dataset_format.{kind} must be an object")
    return kind, options or {}


def _time(env: Mapping[str, str], name: str) -> datetime | None:
    text = env.get(name, "").strip()
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ClientError(f"{name} '{text}' is not an ISO-8601 time") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def in_window(records: list[CaptureRecord], env: Mapping[str, str]) -> list[CaptureRecord]:
    """Records whose ``eventMetadata.inferenceTime`` lies in [``start_time``, ``end_time``) when
    those env vars are set (records without a parsable time are kept)."""
    start, end = _time(env, "start_time"), _time(env, "end_time")
    if start is None and end is None:
        return records
    kept = []
    for rec in records:
        text = str((rec.record.get("eventMetadata") or {}).get("inferenceTime", ""))
        try:
            t = datetime.fromisoformat(text.replace("Z", "+00:00"))
            t = t if t.tzinfo else t.replace(tzinfo=timezone.utc)
        except ValueError:
            kept.append(rec)
            continue
        if (start is None or t >= start) and (end is None or t < end):
            kept.append(rec)
    return kept


def _no_data(source: Path) -> ClientError:
    return ClientError(f"no captured data in the window: dataset_source {source} holds no capture records")


def _capture_columns(source: Path, options: Mapping[str, Any], env: Mapping[str, str], view: Any = None) -> tuple[list[ColumnAccumulator], int]:
    """Streaming profile of the captured rows (``streaming.profile_capture``); returns (columns, rows)."""
    indexes = options.get("captureIndexNames") or ["endpointInput", "endpointOutput"]
    accs, rows, skipped = profile_capture(source, indexes, _time(env, "start_time"), _time(env, "end_time"), view=view)
    if skipped:
        print(f"[warning] {skipped} capture records skipped: input and output have different line counts",
              file=sys.stderr)
    return accs, rows


def _csv_columns(source: Path, options: Mapping[str, Any]) -> tuple[list[list[str | None]], list[str] | None, int]:
    """Batch capture CSV: ``record_id,<features>,prediction`` -> prediction first, record_id dropped.

    Returns (columns of raw values, None = missing; header names or None; row count)."""
    header = options.get("header", True)
    if not isinstance(header, bool):
        raise ClientError("dataset_format.csv.header must be true or false")
    try:
        data = read_csv_dataset(source, header)
    except ClientError as exc:
        if "holds no" in str(exc):
            raise _no_data(source) from None
        raise
    names = list(data.names)
    order = list(range(len(names)))
    if header and "prediction" in names:
        order = [names.index("prediction")] + [j for j in order if names[j] not in ("prediction", "record_id")]
    return [data.columns[j] for j in order], ([names[j] for j in order] if header else None), data.rows


def run_data_quality(env: Mapping[str, str]) -> tuple[str, str]:
    """``data-quality-monitor``: statistics of the current data + checks against the baseline."""
    source = required_path(env, "dataset_source")
    output = required_path(env, "output_path")
    baseline_stats = _load_json(required_path(env, "baseline_statistics"), "baseline_statistics")
    baseline_constraints = _load_json(required_path(env, "baseline_constraints"), "baseline_constraints")
    kind, options = _parse_monitor_format(env.get("dataset_format"))
    header_names: list[str] | None = None
    accs: list[ColumnAccumulator] = []
    columns: list[list[str | None]] = []
    schema_path = optional_path(env, "feature_schema")
    from .data_quality import raw_view

    # Captured rows hold the model's (encoded) features: read back as the project's raw columns.
    view = raw_view(schema_path) if schema_path is not None else None
    if kind == "csv":
        columns, header_names, n_rows = _csv_columns(source, options)
        if view is not None and n_rows:
            columns = view.decode_columns(columns)
            header_names = ["prediction", *view.names] if header_names else None
        width = len(columns)
    else:
        accs, n_rows = _capture_columns(source, options, env, view)
        width = len(accs)
    if not n_rows:
        raise _no_data(source)
    base_names = [f.get("name") for f in baseline_stats.get("features") or []]
    if not base_names and optional_path(env, "feature_schema") is not None:
        from .data_quality import schema_column_names

        base_names = schema_column_names(optional_path(env, "feature_schema"))
    names = [base_names[j] if j < len(base_names) and base_names[j] else
             (header_names[j] if header_names and j < len(header_names) else f"_c{j}") for j in range(width)]
    if kind == "csv":
        profiles = profile_dataset(names, columns)
        del columns
    else:
        for acc, name in zip(accs, names):
            acc.name = name
        profiles = [acc.finish() for acc in accs]
    stats = statistics_document(profiles, n_rows)
    violations = data_quality_violations(stats, baseline_stats, baseline_constraints, profiles)
    write_json(output / "statistics.json", stats)
    write_json(output / "constraint_violations.json", {"violations": violations})
    print(f"analysed {n_rows} rows, {width} columns; {len(violations)} violations")
    return _status(violations)


# -- model quality ---------------------------------------------------------------------------
def _ground_truth(source: Path) -> dict[str, tuple[dict[str, Any], float]]:
    """eventId -> (record, label); a later record for the same id replaces an earlier one."""
    labels: dict[str, tuple[dict[str, Any], float]] = {}
    for path in data_files(source):
        rel = path.relative_to(source)
        for number, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
                event_id = str(doc["eventMetadata"]["eventId"])
                text = str(doc["groundTruthData"]["data"]).strip()
            except (ValueError, KeyError, TypeError):
                raise ClientError(f"{rel}, line {number}: not a ground-truth record "
                                  "({groundTruthData: {data}, eventMetadata: {eventId}})") from None
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if not math.isfinite(value):
                raise ClientError(f"{rel}, line {number}: ground truth '{text}' is not a finite number")
            labels[event_id] = (doc, value)
    return labels


def run_model_quality(env: Mapping[str, str]) -> tuple[str, str]:
    """``model-quality-monitor``: merge captures with ground truth, regression metrics, checks."""
    source = required_path(env, "dataset_source")
    truth_source = required_path(env, "ground_truth_source")
    output = required_path(env, "output_path")
    constraints = _load_json(required_path(env, "baseline_constraints"), "baseline_constraints")
    attribute = env.get("inference_attribute", "0") or "0"
    if not attribute.isdigit():
        raise ClientError(f"inference_attribute '{attribute}' must be a 0-based index of the CSV output")
    index = int(attribute)
    records = in_window(read_capture(source, ["endpointOutput", "batchTransformOutput"]), env)
    if not records:
        raise _no_data(source)
    labels = _ground_truth(truth_source)
    if not labels:
        raise ClientError(f"no ground truth data: ground_truth_source {truth_source} holds no ground-truth records")
    merged, y, p = [], [], []
    for rec in records:
        event_id = rec.event_id
        if event_id is None or event_id not in labels:
            continue
        rows = rec.sides.get("endpointOutput") or rec.sides.get("batchTransformOutput") or []
        try:
            prediction = float(rows[0][index])
        except (IndexError, ValueError):
            raise ClientError(f"{rec.file}, line {rec.line}: no numeric prediction at inference_attribute "
                              f"{index}") from None
        truth_doc, label = labels[event_id]
        merged.append({**rec.record, "groundTruthData": truth_doc.get("groundTruthData"),
                       "groundTruthEventId": event_id})
        y.append(label)
        p.append(prediction)
    if not merged:
        # The "NoMatch:" prefix tells the orchestrator that model quality could not be evaluated yet,
        # unlike broken input, which fails the run.
        raise ClientError(f"NoMatch: no captured inference matches a ground-truth record ({len(records)} captured, "
                          f"{len(labels)} ground-truth records; eventId = capture inferenceId, else eventId)")
    merge_file = output / "merge" / "merged.jsonl"
    merge_file.parent.mkdir(parents=True, exist_ok=True)
    merge_file.write_text("".join(json.dumps(m, separators=(",", ":")) + "\n" for m in merged), encoding="utf-8")
    stats = regression_statistics(np.asarray(y), np.asarray(p))
    violations = model_quality_violations(stats, constraints)
    write_json(output / "statistics.json", stats)
    write_json(output / "constraint_violations.json", {"violations": violations})
    print(f"merged {len(merged)} of {len(records)} captured inferences with ground truth "
          f"({len(labels)} labels); {len(violations)} violations")
    return _status(violations)
