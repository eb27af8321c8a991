"""Model-quality baseline: metrics against scikit-learn, standard deviations, constraints, job modes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from conftest import make_training_base
from mlops_algorithms.contract import ClientError
from mlops_algorithms.defaults import XGBOOST
from mlops_algorithms.metrics import regression_metrics
from mlops_algorithms.monitor.model_quality import run
from mlops_algorithms.monitor.regression_metrics import regression_constraints, regression_statistics
from mlops_algorithms.monitor.violations import model_quality_violations


def _data(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.normal(20000, 8000, n)
    return y, y + rng.normal(0, 2500, n)


def test_metrics_match_sklearn() -> None:
    y, p = _data(500)
    m = regression_metrics(y, p)
    assert m["mae"] == pytest.approx(mean_absolute_error(y, p))
    assert m["mse"] == pytest.approx(mean_squared_error(y, p))
    assert m["rmse"] == pytest.approx(np.sqrt(mean_squared_error(y, p)))
    assert m["r2"] == pytest.approx(r2_score(y, p))  # textbook r2, not the SDK fixture's quirk



def test_r2_of_a_constant_label_is_undefined_never_1() -> None:
    """A model that predicts the one value of a constant label is not 'perfect': r2 has no meaning."""
    perfect = regression_metrics([20000.0] * 3, [20000.0] * 3)
    assert perfect == {"mae": 0.0, "mse": 0.0, "rmse": 0.0, "r2": None}  # RMSE 0.0 reported as it is
    assert regression_metrics([5.0, 5.0], [4.0, 6.0])["r2"] is None
    stats = regression_statistics(np.full(300, 20000.0), np.full(300, 20000.0))
    r2 = stats["regression_metrics"]["r2"]
    assert r2 == {"value": None, "standard_deviation": "NaN",
                  "reason": "r2 is undefined: the ground truth has the same value in every row (no variance)"}
    assert stats["regression_metrics"]["rmse"]["value"] == 0.0
    constraints = regression_constraints(stats)["regression_constraints"]
    assert "r2" not in constraints and constraints["rmse"]["threshold"] == 0.0  # no threshold from an undefined value
    assert model_quality_violations(stats, {"regression_constraints": {"r2": {"threshold": 0.9,
                                                                              "comparison_operator": "LessThanThreshold"}}}) == []


def test_standard_deviation_rules() -> None:
    small = regression_statistics(*_data(199))
    assert all(v["standard_deviation"] == "NaN" for v in small["regression_metrics"].values())
    big = regression_statistics(*_data(400))
    assert list(big["regression_metrics"]) == ["mae", "mse", "rmse", "r2"]
    for v in big["regression_metrics"].values():
        assert isinstance(v["standard_deviation"], float) and v["standard_deviation"] > 0
    assert big == regression_statistics(*_data(400))  # deterministic sampling
    assert big["dataset"] == {"item_count": 400} and big["version"] == 0.0


def test_constraints_use_baseline_values() -> None:
    stats = regression_statistics(*_data(50))
    c = regression_constraints(stats)["regression_constraints"]
    assert c["rmse"] == {"threshold": stats["regression_metrics"]["rmse"]["value"],
                         "comparison_operator": "GreaterThanThreshold"}
    assert c["r2"]["comparison_operator"] == "LessThanThreshold"
    assert c["mae"]["comparison_operator"] == c["mse"]["comparison_operator"] == "GreaterThanThreshold"


def test_job_with_header_csv_and_attributes(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    y, p = _data(30)
    (src / "pred.csv").write_text("id,truth,pred\n" + "".join(f"{i},{a},{b}\n" for i, (a, b) in enumerate(zip(y, p))))
    env = {"dataset_source": str(src), "output_path": str(tmp_path / "out"), "problem_type": "Regression",
           "analysis_type": "MODEL_QUALITY", "inference_attribute": "pred", "ground_truth_attribute": "truth",
           "dataset_format": '{"csv": {"header": true}}'}
    run(env)
    stats = json.loads((tmp_path / "out" / "statistics.json").read_text())
    assert stats["regression_metrics"]["rmse"]["value"] == pytest.approx(regression_metrics(y, p)["rmse"])
    # header-less: attributes are 0-based indices
    (src / "pred.csv").write_text("".join(f"{a},{b}\n" for a, b in zip(y, p)))
    run({**env, "dataset_format": '{"csv": {"header": false}}', "inference_attribute": "1", "ground_truth_attribute": "0"})
    assert json.loads((tmp_path / "out" / "statistics.json").read_text()) == stats
    (src / "pred.csv").write_text("1,abc\n")
    with pytest.raises(ClientError, match="pred.csv: column '1', line 1: value 'abc' is not numeric"):
        run({**env, "dataset_format": '{"csv": {"header": false}}', "inference_attribute": "1", "ground_truth_attribute": "0"})


def test_job_reads_linear_learner_json_scores(tmp_path: Path) -> None:
    """Linear Learner answers JSON only: a transform joins `{"score": v}` to the label (quoted or not)."""
    src = tmp_path / "scored"
    src.mkdir()
    (src / "test.csv.out").write_text('1000,{"score": 1100.5}\n2000,"{""score"": 1900}"\n3000,3000\n')
    env = {"dataset_source": str(src), "output_path": str(tmp_path / "out"), "problem_type": "Regression",
           "analysis_type": "MODEL_QUALITY", "inference_attribute": "1", "ground_truth_attribute": "0",
           "dataset_format": '{"csv": {"header": false}}'}
    run(env)
    stats = json.loads((tmp_path / "out" / "statistics.json").read_text())
    assert stats["dataset"]["item_count"] == 3
    assert stats["regression_metrics"]["mae"]["value"] == pytest.approx((100.5 + 100) / 3)
    (src / "test.csv.out").write_text('1000,{"predicted_label": 1}\n')
    with pytest.raises(ClientError, match="line 1: value '\\{\"predicted_label\": 1\\}' is not numeric"):
        run(env)


def test_load_predictor_unpacks_a_model_archive(tmp_path):
    """A processing job receives the training job's model.tar.gz as stored; the loader unpacks it."""
    import json
    import tarfile

    import numpy as np

    from mlops_algorithms.predict import load_predictor

    model_dir = tmp_path / "model"
    model_dir.mkdir()
    doc = {"featureNames": ["a", "b"], "featureDim": 2, "coefficients": [1.0, 2.0], "intercept": 0.5}
    src = tmp_path / "src"
    src.mkdir()
    (src / "linear-learner-model.json").write_text(json.dumps(doc))
    with tarfile.open(model_dir / "model.tar.gz", "w:gz") as tar:
        tar.add(src / "linear-learner-model.json", arcname="linear-learner-model.json")
    predictor = load_predictor(model_dir)
    assert predictor.family == "linear-learner"
    assert np.allclose(predictor.predict(np.array([[1.0, 1.0]])), [3.5])
