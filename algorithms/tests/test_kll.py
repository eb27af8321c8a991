"""KLL sketch: raw level 0 up to capacity, Deequ-style compaction beyond, bounded rank error."""

from __future__ import annotations

import numpy as np
import pytest

from mlops_algorithms.monitor.kll import KLLSketch


def test_capacities_follow_deequ() -> None:
    s = KLLSketch()
    assert [s.capacity(h) for h in range(4)] == [2050, 1314, 842, 540]


@pytest.mark.parametrize("n", [1, 100, 2048, 2050])
def test_small_n_keeps_raw_values_in_arrival_order(n: int) -> None:
    values = np.random.default_rng(n).normal(size=n).tolist()
    s = KLLSketch()
    s.update_many(values)
    assert s.to_json() == {"parameters": {"c": 0.64, "k": 2048.0}, "data": [values]}


def test_first_compaction_at_2051() -> None:
    values = [float(v) for v in range(2051, 0, -1)]
    s = KLLSketch()
    s.update_many(values)
    level0, level1 = s.levels
    assert level0 == [1.0]  # the odd last arrival stays behind
    assert level1 == [float(v) for v in range(2, 2052, 2)]  # sorted, every other item from offset 0
    assert s.count == 2051


def test_bulk_update_equals_item_by_item() -> None:
    values = np.random.default_rng(3).lognormal(size=20_000).tolist()
    a, b = KLLSketch(), KLLSketch()
    a.update_many(values)
    for v in values:
        b.update(v)
    assert a.levels == b.levels


def test_large_n_is_compacted_with_small_rank_error() -> None:
    n = 200_000
    values = np.random.default_rng(7).normal(50, 10, size=n)
    s = KLLSketch()
    s.update_many(values.tolist())
    assert len(s.levels) > 1 and sum(len(level) for level in s.levels) < 10_000
    assert s.count == n
    ordered = np.sort(values)
    probes = np.quantile(values, np.linspace(0.01, 0.99, 25))
    errors = np.abs(s.ranks(probes) - np.searchsorted(ordered, probes, side="right")) / n
    assert errors.max() < 0.01
    assert abs(s.quantile(0.5) - np.median(values)) < 0.2
    buckets = s.buckets(float(values.min()), float(values.max()))
    assert sum(b["count"] for b in buckets) == n


def test_merge_and_json_round_trip() -> None:
    rng = np.random.default_rng(11)
    a, b = KLLSketch(), KLLSketch()
    a.update_many(rng.uniform(size=3000).tolist())
    b.update_many(rng.uniform(size=5000).tolist())
    merged = a.merge(b)
    assert merged.count == 8000
    assert abs(merged.rank(0.5) / 8000 - 0.5) < 0.02
    again = KLLSketch.from_json(merged.to_json())
    assert again.levels == merged.levels and again.count == 8000


def test_cdf_of_raw_values() -> None:
    s = KLLSketch()
    s.update_many([3.0, 1.0, 2.0, 2.0])
    items, cdf = s.cdf()
    assert items.tolist() == [1.0, 2.0, 3.0] and cdf.tolist() == [0.25, 0.75, 1.0]
