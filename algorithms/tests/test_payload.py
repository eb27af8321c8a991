"""One set of value rules for a scoring payload: the model server and the batch transform accept
and refuse the same values with the same words (``mlops_algorithms.payload``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mlops_algorithms.contract import ClientError
from mlops_algorithms.payload import ValueProblem, csv_value, json_features, json_value, prediction_texts
from mlops_algorithms.serve.codecs import PAYLOAD_PREFIX, PayloadError, parse_csv, parse_jsonlines
from transform_fixtures import feature_lines, linear_model, run_transform, transform_env, write, xgb_model  # noqa: F401

ODD_CELLS = ["abc", "1_000", "inf", "-inf", "nan", "", "True", "0x10", "1e400"]


@pytest.mark.parametrize("cell", ODD_CELLS)
def test_when_a_csv_cell_is_odd_then_bytes_and_text_get_one_verdict(cell: str) -> None:
    for allow_missing in (True, False):
        outcomes = []
        for field in (cell, cell.encode()):
            try:
                outcomes.append(("value", csv_value(field, allow_missing, "line 1, field 0")))
            except ValueProblem as exc:
                outcomes.append(("error", str(exc)))
        assert outcomes[0] == outcomes[1] or (np.isnan(outcomes[0][1]) and np.isnan(outcomes[1][1]))


@pytest.mark.parametrize("cell", ["abc", "1_000", "inf", "", "True"])
def test_when_a_csv_cell_is_refused_then_server_and_transform_say_the_same(
        cell: str, linear_model: Path, feature_lines: list[str], tmp_path: Path) -> None:  # noqa: F811
    """Linear learner: no missing-value support, so an empty cell is refused too."""
    features = feature_lines[0].split(",")
    features[3] = cell
    row = ",".join(features)
    with pytest.raises(PayloadError) as served:
        parse_csv(row.encode(), 17, allow_missing=False)
    write(tmp_path / "in" / "c.csv", [row])
    with pytest.raises(ClientError) as transformed:
        run_transform(transform_env(linear_model, tmp_path / "in", tmp_path / "out"))
    assert served.value.message == PAYLOAD_PREFIX + str(transformed.value).removeprefix("c.csv: ")


@pytest.mark.parametrize("value", ["x", True, None, 1e400, {"a": 1}])
def test_when_a_json_value_is_refused_then_server_and_transform_say_the_same(
        value: object, linear_model: Path, feature_lines: list[str], tmp_path: Path) -> None:  # noqa: F811
    features: list[object] = [float(v) for v in feature_lines[0].split(",")]
    features[5] = value
    line = json.dumps({"features": features}).replace("Infinity", "1e400")
    with pytest.raises(PayloadError) as served:
        parse_jsonlines(line.encode(), 17, allow_missing=False)
    write(tmp_path / "in" / "c.jsonl", [line])
    with pytest.raises(ClientError) as transformed:
        run_transform(transform_env(linear_model, tmp_path / "in", tmp_path / "out", content_type="application/jsonlines",
                                    accept="application/jsonlines"))
    # The transform names the value a "feature" of the record (after its InputFilter), the server a "field".
    expected = str(transformed.value).removeprefix("c.jsonl: ").replace(", feature 5:", ", field 5:")
    assert served.value.message == PAYLOAD_PREFIX + expected


def test_json_record_shapes() -> None:
    assert json_features([1, 2]) == [1, 2]
    assert json_features({"features": [1, 2]}) == [1, 2]
    assert json_features({"data": {"features": {"values": [3]}}}) == [3]
    assert json_features({"features": 5, "data": {"features": {"values": [3]}}}) is None  # a present key decides
    assert json_features({"values": [1]}) is None
    assert json_value(None, True, "r") != json_value(None, True, "r")  # NaN: a missing value


def test_prediction_texts_widen_float32_exactly_and_spell_non_finite_as_json() -> None:
    assert prediction_texts(np.array([0.1, 2], dtype=np.float32)) == [repr(float(np.float32(0.1))), "2.0"]
    assert prediction_texts(np.array([np.nan, np.inf], dtype=np.float32)) == ["NaN", "Infinity"]
