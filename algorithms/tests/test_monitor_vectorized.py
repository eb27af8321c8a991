"""The vectorized, streaming data-quality profiler gives the statistics of the per-value path.

Reference = the previous implementation, kept here verbatim in spirit: ``read_capture`` + ``in_window``
+ ``flatten`` (one Python row per record), then per column ``infer_column_type``/``value_type`` per
value, ``collections.Counter`` and a KLL sketch fed one item at a time (``KLLSketch.update``).
"""

from __future__ import annotations

import base64
import json
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mlops_algorithms.contract import ClientError
from mlops_algorithms.monitor.capture import flatten, read_capture
from mlops_algorithms.monitor.datatypes import NUMERIC_TYPES, STRING_T, UNKNOWN_T, infer_column_type, to_number
from mlops_algorithms.monitor.kll import KLLSketch
from mlops_algorithms.monitor.monitoring import in_window, run_data_quality
from mlops_algorithms.monitor.statistics import LOW_CARDINALITY, NUM_BUCKETS, profile_column
from mlops_algorithms.monitor.streaming import profile_capture

INDEXES = ["endpointInput", "endpointOutput"]


# -- the previous per-value path ----------------------------------------------------------
def reference_profile(raw: list[str | None]) -> dict[str, Any]:
    """statistics.json entry (without name) + counts, computed value by value."""
    present = [v for v in raw if v is not None and v != ""]
    common = {"num_present": len(present), "num_missing": len(raw) - len(present)}
    kind = infer_column_type(present)
    counts = Counter(present)
    out: dict[str, Any] = {"inferred_type": kind, "common": common, "counts": counts,
                           "histogram": counts if len(counts) <= LOW_CARDINALITY else None}
    if kind in NUMERIC_TYPES:
        numbers = np.asarray([to_number(v) for v in present], dtype=np.float64)
        sketch = KLLSketch()
        for x in numbers.tolist():
            sketch.update(x)  # one item at a time
        lo, hi = float(numbers.min()), float(numbers.max())
        out.update(mean=float(numbers.mean()), sum=float(numbers.sum()), std_dev=float(numbers.std()),
                   min=lo, max=hi, sketch=sketch, buckets=sketch.buckets(lo, hi, NUM_BUCKETS), numbers=numbers)
    elif kind == STRING_T:
        ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:1000]
        out.update(distinct_count=float(len(counts)), buckets=[{"value": v, "count": c} for v, c in ordered])
    return out


def reference_columns(source: Path, env: dict[str, str] | None = None) -> tuple[list[list[str | None]], int]:
    rows, skipped = flatten(in_window(read_capture(source, INDEXES), env or {}))
    width = max(len(r) for r in rows)
    return [[(r[j] if j < len(r) and r[j] != "" else None) for r in rows] for j in range(width)], skipped


def assert_same(profile: Any, ref: dict[str, Any], exact_moments: bool) -> None:
    """Counts, completeness, types, categorical counts equal; moments equal (or to ~1e-12); sketch
    identical, and its quantiles within KLL's error of the exact ones."""
    stats = profile.statistics
    assert profile.inferred_type == ref["inferred_type"]
    assert (profile.num_present, profile.num_missing) == (ref["common"]["num_present"], ref["common"]["num_missing"])
    total = ref["common"]["num_present"] + ref["common"]["num_missing"]
    assert profile.completeness == (ref["common"]["num_present"] / total if total else 0.0)
    assert profile.value_counts == ref["counts"]
    assert profile.histogram == ref["histogram"]
    kind = ref["inferred_type"]
    if kind in NUMERIC_TYPES:
        num = stats["numerical_statistics"]
        assert num["common"] == ref["common"] and num["min"] == ref["min"] and num["max"] == ref["max"]
        for key in ("mean", "sum", "std_dev"):
            if exact_moments:
                assert num[key] == ref[key], key
            else:
                assert num[key] == pytest.approx(ref[key], rel=1e-12, abs=1e-9), key
        kll = num["distribution"]["kll"]
        assert kll["sketch"] == ref["sketch"].to_json()  # the very same sketch as item-by-item updates
        assert kll["buckets"] == ref["buckets"]
        values = np.sort(ref["numbers"])
        n = values.size
        sketch = KLLSketch.from_json(kll["sketch"])
        eps = 0.02 + 1.0 / n  # KLL rank error bound used here (k=2048: well under 1 % in practice)
        for q in (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99):
            x = sketch.quantile(q)  # exact ranks of x bracket q (ties: x may cover a range of ranks)
            below, upto = np.searchsorted(values, x, side="left") / n, np.searchsorted(values, x, side="right") / n
            assert below - eps <= q <= upto + eps, q
    elif kind == STRING_T:
        st = stats["string_statistics"]
        assert st["common"] == ref["common"] and st["distinct_count"] == ref["distinct_count"]
        assert st["distribution"]["categorical"]["buckets"] == ref["buckets"]
    else:
        assert kind == UNKNOWN_T and stats["string_statistics"]["distinct_count"] == 0.0


# -- generated capture data ---------------------------------------------------------------
def _side(mode: str, data: str, encoding: str = "CSV", content_type: str = "text/csv") -> dict:
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": encoding}


def _rec(n: int, inp: dict | None, out: dict | None, time: str = "2026-11-25T15:29:02Z") -> dict:
    data = {}
    if inp is not None:
        data["endpointInput"] = inp
    if out is not None:
        data["endpointOutput"] = out
    return {"captureData": data, "eventMetadata": {"eventId": str(uuid.UUID(int=n)), "inferenceTime": time},
            "eventVersion": "0"}


def _write(root: Path, records: list[dict], per_file: int) -> Path:
    hour = root / "ep" / "AllTraffic" / "2026" / "11" / "25" / "15"
    hour.mkdir(parents=True, exist_ok=True)
    for k in range(0, len(records), per_file):
        (hour / f"{k // per_file:04d}-{uuid.UUID(int=k)}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in records[k:k + per_file]))
    return root


def _plain_records(n: int, seed: int = 0) -> list[dict]:
    """Used-car-like CSV requests: ints, a mileage, a price prediction, a one-hot make."""
    rng = np.random.default_rng(seed)
    records = []
    for i in range(n):
        mileage = int(rng.lognormal(9.8, 0.4))
        cyl = int(rng.choice([4, 6, 8], p=[0.5, 0.35, 0.15]))
        make = [0] * 5
        make[int(rng.integers(0, 5))] = 1
        doors = "" if rng.random() < 0.02 else str(int(rng.choice([2, 4])))  # some missing
        price = f"{rng.normal(21000, 6000):.2f}"
        feats = ",".join([str(mileage), str(cyl), doors, *map(str, make)])
        records.append(_rec(i, _side("INPUT", feats), _side("OUTPUT", price + "\n", content_type="text/csv; charset=utf-8")))
    return records


def _compare(tmp_path: Path, records: list[dict], per_file: int = 700, chunk_bytes: int = 1 << 16,
             workers: int | None = 1, exact: bool = False, env: dict[str, str] | None = None) -> list:
    src = _write(tmp_path / "capture", records, per_file)
    columns, skipped = reference_columns(src, env)
    from mlops_algorithms.monitor.monitoring import _time

    env = env or {}
    accs, rows, got_skipped = profile_capture(src, INDEXES, _time(env, "start_time"), _time(env, "end_time"),
                                              chunk_bytes=chunk_bytes, workers=workers)
    assert rows == len(columns[0]) and got_skipped == skipped and len(accs) == len(columns)
    profiles = [a.finish() for a in accs]
    for profile, raw in zip(profiles, columns):
        assert_same(profile, reference_profile(raw), exact)
    return profiles


# -- tests --------------------------------------------------------------------------------
def test_single_chunk_is_exactly_the_per_value_path(tmp_path: Path) -> None:
    """One chunk: every number bit for bit (same numpy reductions on the same array)."""
    _compare(tmp_path, _plain_records(3000), chunk_bytes=1 << 30, exact=True)


def test_many_chunks_and_two_workers_match(tmp_path: Path) -> None:
    """~20 chunks, files cut into byte ranges, a pool of 2: same counts/sketch, moments to 1e-12."""
    records = _plain_records(12_000, seed=1)
    one = _compare(tmp_path / "a", records, per_file=3000, chunk_bytes=50_000, workers=1)
    two = _compare(tmp_path / "b", records, per_file=3000, chunk_bytes=50_000, workers=2)
    assert [p.statistics for p in one] == [p.statistics for p in two]  # independent of the worker count


def test_irregular_records_match(tmp_path: Path) -> None:
    """Quoted CSV, JSON and BASE64 encodings, multi-line requests, ragged and mismatched records,
    blank data, odd texts (signs, spaces, exponents, booleans) -- all as ``flatten`` does."""
    records = _plain_records(400, seed=2)
    odd = ["+ 3", "-7", " 4", "4 ", "1e5", "3.", ".5", "true", "007", "NaN", "nan", "", "x y", "#1", "1_0"]
    for i, text in enumerate(odd):
        records.append(_rec(10_000 + i, _side("INPUT", f"{text},6,4,0,1,0,0,0"), _side("OUTPUT", "1.5")))
    records.append(_rec(20_000, _side("INPUT", '"1,000",6,"4",0,1,0,0,0'), _side("OUTPUT", "2.5")))  # quoted
    records.append(_rec(20_001, _side("INPUT", "5,6,4,0,1,0,0,0\n6,8,2,1,0,0,0,0\n"), _side("OUTPUT", "1.0\n2.0")))
    records.append(_rec(20_002, _side("INPUT", "5,6,4\n6,8,2"), _side("OUTPUT", "1.0")))  # mismatch: skipped
    records.append(_rec(20_003, _side("INPUT", json.dumps({"instances": [{"features": [1, 2.5, 3]}]}),
                                      "JSON", "application/json"),
                        _side("OUTPUT", json.dumps({"predictions": [{"score": 4.25}]}), "JSON", "application/json")))
    records.append(_rec(20_004, _side("INPUT", base64.b64encode(b"9,9,9,9,9,9,9,9,9,9").decode(), "BASE64",
                                      "application/octet-stream"), _side("OUTPUT", "3")))  # extra columns
    records.append(_rec(20_005, _side("INPUT", "1,2"), None))  # input only: short row
    records.append(_rec(20_006, _side("INPUT", ""), _side("OUTPUT", "")))  # no rows at all
    records.append(_rec(20_007, _side("INPUT", "  "), _side("OUTPUT", "1")))  # whitespace value
    records.append(_rec(20_008, _side("INPUT", "a\tb,é,x"), _side("OUTPUT", "1")))  # tab, non-ASCII
    records += _plain_records(300, seed=3)
    _compare(tmp_path, records, per_file=97, chunk_bytes=20_000)


def test_string_and_all_missing_columns(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    makes = ["Buick", "Cadillac", "Chevy", "Pontiac", "Saab", "Saturn"]
    records = [_rec(i, _side("INPUT", f"{rng.choice(makes)},,{i % 7}"), _side("OUTPUT", str(i % 3)))
               for i in range(2500)]
    records.append(_rec(9999, _side("INPUT", "Chevy,,x"), _side("OUTPUT", "1")))  # Integral column turns String late
    _compare(tmp_path, records, per_file=250, chunk_bytes=10_000)


def test_analysis_window_and_errors(tmp_path: Path) -> None:
    records = _plain_records(600, seed=5)
    for i, r in enumerate(records):
        r["eventMetadata"]["inferenceTime"] = "2026-11-25T15:10:00Z" if i % 3 else "2026-11-25T16:10:00Z"
    env = {"start_time": "2026-11-25T15:00:00Z", "end_time": "2026-11-25T16:00:00Z"}
    _compare(tmp_path / "w", records, chunk_bytes=30_000, env=env)
    bad = _write(tmp_path / "bad", _plain_records(50), per_file=50)
    files = sorted(bad.rglob("*.jsonl"))
    with files[0].open("a") as fh:
        fh.write("\n{not json\n")
    with pytest.raises(ClientError, match=r"line 52: not a JSON capture record"):
        profile_capture(bad, INDEXES, chunk_bytes=1000)  # the error line counted across byte ranges


def test_profile_column_is_the_per_value_path() -> None:
    rng = np.random.default_rng(6)
    raw = [None if rng.random() < 0.05 else f"{v:.3f}" for v in rng.normal(size=7000)] + ["", "12"]
    assert_same(profile_column("x", raw), reference_profile(raw), exact_moments=True)
    ints = [str(int(v)) for v in rng.integers(-50, 50, 5000)]
    assert_same(profile_column("y", ints), reference_profile(ints), exact_moments=True)


def test_monitor_job_outputs_unchanged(tmp_path: Path) -> None:
    """End to end: statistics.json of the job equals the reference document built per value."""
    src = _write(tmp_path / "capture", _plain_records(4000, seed=8), per_file=500)
    base_stats = {"version": 0.0, "features": []}
    (tmp_path / "bs.json").write_text(json.dumps(base_stats))
    (tmp_path / "bc.json").write_text(json.dumps({"version": 0.0, "features": [], "monitoring_config": {}}))
    run_data_quality({"dataset_source": str(src), "output_path": str(tmp_path / "out"),
                      "dataset_format": json.dumps({"sagemakerCaptureJson": {"captureIndexNames": INDEXES}}),
                      "baseline_statistics": str(tmp_path / "bs.json"), "baseline_constraints": str(tmp_path / "bc.json")})
    stats = json.loads((tmp_path / "out" / "statistics.json").read_text())
    columns, _ = reference_columns(src)
    assert stats["dataset"] == {"item_count": 4000}
    for feature, raw in zip(stats["features"], columns):
        ref = reference_profile(raw)
        assert feature["inferred_type"] == ref["inferred_type"]
        if "numerical_statistics" in feature:
            num = feature["numerical_statistics"]
            assert num["common"] == ref["common"]
            assert num["distribution"]["kll"]["sketch"] == ref["sketch"].to_json()
            assert num["sum"] == pytest.approx(ref["sum"], rel=1e-12)


def test_odd_texts_through_the_csv_parser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain-CSV chunks go through pandas.read_csv: texts must come back exactly as written."""
    import mlops_algorithms.monitor.streaming as streaming

    used = []
    original = streaming._columns_from_csv
    monkeypatch.setattr(streaming, "_columns_from_csv", lambda *a: used.append(1) or original(*a))
    odd = ["+ 3", "-7", " 4", "4 ", "1e5", "3.", ".5", "true", "False", "007", "NaN", "nan", "N/A", "NULL",
           "x y", "#1", "1_0", "-0", "1.50", "'q'", "a\\b", "inf", "-", "+"]
    records = [_rec(i, _side("INPUT", f"{text},{i},{odd[(i * 7) % len(odd)]}"), _side("OUTPUT", f"{i}.5\n"))
               for i, text in enumerate(odd * 20)]
    records += _plain_records(200, seed=9)
    _compare(tmp_path, records, per_file=100, chunk_bytes=1 << 30)
    assert used
