"""One chunk of an input object -> model -> joined/filtered output lines (+ capture rows).

Two paths produce byte-identical results:

* :func:`fast_csv_chunk` — CSV in, CSV out, a *regular* chunk (see ``fastcsv.scan_regular``):
  features parsed for the input-filter columns only (``float`` a field at a time for a small
  chunk, pandas' C reader for a large one, whose import then pays off), one ``predict`` for the
  chunk, output rows gathered from the original field bytes + prediction text with numpy.
  Returns ``None`` whenever anything is unusual (quotes, blank lines, ragged rows, a value that
  does not parse, a filter that does not fit, a wrong feature count).
* :func:`record_chunk` — per record, in Python: CSV (csv-module quoting) and JSON Lines.  It is
  the reference semantics and the only place that raises data errors, so every message names
  the file and the 1-based line of the failing record.
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from .. import fastcsv
from ..contract import ClientError
from ..fastcsv import Chunk, Piece
from ..payload import INSTANCE_SHAPES, ValueProblem, csv_value, json_features, json_value, prediction_texts, shown
from ..predict import Predictor
from .config import CSV, TransformConfig
from .jsonpath import FilterError, select_fields

OUTPUT_KEY = "SageMakerOutput"
INPUT_KEY = "SageMakerInput"
ID_KEY = "SageMakerInferenceId"
TIME_KEY = "SageMakerInferenceTime"


@dataclass
class ChunkResult:
    output: bytes | memoryview
    capture: bytes | memoryview
    records: int
    fast: bool


class Scorer:
    """Everything fixed for one job: settings, model, compiled filters, caches per field count."""

    def __init__(self, cfg: TransformConfig, predictor: Predictor, capture: bool) -> None:
        self.cfg = cfg
        self.predictor = predictor
        self.n_features = int(predictor.n_features)
        self.allow_missing = bool(getattr(predictor, "allow_missing", getattr(predictor, "family", "") == "xgboost"))
        self.capture = capture
        self.time_text = cfg.job_start_time
        self.fast_chunks = 0
        self.slow_chunks = 0
        self._in_indices = lru_cache(maxsize=64)(self._resolve_in)
        self._out_indices = lru_cache(maxsize=64)(self._resolve_out)

    def _resolve_in(self, n: int) -> tuple[int, ...] | None:
        try:
            return tuple(self.cfg.input_filter.indices(n))
        except FilterError:
            return None

    def _resolve_out(self, n: int) -> tuple[int, ...] | None:
        try:
            return tuple(self.cfg.output_filter.indices(n))
        except FilterError:
            return None

    def process(self, chunk: Chunk, name: str) -> ChunkResult:
        result = None
        if self.cfg.content_type == CSV and self.cfg.accept == CSV:
            result = fast_csv_chunk(self, chunk, name)
        if result is None:
            result = record_chunk(self, chunk, name)
            self.slow_chunks += 1
        else:
            self.fast_chunks += 1
        return result

    def predict(self, matrix: np.ndarray, name: str, first_line: int, last_line: int) -> np.ndarray:
        try:
            return np.asarray(self.predictor.predict(matrix), dtype=np.float32).reshape(-1)
        except ClientError as exc:
            raise ClientError(f"{name}: lines {first_line}-{last_line}: {exc}") from None


# --------------------------------------------------------------------------- shared formatting


def _prediction_piece(preds: np.ndarray) -> Piece:
    # Python's repr is ~2x faster than numpy's float -> S32 cast here (same digits).
    return fastcsv.ascii_piece(prediction_texts(preds))


def _uuid_piece(rows: int) -> Piece:
    """``rows`` random version-4 UUIDs as 36-byte text (os.urandom, like uuid.uuid4)."""
    raw = np.frombuffer(uuid_bytes(rows), dtype=np.uint8).reshape(rows, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    hexdigits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    nibbles = np.empty((rows, 32), dtype=np.uint8)
    nibbles[:, 0::2] = raw >> 4
    nibbles[:, 1::2] = raw & 0x0F
    text = np.full((rows, 36), ord("-"), dtype=np.uint8)
    for dst, src in ((slice(0, 8), slice(0, 8)), (slice(9, 13), slice(8, 12)), (slice(14, 18), slice(12, 16)),
                     (slice(19, 23), slice(16, 20)), (slice(24, 36), slice(20, 32))):
        text[:, dst] = hexdigits[nibbles[:, src]]
    return Piece(text.reshape(-1), np.arange(rows, dtype=np.int64) * 36, np.full(rows, 36, dtype=np.int64))


def uuid_bytes(rows: int) -> bytes:
    return os.urandom(16 * rows)


def _csv_field(text: str) -> str:
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def csv_line(value: Any) -> str:
    """A CSV output record: a list of fields or one field, quoted only where needed."""
    if isinstance(value, list):
        return ",".join(_csv_field(v if isinstance(v, str) else json.dumps(v)) for v in value)
    return _csv_field(value if isinstance(value, str) else json.dumps(value))


def capture_header(names: list[str]) -> bytes:
    return (",".join(_csv_field(c) for c in ["record_id", *names, "prediction"]) + "\n").encode("utf-8")


# --------------------------------------------------------------------------- fast path


# Up to this many cells a chunk is parsed by ``float`` (in C, a field at a time); beyond, pandas'
# C reader is faster, and its import (~1 s) is paid once for a large file.
SMALL_CHUNK_CELLS = 300_000


def _small_matrix(data: bytes, n_fields: int, rows: int, used: list[int]) -> np.ndarray | None:
    """The ``used`` columns of a regular, NOT_NUMERIC-clean chunk as floats (an empty field is NaN),
    or None when a field is not a number as ``float`` reads it (the exact path then decides)."""
    tokens = data[:-1].replace(b"\n", b",").split(b",")
    if len(tokens) != rows * n_fields:
        return None
    matrix = np.empty((rows, len(used)), dtype=np.float64)
    for k, j in enumerate(used):
        column = tokens[j::n_fields]
        if b"" in column:
            column = [t or b"nan" for t in column]
        try:
            matrix[:, k] = list(map(float, column))
        except ValueError:
            return None
    return matrix


def fast_csv_chunk(s: Scorer, chunk: Chunk, name: str) -> ChunkResult | None:
    data = fastcsv.normalise_newlines(chunk.data)
    if data is None:
        return None
    fields = fastcsv.scan_regular(data)
    if fields is None:
        return None
    n, rows = fields.n_fields, fields.n_rows
    in_idx = s._in_indices(n)
    if in_idx is None or len(in_idx) != s.n_features:
        return None
    out_idx = s._out_indices(n + 1 if s.cfg.join else 1)
    if out_idx is None:
        return None
    used = sorted(set(in_idx))
    if not fastcsv.SpanCounter(fields, fastcsv.NOT_NUMERIC).clean(used):
        return None  # e.g. 'True' or 'inf', which pandas would read as numbers
    if rows * len(used) <= SMALL_CHUNK_CELLS:
        small = _small_matrix(data, n, rows, used)
        if small is None:
            return None
        matrix = small
    else:
        import pandas as pd

        try:
            frame = pd.read_csv(io.BytesIO(data), header=None, usecols=used, dtype=np.float64, engine="c",
                                keep_default_na=False, na_values=[""], skip_blank_lines=False)
        except Exception:  # noqa: BLE001 - anything odd is reported by the exact path
            return None
        if len(frame) != rows:
            return None
        matrix = frame.to_numpy(dtype=np.float64)
    if tuple(used) != in_idx:
        matrix = matrix[:, [used.index(i) for i in in_idx]]
    if np.isinf(matrix).any() or (not s.allow_missing and np.isnan(matrix).any()):
        return None
    preds = s.predict(matrix, name, chunk.first_line, chunk.first_line + rows - 1)
    pred_piece = _prediction_piece(preds)
    pieces: list[Piece] = []
    for j in out_idx:
        if s.cfg.join and j < n:
            pieces.append(fields.column(j))
        else:
            pieces.append(pred_piece)
    ids = _uuid_piece(rows) if s.cfg.generate_inference_id else None
    if ids is not None:
        pieces += [ids, fastcsv.const_piece(s.time_text.encode(), rows)]
    output = fastcsv.assemble(pieces, rows)
    capture = b""
    if s.capture:
        if ids is None:
            if _csv_field(name) == name:
                lines = np.arange(chunk.first_line, chunk.first_line + rows, dtype=np.int64).astype("S20")
                ids = fastcsv.fixed_piece(np.char.add(f"{name}:".encode("utf-8"), lines))
            else:
                ids = fastcsv.text_piece([_csv_field(f"{name}:{chunk.first_line + i}") for i in range(rows)])
        # The model input as the model received it: the original text of the InputFilter fields.
        cols = [ids] + [fields.column(j) for j in in_idx] + [pred_piece]
        capture = fastcsv.assemble(cols, rows)
    return ChunkResult(output, capture, rows, True)


# --------------------------------------------------------------------------- exact path


class _Bad(Exception):
    pass


def _lines(chunk: Chunk, name: str) -> list[tuple[int, str]]:
    try:
        text = chunk.data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = chunk.first_line + chunk.data[: exc.start].count(b"\n")
        raise ClientError(f"{name}: line {line}: not UTF-8 text") from None
    out = []
    for k, line in enumerate(text.split("\n")[: chunk.lines]):
        if line.endswith("\r"):
            line = line[:-1]
        if line.strip():
            out.append((chunk.first_line + k, line))
    return out


def _csv_fields(line: str) -> list[str]:
    if '"' not in line:
        return line.split(",")
    return next(csv.reader([line]))


def record_chunk(s: Scorer, chunk: Chunk, name: str) -> ChunkResult:
    cfg = s.cfg
    csv_in = cfg.content_type == CSV
    csv_out = cfg.accept == CSV
    records: list[tuple[int, Any]] = []
    rows: list[list[float]] = []
    inputs: list[list[str]] = []  # capture: the model input as text
    for line_no, line in _lines(chunk, name):
        where = f"{name}: line {line_no}"
        try:
            if csv_in:
                record: Any = _csv_fields(line)
                idx = cfg.input_filter.indices(len(record))
                if len(idx) != s.n_features:
                    raise _Bad(f"{where}: Feature size of csv inference data {len(idx)} is not consistent with "
                               f"feature size of trained model {s.n_features}"
                               + ("" if cfg.input_filter.is_root else f" (after InputFilter '{cfg.input_filter.text}')"))
                values = [csv_value(record[j], s.allow_missing, f"{where}, field {j}") for j in idx]
                if s.capture:
                    inputs.append([_csv_field(record[j]) for j in idx])
            else:
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    raise _Bad(f"{where}: not valid JSON ({shown(exc)})") from None
                features = json_features(cfg.input_filter.apply(record))
                if features is None:
                    raise _Bad(f"{where}: the model input (after InputFilter '{cfg.input_filter.text}') must be "
                               + INSTANCE_SHAPES)
                if len(features) != s.n_features:
                    raise _Bad(f"{where}: Feature size of jsonlines inference data {len(features)} is not consistent "
                               f"with feature size of trained model {s.n_features}")
                values = [json_value(v, s.allow_missing, f"{where}, feature {j}") for j, v in enumerate(features)]
                if s.capture:
                    inputs.append([fastcsv.number_text(v) for v in values])
        except FilterError as exc:
            raise ClientError(f"{where}: {exc}") from None
        except (_Bad, ValueProblem) as exc:
            raise ClientError(str(exc)) from None
        records.append((line_no, record))
        rows.append(values)
    if not records:
        return ChunkResult(b"", b"", 0, False)
    matrix = np.asarray(rows, dtype=np.float64).reshape(len(rows), s.n_features)
    preds = s.predict(matrix, name, records[0][0], records[-1][0])
    texts = prediction_texts(preds)
    out_lines: list[str] = []
    capture_lines: list[str] = []
    for k, ((line_no, record), text, pred) in enumerate(zip(records, texts, preds.tolist())):
        inference_id = str(uuid.uuid4()) if cfg.generate_inference_id else None
        try:
            out_lines.append(_output_record(s, record, text, pred, inference_id, csv_in, csv_out))
        except FilterError as exc:
            raise ClientError(f"{name}: line {line_no}: {exc}") from None
        if s.capture:
            rid = inference_id or f"{name}:{line_no}"
            capture_lines.append(",".join([_csv_field(rid), *inputs[k], text]))
    output = ("\n".join(out_lines) + "\n").encode("utf-8")
    capture = ("\n".join(capture_lines) + "\n").encode("utf-8") if capture_lines else b""
    return ChunkResult(output, capture, len(records), False)


def _output_record(s: Scorer, record: Any, text: str, pred: float, inference_id: str | None,
                   csv_in: bool, csv_out: bool) -> str:
    cfg = s.cfg
    if csv_out:
        joined: Any = (list(record) + [text]) if cfg.join else [text]
        selected = select_fields(cfg.output_filter, joined)
        if inference_id is not None:
            selected = (selected if isinstance(selected, list) else [selected]) + [inference_id, s.time_text]
        return csv_line(selected)
    output: Any = {"score": pred}
    if cfg.join:
        if isinstance(record, dict):
            joined = dict(record)
            joined[OUTPUT_KEY] = output
        else:
            joined = {INPUT_KEY: record, OUTPUT_KEY: output}
    else:
        joined = output
    selected = cfg.output_filter.apply(joined)
    if inference_id is not None:
        selected = dict(selected) if isinstance(selected, dict) else {OUTPUT_KEY: selected}
        selected[ID_KEY] = inference_id
        selected[TIME_KEY] = s.time_text
    return json.dumps(selected, ensure_ascii=False)

