"""Reading a CSV dataset directory into named columns of raw strings (Spark-like semantics).

Why strings: statistics infer types from the text (``3.0`` vs ``3``).  Like Spark's CSV reader
in PERMISSIVE mode, short rows get missing values and extra fields are dropped (counted and
reported in the log); empty fields are missing values.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from ..contract import ClientError, data_files


@dataclass(frozen=True)
class Dataset:
    """Column-major raw values plus provenance for error messages."""

    names: list[str]
    columns: list[list[str | None]]
    files: list[Path]
    line_numbers: list[tuple[str, int]]  # (file name, line) of every row
    ragged_rows: int

    @property
    def rows(self) -> int:
        return len(self.line_numbers)


def read_csv_dataset(source: Path, header: bool, names: Sequence[str] | None = None) -> Dataset:
    """Read every file below ``source`` (sorted, no dotfiles); see ``read_csv_files``."""
    files = data_files(source)
    if not files:
        raise ClientError(f"dataset_source {source} holds no files")
    return read_csv_files(files, header, names, str(source))


def read_csv_files(files: Sequence[Path], header: bool, names: Sequence[str] | None = None,
                   source: str = "dataset") -> Dataset:
    """Read ``files`` in order as one dataset.

    Column names: the header (``header=True``; all files must agree), else ``names``, else Spark's
    ``_c0, _c1, ...``.
    """
    col_names: list[str] | None = list(names) if (names is not None and not header) else None
    rows: list[list[str]] = []
    lines: list[tuple[str, int]] = []
    for file in files:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            file_header: list[str] | None = None
            try:
                for record in reader:
                    if not record or (len(record) == 1 and record[0] == ""):
                        continue
                    if header and file_header is None:
                        file_header = [h.strip() for h in record]
                        if col_names is None:
                            col_names = file_header
                        elif file_header != col_names:
                            raise ClientError(f"{file.name}: header differs from the first file's header")
                        continue
                    rows.append(record)
                    lines.append((file.name, reader.line_num))
            except UnicodeDecodeError:
                raise ClientError(f"{file.name}: not UTF-8 text") from None
            except csv.Error as exc:
                raise ClientError(f"{file.name}, line {reader.line_num}: malformed CSV: {exc}") from None
    if not rows:
        raise ClientError(f"{source} holds no data rows")
    if col_names is None:
        col_names = [f"_c{i}" for i in range(len(rows[0]))]
    width = len(col_names)
    if names is not None and not header and len(rows[0]) != width:
        raise ClientError(
            f"{lines[0][0]}, line {lines[0][1]}: {len(rows[0])} fields but the feature schema names {width} "
            "columns (label + features)"
        )
    ragged = sum(1 for r in rows if len(r) != width)
    if ragged:
        columns: list[list[str | None]] = [
            [(r[j] if j < len(r) and r[j] != "" else None) for r in rows] for j in range(width)
        ]
    else:  # the same, transposed in C
        columns = [[v if v != "" else None for v in column] for column in zip(*rows)]
    return Dataset(col_names, columns, list(files), lines, ragged)
