"""Data-quality ``statistics.json`` (Model Monitor format) from columns of raw string values.

Rules (reference section 5.2): inferred type by Deequ's regexes; numeric columns get mean, sum,
population std_dev, min, max, 10 equal-width buckets (last closed) and a KLL sketch
(c=0.64, k=2048); String columns get distinct_count and categorical buckets; ``num_missing``
counts empty cells.  ``profile_column`` also returns what constraint suggestion needs (value
histogram for low-cardinality columns), which statistics.json does not carry for numbers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .datatypes import NUMERIC_TYPES, STRING_T, UNKNOWN_T, infer_column_type, to_number
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

    @property
    def completeness(self) -> float:
        total = self.num_present + self.num_missing
        return self.num_present / total if total else 0.0


def _numerical(values: list[str], common: dict[str, int]) -> tuple[dict[str, Any], float]:
    numbers = np.asarray([to_number(v) for v in values], dtype=np.float64)
    lo, hi = float(numbers.min()), float(numbers.max())
    sketch = KLLSketch()
    sketch.update_many(numbers.tolist())
    stats = {
        "common": common,
        "mean": float(numbers.mean()),
        "sum": float(numbers.sum()),
        "std_dev": float(numbers.std()),  # population standard deviation (ddof=0), as Deequ
        "min": lo,
        "max": hi,
        "distribution": {"kll": {"buckets": sketch.buckets(lo, hi, NUM_BUCKETS), "sketch": sketch.to_json()}},
    }
    return stats, lo


def _string(counts: Counter, common: dict[str, int]) -> dict[str, Any]:
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_CATEGORICAL_BUCKETS]
    return {
        "common": common,
        "distinct_count": float(len(counts)),
        "distribution": {"categorical": {"buckets": [{"value": v, "count": c} for v, c in ordered]}},
    }


def profile_column(name: str, raw: Sequence[str | None]) -> ColumnProfile:
    """Profile one column; ``None`` (or the empty string) is a missing value."""
    present = [v for v in raw if v is not None and v != ""]
    common = {"num_present": len(present), "num_missing": len(raw) - len(present)}
    kind = infer_column_type(present)
    counts = Counter(present)
    profile = ColumnProfile(name, kind, common["num_present"], common["num_missing"],
                            histogram=counts if len(counts) <= LOW_CARDINALITY else None)
    if kind in NUMERIC_TYPES:
        stats, profile.minimum = _numerical(present, common)
        profile.statistics = {"name": name, "inferred_type": kind, "numerical_statistics": stats}
    elif kind == STRING_T:
        profile.statistics = {"name": name, "inferred_type": kind, "string_statistics": _string(counts, common)}
    else:  # Unknown: every value missing
        profile.statistics = {"name": name, "inferred_type": UNKNOWN_T,
                              "string_statistics": {"common": common, "distinct_count": 0.0}}
    return profile


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
