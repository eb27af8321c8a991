"""Monitoring runs (data quality + model quality) against a baseline built from the real dataset."""

from __future__ import annotations

import base64
import copy
import json
import uuid
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import ks_2samp

from conftest import run_module
from mlops_algorithms.contract import ClientError
from mlops_algorithms.monitor.capture import decode_side, flatten, read_capture
from mlops_algorithms.monitor.data_quality import run as run_baseline
from mlops_algorithms.monitor.kll import KLLSketch
from mlops_algorithms.monitor.monitoring import run_data_quality, run_model_quality
from mlops_algorithms.monitor.regression_metrics import regression_constraints, regression_statistics
from mlops_algorithms.monitor.violations import (categorical_distance, data_quality_violations,
                                                 model_quality_violations, numerical_distance)

CAPTURE_FORMAT = '{"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput","endpointOutput"]}}'
VIOLATION_KEYS = ["feature_name", "constraint_check_type", "description"]


@pytest.fixture(scope="module")
def baseline(prepared: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Baseline of the training split (label first) with the existing baseline job."""
    out = tmp_path_factory.mktemp("baseline")
    run_baseline({"dataset_source": str(prepared / "train"), "output_path": str(out),
                  "dataset_format": '{"csv": {"header": false, "output_columns_position": "START"}}',
                  "feature_schema": str(prepared / "schema" / "feature-schema.json")})
    stats = json.loads((out / "statistics.json").read_text())
    rows = [line.split(",") for split in ("validation", "test")
            for line in (prepared / split / f"{split}.csv").read_text().splitlines()]
    return {"dir": out, "stats": stats, "constraints": json.loads((out / "constraints.json").read_text()),
            "names": [f["name"] for f in stats["features"]], "holdout": rows}


def _sample(baseline: dict, n: int = 1000, seed: int = 1) -> list[list[str]]:
    """Rows (label first) drawn with replacement from the validation + test splits."""
    rows = baseline["holdout"]
    idx = np.random.default_rng(seed).integers(0, len(rows), n)
    return [list(rows[i]) for i in idx]


def _record(features: list[str], output: str, n: int, inference_id: bool = True) -> dict:
    meta = {"eventId": str(uuid.UUID(int=n))}
    if inference_id:
        meta["inferenceId"] = f"req-{n:04d}"
    meta["inferenceTime"] = "2026-11-25T15:29:02Z"
    return {"captureData": {
        "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                          "data": ",".join(features), "encoding": "CSV"},
        "endpointOutput": {"observedContentType": "text/csv; charset=utf-8", "mode": "OUTPUT",
                           "data": output, "encoding": "CSV"}},
        "eventMetadata": meta, "eventVersion": "0"}


def _write_capture(root: Path, records: list[dict], per_file: int = 400) -> Path:
    """SageMaker's layout: <endpoint>/AllTraffic/yyyy/mm/dd/hh/MM-SS-mmm-<uuid>.jsonl."""
    hour = root / "used-cars-xgb" / "AllTraffic" / "2026" / "11" / "25" / "15"
    hour.mkdir(parents=True, exist_ok=True)
    for k in range(0, len(records), per_file):
        name = f"{k // per_file:02d}-00-000-{uuid.UUID(int=k)}.jsonl"
        (hour / name).write_text("".join(json.dumps(r) + "\n" for r in records[k:k + per_file]))
    return root


def _capture_rows(root: Path, rows: list[list[str]]) -> Path:
    """Each row (label first) as one request: features in, the label text as the 'prediction'."""
    return _write_capture(root, [_record(r[1:], r[0], i) for i, r in enumerate(rows)])


def _monitor(baseline: dict, tmp_path: Path, rows: list[list[str]] | None = None, constraints: dict | None = None,
             source: Path | None = None) -> list[dict]:
    if source is None:
        source = _capture_rows(tmp_path / "capture", rows or [])
    cpath = baseline["dir"] / "constraints.json"
    if constraints is not None:
        cpath = tmp_path / "constraints.json"
        cpath.write_text(json.dumps(constraints))
    out = tmp_path / "out"
    run_data_quality({"dataset_source": str(source), "output_path": str(out), "dataset_format": CAPTURE_FORMAT,
                      "baseline_statistics": str(baseline["dir"] / "statistics.json"),
                      "baseline_constraints": str(cpath)})
    return json.loads((out / "constraint_violations.json").read_text())["violations"]


def _kinds(violations: list[dict]) -> set[tuple[str, str]]:
    return {(v["feature_name"], v["constraint_check_type"]) for v in violations}


def _col(baseline: dict, name: str) -> int:
    return baseline["names"].index(name)


# -- distances ---------------------------------------------------------------------------
def test_numerical_distance_is_ks_statistic_and_robust_correction() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(0, 1, 800), rng.normal(0.3, 1, 500)
    sa, sb = KLLSketch(), KLLSketch()
    sa.update_many(a.tolist())
    sb.update_many(b.tolist())
    simple = numerical_distance(sa, sb, "Simple")
    assert simple == pytest.approx(ks_2samp(a, b).statistic)
    assert numerical_distance(sa, sb, "Robust") == pytest.approx(max(0.0, simple - 1.8 * np.sqrt(1300 / 400000)))
    assert numerical_distance(sa, sa, "Simple") == 0.0


def test_categorical_distance() -> None:
    assert categorical_distance({"a": 90, "b": 10}, {"a": 50, "c": 50}, "Simple") == pytest.approx(0.5)
    robust = categorical_distance({"a": 90, "b": 10}, {"a": 50, "c": 50}, "Robust")
    assert robust == pytest.approx(0.5 - 1.8 * np.sqrt(200 / 10000))


# -- data quality scenarios -------------------------------------------------------------
def test_training_distribution_has_no_violations(baseline: dict, tmp_path: Path) -> None:
    assert _monitor(baseline, tmp_path, _sample(baseline)) == []
    stats = json.loads((tmp_path / "out" / "statistics.json").read_text())
    assert [f["name"] for f in stats["features"]] == baseline["names"]  # names from the baseline by position
    assert stats["dataset"] == {"item_count": 1000}


def test_mileage_shift_is_drift(baseline: dict, tmp_path: Path) -> None:
    rows = _sample(baseline)
    j = _col(baseline, "Mileage")
    for r in rows:
        r[j] = str(round(int(r[j]) * 1.3))
    violations = _monitor(baseline, tmp_path, rows)
    assert _kinds(violations) == {("Mileage", "baseline_drift_check")}
    assert violations[0]["description"].startswith("Numerical distance: ")
    assert violations[0]["description"].endswith(" exceeds numerical threshold: 0.1")


def test_make_mix_change_is_drift(baseline: dict, tmp_path: Path) -> None:
    j = _col(baseline, "Cadillac")
    rows = [r for r in _sample(baseline) if r[j] == "1"]
    kinds = _kinds(_monitor(baseline, tmp_path, rows))
    assert ("Cadillac", "baseline_drift_check") in kinds
    assert ("Chevy", "baseline_drift_check") in kinds  # the most common make disappeared
    assert {k for _, k in kinds} <= {"baseline_drift_check", "categorical_values_check"}


def test_missing_and_extra_column(baseline: dict, tmp_path: Path) -> None:
    rows = _sample(baseline, 300)
    missing = _monitor(baseline, tmp_path / "m", [r[:-1] for r in rows])
    assert [(v["feature_name"], v["constraint_check_type"]) for v in missing] == [("wagon", "missing_column_check")]
    extra = _monitor(baseline, tmp_path / "e", [r + ["7"] for r in rows])
    assert [(v["feature_name"], v["constraint_check_type"]) for v in extra] == [("_c18", "extra_column_check")]


def test_data_type_mismatch(baseline: dict, tmp_path: Path) -> None:
    rows = _sample(baseline)
    rows[17][_col(baseline, "Mileage")] = "abc"
    violations = _monitor(baseline, tmp_path, rows)
    assert _kinds(violations) == {("Mileage", "data_type_check")}
    assert violations[0]["description"] == (
        "Data type match requirement is not met. Expected data type: Integral, Expected match: 100.0%. "
        "Observed: Only 99.9% of data is Integral.")


def test_completeness_drop(baseline: dict, tmp_path: Path) -> None:
    rows = _sample(baseline)
    for r in rows[:100]:
        r[_col(baseline, "Doors")] = ""
    violations = _monitor(baseline, tmp_path, rows)
    assert _kinds(violations) == {("Doors", "completeness_check")}
    assert "Observed: Only 90.0% of data is present." in violations[0]["description"]


def test_evaluate_constraints_disabled(baseline: dict, tmp_path: Path) -> None:
    rows = _sample(baseline)
    j = _col(baseline, "Mileage")
    for r in rows:
        r[j] = str(round(int(r[j]) * 1.3))
        r[_col(baseline, "Doors")] = ""
    base_c = baseline["constraints"]
    off = copy.deepcopy(base_c)
    off["monitoring_config"]["evaluate_constraints"] = "Disabled"
    assert _monitor(baseline, tmp_path / "global", rows, off) == []
    per_feature = copy.deepcopy(base_c)
    feats = {f["name"]: f for f in per_feature["features"]}
    feats["Mileage"]["monitoringConfigOverrides"] = {"evaluate_constraints": "Disabled"}
    feats["Doors"].setdefault("string_constraints", {})["monitoring_config_overrides"] = {
        "evaluate_constraints": "Disabled"}  # the SDK's spelling
    assert _monitor(baseline, tmp_path / "feature", rows, per_feature) == []
    no_compare = copy.deepcopy(base_c)
    no_compare["monitoring_config"]["distribution_constraints"]["perform_comparison"] = "Disabled"
    assert _kinds(_monitor(baseline, tmp_path / "nocmp", rows, no_compare)) == {("Doors", "completeness_check")}
    loose = copy.deepcopy(base_c)
    loose["monitoring_config"]["distribution_constraints"]["comparison_threshold"] = 0.9
    assert ("Mileage", "baseline_drift_check") not in _kinds(_monitor(baseline, tmp_path / "loose", rows, loose))


def test_categorical_string_column_checks(baseline: dict) -> None:
    """String columns: categorical_values_check against the domain and LInfinity drift."""
    from mlops_algorithms.monitor.constraints import constraints_document
    from mlops_algorithms.monitor.statistics import profile_dataset, statistics_document

    base_cols = [["Buick"] * 50 + ["Chevy"] * 50]
    bp = profile_dataset(["make"], base_cols)
    b_stats, b_cons = statistics_document(bp, 100), constraints_document(bp)
    cur_cols = [["Cadillac"] * 80 + ["Chevy"] * 20]
    c_stats = statistics_document(profile_dataset(["make"], cur_cols), 100)
    kinds = [(v["constraint_check_type"], v["description"]) for v in data_quality_violations(c_stats, b_stats, b_cons)]
    assert kinds[0][0] == "categorical_values_check" and "Only 20.0% of values are in the domain" in kinds[0][1]
    assert kinds[1][0] == "baseline_drift_check" and kinds[1][1].startswith("Categorical distance: ")


def test_statistics_only_fallback_for_numeric_type() -> None:
    """Without raw values, the Integral share is estimated from the KLL sketch items."""
    from mlops_algorithms.monitor.constraints import constraints_document
    from mlops_algorithms.monitor.statistics import profile_dataset, statistics_document

    bp = profile_dataset(["n"], [[str(i % 50) for i in range(200)]])
    b_stats, b_cons = statistics_document(bp, 200), constraints_document(bp)
    c_stats = statistics_document(profile_dataset(["n"], [[f"{i % 50}.5" if i < 20 else str(i % 50)
                                                           for i in range(200)]]), 200)
    got = data_quality_violations(c_stats, b_stats, b_cons)
    assert got[0]["constraint_check_type"] == "data_type_check" and "Only 90.0% of data is Integral" in got[0]["description"]


def test_capture_encodings_flatten_alike() -> None:
    csv_side = {"observedContentType": "text/csv", "data": "2005,38000\n2004,1000", "encoding": "CSV"}
    json_side = {"observedContentType": "application/json", "encoding": "JSON",
                 "data": json.dumps({"instances": [{"features": [2005, 38000]}, {"features": [2004, 1000]}]})}
    b64 = {"observedContentType": "application/jsonlines", "encoding": "BASE64",
           "data": base64.b64encode(b'{"features": [2005, 38000]}\n{"features": [2004, 1000]}\n').decode()}
    assert decode_side(csv_side) == decode_side(json_side) == decode_side(b64) == [["2005", "38000"], ["2004", "1000"]]
    out = {"observedContentType": "application/json", "encoding": "JSON",
           "data": json.dumps({"predictions": [{"score": 1.5}, {"score": 2.5}]})}
    assert decode_side(out) == [["1.5"], ["2.5"]]


def test_no_captured_data_fails(baseline: dict, tmp_path: Path) -> None:
    (tmp_path / "capture" / "ep" / "AllTraffic").mkdir(parents=True)
    with pytest.raises(ClientError, match="no captured data in the window"):
        _monitor(baseline, tmp_path, source=tmp_path / "capture")


def test_analysis_window(baseline: dict, tmp_path: Path) -> None:
    src = _capture_rows(tmp_path / "capture", _sample(baseline, 50))  # inferenceTime 2026-11-25T15:29:02Z
    env = {"dataset_source": str(src), "output_path": str(tmp_path / "out"), "dataset_format": CAPTURE_FORMAT,
           "baseline_statistics": str(baseline["dir"] / "statistics.json"),
           "baseline_constraints": str(baseline["dir"] / "constraints.json")}
    inside = {"start_time": "2026-11-25T15:00:00Z", "end_time": "2026-11-25T16:00:00Z"}
    assert run_data_quality({**env, **inside})[0] == "Completed"
    with pytest.raises(ClientError, match="no captured data in the window"):
        run_data_quality({**env, "start_time": "2026-11-25T16:00:00Z", "end_time": "2026-11-25T17:00:00Z"})


def test_batch_capture_csv_is_reordered(baseline: dict, tmp_path: Path) -> None:
    rows = _sample(baseline, 400)
    names = baseline["names"]
    src = tmp_path / "batch"
    src.mkdir()
    body = "".join(f"cars.csv:{i + 1}," + ",".join(r[1:]) + f",{r[0]}\n" for i, r in enumerate(rows))
    (src / "cars.csv.captured.csv").write_text("record_id," + ",".join(names[1:]) + ",prediction\n" + body)
    out = tmp_path / "out"
    status = run_data_quality({"dataset_source": str(src), "output_path": str(out),
                               "dataset_format": '{"csv": {"header": true}}',
                               "baseline_statistics": str(baseline["dir"] / "statistics.json"),
                               "baseline_constraints": str(baseline["dir"] / "constraints.json")})
    assert status == ("Completed", "Job completed successfully with no violations.")


# -- entry points (subprocess) and file formats --------------------------------------------
def test_data_quality_entry_point_files(baseline: dict, tmp_path: Path) -> None:
    rows = _sample(baseline)
    j = _col(baseline, "Mileage")
    for r in rows:
        r[j] = str(round(int(r[j]) * 1.3))
    src = _capture_rows(tmp_path / "capture", rows)
    env = {"dataset_source": str(src), "output_path": str(tmp_path / "out"), "dataset_format": CAPTURE_FORMAT,
           "baseline_statistics": str(baseline["dir"] / "statistics.json"),
           "baseline_constraints": str(baseline["dir"] / "constraints.json")}
    proc = run_module("mlops_algorithms.monitor", ["data-quality-monitor"], tmp_path / "base", env)
    assert proc.returncode == 0, proc.stderr
    message = (tmp_path / "base" / "output" / "message").read_text()
    assert message == "CompletedWithViolations: Job completed successfully with 1 violations.\n"
    text = (tmp_path / "out" / "constraint_violations.json").read_text()
    assert text.startswith('{\n  "violations": [\n')
    doc = json.loads(text)
    assert list(doc) == ["violations"] and [list(v) for v in doc["violations"]] == [VIOLATION_KEYS]
    stats_text = (tmp_path / "out" / "statistics.json").read_text()
    assert '\n  "version": 0.0' in stats_text
    stats, base = json.loads(stats_text), baseline["stats"]
    assert list(stats) == list(base) and stats["dataset"] == {"item_count": 1000}
    for cur, ref in zip(stats["features"], base["features"]):
        assert list(cur) == list(ref) and cur["name"] == ref["name"]
        kind = "numerical_statistics" if "numerical_statistics" in ref else "string_statistics"
        assert list(cur[kind]) == list(ref[kind])
        assert list(cur[kind]["distribution"]["kll"]) == ["buckets", "sketch"]

    clean = _capture_rows(tmp_path / "clean", _sample(baseline, 500, seed=3))
    proc = run_module("mlops_algorithms.monitor", ["data-quality-monitor"], tmp_path / "base2",
                      {**env, "dataset_source": str(clean), "output_path": str(tmp_path / "out2")})
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "base2" / "output" / "message").read_text() == \
        "Completed: Job completed successfully with no violations.\n"
    assert (tmp_path / "out2" / "constraint_violations.json").read_text() == '{\n  "violations": []\n}\n'

    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_module("mlops_algorithms.monitor", ["data-quality-monitor"], tmp_path / "base3",
                      {**env, "dataset_source": str(empty), "output_path": str(tmp_path / "out3")})
    assert proc.returncode == 2
    assert (tmp_path / "base3" / "output" / "message").read_text().startswith(
        "ClientError: no captured data in the window")


# -- model quality ---------------------------------------------------------------------------
def _mq_setup(baseline: dict, tmp_path: Path, noise: float) -> dict[str, str]:
    rng = np.random.default_rng(5)
    rows = _sample(baseline, 400, seed=7)
    y = np.array([float(r[0]) for r in rows])
    good = y + rng.normal(0, 1000, len(y))
    constraints = regression_constraints(regression_statistics(y, good))
    (tmp_path / "mq_constraints.json").write_text(json.dumps(constraints, indent=2))
    pred = y + rng.normal(0, noise, len(y))
    # half the requests carry an InferenceId (ground truth keyed by it), the others only eventId
    records = [_record(r[1:], repr(float(p)), i, inference_id=i % 2 == 0) for i, (r, p) in enumerate(zip(rows, pred))]
    src = _write_capture(tmp_path / "capture", records)
    gt = tmp_path / "groundtruth" / "2026" / "11" / "25" / "16"
    gt.mkdir(parents=True)
    lines = [{"groundTruthData": {"data": repr(float(v)), "encoding": "CSV"},
              "eventMetadata": {"eventId": rec["eventMetadata"].get("inferenceId", rec["eventMetadata"]["eventId"])},
              "eventVersion": "0"} for rec, v in zip(records[:300], y[:300])]
    lines += [{"groundTruthData": {"data": "1.0", "encoding": "CSV"}, "eventMetadata": {"eventId": f"unknown-{k}"},
               "eventVersion": "0"} for k in range(20)]  # unmatched: ignored
    (gt / "0000.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return {"dataset_source": str(src), "ground_truth_source": str(tmp_path / "groundtruth"),
            "baseline_constraints": str(tmp_path / "mq_constraints.json"), "output_path": str(tmp_path / "out")}


def test_model_quality_worse_predictions_violate(baseline: dict, tmp_path: Path) -> None:
    env = _mq_setup(baseline, tmp_path, noise=6000)
    proc = run_module("mlops_algorithms.monitor", ["model-quality-monitor"], tmp_path / "base", env)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "out"
    doc = json.loads((out / "constraint_violations.json").read_text())
    got = {(v["metric_name"], v["constraint_check_type"]) for v in doc["violations"]}
    assert got == {("mae", "GreaterThanThreshold"), ("mse", "GreaterThanThreshold"),
                   ("rmse", "GreaterThanThreshold"), ("r2", "LessThanThreshold")}
    for v in doc["violations"]:
        assert list(v) == ["constraint_check_type", "description", "metric_name"]
        assert v["description"].startswith(f"Metric {v['metric_name']} with ")
        assert f"was {v['constraint_check_type']} '" in v["description"]
    stats_text = (out / "statistics.json").read_text()
    assert stats_text.startswith('{\n  "version": 0.0,\n  "dataset": {\n    "item_count": 300\n  },')
    assert (out / "constraint_violations.json").read_text().startswith('{\n  "violations": [\n    {\n')
    stats = json.loads(stats_text)
    assert stats["dataset"] == {"item_count": 300}  # 300 matched; 100 without labels, 20 unknown labels ignored
    assert list(stats["regression_metrics"]) == ["mae", "mse", "rmse", "r2"]
    merged = [json.loads(x) for x in (out / "merge" / "merged.jsonl").read_text().splitlines()]
    assert len(merged) == 300 and set(merged[0]) == {"captureData", "eventMetadata", "eventVersion",
                                                     "groundTruthData", "groundTruthEventId"}
    assert (tmp_path / "base" / "output" / "message").read_text() == \
        "CompletedWithViolations: Job completed successfully with 4 violations.\n"


def test_model_quality_good_predictions_and_failures(baseline: dict, tmp_path: Path) -> None:
    env = _mq_setup(baseline, tmp_path, noise=10)
    assert run_model_quality(env) == ("Completed", "Job completed successfully with no violations.")
    no_truth = tmp_path / "nogt"
    no_truth.mkdir()
    with pytest.raises(ClientError, match="no ground truth data"):
        run_model_quality({**env, "ground_truth_source": str(no_truth)})
    other = no_truth / "x.jsonl"
    other.write_text(json.dumps({"groundTruthData": {"data": "1", "encoding": "CSV"},
                                 "eventMetadata": {"eventId": "nope"}, "eventVersion": "0"}) + "\n")
    with pytest.raises(ClientError, match="no captured inference matches"):
        run_model_quality({**env, "ground_truth_source": str(no_truth)})


def test_model_quality_violation_rules() -> None:
    cons = {"regression_constraints": {"rmse": {"threshold": 10.0, "comparison_operator": "GreaterThanThreshold"},
                                       "r2": {"threshold": 0.9, "comparison_operator": "LessThanThreshold"}}}
    assert model_quality_violations({"rmse": {"value": 10.0, "standard_deviation": "NaN"}, "r2": 0.95}, cons) == []
    v = model_quality_violations({"regression_metrics": {"rmse": {"value": 12.5, "standard_deviation": "NaN"}}}, cons)
    assert v == [{"constraint_check_type": "GreaterThanThreshold",
                  "description": "Metric rmse with 12.5 +/- NaN was GreaterThanThreshold '10.0'",
                  "metric_name": "rmse"}]


def test_read_capture_layout(baseline: dict, tmp_path: Path) -> None:
    src = _capture_rows(tmp_path / "c", _sample(baseline, 5))
    records = read_capture(src, ["endpointInput", "endpointOutput"])
    rows, skipped = flatten(records)
    assert skipped == 0 and len(rows) == 5 and len(rows[0]) == len(baseline["names"])
    assert records[0].event_id == "req-0000"
