"""Streaming, vectorized profile of captured data for ``data-quality-monitor``.

Same rows and statistics as ``read_capture`` + ``in_window`` + ``flatten`` + ``profile_dataset``
(reference 4.2 / 5.1 / 5.2), but without per-value Python work and without holding the rows:

* The capture files are cut into chunks of about ``CHUNK_BYTES`` (whole files, or newline-aligned
  byte ranges of a large file).  A chunk is parsed by a worker (a process pool of up to
  ``MAX_WORKERS`` when there is more than one chunk): ``json.loads`` per line, then the CSV
  ``data`` of every record is joined as it is into one CSV text (output columns first) and parsed
  by one ``pandas.read_csv`` (C engine, every field kept as its text).  Sides that are not plain
  CSV (JSON / BASE64 encodings, quotes, control or non-ASCII characters, blank lines) go through
  ``capture.decode_side`` and their chunk is assembled in Python, so every row is exactly what
  ``flatten`` gives.
* Each column of a chunk is factorized (pandas): Deequ's value class and the number are computed per
  *distinct* text, counts by ``bincount``, and the present numbers in arrival order come back as a
  numpy array (``statistics.ColumnChunk``).
* The main process adds the chunks in file order to one ``ColumnAccumulator`` per column (bulk KLL
  update, identical to item-by-item; moments combined with Chan's formula; counts per distinct text),
  so results do not depend on the number of workers.

Memory: one chunk per worker in flight plus, per column, the sketch and the counts of its distinct
value texts.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from io import StringIO
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from ..contract import ClientError, data_files
from .capture import OUTPUT_INDEXES, decode_side
from .statistics import ColumnAccumulator, ColumnChunk, chunk_from_codes, chunk_from_texts

CHUNK_BYTES = 8 << 20  # ~18k capture records of a typical CSV endpoint
MAX_WORKERS = 2


@dataclass(frozen=True)
class Piece:
    """A whole file (``start == 0 and end is None``) or the byte range [start, end) of one."""

    path: str
    rel: str
    start: int = 0
    end: int | None = None


@dataclass
class ChunkResult:
    """What a worker returns for one chunk: row count, columns, skipped records or an error."""

    rows: int = 0
    columns: list[ColumnChunk] = field(default_factory=list)
    skipped: int = 0
    error: str | None = None


# -- planning ----------------------------------------------------------------------------
def _split_points(path: Path, size: int, step: int) -> list[int]:
    """Byte offsets just after a newline, about every ``step`` bytes (0 and ``size`` included)."""
    points = [0]
    with path.open("rb") as handle:
        pos = step
        while pos < size:
            handle.seek(pos)
            tail = handle.read(1 << 16)
            while tail:
                cut = tail.find(b"\n")
                if cut >= 0:
                    pos += cut + 1
                    break
                pos += len(tail)
                tail = handle.read(1 << 16)
            if pos >= size or not tail:
                break
            points.append(pos)
            pos += step
    points.append(size)
    return points


def plan_chunks(source: Path, files: Sequence[Path], chunk_bytes: int = CHUNK_BYTES) -> list[list[Piece]]:
    """Group files (in order) into chunks of about ``chunk_bytes``; cut larger files at newlines."""
    chunks: list[list[Piece]] = []
    current: list[Piece] = []
    current_bytes = 0
    for path in files:
        rel = str(path.relative_to(source))
        size = path.stat().st_size
        if size > chunk_bytes:
            if current:
                chunks.append(current)
                current, current_bytes = [], 0
            points = _split_points(path, size, chunk_bytes)
            for a, b in zip(points, points[1:]):
                chunks.append([Piece(str(path), rel, a, b)])
            continue
        current.append(Piece(str(path), rel))
        current_bytes += size
        if current_bytes >= chunk_bytes:
            chunks.append(current)
            current, current_bytes = [], 0
    if current:
        chunks.append(current)
    return chunks


# -- one chunk (runs in a worker) ----------------------------------------------------------
def _in_window(doc: dict[str, Any], start: datetime | None, end: datetime | None) -> bool:
    """``monitoring.in_window`` for one record."""
    text = str((doc.get("eventMetadata") or {}).get("inferenceTime", ""))
    try:
        t = datetime.fromisoformat(text.replace("Z", "+00:00"))
        t = t if t.tzinfo else t.replace(tzinfo=timezone.utc)
    except ValueError:
        return True
    return (start is None or t >= start) and (end is None or t < end)


def _plain_csv_lines(side: dict[str, Any]) -> list[str] | None:
    """The non-empty lines of a CSV side whose fields need no CSV quoting rules (printable ASCII,
    no quote); ``None`` when ``decode_side`` must decode it."""
    if str(side.get("encoding", "CSV")).upper() != "CSV":
        return None
    data = side.get("data", "")
    if not isinstance(data, str) or not data.isascii() or '"' in data:
        return None
    lines = [line for line in data.split("\n") if line]
    for line in lines:
        if not line.isprintable() or not line.strip():
            return None
    return lines


def _line_offset(piece: Piece) -> int:
    """Number of lines before ``piece.start`` (for error messages of a byte range)."""
    if piece.start == 0:
        return 0
    with open(piece.path, "rb") as handle:
        head = handle.read(piece.start)
    return len(head.decode("utf-8-sig", errors="replace").splitlines())


def _columns_from_csv(lines: list[str], width: int) -> list[ColumnChunk]:
    frame = pd.read_csv(StringIO("\n".join(lines)), header=None, names=list(range(width)), dtype=object,
                        keep_default_na=False, na_values=[""], engine="c", skip_blank_lines=False)
    if len(frame) != len(lines):  # defensive: the C tokenizer must see exactly our rows
        raise ValueError("CSV row count mismatch")
    out = []
    for j in range(width):
        codes, uniques = pd.factorize(frame[j].to_numpy(dtype=object), use_na_sentinel=True)
        out.append(chunk_from_codes(codes, uniques, len(lines)))
    return out


def _columns_from_rows(rows: list[list[str]], width: int) -> list[ColumnChunk]:
    return [chunk_from_texts([r[j] if j < len(r) else None for r in rows]) for j in range(width)]


def _output_first(name: str) -> int:
    return 0 if name in OUTPUT_INDEXES or "Output" in name else 1


_SCAN = json.JSONDecoder().scan_once


def _loads(line: str) -> Any:
    """``json.loads(line)``; the C scanner is called directly when the line is one clean document."""
    try:
        doc, end = _SCAN(line, 0)
    except (StopIteration, ValueError, RecursionError):
        return json.loads(line)
    if end != len(line) and line[end:].strip(" \t\n\r"):
        return json.loads(line)  # raises json's "Extra data" error
    return doc


def process_chunk(pieces: Sequence[Piece], index_names: Sequence[str] | None,
                  start: datetime | None, end: datetime | None, view: Any = None) -> ChunkResult:
    """Rows of the capture records in ``pieces`` (as ``flatten(in_window(read_capture(...)))``),
    profiled column by column."""
    # sides are visited output side first (``flatten``'s stable order), names without duplicates
    wanted = sorted(dict.fromkeys(index_names), key=_output_first) if index_names else None
    window = start is not None or end is not None
    texts: list[str] = []  # rows as CSV text while every side is plain CSV
    lists: list[list[str]] | None = None  # rows as value lists once a side is not
    width = 0
    skipped = 0
    for piece in pieces:
        try:
            with open(piece.path, "rb") as handle:
                if piece.start:
                    handle.seek(piece.start)
                raw = handle.read() if piece.end is None else handle.read(piece.end - piece.start)
            text = raw.decode("utf-8-sig" if piece.start == 0 else "utf-8")
        except UnicodeDecodeError:
            return ChunkResult(error=f"{piece.rel}: not UTF-8 text")
        del raw
        for index, line in enumerate(text.splitlines()):
            if not line or line.isspace():
                continue
            try:
                doc = _loads(line)
            except ValueError as exc:
                number = index + 1 + _line_offset(piece)
                return ChunkResult(error=f"{piece.rel}, line {number}: not a JSON capture record: {exc}")
            data = doc.get("captureData") if isinstance(doc, dict) else None
            if not isinstance(data, dict):
                return ChunkResult(error=f"{piece.rel}, line {index + 1 + _line_offset(piece)}: no captureData object")
            names = wanted if wanted is not None else sorted(data, key=_output_first)
            used: list[tuple[list[Any], bool]] = []  # (rows, plain) of the non-empty sides
            plain_all = True
            try:
                for name in names:
                    side = data.get(name)
                    if not isinstance(side, dict):
                        continue
                    d = side.get("data", "")
                    if (side.get("encoding", "CSV") == "CSV" and d.__class__ is str and d.isascii()
                            and '"' not in d):
                        if "\n" in d:
                            rows = [x for x in d.split("\n") if x]
                        else:
                            rows = [d] if d else []
                        for x in rows:
                            if not x.isprintable() or x.isspace():
                                rows = None
                                break
                        if rows is not None:
                            if rows:
                                used.append((rows, True))
                            continue
                    plain = _plain_csv_lines(side)
                    if plain is not None:
                        if plain:
                            used.append((plain, True))
                        continue
                    rows = decode_side(side)
                    if rows:
                        used.append((rows, False))
                        plain_all = False
            except ValueError as exc:
                number = index + 1 + _line_offset(piece)
                return ChunkResult(error=f"{piece.rel}, line {number}: cannot decode captured data: {exc}")
            if window and not _in_window(doc, start, end):
                continue
            if not used:
                continue
            count = len(used[0][0])
            if len(used) == 2:
                if len(used[1][0]) != count:
                    skipped += 1
                    continue
            elif len(used) > 2 and any(len(rows) != count for rows, _ in used):
                skipped += 1
                continue
            if lists is None and plain_all:
                if count == 1:
                    row = used[0][0][0] if len(used) == 1 else ",".join([rows[0] for rows, _ in used])
                    texts.append(row)
                    n = row.count(",") + 1
                    if n > width:
                        width = n
                else:
                    for i in range(count):
                        row = ",".join([rows[i] for rows, _ in used])
                        texts.append(row)
                        width = max(width, row.count(",") + 1)
                continue
            if lists is None:
                lists = [t.split(",") for t in texts]
                texts = []
            for i in range(count):
                row = [v for rows, plain in used for v in (rows[i].split(",") if plain else rows[i])]
                lists.append(row)
                width = max(width, len(row))
    if view is not None and (lists or texts):
        # Encoded rows (a project with categorical columns): decoded into the raw columns first.
        rows = view.decode_rows(lists if lists is not None else [t.split(",") for t in texts])
        return ChunkResult(len(rows), _columns_from_rows(rows, view.lead + len(view.plan)), skipped)
    if lists is not None:
        return ChunkResult(len(lists), _columns_from_rows(lists, width), skipped)
    if not texts:
        return ChunkResult(0, [], skipped)
    try:
        columns = _columns_from_csv(texts, width)
    except (ValueError, pd.errors.ParserError):
        columns = _columns_from_rows([t.split(",") for t in texts], width)
    return ChunkResult(len(texts), columns, skipped)


# -- the whole dataset ---------------------------------------------------------------------
def _workers(chunks: int) -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cpus, chunks))


def profile_capture(source: Path, index_names: Sequence[str] | None, start: datetime | None = None,
                    end: datetime | None = None, chunk_bytes: int = CHUNK_BYTES,
                    workers: int | None = None, view: Any = None) -> tuple[list[ColumnAccumulator], int, int]:
    """Accumulated columns of every captured row below ``source`` in [start, end).

    Returns (one accumulator per column position, rows, skipped records).  Raises ClientError for
    the first bad record in file order, as ``read_capture`` does.
    """
    chunks = plan_chunks(source, data_files(source), chunk_bytes)
    accs: list[ColumnAccumulator] = []
    state = {"rows": 0, "skipped": 0}

    def consume(result: ChunkResult) -> None:
        if result.error is not None:
            raise ClientError(result.error)
        state["skipped"] += result.skipped
        for j, chunk in enumerate(result.columns):
            if j >= len(accs):
                accs.append(ColumnAccumulator(f"_c{j}", rows_before=state["rows"]))
            accs[j].add(chunk)
        for acc in accs[len(result.columns):]:
            acc.add_missing(result.rows)
        state["rows"] += result.rows

    n_workers = _workers(len(chunks)) if workers is None else max(1, min(workers, len(chunks)))
    if n_workers <= 1:
        for pieces in chunks:
            consume(process_chunk(pieces, index_names, start, end, view))
    else:
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx) as pool:
            pending: deque[Future[ChunkResult]] = deque()
            todo = iter(chunks)
            try:
                for pieces in todo:  # keep two chunks per worker in flight, consume in order
                    pending.append(pool.submit(process_chunk, pieces, index_names, start, end, view))
                    if len(pending) >= 2 * n_workers:
                        consume(pending.popleft().result())
                while pending:
                    consume(pending.popleft().result())
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
    return accs, state["rows"], state["skipped"]
