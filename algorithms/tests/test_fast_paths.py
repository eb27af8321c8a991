"""The column-at-a-time paths (pre-processing, training channels, baselines, the example BYO
algorithm) give exactly what the cell-by-cell paths give, errors included, and are the ones taken
on plain data (a regression to cell by cell costs seconds per job on 50,000 rows)."""

from __future__ import annotations

import io
import math
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import REPO
from mlops_algorithms import channels, validation
from mlops_algorithms.contract import TrainingPaths
from mlops_algorithms.encoding import RawView, _is_one
from mlops_algorithms.monitor import statistics
from mlops_algorithms.preprocess import writer

CELLS = ["1", "2.5", "-3", "+4", ".5", "5.", "1e3", "1E-2", "0", "-0", "", "  7 ", "x", "nan", "inf", "1e999", "1_0",
         "\u0663", "1.5e", "+", "e", "0x10", '"4"']


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _slow(raw: list[str], spec: dict) -> validation._ColumnResult:
    saved = validation._FAST_MIN_VALUES
    validation._FAST_MIN_VALUES = 10**12
    try:
        return validation._convert_column(raw, spec)
    finally:
        validation._FAST_MIN_VALUES = saved


@pytest.mark.parametrize("spec", [{"type": "float"}, {"type": "integer"}, {"type": "binary"},
                                  {"type": "float", "min": 0, "max": 10}, {"type": "integer", "allowed": [0, 1, 3]}])
def test_when_a_long_column_is_converted_then_values_and_the_first_violation_match_the_per_cell_path(spec: dict) -> None:
    rnd = random.Random(7)
    for _ in range(200):
        raw = [rnd.choice(["1", "2.5", "3", "0", "-1", "4e0", ".25"]) for _ in range(300)]
        for _ in range(rnd.randint(0, 2)):
            raw[rnd.randrange(300)] = rnd.choice(CELLS)
        fast, slow = validation._convert_column(raw, spec), _slow(raw, spec)
        assert (fast.first is None) == (slow.first is None)
        if slow.first is not None:
            assert (fast.first[0], fast.first[1].rule, fast.first[1].detail, fast.same_rule) == (  # type: ignore[index]
                slow.first[0], slow.first[1].rule, slow.first[1].detail, slow.same_rule)
        assert all(_same(a, b) for a, b in zip(fast.values, slow.values))


def test_when_a_long_column_is_plain_then_no_cell_is_converted_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(raw: object, spec: dict) -> float:
        raise AssertionError("converted cell by cell")

    monkeypatch.setattr(validation, "convert_value", refuse)
    result = validation._convert_column([str(i % 7) for i in range(1000)], {"type": "integer", "min": 0})
    assert result.first is None and result.values[:3] == [0.0, 1.0, 2.0]


def _read_channel(tmp_path: Path, files: list[bytes], allow_missing: bool, fast: bool, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    base = tmp_path / ("fast" if fast else "slow")
    directory = base / "input" / "data" / "train"
    directory.mkdir(parents=True)
    for i, content in enumerate(files):
        (directory / f"{i}.csv").write_bytes(content)
    with monkeypatch.context() as m:
        if not fast:
            m.setattr(channels, "_read_plain", lambda data, allow: None)
        try:
            data = channels.read_labeled_csv(TrainingPaths(base), "train", allow_missing_features=allow_missing)
            return ("ok", np.nan_to_num(data.y, nan=-7.5).tolist(), np.nan_to_num(data.X, nan=-7.5).tolist())  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001 - the message is what must match
            return ("error", type(exc).__name__, str(exc))


def test_when_a_channel_is_read_then_the_matrix_or_the_error_is_the_per_field_reader_s(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rnd = random.Random(11)
    for case in range(300):
        width = rnd.randint(2, 5)
        files = []
        for _ in range(rnd.randint(1, 2)):
            rows = [[rnd.choice(["1", "2.5", "3", "-1", ".25", "1e2"]) for _ in range(width)] for _ in range(rnd.randint(1, 6))]
            if rnd.random() < 0.6:
                rows[rnd.randrange(len(rows))][rnd.randrange(width)] = rnd.choice(CELLS)
            text = "\n".join(",".join(r) for r in rows)
            text += rnd.choice(["\n", "\n", "", "\n\n", ",9", "\r\n"])
            if rnd.random() < 0.05:
                text = "\ufeff" + text
            files.append(text.encode())
        allow = rnd.random() < 0.5
        case_dir = tmp_path / str(case)
        assert _read_channel(case_dir, files, allow, True, monkeypatch) == _read_channel(case_dir, files, allow, False, monkeypatch), files


def test_when_a_channel_is_plain_numbers_then_it_is_parsed_without_the_csv_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(channels.csv, "reader", None)
    data = channels.read_labeled_csv(_channel(tmp_path, b"1,2,,4\n5,6,7,8\n"), "train", allow_missing_features=True)
    assert data is not None and data.y.tolist() == [1.0, 5.0] and np.isnan(data.X[0, 1])


def test_when_pandas_is_imported_then_a_plain_channel_parses_to_exactly_what_float_per_field_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process forked from the warm fork server has pandas imported: its C parser is used then."""
    rng = np.random.default_rng(5)
    values = np.concatenate([rng.standard_normal(4000) * 10.0 ** rng.integers(-30, 30, 4000), rng.random(4000), rng.integers(-10**6, 10**6, 4000).astype(float)])
    formats = [repr, lambda v: "%.17g" % v, lambda v: "%.3f" % v, lambda v: "%.9e" % v, lambda v: "%+.2E" % v]
    for allow in (True, False):
        for k, fmt in enumerate(formats):
            cells = [fmt(float(v)) for v in values]
            if allow:
                for i in rng.integers(0, len(cells), 50):
                    if i % 4:  # never the label column
                        cells[int(i)] = ""
            data = ("\n".join(",".join(cells[i:i + 4]) for i in range(0, len(cells), 4)) + "\n").encode()
            with_pandas = channels._read_plain(data, allow)
            with monkeypatch.context() as m:
                m.delitem(sys.modules, "pandas")
                without = channels._read_plain(data, allow)
            assert with_pandas is not None and without is not None, (allow, k)
            assert np.array_equal(with_pandas, without, equal_nan=True), (allow, k)
            assert with_pandas.flags["C_CONTIGUOUS"]
    for refused in (b"1,.\n2,3\n", b"1,2\n3,\n", b"1,2\n,3\n", b"1,2\n3,1e400\n", b"1,2e\n3,4\n"):
        assert channels._read_plain(refused, False) is None, refused


def _channel(tmp_path: Path, content: bytes) -> TrainingPaths:
    directory = tmp_path / "input" / "data" / "train"
    directory.mkdir(parents=True)
    (directory / "train.csv").write_bytes(content)
    return TrainingPaths(tmp_path)


def test_when_a_split_is_written_then_each_cell_is_format_value_s(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    label = np.concatenate([rng.integers(-10**6, 10**6, 500).astype(float), [2.0**60, -0.0, 7.0]])
    kinds = ["float", "integer", "binary", "float"]
    features = np.column_stack([rng.normal(size=503) * 10.0 ** rng.integers(-20, 20, 503), rng.integers(-50, 50, 503),
                                rng.integers(0, 2, 503), rng.uniform(0, 1, 503).round(3)]).astype(float)
    features[rng.integers(0, 503, 40), rng.integers(0, 4, 40)] = np.nan
    writer.write_split(tmp_path / "s.csv", label, features, kinds, "integer")
    expected = "".join(",".join([writer.format_value(y, "integer")] + [writer.format_value(v, k) for v, k in zip(row, kinds)]) + "\n"
                       for y, row in zip(label.tolist(), features.tolist()))
    assert (tmp_path / "s.csv").read_text() == expected


@pytest.mark.parametrize("ints", [
    np.zeros(0, dtype=np.int64), np.array([7]), np.array([0, 1] * 300), np.array([-3, -1, -2] * 100),
    np.arange(-500, 500), np.repeat(np.array([2**53 - 1, 2**53 - 3]), 200), np.array([-(2**62), 2**62] * 50),
    np.random.default_rng(9).integers(1900, 2030, 5000),
])
def test_when_integers_are_formatted_then_the_table_path_gives_numpy_s_text_byte_for_byte(ints: np.ndarray) -> None:
    ints = ints.astype(np.int64)
    got = writer.int_texts(ints)
    assert got.dtype == np.dtype("S21")
    assert got.tolist() == [str(v).encode() for v in ints.tolist()]


def test_when_a_column_is_profiled_then_it_is_factorized_as_pandas_does() -> None:
    rnd = random.Random(5)
    raw = [rnd.choice(["a", "b", "", None, "1", "1.0", "c"]) for _ in range(2000)]
    arr = np.empty(len(raw), dtype=object)
    arr[:] = raw
    codes, uniques = pd.factorize(arr, use_na_sentinel=True)
    expected = statistics.chunk_from_codes(codes, uniques, len(raw))
    got = statistics.chunk_from_texts(raw)
    assert (got.texts, got.counts.tolist(), got.kinds, got.present) == (expected.texts, expected.counts.tolist(), expected.kinds, expected.present)


def test_when_the_data_quality_statistics_are_loaded_then_pandas_is_not_imported() -> None:
    code = "import sys; import mlops_algorithms.monitor.data_quality; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO / "algorithms", capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def _reference_decode_columns(view: RawView, columns: list[list[str | None]]) -> list[list[str | None]]:
    """decode_columns as it was written cell by cell (a later level of a group wins)."""
    n = len(columns[0])
    out = [list(columns[i]) for i in range(view.lead)]
    for kind, arg in view.plan:
        if kind == "copy":
            out.append(list(columns[arg]))
            continue
        values: list[str | None] = [None] * n
        for index, label in zip(*arg):
            for r, v in enumerate(columns[index]):
                if v is not None and v != "" and _is_one(v):
                    values[r] = label
        out.append(values)
    return out


def test_when_one_hot_groups_are_decoded_by_column_then_each_row_gets_the_level_cell_by_cell_decoding_gives() -> None:
    schema = {"features": [{"name": "c=a", "type": "binary", "category": {"column": "c", "level": "a"}},
                           {"name": "x", "type": "float"},
                           {"name": "c=b", "type": "binary", "category": {"column": "c", "level": "b"}},
                           {"name": "c=__other__", "type": "binary", "category": {"column": "c", "other": True}}],
              "categoricals": [{"name": "c", "levels": ["a", "b"], "unseen": "other", "missing": "pass"}],
              "label": {"name": "y", "type": "float"}}
    view = RawView(schema)
    rnd = random.Random(2)
    cells = ["0", "1", "1.0", "0.0", "", None, "x"]
    columns = [[rnd.choice(["3", "4.5", None]) for _ in range(400)]] + [[rnd.choice(cells) for _ in range(400)] for _ in range(4)]
    assert view.decode_columns(columns) == _reference_decode_columns(view, columns)


def test_when_the_example_byo_algorithm_reads_csv_then_it_matches_genfromtxt() -> None:
    sys.path.insert(0, str(REPO / "algorithms" / "byo" / "hist_gradient_boosting"))
    try:
        import main as byo  # type: ignore[import-not-found]
    finally:
        sys.path.pop(0)
    rng = np.random.default_rng(9)
    data = rng.normal(size=(200, 5)).round(4)
    data[rng.integers(0, 200, 20), rng.integers(1, 5, 20)] = np.nan
    text = "\n".join(",".join("" if math.isnan(v) else repr(v) for v in row) for row in data.tolist()) + "\n"
    parsed = byo.parse_plain(text)
    assert parsed is not None
    expected = np.genfromtxt(io.StringIO(text), delimiter=",", dtype=np.float64, missing_values="", filling_values=np.nan)
    assert np.array_equal(parsed, expected, equal_nan=True)
    big = rng.normal(size=(5000, 5)) * 10.0 ** rng.integers(-8, 8, (5000, 5))
    big[rng.integers(0, 5000, 200), rng.integers(1, 5, 200)] = np.nan
    big_text = "\n".join(",".join("" if math.isnan(v) else repr(v) for v in row) for row in big.tolist()) + "\n"
    assert len(big_text) > 1 << 16 and "pandas" in sys.modules  # the pandas path of a forked process
    assert np.array_equal(byo.parse_plain(big_text), np.genfromtxt(io.StringIO(big_text), delimiter=",", dtype=np.float64, missing_values="", filling_values=np.nan), equal_nan=True)
    for irregular in ("1,2\n3\n", "1,2\n\n3,4\n", "1,x\n", ""):
        assert byo.parse_plain(irregular) is None
    assert byo.parse_csv(b"1,,3\n4,5,6\n", 3).shape == (2, 3)
