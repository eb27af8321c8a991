"""Data sanity gates of training pre-processing: a corpus of degenerate training files, each made
from the demo dataset, each refused at step 1 with its one message, nothing written."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Callable

import pytest

from conftest import DATASET, run_module

NAME = DATASET.name
Rows = list[list[str]]


def _table() -> tuple[list[str], Rows]:
    rows = list(csv.reader(io.StringIO(DATASET.read_text())))
    return rows[0], rows[1:]


def _constant_label(header: list[str], rows: Rows) -> Rows:
    return [[r[0], "20000", *r[2:]] for r in rows]


def _label_copied_into_a_feature(header: list[str], rows: Rows) -> Rows:
    # Whole-dollar prices (a valid label) copied into Mileage (an integer feature): leakage.
    mileage = header.index("Mileage")
    out = []
    for r in rows:
        price = str(round(float(r[1])))
        out.append([price if j == mileage else v for j, v in enumerate([r[0], price, *r[2:]])])
    return out


def _ninety_percent_duplicates(header: list[str], rows: Rows) -> Rows:
    base = rows[:80]
    return [[str(k), *r[1:]] for k, r in enumerate(base * 10, 1)]  # fresh ids: only the data repeats


def _empty_column(header: list[str], rows: Rows) -> Rows:
    cruise = header.index("Cruise")
    return [["" if j == cruise else v for j, v in enumerate(r)] for r in rows]


CORPUS: dict[str, tuple[Callable[[list[str], Rows], Rows], str]] = {
    "constant label": (_constant_label,
                       f"ClientError: {NAME}: column 'Price': the label is 20000.0 in all 804 rows, so there is nothing to "
                       "learn (rule: label varies)"),
    "one row": (lambda h, rows: rows[:1],
                f"ClientError: {NAME}: 1 data row split into 1 train, 0 validation and 0 test rows; every split needs at "
                "least 10 (too few in train, validation, test) (rule: min rows per split)"),
    "ten rows": (lambda h, rows: rows[:10],
                 f"ClientError: {NAME}: 10 data rows split into 6 train, 2 validation and 2 test rows; every split needs "
                 "at least 10 (too few in train, validation, test) (rule: min rows per split)"),
    "label copied into a feature": (_label_copied_into_a_feature,
                                    f"ClientError: {NAME}: column 'Mileage': equal to the label 'Price' in every row, which "
                                    "leaks the answer into the model (rule: no label leakage)"),
    "90 % duplicate rows": (_ninety_percent_duplicates,
                            f"ClientError: {NAME}: 720 of 800 rows (90.0%) repeat an earlier row in the label and every "
                            "feature; at most 50.0% may (rule: max duplicate share)"),
    "an all-empty column": (_empty_column,
                            f"ClientError: {NAME}: column 'Cruise': all 804 values are empty (rule: column not empty)"),
}


def _write(directory: Path, header: list[str], rows: Rows) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    (directory / NAME).write_text(buffer.getvalue())
    return directory


def _preprocess(tmp_path: Path, rows_of: Callable[[list[str], Rows], Rows], *args: str):  # type: ignore[no-untyped-def]
    header, rows = _table()
    inp = _write(tmp_path / "in", header, rows_of(header, rows))
    out = tmp_path / "out"
    proc = run_module("mlops_algorithms.preprocess", ["--input-dir", str(inp), "--output-dir", str(out), *args],
                      tmp_path / "base")
    return proc, (tmp_path / "base" / "output" / "message").read_text().strip(), out


@pytest.mark.parametrize("case", list(CORPUS))
def test_when_training_data_is_degenerate_then_step_1_refuses_it_with_one_message(tmp_path: Path, case: str) -> None:
    rows_of, expected = CORPUS[case]
    proc, message, out = _preprocess(tmp_path, rows_of)
    assert (proc.returncode, message) == (2, expected)
    assert "Traceback" not in proc.stderr
    assert not out.exists(), "nothing written: no split, no schema, nothing to train on"


def test_when_the_limits_are_set_then_the_gates_follow_them(tmp_path: Path) -> None:
    proc, message, out = _preprocess(tmp_path / "a", lambda h, rows: rows[:10], "--min-rows-per-split", "2")
    assert proc.returncode == 0, message
    assert message.startswith("Completed: Pre-processed 10 rows") and (out / "validation" / "validation.csv").exists()
    proc, message, _ = _preprocess(tmp_path / "b", _ninety_percent_duplicates, "--max-duplicate-share", "0.9")
    assert proc.returncode == 0, message
    proc, message, _ = _preprocess(tmp_path / "c", lambda h, rows: rows, "--max-duplicate-share", "1.5")
    assert (proc.returncode, message) == (2, "ClientError: --max-duplicate-share must be in [0, 1], got 1.5")
    proc, message, _ = _preprocess(tmp_path / "d", lambda h, rows: rows, "--min-rows-per-split", "0")
    assert (proc.returncode, message) == (2, "ClientError: --min-rows-per-split must be an integer >= 1, got 0")


def test_when_the_demo_dataset_is_used_then_every_gate_passes(tmp_path: Path) -> None:
    proc, message, _ = _preprocess(tmp_path, lambda h, rows: rows)
    assert proc.returncode == 0 and message.startswith("Completed: Pre-processed 804 rows"), message


def test_when_a_split_is_not_asked_for_then_it_needs_no_rows(tmp_path: Path) -> None:
    proc, message, _ = _preprocess(tmp_path, lambda h, rows: rows[:40], "--test-fraction", "0", "--validation-fraction", "0.25")
    assert proc.returncode == 0, message
