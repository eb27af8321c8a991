"""Validation messages of the pre-processing job: one test per rule, naming file/column/rule/line."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import DATASET, run_module
from mlops_algorithms.contract import ClientError
from mlops_algorithms.preprocess.job import PreprocessOptions, run

HEADER = ("rownames,Price,Mileage,Cylinder,Doors,Cruise,Sound,Leather,Buick,Cadillac,Chevy,Pontiac,Saab,Saturn,"
          "convertible,coupe,hatchback,sedan,wagon")
COLS = HEADER.split(",")


def _row(i: int, **overrides: str) -> str:
    values = {"rownames": str(i), "Price": "22661.05", "Mileage": "20105", "Cylinder": "6", "Doors": "4",
              "Cruise": "1", "Sound": "0", "Leather": "0", "Buick": "1", "Cadillac": "0", "Chevy": "0",
              "Pontiac": "0", "Saab": "0", "Saturn": "0", "convertible": "0", "coupe": "0", "hatchback": "0",
              "sedan": "1", "wagon": "0"}
    values.update(overrides)
    return ",".join(values[c] for c in COLS)


def _good_lines(n: int = 20) -> list[str]:
    return [HEADER] + [_row(i) for i in range(1, n + 1)]


def _fail(tmp_path: Path, text: str, name: str = "kbb.csv") -> str:
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / name).write_text(text, encoding="utf-8")
    with pytest.raises(ClientError) as info:
        run(PreprocessOptions(inp, tmp_path / "out"))
    return str(info.value)


def _with_row(line_no: int, **overrides: str) -> str:
    lines = _good_lines()
    lines[line_no - 1] = _row(line_no - 1, **overrides)
    return "\n".join(lines) + "\n"


def test_empty_file(tmp_path: Path) -> None:
    msg = _fail(tmp_path, "")
    assert msg.startswith("kbb.csv: ") and "empty" in msg and "rule:" in msg


def test_header_only(tmp_path: Path) -> None:
    msg = _fail(tmp_path, HEADER + "\n")
    assert "kbb.csv" in msg and "line 1" in msg and "no data rows" in msg and "rule:" in msg


@pytest.mark.parametrize("delim,word", [(";", "';'"), ("\t", "tab")])
def test_wrong_delimiter(tmp_path: Path, delim: str, word: str) -> None:
    text = "\n".join(line.replace(",", delim) for line in _good_lines()) + "\n"
    msg = _fail(tmp_path, text)
    assert "kbb.csv" in msg and "line 1" in msg and "single column" in msg and word in msg
    assert "rule: comma delimiter" in msg


def test_duplicate_column(tmp_path: Path) -> None:
    lines = _good_lines()
    lines[0] = HEADER.replace("Cruise", "Mileage")
    msg = _fail(tmp_path, "\n".join(lines))
    assert "column 'Mileage'" in msg and "line 1" in msg and "duplicate" in msg and "rule: unique header" in msg


def test_missing_required_column(tmp_path: Path) -> None:
    keep = [i for i, c in enumerate(COLS) if c != "Doors"]
    text = "\n".join(",".join(line.split(",")[i] for i in keep) for line in _good_lines())
    msg = _fail(tmp_path, text)
    assert "'Doors'" in msg and "line 1" in msg and "missing" in msg and "rule: required column" in msg


def test_empty_value(tmp_path: Path) -> None:
    msg = _fail(tmp_path, _with_row(5, Mileage=""))
    assert msg == "kbb.csv: column 'Mileage', line 5: empty value (rule: required)"


def test_non_numeric_value_and_count_of_further_errors(tmp_path: Path) -> None:
    lines = _good_lines()
    lines[16] = _row(16, Mileage="abc")
    lines[18] = _row(18, Mileage="x")
    lines[19] = _row(19, Mileage="y")
    msg = _fail(tmp_path, "\n".join(lines))
    assert msg.startswith("kbb.csv: column 'Mileage', line 17: value 'abc' is not numeric (rule: numeric)")
    assert "2 more values" in msg


def test_not_finite(tmp_path: Path) -> None:
    msg = _fail(tmp_path, _with_row(3, Price="nan"))
    assert "column 'Price', line 3" in msg and "rule: numeric" in msg


def test_not_integer(tmp_path: Path) -> None:
    msg = _fail(tmp_path, _with_row(4, Cylinder="6.5"))
    assert "column 'Cylinder', line 4" in msg and "not an integer" in msg and "rule: integer" in msg


def test_below_minimum(tmp_path: Path) -> None:
    msg = _fail(tmp_path, _with_row(7, Mileage="-5"))
    assert msg == "kbb.csv: column 'Mileage', line 7: value '-5' is below the minimum 0 (rule: min=0)"


def test_not_allowed(tmp_path: Path) -> None:
    msg = _fail(tmp_path, _with_row(9, Doors="3"))
    assert "column 'Doors', line 9" in msg and "{2, 4}" in msg and "rule: allowed" in msg


def test_binary_not_zero_one(tmp_path: Path) -> None:
    msg = _fail(tmp_path, _with_row(11, Leather="2"))
    assert msg == "kbb.csv: column 'Leather', line 11: value '2' is not 0 or 1 (rule: binary)"


def test_one_hot_group_with_two_ones(tmp_path: Path) -> None:
    msg = _fail(tmp_path, _with_row(6, Chevy="1"))
    assert "one-hot group 'make'" in msg and "Buick, Cadillac, Chevy" in msg and "line 6" in msg
    assert "found 2 (Buick, Chevy)" in msg and "rule: one-hot" in msg


def test_one_hot_group_with_no_one(tmp_path: Path) -> None:
    msg = _fail(tmp_path, _with_row(8, sedan="0"))
    assert "one-hot group 'body'" in msg and "line 8" in msg and "found 0" in msg


@pytest.mark.parametrize("cut,expect", [(-1, "no value for column 'wagon'"), (1, "extra fields")])
def test_ragged_rows(tmp_path: Path, cut: int, expect: str) -> None:
    lines = _good_lines()
    lines[12] = lines[12].rsplit(",", 1)[0] if cut < 0 else lines[12] + ",9"
    msg = _fail(tmp_path, "\n".join(lines))
    assert "line 13" in msg and expect in msg and "rule: row length" in msg and "column 'wagon'" in msg


def test_earliest_line_wins_across_columns(tmp_path: Path) -> None:
    lines = _good_lines()
    lines[9] = _row(9, Doors="5")
    lines[4] = _row(4, Saab="7")
    msg = _fail(tmp_path, "\n".join(lines))
    assert "column 'Saab', line 5" in msg


def test_no_csv_or_several_csvs(tmp_path: Path) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    with pytest.raises(ClientError, match="no \\*.csv file"):
        run(PreprocessOptions(inp, tmp_path / "out"))
    (inp / "a.csv").write_text("\n".join(_good_lines()))
    (inp / "b.csv").write_text("\n".join(_good_lines()))
    with pytest.raises(ClientError, match="found 2 CSV files"):
        run(PreprocessOptions(inp, tmp_path / "out"))


def test_unknown_columns_are_ignored_and_listed(tmp_path: Path) -> None:
    import json

    inp = tmp_path / "in"
    inp.mkdir()
    lines = [line + ",extra" for line in DATASET.read_text().splitlines()]  # rows that pass the data gates too
    lines[0] = lines[0].replace(",extra", ",Color")
    (inp / "kbb.csv").write_text("\n".join(lines))
    run(PreprocessOptions(inp, tmp_path / "out"))
    schema = json.loads((tmp_path / "out" / "schema" / "feature-schema.json").read_text())
    assert schema["ignoredColumns"] == ["Color"]


def test_cli_writes_client_error_message_and_exit_code(tmp_path: Path) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "kbb.csv").write_text(_with_row(17, Mileage="abc"))
    proc = run_module("mlops_algorithms.preprocess", ["--input-dir", str(inp), "--output-dir", str(tmp_path / "o")],
                      tmp_path / "base")
    assert proc.returncode == 2
    message = (tmp_path / "base" / "output" / "message").read_text().strip()
    assert message == "ClientError: kbb.csv: column 'Mileage', line 17: value 'abc' is not numeric (rule: numeric)"
    assert "Traceback" not in proc.stderr


def test_cli_rejects_bad_arguments(tmp_path: Path) -> None:
    proc = run_module("mlops_algorithms.preprocess", ["--input-dir", str(tmp_path)], tmp_path / "base")
    assert proc.returncode == 2
    assert (tmp_path / "base" / "output" / "message").read_text().startswith("ClientError: invalid arguments")
