"""Data-quality statistics.json / constraints.json: format conformity and Deequ's rules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mlops_algorithms.monitor.constraints import constraints_document, suggest_domain
from mlops_algorithms.monitor.data_quality import run as run_data_quality
from mlops_algorithms.monitor.datatypes import infer_column_type, value_type
from mlops_algorithms.monitor.statistics import profile_column, profile_dataset, statistics_document


@pytest.mark.parametrize("text,kind", [
    ("3", "Integral"), ("-3", "Integral"), ("+ 3", "Integral"), ("3.0", "Fractional"), ("-0.5", "Fractional"),
    ("1e5", "Fractional"), ("1.5E-3", "Fractional"), (".5", "String"), ("3.", "String"), ("true", "Boolean"),
    ("abc", "String"), ("1,000", "String"), ("٣", "String"), (None, "Null"),
])
def test_value_types_use_deequ_regexes(text: str | None, kind: str) -> None:
    assert value_type(text) == kind


@pytest.mark.parametrize("values,kind", [
    (["1", "2", None], "Integral"), (["1", "2.0"], "Fractional"), (["1", "x"], "String"),
    (["true", "1"], "String"), (["true", "false"], "String"), ([None, None], "Unknown"),
])
def test_column_type(values: list, kind: str) -> None:
    assert infer_column_type(values) == kind


def test_numeric_statistics_format_and_arithmetic() -> None:
    raw = ["10", "20", None, "30", "40", "50", "60", "70", "80", "90", "100", ""]
    p = profile_column("x", raw)
    f = p.statistics
    assert set(f) == {"name", "inferred_type", "numerical_statistics"} and f["inferred_type"] == "Integral"
    n = f["numerical_statistics"]
    assert set(n) == {"common", "mean", "sum", "std_dev", "min", "max", "distribution"}
    assert n["common"] == {"num_present": 10, "num_missing": 2}
    values = np.arange(10, 101, 10, dtype=float)
    assert n["mean"] == 55.0 and n["sum"] == 550.0 and n["min"] == 10.0 and n["max"] == 100.0
    assert n["std_dev"] == pytest.approx(np.std(values)) and n["std_dev"] != pytest.approx(np.std(values, ddof=1))
    assert all(isinstance(n[k], float) for k in ("mean", "sum", "std_dev", "min", "max"))
    buckets = n["distribution"]["kll"]["buckets"]
    assert len(buckets) == 10
    for i, b in enumerate(buckets):
        assert b["lower_bound"] == pytest.approx(10 + 9 * i) and b["upper_bound"] == pytest.approx(10 + 9 * (i + 1))
        assert isinstance(b["count"], float)
    assert [b["count"] for b in buckets] == [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert sum(b["count"] for b in buckets) == 10  # last bucket closed: 100 counted
    sketch = n["distribution"]["kll"]["sketch"]
    assert sketch["parameters"] == {"c": 0.64, "k": 2048.0}
    assert sketch["data"] == [[10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0]]


def test_bucket_edges_are_half_open() -> None:
    buckets = profile_column("x", ["0", "1", "1", "2", "10"]).statistics["numerical_statistics"]["distribution"]["kll"]["buckets"]
    assert [b["count"] for b in buckets] == [1.0, 2.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]


def test_fractional_and_string_statistics() -> None:
    assert profile_column("p", ["3.0", "4"]).statistics["inferred_type"] == "Fractional"
    s = profile_column("model", ["Malibu", "Cobalt", "Malibu", None, "Aveo"]).statistics
    assert s["inferred_type"] == "String"
    st = s["string_statistics"]
    assert st["common"] == {"num_present": 4, "num_missing": 1} and st["distinct_count"] == 3.0
    assert st["distribution"]["categorical"]["buckets"] == [
        {"value": "Malibu", "count": 2}, {"value": "Aveo", "count": 1}, {"value": "Cobalt", "count": 1}]


def test_constraints_rules() -> None:
    profiles = profile_dataset(
        ["price", "doors", "delta", "model", "id"],
        [["1.5", "2.5", "3.5", None], ["2", "4", "4", "2"], ["-1", "2", "3", "4"], ["a", "b", "a", "b"],
         ["1", "2", "3", "4"]],
    )
    doc = constraints_document(profiles)
    assert doc["version"] == 0.0
    by = {f["name"]: f for f in doc["features"]}
    assert by["price"] == {"name": "price", "inferred_type": "Fractional", "completeness": 0.75,
                           "num_constraints": {"is_non_negative": True}}
    assert by["doors"]["string_constraints"] == {"domains": ["2", "4"]}
    assert by["delta"]["num_constraints"] == {"is_non_negative": False}
    assert by["model"]["string_constraints"] == {"domains": ["a", "b"]} and by["model"]["monitoringConfigOverrides"] == {}
    assert "string_constraints" not in by["id"]  # every value unique -> no domain
    dc = doc["monitoring_config"]["distribution_constraints"]
    assert doc["monitoring_config"]["datatype_check_threshold"] == 1.0 and dc["comparison_method"] == "Robust"
    assert dc["comparison_threshold"] == 0.1 and dc["categorical_drift_method"] == "LInfinity"


def test_domain_rule_thresholds() -> None:
    many = [str(i) for i in range(121)] * 2
    assert suggest_domain(profile_column("x", many)) is None  # > 120 distinct: no histogram
    frequent_first = ["a"] * 50 + ["c"] * 200 + ["b"] * 50
    assert suggest_domain(profile_column("x", frequent_first)) == ["c", "a", "b"]  # ties by value
    twelve = [f"v{i}" for i in range(10) for _ in range(3)] + ["once"]
    assert suggest_domain(profile_column("x", twelve)) is not None  # 1/11 <= 10 %
    assert suggest_domain(profile_column("x", twelve + ["twice"])) is None  # 2/12 > 10 %


def test_job_on_training_split(prepared: Path, tmp_path: Path) -> None:
    env = {"dataset_source": str(prepared / "train"), "output_path": str(tmp_path),
           "dataset_format": '{"csv": {"header": false, "output_columns_position": "START"}}',
           "feature_schema": str(prepared / "schema" / "feature-schema.json")}
    run_data_quality(env)
    text = (tmp_path / "statistics.json").read_text()
    assert '\n  "version": 0.0' in text
    stats = json.loads(text)
    assert stats["dataset"] == {"item_count": 562}
    names = [f["name"] for f in stats["features"]]
    assert names[:3] == ["Price", "Mileage", "Cylinder"] and len(names) == 18
    types = {f["name"]: f["inferred_type"] for f in stats["features"]}
    assert types["Price"] == "Fractional" and types["Mileage"] == "Integral" and types["Saab"] == "Integral"
    train = np.loadtxt(prepared / "train" / "train.csv", delimiter=",")
    mileage = stats["features"][1]["numerical_statistics"]
    assert mileage["std_dev"] == pytest.approx(train[:, 1].std()) and mileage["sum"] == train[:, 1].sum()
    assert mileage["distribution"]["kll"]["sketch"]["data"][0] == train[:, 1].tolist()  # arrival order
    constraints = json.loads((tmp_path / "constraints.json").read_text())
    cyl = next(f for f in constraints["features"] if f["name"] == "Cylinder")
    assert sorted(cyl["string_constraints"]["domains"]) == ["4", "6", "8"]


def test_header_and_spark_column_names(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "a.csv").write_text("1,x\n2,y\n")
    run_data_quality({"dataset_source": str(src), "output_path": str(tmp_path / "o1"),
                      "dataset_format": '{"csv": {"header": false}}'})
    stats = json.loads((tmp_path / "o1" / "statistics.json").read_text())
    assert [f["name"] for f in stats["features"]] == ["_c0", "_c1"]
    (src / "a.csv").write_text("n,s\n1,x\n2,\n")
    run_data_quality({"dataset_source": str(src), "output_path": str(tmp_path / "o2"),
                      "dataset_format": '{"csv": {"header": true}}'})
    stats = json.loads((tmp_path / "o2" / "statistics.json").read_text())
    assert [f["name"] for f in stats["features"]] == ["n", "s"] and stats["dataset"]["item_count"] == 2
    assert stats["features"][1]["string_statistics"]["common"] == {"num_present": 1, "num_missing": 1}


def test_unsupported_format_is_client_error(tmp_path: Path) -> None:
    from mlops_algorithms.contract import ClientError

    with pytest.raises(ClientError, match="not supported locally"):
        run_data_quality({"dataset_source": str(tmp_path), "output_path": str(tmp_path),
                          "dataset_format": '{"json": {"lines": true}}'})


def test_statistics_document_shape() -> None:
    doc = statistics_document(profile_dataset(["a"], [["1"]]), 1)
    assert list(doc) == ["version", "dataset", "features"] and doc["version"] == 0.0
