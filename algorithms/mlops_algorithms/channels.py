"""Reading training channels in the built-in algorithms' CSV format (label first, no header).

Why not numpy.loadtxt: its errors do not say which file and line is wrong; a user-facing
ClientError must.  The csv module is fast enough for the data sizes of local runs.
"""

from __future__ import annotations

import csv
import io
import math
import sys
from dataclasses import dataclass

import numpy as np

from . import fastcsv
from .contract import AlgorithmError, ClientError, TrainingPaths, data_files

CSV_CONTENT_TYPES = ("text/csv", "csv", "text/csv;label_size=1")


@dataclass(frozen=True)
class LabeledData:
    """Label vector and feature matrix of one channel."""

    channel: str
    y: np.ndarray
    X: np.ndarray

    @property
    def rows(self) -> int:
        return int(self.y.shape[0])


def check_content_type(channel: str, config: dict) -> None:
    """Only CSV is implemented locally; a missing ContentType is taken as CSV (documented deviation)."""
    content_type = config.get("ContentType")
    if content_type is None:
        return
    normalized = content_type.replace(" ", "").lower()
    if normalized.startswith("text/csv;label_size=") and normalized != "text/csv;label_size=1":
        raise ClientError(f"channel '{channel}': content type {content_type!r}: only label_size=1 is supported")
    if normalized not in CSV_CONTENT_TYPES:
        raise ClientError(
            f"channel '{channel}': content type {content_type!r} is not supported locally (use text/csv)"
        )
    mode = config.get("TrainingInputMode", "File")
    if mode not in ("File", "FastFile"):
        raise ClientError(f"channel '{channel}': TrainingInputMode {mode!r} is not supported locally (use File)")


def _parse(text: str, allow_missing: bool, where: str) -> float:
    stripped = text.strip()
    if stripped == "":
        if allow_missing:
            return math.nan
        raise ClientError(f"{where}: empty value")
    try:
        value = float(stripped)
    except ValueError:
        raise ClientError(f"{where}: value '{text}' is not numeric") from None
    if "_" in stripped or math.isinf(value) or (math.isnan(value) and not allow_missing):
        raise ClientError(f"{where}: value '{text}' is not a finite number")
    return value


# Bytes of a file of plain numbers: digits, sign, point, exponent, comma, newline (no spaces,
# quotes, '_', 'nan' or 'inf' texts, byte-order mark or CR: those take the exact path).
_NOT_PLAIN = np.ones(256, dtype=bool)
_NOT_PLAIN[np.frombuffer(b"0123456789+-.eE,\n", dtype=np.uint8)] = False


def _parse_with_pandas(data: bytes, allow_missing: bool) -> np.ndarray | None:
    """pandas' C parser (~10x ``float`` per field) when pandas is imported already (a process forked
    from the warm fork server, decision 0024): its import would cost more than it saves. On this
    alphabet it reads every field as ``float`` does (checked in the tests); anything it refuses goes
    the ``float`` way, which gives the exact reader's message. None: not used."""
    pandas = sys.modules.get("pandas")
    if pandas is None:
        return None
    try:
        frame = pandas.read_csv(io.BytesIO(data), header=None, dtype=np.float64, engine="c", keep_default_na=False, na_values=[""])
    except (ValueError, pandas.errors.ParserError, pandas.errors.EmptyDataError):
        return None
    matrix = np.ascontiguousarray(frame.to_numpy(dtype=np.float64))
    # The alphabet has no 'nan' text: a NaN is an empty field, refused unless missing features are allowed.
    return matrix if allow_missing or not np.isnan(matrix).any() else None


def _read_plain(data: bytes, allow_missing: bool) -> np.ndarray | None:
    """The rows of one file as a float matrix when the exact reader would accept every field of it
    (plain numbers, the same number of fields on every line, no blank line; an empty feature
    field only when missing features are allowed, never an empty label), else None, and the exact
    reader then names the file, line and rule. ``float`` does the parsing in C, a field at a time."""
    if not data or _NOT_PLAIN[np.frombuffer(data, dtype=np.uint8)].any():
        return None
    if not data.endswith(b"\n"):
        data += b"\n"
    if fastcsv.scan_regular(data) is None:  # a blank line, or lines of different widths
        return None
    matrix = _parse_with_pandas(data, allow_missing)
    if matrix is None:
        fields = data[:-1].replace(b"\n", b",").split(b",")
        rows = data.count(b"\n")
        width = len(fields) // rows
        if b"" in fields:
            if not allow_missing:
                return None
            fields = [f or b"nan" for f in fields]
        try:
            matrix = np.array(list(map(float, fields)), dtype=np.float64).reshape(rows, width)
        except ValueError:  # '1e', '+-', '.': the exact reader's message
            return None
    if np.isinf(matrix).any() or np.isnan(matrix[:, 0]).any():
        return None
    return matrix


def read_labeled_csv(paths: TrainingPaths, channel: str, *, allow_missing_features: bool) -> LabeledData | None:
    """Read every file of ``channel``; None when the channel is absent or holds no files."""
    files = data_files(paths.channel_dir(channel))
    if not files:
        return None
    plain: list[np.ndarray] = []
    for file in files:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise AlgorithmError(f"channel '{channel}': cannot read {file.name}: {exc}") from None
        matrix = _read_plain(data, allow_missing_features)
        if matrix is None or (plain and matrix.shape[1] != plain[0].shape[1]):
            break
        plain.append(matrix)
    else:
        matrix = plain[0] if len(plain) == 1 else np.vstack(plain)
        return LabeledData(channel, matrix[:, 0].copy(), np.ascontiguousarray(matrix[:, 1:]))
    labels: list[float] = []
    rows: list[list[float]] = []
    width: int | None = None
    for file in files:
        try:
            handle = file.open(newline="", encoding="utf-8-sig")
        except OSError as exc:
            raise AlgorithmError(f"channel '{channel}': cannot read {file.name}: {exc}") from None
        with handle:
            reader = csv.reader(handle)
            try:
                for record in reader:
                    if not record or (len(record) == 1 and not record[0].strip()):
                        continue
                    where = f"channel '{channel}', file {file.name}, line {reader.line_num}"
                    if width is None:
                        width = len(record)
                        if width < 2:
                            raise ClientError(
                                f"{where}: expected the label followed by at least one feature, comma separated; "
                                f"found a single field"
                            )
                    elif len(record) != width:
                        raise ClientError(f"{where}: expected {width} fields, found {len(record)}")
                    labels.append(_parse(record[0], False, f"{where}, label (column 0)"))
                    rows.append([
                        _parse(v, allow_missing_features, f"{where}, column {i + 1}")
                        for i, v in enumerate(record[1:])
                    ])
            except UnicodeDecodeError:
                raise ClientError(f"channel '{channel}', file {file.name}: not UTF-8 text") from None
            except csv.Error as exc:
                raise ClientError(f"channel '{channel}', file {file.name}, line {reader.line_num}: {exc}") from None
    if not rows:
        raise ClientError(f"channel '{channel}' has no data rows")
    return LabeledData(channel, np.asarray(labels, dtype=np.float64), np.asarray(rows, dtype=np.float64))


def read_channels(paths: TrainingPaths, input_config: dict[str, dict], *, allow_missing_features: bool) -> dict[str, LabeledData]:
    """train (required), validation and test (optional); all must have the same feature count."""
    for channel, config in input_config.items():
        if channel in ("train", "validation", "test"):
            check_content_type(channel, config)
    out: dict[str, LabeledData] = {}
    for channel in ("train", "validation", "test"):
        data = read_labeled_csv(paths, channel, allow_missing_features=allow_missing_features)
        if data is not None:
            out[channel] = data
    if "train" not in out:
        raise ClientError(f"the 'train' channel is required but {paths.channel_dir('train')} holds no files")
    n = out["train"].X.shape[1]
    for channel, data in out.items():
        if data.X.shape[1] != n:
            raise ClientError(
                f"channel '{channel}' has {data.X.shape[1]} features but 'train' has {n}"
            )
    return out


def feature_names(paths: TrainingPaths, n_features: int) -> list[str]:
    """Feature names from the optional ``schema`` channel (feature-schema.json), else f0..f{n-1}.

    The ``schema`` channel is a local extension: the built-in algorithms only see header-less
    CSV, but a portable model is more useful when it knows its column names.
    """
    schemas = [p for p in data_files(paths.channel_dir("schema")) if p.suffix == ".json"]
    if not schemas:
        return [f"f{i}" for i in range(n_features)]
    from .features import feature_names as names_of, load_schema

    names = names_of(load_schema(schemas[0]))
    if len(names) != n_features:
        raise ClientError(
            f"channel 'schema': {schemas[0].name} lists {len(names)} features but the data has {n_features}"
        )
    return names
