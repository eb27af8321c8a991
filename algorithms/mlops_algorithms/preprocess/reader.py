"""Reading the raw CSV and the file-level checks (which file, empty, header only, CSV syntax).

Column-level rules live in ``mlops_algorithms.validation`` so that serving and batch scoring
produce the same messages.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from ..contract import ClientError


@dataclass(frozen=True)
class RawTable:
    """A parsed CSV file: header, data rows (strings) and the line number of each row."""

    path: Path
    header: list[str]
    rows: list[list[str]]
    line_numbers: list[int]
    sha256: str

    @property
    def name(self) -> str:
        return self.path.name


def find_input_csv(input_dir: Path) -> Path:
    """Exactly one ``*.csv`` file is expected in the input directory."""
    if not input_dir.is_dir():
        raise ClientError(f"input directory {input_dir} does not exist")
    found = sorted(p for p in input_dir.iterdir()
                   if p.is_file() and not p.name.startswith(".") and p.suffix.lower() == ".csv")
    if not found:
        raise ClientError(f"no *.csv file in input directory {input_dir} (exactly one expected)")
    if len(found) > 1:
        raise ClientError(f"found {len(found)} CSV files in {input_dir} ({', '.join(p.name for p in found)}); exactly one expected")
    return found[0]


def read_raw_csv(path: Path) -> RawTable:
    """Parse ``path`` with the stdlib csv module; blank lines are skipped but keep line numbering."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    name = path.name
    if not data.strip():
        raise ClientError(f"{name}: file is empty (rule: header and data rows required)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ClientError(f"{name}: line {line}: not UTF-8 text (rule: encoding utf-8)") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    try:
        for record in reader:
            if not record or (len(record) == 1 and not record[0].strip()):
                continue
            if header is None:
                header = [field.strip() for field in record]
                continue
            rows.append(record)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise ClientError(f"{name}: line {reader.line_num}: malformed CSV: {exc} (rule: csv syntax)") from None
    if header is None:
        raise ClientError(f"{name}: file is empty (rule: header and data rows required)")
    if not rows:
        raise ClientError(f"{name}: line 1: header only, no data rows (rule: at least one data row)")
    return RawTable(path, header, rows, lines, digest)
