"""``/invocations`` bodies: content negotiation, request -> feature matrix, predictions -> response.

Why hand-written parsers: the common request is one CSV record of a few dozen bytes, so the fast
path is plain ``bytes.split`` + ``float`` + one ``numpy.array`` call (a few microseconds; pandas or
the csv module would cost more than the prediction).  Only when the fast path fails (or sees a
non-finite value) does a slow path re-read the body value by value to say which line/record and
field is wrong, with the value rules shared with the batch transform (``..payload``).  Messages follow ``predict.py`` / the built-in XGBoost container:
``Unable to evaluate payload provided: Feature size of csv inference data 18 is not consistent
with feature size of trained model 17``.  Lines are 1-based, records and fields 0-based (field
``j`` is feature ``f<j>``).
"""

from __future__ import annotations

import json
import math
from typing import Callable

import numpy as np

from ..payload import INSTANCE_SHAPES, ValueProblem, csv_value, json_features, json_value, prediction_texts, shown

CSV = "text/csv"
JSON = "application/json"
JSONLINES = "application/jsonlines"
SUPPORTED = (CSV, JSON, JSONLINES)
SUPPORTED_TEXT = "text/csv, application/json or application/jsonlines"
PAYLOAD_PREFIX = "Unable to evaluate payload provided: "
CHARSETS = ("utf-8", "utf8", "us-ascii", "ascii")

# Response Content-Type per Accept (the built-in XGBoost answers CSV with an explicit charset).
RESPONSE_CONTENT_TYPES = {
    CSV: b"text/csv; charset=utf-8",
    JSON: b"application/json",
    JSONLINES: b"application/jsonlines",
}


class PayloadError(Exception):
    """A request the server answers with a 4xx status and a short plain-text message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _bad_payload(message: str) -> PayloadError:
    return PayloadError(400, PAYLOAD_PREFIX + message)


def _header_text(raw: bytes) -> str:
    return shown(raw.decode("latin-1"))


# --------------------------------------------------------------------------- negotiation

_CONTENT_TYPE_CACHE: dict[bytes | None, str | PayloadError] = {}
_ACCEPT_CACHE: dict[tuple[bytes | None, str], str | PayloadError] = {}
_CACHE_LIMIT = 256  # distinct header values remembered (clients send the same few over and over)


def _cached(cache: dict, key: object, compute: Callable[[], str]) -> str:
    hit = cache.get(key)
    if hit is None:
        try:
            hit = compute()
        except PayloadError as exc:
            hit = exc
        if len(cache) < _CACHE_LIMIT:
            cache[key] = hit
    if isinstance(hit, PayloadError):
        raise hit
    return hit


def _split_media(text: str) -> tuple[str, dict[str, str]]:
    media, _, rest = text.partition(";")
    params: dict[str, str] = {}
    for part in rest.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            params[key.strip().lower()] = value.strip().strip('"').lower()
    return media.strip().lower(), params


def request_content_type(raw: bytes | None) -> str:
    """The request's media type (one of SUPPORTED) or a 415 PayloadError.

    A missing Content-Type is read as CSV (as for training channels; documented deviation).
    ``text/csv; label_size=0`` and utf-8/ascii ``charset`` parameters are accepted.
    """

    def compute() -> str:
        if raw is None or not raw.strip():
            return CSV
        media, params = _split_media(raw.decode("latin-1"))
        if media not in SUPPORTED:
            raise PayloadError(415, f"Content type '{_header_text(raw)}' is not supported; use {SUPPORTED_TEXT}")
        charset = params.get("charset")
        if charset is not None and charset not in CHARSETS:
            raise PayloadError(415, f"Content type '{_header_text(raw)}': charset '{shown(charset)}' is not supported; use utf-8")
        label_size = params.get("label_size")
        if label_size is not None and (media != CSV or label_size != "0"):
            raise PayloadError(415, f"Content type '{_header_text(raw)}': inference data has no label; use label_size=0")
        return media

    return _cached(_CONTENT_TYPE_CACHE, raw, compute)


def response_content_type(raw: bytes | None, default: str) -> str:
    """Pick the response media type from ``Accept`` (q-values honoured) or raise a 406 PayloadError.

    Missing, empty or ``*/*`` means ``default`` (SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT or text/csv);
    ``text/*`` means CSV and ``application/*`` JSON.
    """

    def compute() -> str:
        if raw is None or not raw.strip():
            return default
        ranked: list[tuple[float, int, str]] = []
        for index, item in enumerate(raw.decode("latin-1").split(",")):
            media, params = _split_media(item)
            try:
                q = float(params.get("q", "1"))
            except ValueError:
                q = 1.0
            if media and q > 0:
                ranked.append((-q, index, media))
        for _, _, media in sorted(ranked):
            if media in SUPPORTED:
                return media
            if media == "*/*":
                return default
            if media == "text/*":
                return CSV
            if media == "application/*":
                return JSON
        raise PayloadError(406, f"Accept '{_header_text(raw)}' is not supported; use {SUPPORTED_TEXT}")

    return _cached(_ACCEPT_CACHE, (raw, default), compute)


# --------------------------------------------------------------------------- decoding


def _size_error(kind: str, got: int, n_features: int, where: str | None) -> PayloadError:
    suffix = f" ({where})" if where else ""
    return _bad_payload(
        f"Feature size of {kind} inference data {got} is not consistent with feature size of trained model {n_features}{suffix}"
    )


def parse_csv(body: bytes, n_features: int, allow_missing: bool) -> np.ndarray:
    """CSV features, one record per line, no header -> (n, n_features) float64.

    Blank lines are skipped.  Empty cells (and ``nan``) are missing values when ``allow_missing``
    (XGBoost, as in training), otherwise errors.
    """
    lines = body.splitlines()
    rows = [line.split(b",") for line in lines if line]
    if rows and b"_" not in body:
        for row in rows:
            if len(row) != n_features:
                break
        else:
            try:
                if allow_missing:  # an empty cell is a missing value: half of a sparse stream's records have one
                    matrix = np.array([[float(v) if v else math.nan for v in row] for row in rows], dtype=np.float64)
                else:
                    matrix = np.array([[float(v) for v in row] for row in rows], dtype=np.float64)
            except ValueError:
                pass
            else:
                if (not np.isinf(matrix).any()) if allow_missing else np.isfinite(matrix).all():
                    return matrix
    return _parse_csv_slowly(lines, n_features, allow_missing)


def _parse_csv_slowly(lines: list[bytes], n_features: int, allow_missing: bool) -> np.ndarray:
    numbered = [(i, line) for i, line in enumerate(lines, 1) if line.strip()]
    several = len(numbered) > 1
    out = np.empty((len(numbered), n_features), dtype=np.float64)
    for r, (number, line) in enumerate(numbered):
        fields = line.split(b",")
        if len(fields) != n_features:
            raise _size_error("csv", len(fields), n_features, f"line {number}" if several else None)
        try:
            for j, field in enumerate(fields):
                out[r, j] = csv_value(field, allow_missing, f"line {number}, field {j}")
        except ValueProblem as exc:
            raise _bad_payload(str(exc)) from None
    return out


def _features_of(instance: object, where: str) -> list:
    """One record of the JSON shapes of the built-in algorithms -> its list of feature values."""
    values = json_features(instance)
    if values is None:
        raise _bad_payload(f"{where}: expected {INSTANCE_SHAPES}")
    return values


def _records_to_matrix(records: list[list], labels: list[str], kind: str, n_features: int,
                       allow_missing: bool) -> np.ndarray:
    """Lists of JSON values -> matrix; ``labels[i]`` names record i in messages."""
    several = len(records) > 1
    fast = True
    for i, values in enumerate(records):
        if len(values) != n_features:
            raise _size_error(kind, len(values), n_features, labels[i] if several else None)
        if fast:
            for v in values:
                t = type(v)
                if t is not float and t is not int:
                    fast = False
                    break
    if fast and records:
        try:
            matrix = np.array(records, dtype=np.float64)
        except (OverflowError, ValueError):
            pass
        else:
            if np.isfinite(matrix).all():
                return matrix
    out = np.empty((len(records), n_features), dtype=np.float64)
    try:
        for i, values in enumerate(records):
            for j, v in enumerate(values):
                out[i, j] = json_value(v, allow_missing, f"{labels[i]}, field {j}")
    except ValueProblem as exc:
        raise _bad_payload(str(exc)) from None
    return out


def _load_json(text: bytes, where: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _bad_payload(f"{where} is not valid JSON ({' '.join(str(exc).split())[:200]})") from None


def parse_json(body: bytes, n_features: int, allow_missing: bool) -> np.ndarray:
    """``{"instances": [...]}``, a list of records, or one record (a flat list or a features object)."""
    doc = _load_json(body, "body")
    if isinstance(doc, dict):
        if "instances" in doc:
            instances = doc["instances"]
            if not isinstance(instances, list):
                raise _bad_payload('"instances" must be a list of records')
        elif "features" in doc or "data" in doc:
            instances = [doc]
        else:
            raise _bad_payload(f'expected {{"instances": [...]}} or a list of records, each {INSTANCE_SHAPES}')
    elif isinstance(doc, list):
        instances = [doc] if doc and not isinstance(doc[0], (list, dict)) else doc
    else:
        raise _bad_payload(f'expected {{"instances": [...]}} or a list of records, each {INSTANCE_SHAPES}')
    labels = [f"record {i}" for i in range(len(instances))]
    records = [_features_of(inst, labels[i]) for i, inst in enumerate(instances)]
    return _records_to_matrix(records, labels, "json", n_features, allow_missing)


def parse_jsonlines(body: bytes, n_features: int, allow_missing: bool) -> np.ndarray:
    """One record per line (``{"features": [...]}`` or the other record shapes); blank lines skipped."""
    records: list[list] = []
    labels: list[str] = []
    for number, line in enumerate(body.splitlines(), 1):
        if not line.strip():
            continue
        label = f"line {number}"
        records.append(_features_of(_load_json(line, label), label))
        labels.append(label)
    return _records_to_matrix(records, labels, "jsonlines", n_features, allow_missing)


PARSERS: dict[str, Callable[[bytes, int, bool], np.ndarray]] = {
    CSV: parse_csv,
    JSON: parse_json,
    JSONLINES: parse_jsonlines,
}

# --------------------------------------------------------------------------- encoding


def encode_csv(predictions: np.ndarray) -> bytes:
    """One value per line, newline after every value (``v1\\nv2\\n``)."""
    texts = prediction_texts(predictions)
    return ("\n".join(texts) + "\n").encode() if texts else b""


def encode_json(predictions: np.ndarray) -> bytes:
    """``{"predictions": [{"score": v}, ...]}`` (byte-identical to ``json.dumps``)."""
    return ('{"predictions": [' + ", ".join(['{"score": ' + t + "}" for t in prediction_texts(predictions)]) + "]}").encode()


def encode_jsonlines(predictions: np.ndarray) -> bytes:
    """``{"score": v}`` per line."""
    return "".join(['{"score": ' + t + "}\n" for t in prediction_texts(predictions)]).encode()


ENCODERS: dict[str, Callable[[np.ndarray], bytes]] = {
    CSV: encode_csv,
    JSON: encode_json,
    JSONLINES: encode_jsonlines,
}
