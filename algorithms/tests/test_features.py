"""features.py: raw records / CSV rows -> the model's matrix, with pre-processing's messages."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from conftest import DATASET
from mlops_algorithms.features import csv_rows_to_matrix, feature_names, load_schema, records_to_matrix
from mlops_algorithms.validation import FeatureValidationError


@pytest.fixture(scope="module")
def schema(prepared: Path) -> dict:
    return load_schema(prepared / "schema" / "feature-schema.json")


@pytest.fixture(scope="module")
def raw_records() -> list[dict[str, str]]:
    with DATASET.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_records_match_training_matrix(schema: dict, raw_records: list[dict[str, str]], prepared: Path) -> None:
    m = records_to_matrix(raw_records, schema)  # rownames and Price present: ignored
    assert m.shape == (804, 17)
    train = np.loadtxt(prepared / "train" / "train.csv", delimiter=",")
    rows = {tuple(r) for r in m.tolist()}
    assert all(tuple(r) in rows for r in train[:, 1:].tolist())


def test_json_numbers_and_strings_are_both_accepted(schema: dict, raw_records: list[dict[str, str]]) -> None:
    typed = [{k: (float(v) if "." in v else int(v)) for k, v in raw_records[0].items()}]
    assert np.array_equal(records_to_matrix(typed, schema), records_to_matrix(raw_records[:1], schema))


def test_record_errors_use_record_index(schema: dict, raw_records: list[dict[str, str]]) -> None:
    recs = [dict(r) for r in raw_records[:5]]
    recs[3]["Mileage"] = "abc"
    with pytest.raises(FeatureValidationError) as info:
        records_to_matrix(recs, schema, source="request")
    assert str(info.value) == "request: column 'Mileage', record 3: value 'abc' is not numeric (rule: numeric)"
    assert info.value.column == "Mileage" and info.value.rule == "numeric" and info.value.position == 3


def test_missing_key_and_one_hot(schema: dict, raw_records: list[dict[str, str]]) -> None:
    recs = [dict(r) for r in raw_records[:3]]
    del recs[1]["Doors"]
    with pytest.raises(FeatureValidationError, match="column 'Doors', record 1: value is missing"):
        records_to_matrix(recs, schema)
    recs = [dict(r) for r in raw_records[:3]]
    recs[2]["Saab"] = 1 - int(recs[2]["Saab"])
    with pytest.raises(FeatureValidationError, match="one-hot group 'make'.*record 2"):
        records_to_matrix(recs, schema)
    with pytest.raises(FeatureValidationError, match="record 0: expected an object"):
        records_to_matrix([[1, 2]], schema)  # type: ignore[list-item]


def test_csv_rows_positional_and_by_header(schema: dict, raw_records: list[dict[str, str]]) -> None:
    names = feature_names(schema)
    rows = [[r[n] for n in names] for r in raw_records[:10]]
    positional = csv_rows_to_matrix(rows, schema, file="batch.csv")
    header = ["rownames", *names]
    by_name = csv_rows_to_matrix([[r["rownames"], *row] for r, row in zip(raw_records, rows)], schema, header=header)
    assert np.array_equal(positional, by_name) and positional.shape == (10, 17)
    rows[4][2] = "3"
    with pytest.raises(FeatureValidationError) as info:
        csv_rows_to_matrix(rows, schema, file="batch.csv")
    assert str(info.value).startswith("batch.csv: column 'Doors', line 5: value '3' is not one of the allowed values")
    with pytest.raises(FeatureValidationError, match="line 1: row has 16 fields, expected 17"):
        csv_rows_to_matrix([row[:-1] for row in rows], schema, file="batch.csv")


def test_empty_input_gives_empty_matrix(schema: dict) -> None:
    assert records_to_matrix([], schema).shape == (0, 17)
