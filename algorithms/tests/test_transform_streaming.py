"""Batch transform streaming: chunk counts, the vectorised path equals the per-record path, odd files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mlops_algorithms import fastcsv
from mlops_algorithms.contract import ClientError
from mlops_algorithms.transform import records
from transform_fixtures import (feature_lines, id_lines, predict_texts, run_transform, schema_path,  # noqa: F401
                                transform_env, write, xgb_model)

JOIN = dict(input_filter="$[1:]", join_source="Input", output_filter="$[0,-1]")


def test_300k_rows_stream_in_bounded_chunks(xgb_model: Path, feature_lines: list[str], tmp_path: Path) -> None:
    n = 300_000
    ids = np.random.default_rng(0).integers(1, 10**9, n)
    feats = [feature_lines[i] for i in np.random.default_rng(1).integers(0, len(feature_lines), n)]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "big.csv").write_text("".join(f"{i},{f}\n" for i, f in zip(ids.tolist(), feats)))
    msg = run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "out", chunk_rows=50_000, **JOIN))
    assert "(6 vectorised and 0 per-record chunks)" in msg
    out = (tmp_path / "out" / "big.csv.out").read_bytes().split(b"\n")
    assert len(out) == n + 1 and out[-1] == b""
    assert out[123456].split(b",")[0] == str(ids[123456]).encode()
    expected = predict_texts(xgb_model, [feats[123456], feats[-1]])
    assert out[123456].split(b",")[1].decode() == expected[0] and out[n - 1].split(b",")[1].decode() == expected[1]


@pytest.mark.parametrize("settings", [
    JOIN,
    dict(input_filter="$[1:]", generate_inference_id="false"),
    dict(input_filter="$[1:]", join_source="Input"),
    dict(input_filter="$[1:17]", join_source="Input", output_filter="$[-1,0,2:4]"),
])
def test_vectorised_path_equals_per_record_path(xgb_model: Path, schema_path: Path, feature_lines: list[str],
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                settings: dict[str, str]) -> None:
    lines = id_lines(feature_lines, 1000)
    lines[10] = lines[10].replace(",", ", ", 1)  # spaces are kept in joined fields and accepted as numbers
    write(tmp_path / "in" / "c.csv", lines)
    extra = dict(settings, chunk_rows=300, capture_dir=tmp_path / "capA", feature_schema=schema_path)
    msg = run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "a", **extra))
    assert "4 vectorised and 0 per-record" in msg
    monkeypatch.setattr(records, "fast_csv_chunk", lambda *a: None)
    msg = run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "b", **{**extra, "capture_dir": tmp_path / "capB"}))
    assert "0 vectorised and 4 per-record" in msg
    assert (tmp_path / "a" / "c.csv.out").read_bytes() == (tmp_path / "b" / "c.csv.out").read_bytes()
    assert (tmp_path / "capA" / "c.csv.captured.csv").read_bytes() == (tmp_path / "capB" / "c.csv.captured.csv").read_bytes()


def test_odd_files_fall_back_per_chunk(xgb_model: Path, feature_lines: list[str], tmp_path: Path) -> None:
    """BOM, CRLF, blank lines, quoted ids: the same output as the plain file (blank lines dropped)."""
    lines = id_lines(feature_lines[:40])
    expected = predict_texts(xgb_model, feature_lines[:40])
    odd = list(lines)
    odd[5] = '"10,05"' + odd[5][4:]
    odd.insert(20, "")
    text = "\ufeff" + "\r\n".join(odd) + "\r\n"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "odd.csv").write_text(text, encoding="utf-8", newline="")
    msg = run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "out", chunk_rows=10, **JOIN))
    out = (tmp_path / "out" / "odd.csv.out").read_text().splitlines()
    assert len(out) == 40
    assert out[5] == f'"10,05",{expected[5]}'  # the quoted id is written back quoted
    assert [o for k, o in enumerate(out) if k != 5] == [f"{1000 + k},{p}" for k, p in enumerate(expected) if k != 5]
    assert "per-record chunks" in msg and "0 per-record" not in msg


def test_assemble_with_none_and_split_none_give_lines(xgb_model: Path, feature_lines: list[str], tmp_path: Path) -> None:
    write(tmp_path / "in" / "c.csv", feature_lines[:3])
    run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "out", assemble_with="None", split_type="None"))
    assert (tmp_path / "out" / "c.csv.out").read_text().splitlines() == predict_texts(xgb_model, feature_lines[:3])


def test_record_larger_than_max_payload(xgb_model: Path, feature_lines: list[str], tmp_path: Path) -> None:
    write(tmp_path / "in" / "c.csv", [feature_lines[0], "1," * 600_000 + "1"])
    with pytest.raises(ClientError, match=r"c\.csv: line 2: record of 1200002 bytes is larger than the mini-batch limit"):
        run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "out", max_payload_mb=1))


def test_empty_input_object(xgb_model: Path, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.csv").write_bytes(b"")
    msg = run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "out"))
    assert (tmp_path / "out" / "empty.csv.out").read_bytes() == b"" and "0 records" in msg


def test_chunker_limits_rows_bytes_and_keeps_line_numbers(tmp_path: Path) -> None:
    import io

    data = b"".join(b"%d,%s\n" % (i, b"x" * (i % 7)) for i in range(1, 1001)) + b"1001,last"
    chunks = list(fastcsv.iter_chunks(io.BytesIO(data), 1, max_rows=64, max_bytes=500))
    assert b"".join(c.data for c in chunks) == data + b"\n"
    assert all(c.lines <= 64 and len(c.data) <= 500 for c in chunks)
    assert [c.first_line for c in chunks] == list(np.cumsum([1] + [c.lines for c in chunks[:-1]]))
    assert sum(c.lines for c in chunks) == 1001


def test_float_texts_match_python_repr() -> None:
    rng = np.random.default_rng(3)
    f32 = np.frombuffer(rng.bytes(8000), dtype=np.float32)
    values = np.concatenate([rng.standard_normal(2000) * 10.0 ** rng.integers(-30, 30, 2000),
                             f32[np.isfinite(f32)].astype(np.float64),
                             [0.0, -0.0, 1e16, 1e-5, 1e-4, 123.0, 9999999999999998.0]])
    values = values[np.isfinite(values)]
    assert [t.decode() for t in fastcsv.float_texts(values)] == [repr(v) for v in values.tolist()]


def test_invalid_utf8_is_reported_with_its_line(xgb_model: Path, feature_lines: list[str], tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    rows = [f"{i},{f}".encode() for i, f in enumerate(feature_lines[:5])]
    rows[3] = b"\xff\xfe" + rows[3]
    (tmp_path / "in" / "c.csv").write_bytes(b"\n".join(rows) + b"\n")
    with pytest.raises(ClientError, match=r"^c\.csv: line 4: not UTF-8 text$"):
        run_transform(transform_env(xgb_model, tmp_path / "in", tmp_path / "out", **JOIN))
