"""Entry points as subprocesses: exit codes, failure file / message, ClientError vs AlgorithmError."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import pytest

from conftest import make_training_base, run_module
from mlops_algorithms.contract import run_training_job
from mlops_algorithms.defaults import LINEAR_LEARNER, XGBOOST


def _failure(base: Path) -> str:
    return (base / "output" / "failure").read_text().strip()


@pytest.mark.parametrize("module,hp,model_file", [
    ("mlops_algorithms.xgboost", XGBOOST, "xgboost-model"),
    ("mlops_algorithms.linear_learner", LINEAR_LEARNER, "linear-learner-model.json"),
])
def test_training_success(prepared: Path, tmp_path: Path, module: str, hp: dict, model_file: str) -> None:
    base = make_training_base(tmp_path, prepared, hp)
    proc = run_module(module, ["train"], base)
    assert proc.returncode == 0, proc.stderr
    assert (base / "model" / model_file).is_file()
    assert not (base / "output" / "failure").exists()


@pytest.mark.parametrize("module,hp,expected", [
    ("mlops_algorithms.xgboost", {"num_round": "10", "colour": "red"},
     "ClientError: Additional hyperparameters are not allowed ('colour' was unexpected)"),
    ("mlops_algorithms.xgboost", {"num_round": "ten"}, "ClientError: Hyperparameter num_round: value 'ten' is not a number"),
    ("mlops_algorithms.linear_learner", {"predictor_type": "multiclass_classifier"},
     "ClientError: Hyperparameter predictor_type: value 'multiclass_classifier' is not supported here (only regressor)"),
])
def test_training_client_errors(prepared: Path, tmp_path: Path, module: str, hp: dict, expected: str) -> None:
    base = make_training_base(tmp_path, prepared, hp, channels=("train",))
    proc = run_module(module, ["train"], base)
    assert proc.returncode == 2
    assert _failure(base) == expected
    assert "Traceback" not in proc.stderr and not (base / "model" / "xgboost-model").exists()


def test_bad_training_data_names_file_and_line(prepared: Path, tmp_path: Path) -> None:
    base = make_training_base(tmp_path, prepared, {"predictor_type": "regressor"}, channels=("train",))
    path = base / "input" / "data" / "train" / "train.csv"
    lines = path.read_text().splitlines()
    lines[4] = lines[4].replace(",", ",abc,", 1).rsplit(",", 1)[0]
    path.write_text("\n".join(lines) + "\n")
    proc = run_module("mlops_algorithms.linear_learner", ["train"], base)
    assert proc.returncode == 2
    assert _failure(base) == "ClientError: channel 'train', file train.csv, line 5, column 1: value 'abc' is not numeric"


def test_missing_train_channel_and_argument(tmp_path: Path) -> None:
    base = tmp_path / "base"
    (base / "input" / "config").mkdir(parents=True)
    (base / "input" / "config" / "hyperparameters.json").write_text(json.dumps({"num_round": "3"}))
    proc = run_module("mlops_algorithms.xgboost", ["train"], base)
    assert proc.returncode == 2 and _failure(base).startswith("ClientError: the 'train' channel is required")
    proc = run_module("mlops_algorithms.xgboost", ["serve"], base)
    assert proc.returncode == 2 and "expected the argument 'train'" in _failure(base)


def test_non_string_hyperparameter_is_client_error(tmp_path: Path) -> None:
    base = tmp_path / "base"
    (base / "input" / "config").mkdir(parents=True)
    (base / "input" / "config" / "hyperparameters.json").write_text(json.dumps({"num_round": 3}))
    proc = run_module("mlops_algorithms.xgboost", ["train"], base)
    assert proc.returncode == 2 and "must be a JSON string" in _failure(base)


def test_unexpected_exception_is_algorithm_error(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SAGEMAKER_BASE_DIR", str(tmp_path))

    def job(paths):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk on fire\nsecond line")

    assert run_training_job(job, ["train"]) == 1
    assert _failure(tmp_path) == "AlgorithmError: RuntimeError: disk on fire second line"
    assert "Traceback" in capsys.readouterr().err  # stack trace goes to stderr, not into the failure file


def test_monitor_errors_and_message(tmp_path: Path, prepared: Path) -> None:
    base = tmp_path / "base"
    proc = run_module("mlops_algorithms.monitor", ["nope"], base)
    assert proc.returncode == 2
    assert (base / "output" / "message").read_text().startswith("ClientError: expected one command")
    env = {"dataset_source": str(prepared / "test"), "output_path": str(tmp_path / "out"),
           "problem_type": "BinaryClassification", "analysis_type": "MODEL_QUALITY"}
    proc = run_module("mlops_algorithms.monitor", ["model-quality-baseline"], base, env)
    assert proc.returncode == 2
    assert (base / "output" / "message").read_text().strip() == \
        "ClientError: problem_type 'BinaryClassification' is not supported locally (only Regression)"


def test_monitor_baselines_succeed(tmp_path: Path, prepared: Path) -> None:
    base = tmp_path / "base"
    schema = str(prepared / "schema" / "feature-schema.json")
    env = {"dataset_source": str(prepared / "train"), "output_path": str(tmp_path / "dq"), "feature_schema": schema,
           "dataset_format": json.dumps({"csv": {"header": False, "output_columns_position": "START"}})}
    proc = run_module("mlops_algorithms.monitor", ["data-quality-baseline"], base, env)
    assert proc.returncode == 0, proc.stderr
    assert (base / "output" / "message").read_text().startswith("Completed: ")
    assert json.loads((tmp_path / "dq" / "statistics.json").read_text())["features"][0]["name"] == "Price"
    model = make_training_base(tmp_path / "train", prepared, LINEAR_LEARNER)
    assert run_module("mlops_algorithms.linear_learner", ["train"], model).returncode == 0
    # The test split scored by the trained model (a batch transform does this in the pipeline): label,prediction.
    from mlops_algorithms.predict import load_predictor

    test = np.loadtxt(next((prepared / "test").glob("*.csv")), delimiter=",", ndmin=2)
    scored = tmp_path / "scored"
    scored.mkdir()
    predictions = load_predictor(model / "model").predict(test[:, 1:])
    (scored / "test.csv.out").write_text("".join(f"{float(y)!r},{float(p)!r}\n" for y, p in zip(test[:, 0], predictions)))
    env = {"dataset_source": str(scored), "output_path": str(tmp_path / "mq"), "analysis_type": "MODEL_QUALITY",
           "problem_type": "Regression", "dataset_format": json.dumps({"csv": {"header": False}}),
           "inference_attribute": "1", "ground_truth_attribute": "0"}
    proc = run_module("mlops_algorithms.monitor", ["model-quality-baseline"], base, env)
    assert proc.returncode == 0, proc.stderr
    stats = json.loads((tmp_path / "mq" / "statistics.json").read_text())
    assert stats["dataset"]["item_count"] == 121 and stats["regression_metrics"]["rmse"]["value"] <= 3100


def test_training_waits_for_the_test_hold_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """MLOPS_TEST_HOLD_TRAINING_UNTIL (tests only): the job's work starts once the named file exists."""
    import threading

    monkeypatch.setenv("SAGEMAKER_BASE_DIR", str(tmp_path))
    gate = tmp_path / "release"
    monkeypatch.setenv("MLOPS_TEST_HOLD_TRAINING_UNTIL", str(gate))
    started = threading.Event()
    result: list[int] = []
    runner = threading.Thread(target=lambda: result.append(run_training_job(lambda paths: started.set(), ["train"])))
    runner.start()
    assert not started.wait(0.3), "the job started before the hold file existed"
    gate.write_text("")
    runner.join(5)
    assert started.is_set() and result == [0]
