"""Data-quality ``statistics.json`` (Model Monitor format) from columns of raw string values.

Rules (reference section 5.2): inferred type by Deequ's regexes; numeric columns get mean, sum,
population std_dev, min, max, 10 equal-width buckets (last closed) and a KLL sketch
(c=0.64, k=2048); String columns get distinct_count and categorical buckets; ``num_missing``
counts empty cells.  ``profile_column`` also returns what constraint suggestion needs (value
histogram for low-cardinality columns), which statistics.json does not carry for numbers.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .datatypes import FRACTIONAL_T, INTEGRAL_T, NUMERIC_TYPES, STRING_T, UNKNOWN_T, to_number, value_type
from .kll import KLLSketch

NUM_BUCKETS = 10
MAX_CATEGORICAL_BUCKETS = 1000  # Deequ's Histogram.MaximumAllowedDetailBins
LOW_CARDINALITY = 120  # Deequ ColumnProfiler: histograms only for <= 120 distinct values


@dataclass
class ColumnProfile:
    """Everything known about one column after one pass."""

    name: str
    inferred_type: str
    num_present: int
    num_missing: int
    minimum: float | None = None
    histogram: Counter | None = None  # value text -> count, None above LOW_CARDINALITY distinct values
    statistics: dict[str, Any] | None = None
    value_counts: Counter | None = None  # every present value text -> count (checks need them)
    type_counts: dict[str, int] | None = None  # Deequ's per-value class -> count (present values)

    @property
    def completeness(self) -> float:
        total = self.num_present + self.num_missing
        return self.num_present / total if total else 0.0


@dataclass
class ColumnChunk:
    """One column of one chunk of rows, factorized: what ``ColumnAccumulator.add`` consumes.

    ``texts``/``counts``: distinct present value texts and how often each occurs; ``kinds``: Deequ's
    class of each text; ``values``: the numbers of the present values in arrival order (only when
    every present value of the chunk is Integral/Fractional, else None); ``moments``: (sum, mean,
    sum of squared deviations, min, max) of ``values`` computed by numpy.
    """

    rows: int
    present: int
    texts: list[str]
    counts: np.ndarray
    kinds: list[str]
    values: np.ndarray | None
    moments: tuple[float, float, float, float, float] | None


def chunk_from_codes(codes: np.ndarray, uniques: Sequence[Any], rows: int) -> ColumnChunk:
    """Factorized column (``codes`` index ``uniques``, -1 = missing) -> ``ColumnChunk``.

    Empty-string uniques count as missing.  Per-value work is per *distinct* text only.
    """
    texts = [u if isinstance(u, str) else str(u) for u in uniques]
    codes = np.asarray(codes, dtype=np.int64)
    if "" in texts:
        empty = texts.index("")
        codes = np.where(codes == empty, -1, codes)
    present_codes = codes[codes >= 0]
    counts = np.bincount(present_codes, minlength=len(texts)) if texts else np.zeros(0, np.int64)
    keep = np.flatnonzero(counts)
    if keep.size != len(texts):
        remap = np.full(len(texts), -1, dtype=np.int64)
        remap[keep] = np.arange(keep.size)
        texts = [texts[k] for k in keep.tolist()]
        counts = counts[keep]
        present_codes = remap[present_codes]
    kinds = [value_type(t) for t in texts]
    values = moments = None
    if present_codes.size and all(k in NUMERIC_TYPES for k in kinds):
        numbers = np.array([to_number(t) for t in texts], dtype=np.float64)
        values = numbers[present_codes]
        total = float(values.sum())
        mean = float(values.mean())
        dev = values - mean
        moments = (total, mean, float(np.sum(dev * dev)), float(values.min()), float(values.max()))
    return ColumnChunk(rows, int(present_codes.size), texts, counts.astype(np.int64), kinds, values, moments)


def chunk_from_texts(raw: Sequence[str | None]) -> ColumnChunk:
    """Raw value texts (``None`` or ``""`` = missing) -> ``ColumnChunk``."""
    # pandas.factorize's result (codes in order of first appearance, -1 = None) without importing
    # pandas (~1 s of a baseline job's start) for one dict pass.
    index: dict[str, int] = {}
    add = index.setdefault
    codes = np.fromiter([-1 if v is None else add(v, len(index)) for v in raw], dtype=np.int64, count=len(raw))
    return chunk_from_codes(codes, list(index), len(raw))


class ColumnAccumulator:
    """Streaming profile of one column: chunks are added in arrival order, ``finish`` builds the
    ``ColumnProfile``.  Equivalent to ``profile_column`` over the concatenated raw values (the
    KLL sketch is identical; sum/mean/std of several chunks are combined with Chan's formula and
    may differ from a one-array numpy reduction in the last bits)."""

    def __init__(self, name: str, rows_before: int = 0) -> None:
        self.name = name
        self.present = 0
        self.missing = rows_before
        self.counts: Counter = Counter()
        self.type_counts: Counter = Counter()
        self.numeric = True  # every present value so far Integral/Fractional
        self.sketch = KLLSketch()
        self.moments: list[tuple[int, float, float, float, float, float]] = []  # (n, sum, mean, m2, min, max)

    def add(self, chunk: ColumnChunk) -> None:
        self.present += chunk.present
        self.missing += chunk.rows - chunk.present
        counts = self.counts
        for text, count in zip(chunk.texts, chunk.counts.tolist()):
            counts[text] += count
        for kind, count in zip(chunk.kinds, chunk.counts.tolist()):
            self.type_counts[kind] += count
        if not self.numeric:
            return
        if chunk.present and chunk.values is None:
            self.numeric = False
            self.sketch = KLLSketch()
            self.moments = []
            return
        if chunk.values is not None and chunk.values.size:
            self.sketch.update_many(chunk.values)
            self.moments.append((int(chunk.values.size), *chunk.moments))

    def add_missing(self, rows: int) -> None:
        self.missing += rows

    def _numeric_summary(self) -> tuple[float, float, float, float, float]:
        """(sum, mean, population std, min, max) over all chunks."""
        if len(self.moments) == 1:
            n, total, mean, m2, lo, hi = self.moments[0]
            return total, mean, math.sqrt(m2 / n), lo, hi
        n_all = sum(m[0] for m in self.moments)
        total = math.fsum(m[1] for m in self.moments)
        mean = total / n_all
        # Chan et al.: M2 = sum(M2_i) + sum(n_i * (mean_i - mean)^2)
        m2 = math.fsum(m[3] for m in self.moments) + math.fsum(m[0] * (m[2] - mean) ** 2 for m in self.moments)
        return (total, mean, math.sqrt(max(m2, 0.0) / n_all),
                min(m[4] for m in self.moments), max(m[5] for m in self.moments))

    def inferred_type(self) -> str:
        t = self.type_counts
        if not self.present:
            return UNKNOWN_T
        if t.get(STRING_T) or t.get("Boolean"):
            return STRING_T
        if t.get(FRACTIONAL_T):
            return FRACTIONAL_T
        return INTEGRAL_T

    def finish(self) -> ColumnProfile:
        name, kind = self.name, self.inferred_type()
        common = {"num_present": self.present, "num_missing": self.missing}
        counts = self.counts
        profile = ColumnProfile(name, kind, self.present, self.missing,
                                histogram=counts if len(counts) <= LOW_CARDINALITY else None,
                                value_counts=counts, type_counts=dict(self.type_counts))
        if kind in NUMERIC_TYPES:
            total, mean, std, lo, hi = self._numeric_summary()
            sketch = self.sketch
            stats = {
                "common": common,
                "mean": mean,
                "sum": total,
                "std_dev": std,  # population standard deviation (ddof=0), as Deequ
                "min": lo,
                "max": hi,
                "distribution": {"kll": {"buckets": sketch.buckets(lo, hi, NUM_BUCKETS), "sketch": sketch.to_json()}},
            }
            profile.minimum = lo
            profile.statistics = {"name": name, "inferred_type": kind, "numerical_statistics": stats}
        elif kind == STRING_T:
            profile.statistics = {"name": name, "inferred_type": kind, "string_statistics": _string(counts, common)}
        else:  # Unknown: every value missing
            profile.statistics = {"name": name, "inferred_type": UNKNOWN_T,
                                  "string_statistics": {"common": common, "distinct_count": 0.0}}
        return profile


def _string(counts: Counter, common: dict[str, int]) -> dict[str, Any]:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_CATEGORICAL_BUCKETS]
    return {
        "common": common,
        "distinct_count": float(len(counts)),
        "distribution": {"categorical": {"buckets": [{"value": v, "count": c} for v, c in ordered]}},
    }


def profile_column(name: str, raw: Sequence[str | None]) -> ColumnProfile:
    """Profile one column; ``None`` (or the empty string) is a missing value.

    Vectorized: the column is factorized once, types and numbers are derived per distinct
    text, and the numeric statistics and KLL sketch come from one numpy array in arrival order.
    """
    acc = ColumnAccumulator(name)
    acc.add(chunk_from_texts(raw))
    return acc.finish()


def profile_dataset(names: Sequence[str], columns: Sequence[Sequence[str | None]]) -> list[ColumnProfile]:
    """Profile every column (column-major input)."""
    return [profile_column(n, c) for n, c in zip(names, columns)]


def statistics_document(profiles: Sequence[ColumnProfile], item_count: int) -> dict[str, Any]:
    """The ``statistics.json`` document."""
    return {
        "version": 0.0,
        "dataset": {"item_count": item_count},
        "features": [p.statistics for p in profiles],
    }
