"""Byte-level helpers for streaming large CSV files: line chunks, field positions, row assembly.

Why: batch scoring and scoring-mode pre-processing must handle a million rows in seconds with
memory that does not grow with the file.  Python-level work per record (``csv.reader``, string
formatting) costs ~1 µs per field, so the common case is done on whole chunks with numpy:

* :func:`iter_chunks` cuts a binary file into chunks of complete lines (at most ``max_rows``
  lines and ``max_bytes`` bytes), with the 1-based file line number of each chunk's first line;
* :func:`scan_regular` finds the byte span of every field when a chunk is *regular* (no quotes,
  no blank lines, the same number of fields on every line) — anything else returns ``None`` and
  the caller uses its exact per-record path, which also produces the error messages;
* :func:`assemble` builds output rows from column pieces (spans of the input chunk, formatted
  numbers, constants) with one numpy gather, so field text is copied exactly as it came in.

Text stays bytes (UTF-8); CSV quoting is not interpreted here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Iterator, Sequence

import numpy as np

DEFAULT_CHUNK_ROWS = 100_000
DEFAULT_CHUNK_BYTES = 6 * 1024 * 1024  # SageMaker's default MaxPayloadInMB
ASSEMBLE_BLOCK_ROWS = 16_384
NL, COMMA, QUOTE = 10, 44, 34


class RecordTooLarge(Exception):
    """One line is longer than the chunk byte limit (SageMaker: a record larger than MaxPayloadInMB)."""

    def __init__(self, line: int, size: int, limit: int) -> None:
        super().__init__(f"line {line}: record of {size} bytes is larger than the mini-batch limit of {limit} bytes")
        self.line = line
        self.size = size


@dataclass(frozen=True)
class Chunk:
    """Complete lines of a file (every line ends with ``\\n``) and the file line number of the first."""

    data: bytes
    first_line: int
    lines: int


def iter_chunks(f: BinaryIO, first_line: int = 1, max_rows: int = DEFAULT_CHUNK_ROWS,
                max_bytes: int = DEFAULT_CHUNK_BYTES, limit_record: bool = True) -> Iterator[Chunk]:
    """Yield chunks of at most ``max_rows`` lines and ``max_bytes`` bytes (a longer single line is
    ``RecordTooLarge`` when ``limit_record``, else a chunk of its own).  A missing final newline is
    added.  Reads ``max_bytes`` at a time, so memory is bounded by a few chunks."""
    max_rows = max(1, int(max_rows))
    max_bytes = max(1, int(max_bytes))
    block = max(max_bytes, 1 << 16)
    carry = b""
    line = first_line
    eof = False
    while not eof:
        data = f.read(block)
        eof = not data
        buf = carry + data if carry else data
        if not buf:
            return
        if eof and not buf.endswith(b"\n"):
            buf += b"\n"
        nl = np.flatnonzero(np.frombuffer(buf, dtype=np.uint8) == NL)
        pos, k, count = 0, 0, len(nl)
        while k < count:
            j = min(k + max_rows, count) - 1
            full = j - k + 1 == max_rows
            if nl[j] - pos + 1 > max_bytes:  # too many bytes: cut at the last newline that fits
                j = int(np.searchsorted(nl, pos + max_bytes - 1, side="right")) - 1
                if j < k:
                    if limit_record:
                        raise RecordTooLarge(line, int(nl[k]) - pos + 1, max_bytes)
                    j = k
                full = True
            if not full and not eof:
                break  # wait for more data so that chunks stay full-sized
            end = int(nl[j]) + 1
            yield Chunk(buf[pos:end], line, j - k + 1)
            line += j - k + 1
            pos, k = end, j + 1
        carry = buf[pos:]
        if limit_record and len(carry) > max_bytes and (count == k or eof):
            raise RecordTooLarge(line, len(carry), max_bytes)


def normalise_newlines(data: bytes) -> bytes | None:
    """``\\r\\n`` -> ``\\n``; ``None`` if the chunk has a bare ``\\r`` (left to the exact path)."""
    if b"\r" not in data:
        return data
    if data.count(b"\r") != data.count(b"\r\n"):
        return None
    return data.replace(b"\r\n", b"\n")


@dataclass
class Fields:
    """Byte spans of the fields of a regular chunk: field ``j`` of row ``i`` is
    ``buf[starts(j)[i]:ends(j)[i]]``."""

    buf: np.ndarray
    n_rows: int
    n_fields: int
    line_starts: np.ndarray
    line_ends: np.ndarray  # position of each row's newline
    commas: np.ndarray  # (n_fields - 1, n_rows): column-major so that one field's positions are contiguous

    def starts(self, j: int) -> np.ndarray:
        return self.line_starts if j == 0 else self.commas[j - 1] + 1

    def ends(self, j: int) -> np.ndarray:
        return self.line_ends if j == self.n_fields - 1 else self.commas[j]

    def column(self, j: int) -> "Piece":
        """Field ``j`` exactly as in the input (adjacent fields merge into one span in :func:`assemble`)."""
        s = self.starts(j)
        return Piece(self.buf, s, self.ends(j) - s, origin=self, first=j, last=j)


def scan_regular(data: bytes, n_fields: int | None = None) -> Fields | None:
    """Field spans if every line has the same number (``n_fields``, or the first line's) of
    comma-separated fields, at least two, with no quote character, no blank line and valid UTF-8;
    else None."""
    if not data or b'"' in data or b"\r" in data:
        return None
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None  # the exact path names the line
    buf = np.frombuffer(data, dtype=np.uint8)
    line_ends = np.flatnonzero(buf == NL)
    rows = len(line_ends)
    if rows == 0 or line_ends[-1] != len(buf) - 1:
        return None
    if n_fields is None:
        n_fields = data.count(b",", 0, int(line_ends[0])) + 1
    if n_fields < 2:
        return None
    commas = np.flatnonzero(buf == COMMA)
    if len(commas) != rows * (n_fields - 1):
        return None
    commas = commas.reshape(rows, n_fields - 1)
    line_starts = np.empty(rows, dtype=np.int64)
    line_starts[0] = 0
    line_starts[1:] = line_ends[:-1] + 1
    # Every row's share of the (sorted) commas lies inside that row => exactly n-1 commas per row.
    if not ((commas[:, 0] >= line_starts).all() and (commas[:, -1] < line_ends).all()):
        return None
    return Fields(buf, rows, n_fields, line_starts, line_ends, np.ascontiguousarray(commas.T))


def _lut(allowed: bytes) -> np.ndarray:
    table = np.ones(256, dtype=np.uint8)
    table[np.frombuffer(allowed, dtype=np.uint8)] = 0
    return table


# Bytes a plain decimal number may contain (pandas would also read 'True' / 'inf' as numbers).
NOT_NUMERIC = _lut(b"0123456789+-.eE \t,\n")
NOT_DIGIT = _lut(b"0123456789,\n")  # separators never fall inside a field span


class SpanCounter:
    """How many bytes of each field in a column fall outside an allowed set (one cumsum per chunk)."""

    def __init__(self, fields: Fields, lut: np.ndarray) -> None:
        self.fields = fields
        flags = lut[fields.buf]
        self.any = bool(flags.any())
        self._cum = None
        if self.any:
            self._cum = np.zeros(len(flags) + 1, dtype=np.int32 if len(flags) < 2**31 - 1 else np.int64)
            np.cumsum(flags, out=self._cum[1:])

    def counts(self, j: int) -> np.ndarray:
        if self._cum is None:
            return np.zeros(self.fields.n_rows, dtype=np.int64)
        return self._cum[self.fields.ends(j)] - self._cum[self.fields.starts(j)]

    def clean(self, columns: Sequence[int]) -> bool:
        return not self.any or not any(self.counts(j).any() for j in columns)


@dataclass
class Piece:
    """One output column: row ``i`` is ``source[starts[i]:starts[i] + lengths[i]]``.

    ``origin``/``first``/``last``: the piece is input fields ``first..last`` of a :class:`Fields`
    (with their commas), so that runs of adjacent input fields are copied as one span."""

    source: np.ndarray  # uint8
    starts: np.ndarray
    lengths: np.ndarray
    origin: Fields | None = None
    first: int = -1
    last: int = -1


def _merge_fields(pieces: Sequence[Piece], sep: bytes) -> list[Piece]:
    if sep != b",":
        return list(pieces)
    out: list[Piece] = []
    for p in pieces:
        prev = out[-1] if out else None
        if prev is not None and p.origin is not None and prev.origin is p.origin and p.first == prev.last + 1:
            f = p.origin
            start = f.starts(prev.first)
            out[-1] = Piece(f.buf, start, f.ends(p.last) - start, origin=f, first=prev.first, last=p.last)
        else:
            out.append(p)
    return out


def fixed_piece(values: np.ndarray) -> Piece:
    """A column from a numpy ``S<w>`` array (e.g. ``ints.astype('S21')``)."""
    values = np.ascontiguousarray(values)
    width = values.dtype.itemsize
    rows = len(values)
    return Piece(values.view(np.uint8).reshape(-1), np.arange(rows, dtype=np.int64) * width,
                 np.char.str_len(values).astype(np.int64))


def text_piece(texts: Sequence[str]) -> Piece:
    """A column from Python strings (UTF-8 encoded)."""
    encoded = [t.encode("utf-8") for t in texts]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    starts = np.zeros(len(encoded), dtype=np.int64)
    if len(encoded) > 1:
        np.cumsum(lengths[:-1], out=starts[1:])
    return Piece(np.frombuffer(b"".join(encoded), dtype=np.uint8), starts, lengths)


def ascii_piece(texts: Sequence[str]) -> Piece:
    """A column from ASCII-only Python strings (one join + encode; faster than :func:`text_piece`)."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    starts = np.zeros(len(texts), dtype=np.int64)
    if len(texts) > 1:
        np.cumsum(lengths[:-1], out=starts[1:])
    return Piece(np.frombuffer("".join(texts).encode("ascii"), dtype=np.uint8), starts, lengths)


def const_piece(text: bytes, rows: int) -> Piece:
    return Piece(np.frombuffer(text, dtype=np.uint8), np.zeros(rows, dtype=np.int64),
                 np.full(rows, len(text), dtype=np.int64))


def assemble(pieces: Sequence[Piece], rows: int, sep: bytes = b",", end: bytes = b"\n") -> bytes | memoryview:
    """Rows of ``piece0 sep piece1 sep ... end`` as one bytes-like object (numpy gathers)."""
    if rows == 0:
        return b""
    if not pieces:
        return end * rows
    pieces = _merge_fields(pieces, sep)
    sources: list[np.ndarray] = []
    where: dict[int, int] = {}
    piece_offset = []
    size = 0
    for p in pieces:
        key = id(p.source)
        if key not in where:
            where[key] = size
            sources.append(p.source)
            size += len(p.source)
        piece_offset.append(where[key])
    src = np.concatenate(sources + [np.frombuffer(sep + end, dtype=np.uint8)])
    sep_at, end_at = size, size + len(sep)
    k = len(pieces)
    total_bytes = sum(int(p.lengths.sum()) for p in pieces) + rows * ((k - 1) * len(sep) + len(end))
    out = np.empty(total_bytes, dtype=np.uint8)
    kind = np.int32 if len(src) + total_bytes < 2**31 - 1 else np.int64  # halves the gather's memory traffic
    # Row blocks keep every temporary array small whatever the chunk size.
    pos = 0
    for r0 in range(0, rows, ASSEMBLE_BLOCK_ROWS):
        r1 = min(rows, r0 + ASSEMBLE_BLOCK_ROWS)
        n = r1 - r0
        seg_start = np.empty((n, 2 * k), dtype=np.int64)
        seg_len = np.empty((n, 2 * k), dtype=np.int64)
        for c, p in enumerate(pieces):
            seg_start[:, 2 * c] = p.starts[r0:r1] + piece_offset[c]
            seg_len[:, 2 * c] = p.lengths[r0:r1]
            seg_start[:, 2 * c + 1] = sep_at
            seg_len[:, 2 * c + 1] = len(sep)
        seg_start[:, -1] = end_at
        seg_len[:, -1] = len(end)
        starts = seg_start.reshape(-1)
        lengths = seg_len.reshape(-1)
        before = np.cumsum(lengths)
        total = int(before[-1])
        before -= lengths
        index = np.repeat((starts - before).astype(kind), lengths)
        index += np.arange(total, dtype=kind)
        np.take(src, index, out=out[pos:pos + total])
        pos += total
    return out.data


def float_texts(values: np.ndarray) -> np.ndarray:
    """``S32`` array of Python ``repr(float(v))`` for finite values (numpy's shortest repr is
    digit-for-digit Python's, exponent thresholds included)."""
    return np.asarray(values, dtype=np.float64).astype("S32")


def number_text(v: float) -> str:
    """A number as CSV text: integral values without a decimal point (``6``), others as shortest
    repr, NaN (missing) as an empty field."""
    if v != v:
        return ""
    if abs(v) < 1e15 and float(v).is_integer():
        return str(int(v))
    return repr(float(v))
