"""KLL quantile sketch as in Deequ's ``QuantileNonSample`` (what Model Monitor's analyzer uses).

Why a faithful port: ``statistics.json`` stores the raw compactor buffers (``sketch.data``) and
drift checks rebuild CDFs from them, so our sketches must have Deequ's shape: level 0 first,
an item at level h weighs 2^h, capacity(h) = 2*(ceil(k*c^h/2)+1), deterministic compaction
(offset flips on every other compaction of a level), condense when the total item count exceeds
the total capacity.  With k=2048 every value up to n=2050 stays raw in level 0, in arrival order.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

import numpy as np

DEFAULT_K = 2048
DEFAULT_C = 0.64


class KLLSketch:
    """Mergeable quantile sketch of floats."""

    def __init__(self, k: int = DEFAULT_K, c: float = DEFAULT_C) -> None:
        self.k, self.c = int(k), float(c)
        self.levels: list[list[float]] = []
        self._compressions: list[int] = []
        self._offsets: list[int] = []
        self._size = 0
        self._total_capacity = 0
        self._expand()

    # -- structure ---------------------------------------------------------------------------
    def capacity(self, height: int) -> int:
        """Buffer capacity of level ``height`` (level 0 is the largest)."""
        return 2 * (math.ceil(self.k * math.pow(self.c, height) / 2) + 1)

    def _expand(self) -> None:
        self.levels.append([])
        self._compressions.append(0)
        self._offsets.append(0)
        self._total_capacity = sum(self.capacity(h) for h in range(len(self.levels)))

    def _compact(self, height: int) -> list[float]:
        buf = self.levels[height]
        items = len(buf)
        even = items - items % 2
        if self._compressions[height] % 2 == 1:
            self._offsets[height] = 1 - self._offsets[height]
        ordered = sorted(buf[:even])
        out = ordered[self._offsets[height]::2]
        self.levels[height] = [buf[items - 1]] if items % 2 else []
        self._compressions[height] += 1
        return out

    def _condense(self) -> None:
        for height in range(len(self.levels)):
            if len(self.levels[height]) >= self.capacity(height):
                if height + 1 >= len(self.levels):
                    self._expand()
                self.levels[height + 1].extend(self._compact(height))
                self._size = sum(len(level) for level in self.levels)
                return

    # -- updates -----------------------------------------------------------------------------
    def update(self, value: float) -> None:
        """Add one value."""
        self.levels[0].append(float(value))
        self._size += 1
        if self._size > self._total_capacity:
            self._condense()

    def update_many(self, values: Iterable[float] | np.ndarray) -> None:
        """Add values in order; identical result to calling ``update`` for each.

        Bulk path in numpy: level 0 is filled up to the point where ``update`` would condense, then
        the same single compaction (sort, keep every other item from the level's offset, carry an
        odd last item) runs on arrays; the buffers go back to lists at the end.
        """
        data = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=np.float64).ravel()
        n = int(data.size)
        if n == 0:
            return
        levels = [np.asarray(level, dtype=np.float64) for level in self.levels]
        caps = [self.capacity(h) for h in range(len(levels))]
        size = self._size
        total = self._total_capacity
        i = 0
        while i < n:
            take = max(total - size + 1, 1)
            chunk = data[i:i + take]
            levels[0] = np.concatenate((levels[0], chunk)) if levels[0].size else chunk.copy()
            size += int(chunk.size)
            i += int(chunk.size)
            if size <= total:
                continue
            # _condense: compact the first level at or over its capacity, once
            for height in range(len(levels)):
                buf = levels[height]
                items = int(buf.size)
                if items < caps[height]:
                    continue
                if height + 1 >= len(levels):
                    self._expand()
                    levels.append(np.zeros(0, dtype=np.float64))
                    caps.append(self.capacity(height + 1))
                    total = self._total_capacity
                even = items - items % 2
                if self._compressions[height] % 2 == 1:
                    self._offsets[height] = 1 - self._offsets[height]
                out = np.sort(buf[:even])[self._offsets[height]::2]
                levels[height] = buf[items - 1:].copy() if items % 2 else np.zeros(0, dtype=np.float64)
                self._compressions[height] += 1
                nxt = levels[height + 1]
                levels[height + 1] = np.concatenate((nxt, out)) if nxt.size else out
                size = sum(int(level.size) for level in levels)
                break
        self.levels = [level.tolist() for level in levels]
        self._size = size

    def merge(self, other: "KLLSketch") -> "KLLSketch":
        """Merge ``other`` into this sketch (Deequ's merge: concatenate levels, condense)."""
        while len(self.levels) < len(other.levels):
            self._expand()
        for h, level in enumerate(other.levels):
            self.levels[h].extend(level)
        self._size = sum(len(level) for level in self.levels)
        while self._size >= self._total_capacity:
            self._condense()
        return self

    # -- queries -----------------------------------------------------------------------------
    @property
    def count(self) -> int:
        """Total weight = number of values seen."""
        return sum(len(level) << h for h, level in enumerate(self.levels))

    def _sorted_weighted(self) -> tuple[np.ndarray, np.ndarray]:
        items = np.concatenate([np.asarray(level, dtype=np.float64) for level in self.levels])
        weights = np.concatenate([np.full(len(level), 1 << h, dtype=np.int64) for h, level in enumerate(self.levels)])
        order = np.argsort(items, kind="stable")
        return items[order], np.cumsum(weights[order])

    def ranks(self, xs: Sequence[float], inclusive: bool = True) -> np.ndarray:
        """Estimated number of values <= x (inclusive) or < x (exclusive) for each x."""
        items, cum = self._sorted_weighted()
        pos = np.searchsorted(items, np.asarray(xs, dtype=np.float64), side="right" if inclusive else "left")
        padded = np.concatenate([[0], cum])
        return padded[pos]

    def rank(self, x: float) -> int:
        return int(self.ranks([x], True)[0])

    def rank_exclusive(self, x: float) -> int:
        return int(self.ranks([x], False)[0])

    def quantile(self, q: float) -> float:
        """Smallest item whose inclusive rank reaches q * count."""
        items, cum = self._sorted_weighted()
        if items.size == 0:
            raise ValueError("empty sketch")
        target = q * cum[-1]
        return float(items[min(int(np.searchsorted(cum, target, side="left")), items.size - 1)])

    def cdf(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct items and F(x) = rank(x) / count, as Deequ's ``getCDF``."""
        items, cum = self._sorted_weighted()
        last = np.r_[items[1:] != items[:-1], True] if items.size else np.zeros(0, bool)
        return items[last], cum[last] / float(cum[-1]) if items.size else np.zeros(0)

    def buckets(self, lo: float, hi: float, n: int = 10) -> list[dict[str, float]]:
        """``n`` equal-width buckets [lower, upper) over [lo, hi], the last closed (Deequ's KLL metric)."""
        lows = [lo + (hi - lo) * i / float(n) for i in range(n)]
        highs = [lo + (hi - lo) * (i + 1) / float(n) for i in range(n)]
        excl_lo = self.ranks(lows, inclusive=False)
        excl_hi = self.ranks(highs, inclusive=False)
        incl_last = self.rank(highs[-1])
        out = []
        for i in range(n):
            upper_rank = incl_last if i == n - 1 else int(excl_hi[i])
            out.append({"lower_bound": lows[i], "upper_bound": highs[i], "count": float(upper_rank - int(excl_lo[i]))})
        return out

    # -- serialisation -----------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """``{"parameters": {"c", "k"}, "data": [[level 0], [level 1], ...]}`` as in statistics.json."""
        return {"parameters": {"c": self.c, "k": float(self.k)}, "data": [list(level) for level in self.levels]}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> "KLLSketch":
        """Rebuild a sketch from statistics.json (compaction parity state is not stored; starts at 0)."""
        params = doc.get("parameters", {})
        sketch = cls(int(params.get("k", DEFAULT_K)), float(params.get("c", DEFAULT_C)))
        data = doc.get("data") or [[]]
        while len(sketch.levels) < len(data):
            sketch._expand()
        for h, level in enumerate(data):
            sketch.levels[h] = [float(v) for v in level]
        sketch._size = sum(len(level) for level in sketch.levels)
        return sketch
