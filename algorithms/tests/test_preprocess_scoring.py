"""Scoring-mode pre-processing: validated against the training feature schema, streamed, all-or-nothing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from conftest import DATASET, run_module
from mlops_algorithms.contract import ClientError
from mlops_algorithms.preprocess.__main__ import parse_any
from mlops_algorithms.preprocess.job import PreprocessOptions, run
from mlops_algorithms.preprocess.scoring import ScoringOptions, run_scoring
from test_preprocess_validation import COLS, HEADER, _good_lines, _row
from transform_fixtures import schema_path, xgb_model  # noqa: F401

FEATURES = COLS[2:]


def _score(tmp_path: Path, files: dict[str, str], schema: Path, **opts) -> str:  # type: ignore[no-untyped-def]
    inp = tmp_path / "in"
    inp.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (inp / name).write_text(text, encoding="utf-8")
    return run_scoring(ScoringOptions(inp, tmp_path / "out", schema, **opts))


def _fail(tmp_path: Path, text: str, schema: Path, name: str = "kbb.csv", **opts) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ClientError) as info:
        _score(tmp_path, {name: text}, schema, **opts)
    assert not (tmp_path / "out").exists()  # nothing written, not even the directory
    return str(info.value)


def test_real_dataset_features_in_schema_order_then_ids(tmp_path: Path, schema_path: Path) -> None:
    lines = DATASET.read_text().splitlines()
    msg = _score(tmp_path, {"cars.csv": "\n".join(lines) + "\n"}, schema_path, chunk_rows=100)
    out = (tmp_path / "out" / "cars.csv").read_text().splitlines()
    assert len(out) == len(lines) - 1
    for raw, got in zip(lines[1:], out):
        fields = raw.split(",")
        assert got == ",".join(fields[2:] + [fields[0]])  # the 17 features, then rownames; Price dropped
    assert "804 scoring rows" in msg and "id rownames" in msg and "dropped Price" in msg


def test_column_order_formatting_and_generated_row_numbers(tmp_path: Path, schema_path: Path) -> None:
    order = list(reversed(FEATURES))
    rows = [_row(i).split(",") for i in range(1, 6)]
    lines = [",".join(order)] + [",".join(r[COLS.index(c)] for c in order) for r in rows]
    lines[2] = lines[2].replace(",6,", ",6.0,").replace(",4,", ",+4,", 1)  # Cylinder 6.0, Doors +4
    _score(tmp_path, {"noid.csv": "\n".join(lines) + "\n"}, schema_path, chunk_rows=2)
    out = (tmp_path / "out" / "noid.csv").read_text().splitlines()
    expected_features = ",".join(rows[0][2:])
    assert out == [f"{expected_features},{k}" for k in range(1, 6)]


def test_streaming_chunks_give_the_same_bytes(tmp_path: Path, schema_path: Path) -> None:
    lines = DATASET.read_text().splitlines()
    text = "\n".join(lines) + "\n"
    for sub in ("a", "b", "c"):
        (tmp_path / sub).mkdir()
    _score(tmp_path / "a", {"c.csv": text}, schema_path)
    _score(tmp_path / "b", {"c.csv": text}, schema_path, chunk_rows=7)
    odd = lines[:]
    odd[3] = '"' + odd[3].split(",", 1)[0] + '",' + odd[3].split(",", 1)[1]  # quoted id -> exact path
    odd.insert(9, "")
    _score(tmp_path / "c", {"c.csv": "\r\n".join(odd) + "\r\n"}, schema_path, chunk_rows=5)
    a = (tmp_path / "a" / "out" / "c.csv").read_bytes()
    assert a == (tmp_path / "b" / "out" / "c.csv").read_bytes() == (tmp_path / "c" / "out" / "c.csv").read_bytes()


# The same broken file through training mode and scoring mode: identical messages, and scoring mode's
# counts of further violations cover the whole file even when it is read in chunks of 3 lines.
CASES = {
    "non-numeric": {5: {"Mileage": "abc"}, 9: {"Mileage": "x"}, 18: {"Mileage": "y"}},
    "empty": {5: {"Mileage": ""}},
    "not-integer": {4: {"Cylinder": "6.5"}},
    "below-min": {7: {"Mileage": "-5"}},
    "not-allowed": {9: {"Doors": "3"}, 15: {"Doors": "5"}},
    "binary": {11: {"Leather": "2"}},
    "not-finite": {3: {"Sound": "inf"}},
    "underscore": {3: {"Mileage": "1_000"}},
    "true": {3: {"Cruise": "True"}},
    "earliest-wins": {10: {"Doors": "5"}, 5: {"Saab": "7"}},
    "one-hot-two": {6: {"Chevy": "1"}, 16: {"Saab": "1"}},
    "one-hot-none": {8: {"sedan": "0"}},
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_messages_equal_training_mode(tmp_path: Path, schema_path: Path, case: str) -> None:
    lines = _good_lines()
    for line_no, overrides in CASES[case].items():
        lines[line_no - 1] = _row(line_no - 1, **overrides)
    text = "\n".join(lines) + "\n"
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "kbb.csv").write_text(text)
    with pytest.raises(ClientError) as training:
        run(PreprocessOptions(tmp_path / "t", tmp_path / "t-out"))
    scoring = _fail(tmp_path, text, schema_path, chunk_rows=3)
    assert scoring == str(training.value)
    assert scoring.startswith("kbb.csv: ") and "line " in scoring and "(rule: " in scoring


def test_row_length_error_wins_over_an_earlier_value_error(tmp_path: Path, schema_path: Path) -> None:
    lines = _good_lines()
    lines[3] = _row(3, Mileage="abc")
    lines[15] = lines[15] + ",9"
    lines[17] = lines[17].rsplit(",", 1)[0]
    msg = _fail(tmp_path, "\n".join(lines) + "\n", schema_path, chunk_rows=4)
    assert msg == ("kbb.csv: column 'wagon', line 16: row has 20 fields, expected 19: extra fields after column "
                   "'wagon' (rule: row length); 1 more row have the wrong length")


def test_missing_feature_column(tmp_path: Path, schema_path: Path) -> None:
    keep = [i for i, c in enumerate(COLS) if c != "Doors"]
    text = "\n".join(",".join(line.split(",")[i] for i in keep) for line in _good_lines())
    msg = _fail(tmp_path, text, schema_path)
    assert msg == "kbb.csv: column 'Doors', line 1: required column is missing from the header (rule: required column)"


def _own_ids_file() -> tuple[str, list[list[str]]]:
    """The demo rows with the file's own id column ``car_id`` (training had ``rownames``) before the
    features and a free-text ``note`` (commas, quotes, accents) after them; no label."""
    header = "car_id," + ",".join(FEATURES) + ",note"
    notes = ['clean, one owner', 'said "mint"', "", "garé à Lyon", "plain"]
    rows = [[f"GM-{i:04d}", *_row(i).split(",")[2:], notes[i % len(notes)]] for i in range(1, 41)]

    def field(text: str) -> str:
        return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"') else text

    return "\n".join([header] + [",".join(field(v) for v in row) for row in rows]) + "\n", rows


def test_columns_outside_the_schema_pass_through_after_the_features(tmp_path: Path, schema_path: Path) -> None:
    """Defect: 'column 'car_id' ... not in the feature schema'; --allow-extra-columns dropped it."""
    text, rows = _own_ids_file()
    msg = _score(tmp_path, {"own.csv": text}, schema_path, chunk_rows=7)
    out = list(csv.reader((tmp_path / "out" / "own.csv").read_text().splitlines()))
    assert out == [[*row[1:18], row[0], row[18]] for row in rows]  # features, then car_id and note as given
    assert "own.csv: 40 rows, ids car_id, note" in msg and "dropped" not in msg


def test_the_label_is_dropped_and_every_other_column_passes_through_by_default(tmp_path: Path, schema_path: Path) -> None:
    lines = [line + ",red" for line in _good_lines()]
    lines[0] = HEADER + ",Color"
    result = _score(tmp_path, {"kbb.csv": "\n".join(lines)}, schema_path)
    assert "ids rownames, Color, dropped Price" in result
    assert (tmp_path / "out" / "kbb.csv").read_text().splitlines()[0] == ",".join(_row(1).split(",")[2:]) + ",1,red"


def test_named_id_columns_pass_in_their_order_and_the_rest_is_dropped(tmp_path: Path, schema_path: Path) -> None:
    lines = [line + ",red" for line in _good_lines()]
    lines[0] = HEADER + ",Color"
    result = _score(tmp_path, {"kbb.csv": "\n".join(lines)}, schema_path, id_columns=("Color", "Price"))
    assert "ids Color, Price, dropped rownames" in result
    assert (tmp_path / "out" / "kbb.csv").read_text().splitlines()[0] == ",".join(_row(1).split(",")[2:]) + ",red,22661.05"
    _score(tmp_path / "none", {"kbb.csv": "\n".join(lines)}, schema_path, id_columns=())
    assert (tmp_path / "none" / "out" / "kbb.csv").read_text().splitlines()[1] == ",".join(_row(2).split(",")[2:]) + ",2"
    msg = _fail(tmp_path / "absent", "\n".join(lines), schema_path, id_columns=("rownames", "car_id"))
    assert msg == ("kbb.csv: id column 'car_id', line 1: named to pass through to the output but not in the header "
                   "(rule: id column present)")


def test_scored_output_carries_the_files_own_ids_and_capture_only_the_features(
        tmp_path: Path, schema_path: Path, xgb_model: Path) -> None:
    """Pre-processing then the transform with the filters computed from the feature count alone, as the
    batch-scoring workflow sets them: every output row is car_id, note, prediction; the capture
    holds exactly the features and the prediction."""
    from transform_fixtures import predict_texts, run_transform, transform_env

    text, rows = _own_ids_file()
    _score(tmp_path, {"own.csv": text}, schema_path)
    n = len(FEATURES)
    run_transform(transform_env(xgb_model, tmp_path / "out", tmp_path / "scored", input_filter=f"$[0:{n - 1}]",
                                join_source="Input", output_filter=f"$[{n}:]", capture_dir=tmp_path / "cap",
                                feature_schema=schema_path))
    expected = predict_texts(xgb_model, [",".join(row[1:18]) for row in rows])
    out = list(csv.reader((tmp_path / "scored" / "own.csv.out").read_text().splitlines()))
    assert out == [[row[0], row[18], p] for row, p in zip(rows, expected)]
    captured = list(csv.reader((tmp_path / "cap" / "own.csv.captured.csv").read_text().splitlines()))
    assert captured[0] == ["record_id", *FEATURES, "prediction"]
    assert [c[1:] for c in captured[1:]] == [[*row[1:18], p] for row, p in zip(rows, expected)]


def test_empty_header_only_and_delimiter(tmp_path: Path, schema_path: Path) -> None:
    assert _fail(tmp_path, "", schema_path) == "kbb.csv: file is empty (rule: header and data rows required)"
    assert _fail(tmp_path, "\n\n", schema_path) == "kbb.csv: file is empty (rule: header and data rows required)"
    msg = _fail(tmp_path, HEADER + "\n\n", schema_path)
    assert msg == "kbb.csv: line 1: header only, no data rows (rule: at least one data row)"
    msg = _fail(tmp_path, "\n".join(line.replace(",", ";") for line in _good_lines()), schema_path)
    assert "line 1" in msg and "';'" in msg and "rule: comma delimiter" in msg


def test_nothing_is_written_when_any_file_fails(tmp_path: Path, schema_path: Path) -> None:
    good = "\n".join(_good_lines(300)) + "\n"
    bad_lines = _good_lines(300)
    bad_lines[250] = _row(250, Doors="7")
    (tmp_path / "out").mkdir()
    with pytest.raises(ClientError, match=r"^b\.csv: column 'Doors', line 251: value '7' is not one of"):
        _score(tmp_path, {"a.csv": good, "b.csv": "\n".join(bad_lines)}, schema_path, chunk_rows=50)
    assert list((tmp_path / "out").iterdir()) == []  # a.csv was fine but is not written either
    _score(tmp_path, {"b.csv": good}, schema_path, chunk_rows=50)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.csv", "b.csv"]


def test_cli_modes_and_exit_codes(tmp_path: Path, schema_path: Path) -> None:
    with pytest.raises(ClientError, match="--mode scoring requires --feature-schema"):
        parse_any(["--mode", "scoring", "--input-dir", "i", "--output-dir", "o"])
    with pytest.raises(ClientError, match="--feature-schema is only used with --mode scoring"):
        parse_any(["--input-dir", "i", "--output-dir", "o", "--feature-schema", "s"])
    assert isinstance(parse_any(["--input-dir", "i", "--output-dir", "o"]), PreprocessOptions)
    scoring = ["--mode", "scoring", "--input-dir", "i", "--output-dir", "o", "--feature-schema", "s"]
    assert parse_any(scoring).id_columns is None  # type: ignore[union-attr]
    assert parse_any([*scoring, "--id-columns", "car_id, note"]).id_columns == ("car_id", "note")  # type: ignore[union-attr]
    assert parse_any([*scoring, "--id-columns", ""]).id_columns == ()  # type: ignore[union-attr]
    with pytest.raises(ClientError, match="--id-columns names car_id twice"):
        parse_any([*scoring, "--id-columns", "car_id,car_id"])
    with pytest.raises(ClientError, match="--id-columns is only used with --mode scoring"):
        parse_any(["--input-dir", "i", "--output-dir", "o", "--id-columns", "a"])
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "kbb.csv").write_text("\n".join(_good_lines()) + "\n")
    args = ["--mode", "scoring", "--input-dir", str(inp), "--output-dir", str(tmp_path / "o"),
            "--feature-schema", str(schema_path)]
    proc = run_module("mlops_algorithms.preprocess", args, tmp_path / "base")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "base" / "output" / "message").read_text().startswith("Completed: Pre-processed 20 scoring rows")
    (inp / "kbb.csv").write_text("\n".join(_good_lines()[:5] + [_row(5, Mileage="abc")]) + "\n")
    proc = run_module("mlops_algorithms.preprocess", [*args[:5], str(tmp_path / "o2"), *args[6:]], tmp_path / "base")
    assert proc.returncode == 2
    assert (tmp_path / "base" / "output" / "message").read_text().strip() == (
        "ClientError: kbb.csv: column 'Mileage', line 6: value 'abc' is not numeric (rule: numeric)")
    assert not (tmp_path / "o2").exists()


def test_not_utf8_names_the_line(tmp_path: Path, schema_path: Path) -> None:
    lines = [line.encode() for line in _good_lines()]
    lines[7] = lines[7].replace(b"1", b"\xe9", 1)
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "kbb.csv").write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(ClientError, match=r"^kbb\.csv: line 8: not UTF-8 text \(rule: encoding utf-8\)$"):
        run_scoring(ScoringOptions(inp, tmp_path / "out", schema_path))
