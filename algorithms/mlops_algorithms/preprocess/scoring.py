"""Scoring-mode pre-processing: raw scoring CSV(s) -> header-less ``features,pass-through`` for batch transform.

Only the feature columns reach the model; the file's other columns (its own ids, free text; by
default every column that is neither a feature nor the label) follow the features unchanged, so
the transform's filters depend on the feature count alone (``$[0:n-1]`` in, the input joined,
``$[n:]`` out: pass-through columns + prediction) whatever columns each scoring file carries.

Each record is validated against the TRAINING feature schema (``feature-schema.json`` written by
training mode) with the training rules and messages (``kbb.csv: column 'Mileage', line 17: value
'abc' is not numeric (rule: numeric); 3 more values in this column break the same rule``), and the
same precedence: header problems, then row lengths anywhere in the file, then values (earliest line,
then schema column order), then one-hot groups.  Counts of further violations cover the whole file.

Streaming: the file is read in chunks of lines (``fastcsv.iter_chunks``).  A chunk that is regular
(no quotes / blank lines / ragged rows) is parsed by pandas' C reader and checked with vectorised
rules; only a chunk that fails those checks is re-read value by value to find the exact violations.
Output goes to hidden temp files that are renamed when every file passed; on any error they are
deleted, so nothing is written to the output directory.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import fastcsv
from ..contract import ClientError
from ..encoding import Encoder, is_encoded, raw_feature_names
from ..features import feature_names, load_schema
from ..validation import FeatureValidationError, _Invalid, _more, check_header, convert_value
from .writer import format_value

ROW_NUMBER = "row number"


@dataclass(frozen=True)
class ScoringOptions:
    input_dir: Path
    output_dir: Path
    feature_schema: Path
    # Columns passed around the model and joined back to each prediction, in this order. None: every
    # column that is neither a feature nor the label, in header order.
    id_columns: tuple[str, ...] | None = None
    chunk_rows: int = fastcsv.DEFAULT_CHUNK_ROWS


def find_scoring_csvs(input_dir: Path) -> list[Path]:
    if not input_dir.is_dir():
        raise ClientError(f"input directory {input_dir} does not exist")
    found = sorted(p for p in input_dir.iterdir()
                   if p.is_file() and not p.name.startswith(".") and p.suffix.lower() == ".csv")
    if not found:
        raise ClientError(f"no *.csv file in input directory {input_dir}")
    return found


@dataclass
class _Errors:
    """Violations found so far in one file (first occurrence + counts, as the training checks report)."""

    row_length: list[Any] | None = None  # [line, n_fields, count]
    values: dict[str, list[Any]] = field(default_factory=dict)  # column -> [line, rule, detail, same-rule count]
    one_hot: dict[str, list[Any]] = field(default_factory=dict)  # group -> [line, ones, count]

    @property
    def any(self) -> bool:
        return bool(self.row_length or self.values or self.one_hot)


class _FileJob:
    def __init__(self, path: Path, schema: dict[str, Any], opts: ScoringOptions) -> None:
        self.path = path
        self.name = path.name
        self.prefix = f"{path.name}: "
        self.schema = schema
        self.opts = opts
        self.features: list[dict[str, Any]] = schema["features"]
        self.kinds = [f.get("type", "float") for f in self.features]
        self.errors = _Errors()
        self.rows_written = 0
        self.dropped: list[str] = []

    # ------------------------------------------------------------------ header

    def read_header(self, f: Any) -> int:
        """Parse and check the header; returns its line number."""
        line_no = 0
        for raw in f:
            line_no += 1
            try:
                text = raw.decode("utf-8-sig" if line_no == 1 else "utf-8")
            except UnicodeDecodeError:
                raise ClientError(f"{self.prefix}line {line_no}: not UTF-8 text (rule: encoding utf-8)") from None
            if text.strip():
                break
        else:
            raise ClientError(f"{self.prefix}file is empty (rule: header and data rows required)")
        try:
            header = [h.strip() for h in next(csv.reader([text.rstrip("\r\n")]))]
        except csv.Error as exc:
            raise ClientError(f"{self.prefix}line {line_no}: malformed CSV: {exc} (rule: csv syntax)") from None
        names = self.input_names()
        index = check_header(header, names, self.prefix)
        label = self.schema["label"]["name"]
        if self.opts.id_columns is None:
            feature_set = set(names)
            self.id_cols = [j for j, h in enumerate(header) if h not in feature_set and h != label]
        else:
            absent = [c for c in self.opts.id_columns if c not in index]
            if absent:
                shown = ", ".join(f"'{c}'" for c in absent)
                noun = "column" if len(absent) == 1 else "columns"
                raise FeatureValidationError(
                    f"{self.prefix}id {noun} {shown}, line {line_no}: named to pass through to the output but not in "
                    f"the header (rule: id column present)",
                    column=absent[0], rule="id column present", position=0,
                )
            self.id_cols = [index[c] for c in self.opts.id_columns]
        self.header = header
        self.width = len(header)
        self.feature_cols = [index[n] for n in names]
        kept = {*self.feature_cols, *self.id_cols}
        self.dropped = [h for j, h in enumerate(header) if j not in kept]
        return line_no

    def input_names(self) -> list[str]:
        """The columns a scoring file must have: the model's features."""
        return feature_names(self.schema)

    @property
    def id_text(self) -> str:
        return ", ".join(self.header[c] for c in self.id_cols) if self.id_cols else ROW_NUMBER

    # ------------------------------------------------------------------ fast path

    def _vector_ok(self, m: np.ndarray) -> bool:
        """All training rules hold for every value of a parsed chunk (no per-value work)."""
        if not np.isfinite(m).all():
            return False
        for j, spec in enumerate(self.features):
            if _violations(m[:, j], spec).any():
                return False
        by_name = {f["name"]: j for j, f in enumerate(self.features)}
        for group in self.schema.get("oneHotGroups", []):
            cols = [by_name[c] for c in group["columns"]]
            if not (m[:, cols].sum(axis=1) == 1).all():
                return False
        return True

    def fast_chunk(self, chunk: fastcsv.Chunk) -> bytes | memoryview | None:
        """Output bytes for a regular, valid chunk; None means 'check it value by value'."""
        import pandas as pd

        data = fastcsv.normalise_newlines(chunk.data)
        if data is None:
            return None
        fields = fastcsv.scan_regular(data, self.width)
        if fields is None:
            return None
        used = sorted(set(self.feature_cols))
        if not fastcsv.SpanCounter(fields, fastcsv.NOT_NUMERIC).clean(used):
            return None
        try:
            frame = pd.read_csv(io.BytesIO(data), header=None, usecols=used, dtype=np.float64, engine="c",
                                keep_default_na=False, na_values=[""], skip_blank_lines=False)
        except Exception:  # noqa: BLE001 - the exact path reports what is wrong
            return None
        if len(frame) != fields.n_rows:
            return None
        m = frame.to_numpy(dtype=np.float64)
        if used != self.feature_cols:
            m = m[:, [used.index(c) for c in self.feature_cols]]
        if not self._vector_ok(m):
            return None
        if self.errors.any:
            return b""  # nothing to count here, nothing to write: the file already failed
        rows = fields.n_rows
        pieces: list[fastcsv.Piece] = []
        digits = None
        for j, c in enumerate(self.feature_cols):
            col = m[:, j]
            if self.kinds[j] in ("integer", "binary"):
                if digits is None:
                    digits = fastcsv.SpanCounter(fields, fastcsv.NOT_DIGIT)
                piece = fields.column(c)
                canonical = (digits.counts(c) == 0).all() and (
                    (piece.lengths == 1) | (fields.buf[piece.starts] != ord("0"))).all()
                pieces.append(piece if canonical else fastcsv.fixed_piece(col.astype(np.int64).astype("S21")))
            else:
                pieces.append(fastcsv.fixed_piece(fastcsv.float_texts(col)))
        pieces += [fields.column(c) for c in self.id_cols]
        if not self.id_cols:
            numbers = np.arange(self.rows_written + 1, self.rows_written + rows + 1, dtype=np.int64)
            pieces.append(fastcsv.fixed_piece(numbers.astype("S20")))
        self.rows_written += rows
        return fastcsv.assemble(pieces, rows)

    # ------------------------------------------------------------------ exact path

    def _rows(self, chunk: fastcsv.Chunk) -> tuple[list[list[str]], list[int]]:
        try:
            text = chunk.data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = chunk.first_line + chunk.data[: exc.start].count(b"\n")
            raise ClientError(f"{self.prefix}line {line}: not UTF-8 text (rule: encoding utf-8)") from None
        rows: list[list[str]] = []
        lines: list[int] = []
        for k, line in enumerate(text.split("\n")[: chunk.lines]):
            line_no = chunk.first_line + k
            try:
                record = next(csv.reader([line.rstrip("\r")]), [])
            except csv.Error as exc:
                raise ClientError(f"{self.prefix}line {line_no}: malformed CSV: {exc} (rule: csv syntax)") from None
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            rows.append(record)
            lines.append(line_no)
        return rows, lines

    def exact_chunk(self, chunk: fastcsv.Chunk) -> bytes:
        rows, lines = self._rows(chunk)
        err = self.errors
        bad = [k for k, row in enumerate(rows) if len(row) != self.width]
        if bad:
            if err.row_length is None:
                err.row_length = [lines[bad[0]], len(rows[bad[0]]), len(bad)]
            else:
                err.row_length[2] += len(bad)
        if err.row_length is not None:
            return b""  # row-length errors win over every value rule (training checks them first)
        columns: list[list[float]] = []
        chunk_ok = True
        for j, spec in enumerate(self.features):
            values, invalid = _convert(rows, self.feature_cols[j], spec)
            columns.append(values)
            if not invalid:
                continue
            chunk_ok = False
            name = spec["name"]
            if name not in err.values:
                k, bad_value = invalid[0]
                same = sum(1 for _, b in invalid[1:] if b.rule == bad_value.rule)
                err.values[name] = [lines[k], bad_value.rule, bad_value.detail, same]
            else:
                err.values[name][3] += sum(1 for _, b in invalid if b.rule == err.values[name][1])
        if not err.values:
            by_name = {f["name"]: j for j, f in enumerate(self.features)}
            for group in self.schema.get("oneHotGroups", []):
                cols = [columns[by_name[c]] for c in group["columns"]]
                bad_rows = [k for k, vals in enumerate(zip(*cols)) if sum(vals) != 1]
                if not bad_rows:
                    continue
                chunk_ok = False
                if group["name"] not in err.one_hot:
                    k = bad_rows[0]
                    ones = [c for c, col in zip(group["columns"], cols) if col[k] == 1]
                    err.one_hot[group["name"]] = [lines[k], ones, len(bad_rows)]
                else:
                    err.one_hot[group["name"]][2] += len(bad_rows)
        if not chunk_ok or err.any:
            return b""
        out = []
        for k, row in enumerate(rows):
            ids = [_csv_field(row[c]) for c in self.id_cols] if self.id_cols else [str(self.rows_written + k + 1)]
            feats = [format_value(columns[j][k], self.kinds[j]) for j in range(len(self.features))]
            out.append(",".join(feats + ids))
        self.rows_written += len(rows)
        return ("\n".join(out) + "\n").encode("utf-8") if out else b""

    # ------------------------------------------------------------------ the file

    def raise_errors(self) -> None:
        err, p = self.errors, self.prefix
        if err.row_length is not None:
            line, n, count = err.row_length
            if n < self.width:
                column = self.header[n]
                detail = f"row has {n} fields, expected {self.width}: no value for column '{column}'"
            else:
                column = self.header[-1]
                detail = f"row has {n} fields, expected {self.width}: extra fields after column '{column}'"
            more = "" if count == 1 else f"; {count - 1} more row{'s' if count > 2 else ''} have the wrong length"
            raise FeatureValidationError(f"{p}column '{column}', line {line}: {detail} (rule: row length){more}",
                                         column=column, rule="row length", position=line, further=count - 1)
        if err.values:
            order = {f["name"]: j for j, f in enumerate(self.features)}
            name = min(err.values, key=lambda c: (err.values[c][0], order[c]))
            line, rule, detail, same = err.values[name]
            raise FeatureValidationError(f"{p}column '{name}', line {line}: {detail} (rule: {rule}){_more(same)}",
                                         column=name, rule=rule, position=line, further=same)
        if err.one_hot:
            groups = {g["name"]: g for g in self.schema.get("oneHotGroups", [])}
            order = {g: j for j, g in enumerate(groups)}
            name = min(err.one_hot, key=lambda g: (err.one_hot[g][0], order[g]))
            line, ones, count = err.one_hot[name]
            found = f"{len(ones)}" + (f" ({', '.join(ones)})" if ones else "")
            raise FeatureValidationError(
                f"{p}one-hot group '{name}' (columns {', '.join(groups[name]['columns'])}), line {line}: "
                f"expected exactly one 1, found {found} (rule: one-hot){_more(count - 1, 'row')}",
                column=name, rule="one-hot", position=line, further=count - 1,
            )

    def run(self, tmp: Path) -> int:
        with open(self.path, "rb") as f:
            header_line = self.read_header(f)
            with open(tmp, "wb") as out:
                for chunk in fastcsv.iter_chunks(f, header_line + 1, self.opts.chunk_rows, fastcsv.DEFAULT_CHUNK_BYTES,
                                                 limit_record=False):
                    data = self.fast_chunk(chunk)
                    if data is None:
                        data = self.exact_chunk(chunk)
                    if not self.errors.any:
                        out.write(data)
        self.raise_errors()
        if self.rows_written == 0:
            raise ClientError(f"{self.prefix}line {header_line}: header only, no data rows (rule: at least one data row)")
        return self.rows_written


class _EncodedFileJob(_FileJob):
    """A file of a project with categorical columns or missing values (``encoding.Encoder``): the
    raw columns are read as text, checked and encoded by the training schema (levels, unseen-value
    policy, imputed values), then written as the model's features followed by the pass-through
    columns. Row by row: such projects' files are not the million-row hot path of the numeric one."""

    def __init__(self, path: Path, schema: dict[str, Any], opts: ScoringOptions) -> None:
        super().__init__(path, schema, opts)
        self.encoder = Encoder(schema)

    def input_names(self) -> list[str]:
        return raw_feature_names(self.schema)

    def run(self, tmp: Path) -> int:
        with open(self.path, "rb") as f:
            header_line = self.read_header(f)
            index = {h: j for j, h in enumerate(self.header)}
            rows: list[list[str]] = []
            lines: list[int] = []
            for chunk in fastcsv.iter_chunks(f, header_line + 1, self.opts.chunk_rows, fastcsv.DEFAULT_CHUNK_BYTES, limit_record=False):
                chunk_rows, chunk_lines = self._rows(chunk)
                rows += chunk_rows
                lines += chunk_lines
        bad = [k for k, row in enumerate(rows) if len(row) != self.width]
        if bad:
            self.errors.row_length = [lines[bad[0]], len(rows[bad[0]]), len(bad)]
            self.raise_errors()
        if not rows:
            raise ClientError(f"{self.prefix}line {header_line}: header only, no data rows (rule: at least one data row)")
        n = len(rows)
        columns = {name: [row[index[name]] for row in rows] for name in self.encoder.raw_names}
        matrix, problems = self.encoder.encode(columns, n)
        if problems:
            order = {name: j for j, name in enumerate(self.encoder.raw_names)}
            p = min(problems, key=lambda q: (q.position, order[q.column]))
            raise FeatureValidationError(f"{self.prefix}column '{p.column}', line {lines[p.position]}: {p.detail} (rule: {p.rule}){_more(p.same)}",
                                         column=p.column, rule=p.rule, position=lines[p.position], further=p.same)
        with open(tmp, "wb") as out:
            text = []
            for r, row in enumerate(rows):
                feats = [format_value(matrix[j][r], self.kinds[j]) for j in range(len(self.features))]
                ids = [_csv_field(row[c]) for c in self.id_cols] if self.id_cols else [str(r + 1)]
                text.append(",".join(feats + ids))
            out.write(("\n".join(text) + "\n").encode("utf-8"))
        self.rows_written = n
        return n


def _violations(col: np.ndarray, spec: dict) -> np.ndarray:
    """Mask of parsed finite values that break the column's type or range rules."""
    kind = spec.get("type", "float")
    if kind == "binary":
        return (col != 0) & (col != 1)
    bad = (col != np.floor(col)) if kind == "integer" else np.zeros(len(col), dtype=bool)
    if "min" in spec:
        bad |= col < spec["min"]
    if "max" in spec:
        bad |= col > spec["max"]
    if spec.get("allowed") is not None:
        bad |= ~np.isin(col, np.asarray(spec["allowed"], dtype=np.float64))
    return bad


def _convert(rows: list[list[str]], col: int, spec: dict) -> tuple[list[float], list[tuple[int, _Invalid]]]:
    """One column of a chunk -> values and the (position, violation) list, in row order.

    numpy parses the whole column first; ``convert_value`` (the training rule set) runs only on
    values numpy could not parse or that break a rule, or on every value if numpy fails outright.
    """
    raw = [row[col] for row in rows]
    candidates: Any = range(len(raw))
    try:
        parsed = np.array(raw, dtype=np.float64)
    except (ValueError, OverflowError):
        parsed = None
    if parsed is not None and "_" not in "".join(raw):  # Python's float() accepts '1_000'; the rules do not
        with np.errstate(invalid="ignore"):
            suspicious = ~np.isfinite(parsed)
            suspicious[~suspicious] = _violations(parsed[~suspicious], spec)
        candidates = np.flatnonzero(suspicious).tolist()
        values = parsed.tolist()
    else:
        values = [float("nan")] * len(raw)
    invalid: list[tuple[int, _Invalid]] = []
    for k in candidates:
        try:
            values[k] = convert_value(raw[k], spec)
        except _Invalid as bad:
            values[k] = float("nan")
            invalid.append((k, bad))
    return values, invalid


def _csv_field(text: str) -> str:
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def run_scoring(opts: ScoringOptions) -> str:
    """Execute scoring mode; returns the ``Completed:`` detail."""
    schema = load_schema(opts.feature_schema)
    files = find_scoring_csvs(opts.input_dir)
    created = not opts.output_dir.exists()
    opts.output_dir.mkdir(parents=True, exist_ok=True)
    temps: list[tuple[Path, Path]] = []
    done: list[tuple[str, int, _FileJob]] = []
    try:
        for path in files:
            tmp = opts.output_dir / f".{path.name}.partial"
            temps.append((tmp, opts.output_dir / path.name))
            job = (_EncodedFileJob if is_encoded(schema) else _FileJob)(path, schema, opts)
            done.append((path.name, job.run(tmp), job))
        for tmp, final in temps:
            os.replace(tmp, final)
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        if created:
            try:
                opts.output_dir.rmdir()
            except OSError:
                pass
        raise
    total = sum(n for _, n, _ in done)
    parts = "; ".join(
        f"{name}: {n} rows, {'ids' if len(job.id_cols) > 1 else 'id'} {job.id_text}"
        + (f", dropped {', '.join(job.dropped)}" if job.dropped else "")
        for name, n, job in done)
    return (f"Pre-processed {total} scoring rows of {len(done)} file(s) into {len(schema['features'])} features "
            f"({parts}).")
