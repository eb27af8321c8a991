"""Training jobs in-process on the real dataset: targets, final metrics, early stopping, LL solvers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import make_training_base
from logs import all_matches, final_metrics
from mlops_algorithms.defaults import LINEAR_LEARNER, XGBOOST
from mlops_algorithms.linear_learner.__main__ import main as ll_main
from mlops_algorithms.metrics import regression_metrics
from mlops_algorithms.predict import load_predictor
from mlops_algorithms.xgboost.__main__ import main as xgb_main


def _train(main, base: Path, in_base, capsys) -> str:  # type: ignore[no-untyped-def]
    in_base(base)
    code = main(["train"])
    out = capsys.readouterr().out
    assert code == 0, (base / "output" / "failure").read_text() if (base / "output" / "failure").exists() else out
    return out


def _test_rmse(model_dir: Path, prepared: Path) -> float:
    data = np.loadtxt(prepared / "test" / "test.csv", delimiter=",")
    return regression_metrics(data[:, 0], load_predictor(model_dir).predict(data[:, 1:]))["rmse"]


@pytest.fixture(scope="module")
def xgb_run(prepared: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    import contextlib
    import io
    import os

    base = make_training_base(tmp_path_factory.mktemp("xgb"), prepared, XGBOOST, hosts=2)
    old = os.environ.get("SAGEMAKER_BASE_DIR")
    os.environ["SAGEMAKER_BASE_DIR"] = str(base)
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            assert xgb_main(["train"]) == 0
    finally:
        if old is None:
            del os.environ["SAGEMAKER_BASE_DIR"]
        else:
            os.environ["SAGEMAKER_BASE_DIR"] = old
    return base, buf.getvalue()


def test_xgboost_defaults_meet_target(xgb_run: tuple[Path, str], prepared: Path) -> None:
    base, log = xgb_run
    metrics = final_metrics(log, "xgboost")
    assert metrics["test:rmse"] <= 2500, metrics
    assert metrics["test:r2"] > 0.9 and metrics["validation:rmse"] < 2500
    assert metrics["test:rmse"] == pytest.approx(_test_rmse(base / "model", prepared), rel=1e-5)
    assert "2 thread(s)" in log  # two hosts -> two threads


def test_xgboost_log_lines_are_evaluation_monitor_format(xgb_run: tuple[Path, str]) -> None:
    _, log = xgb_run
    rounds = [line for line in log.splitlines() if line.startswith("[") and "train-rmse" in line]
    assert rounds[0].startswith("[0]\ttrain-rmse:") and "\tvalidation-rmse:" in rounds[0] and "\ttrain-mae:" in rounds[0]
    assert rounds[-1].startswith("[300]\ttrain-rmse:") and "\ttrain-r2:" in rounds[-1]  # final line
    assert len(all_matches(log, "xgboost", "validation:rmse")) == 301
    finals = [line for line in log.splitlines() if line.startswith("[300]")]
    assert [f.split("\t")[1].split("-")[0] for f in finals] == ["train", "validation", "test"]


def test_xgboost_early_stopping_keeps_best_model(prepared: Path, tmp_path: Path, in_base, capsys) -> None:
    hp = {"num_round": "400", "eta": "0.5", "max_depth": "6", "early_stopping_rounds": "5", "seed": "1"}
    log = _train(xgb_main, make_training_base(tmp_path, prepared, hp), in_base, capsys)
    per_round = all_matches(log, "xgboost", "validation:rmse")[:-1]
    assert len(per_round) < 400
    assert final_metrics(log, "xgboost")["validation:rmse"] == pytest.approx(min(per_round), rel=1e-5)


@pytest.fixture(scope="module")
def ll_run(prepared: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    import contextlib
    import io
    import os

    base = make_training_base(tmp_path_factory.mktemp("ll"), prepared, LINEAR_LEARNER)
    schema_dir = base / "input" / "data" / "schema"
    schema_dir.mkdir()
    (schema_dir / "feature-schema.json").write_bytes((prepared / "schema" / "feature-schema.json").read_bytes())
    old = os.environ.get("SAGEMAKER_BASE_DIR")
    os.environ["SAGEMAKER_BASE_DIR"] = str(base)
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            assert ll_main(["train"]) == 0
    finally:
        if old is None:
            del os.environ["SAGEMAKER_BASE_DIR"]
        else:
            os.environ["SAGEMAKER_BASE_DIR"] = old
    return base, buf.getvalue()


def test_linear_defaults_meet_target(ll_run: tuple[Path, str], prepared: Path) -> None:
    base, log = ll_run
    metrics = final_metrics(log, "linear-learner")
    assert metrics["test:rmse"] <= 3100, metrics
    assert metrics["test:rmse"] == pytest.approx(_test_rmse(base / "model", prepared), rel=1e-5)
    assert metrics["validation:mse"] == pytest.approx(metrics["validation:rmse"] ** 2)
    assert metrics["train:progress"] == 100
    assert {"validation:objective_loss", "validation:absolute_loss", "validation:r2", "test:r2", "train:rmse"} <= set(metrics)


def test_linear_model_file_is_portable(ll_run: tuple[Path, str], prepared: Path) -> None:
    base, _ = ll_run
    doc = json.loads((base / "model" / "linear-learner-model.json").read_text())
    schema = json.loads((prepared / "schema" / "feature-schema.json").read_text())
    assert doc["featureNames"] == [f["name"] for f in schema["features"]]  # from the schema channel
    data = np.loadtxt(prepared / "test" / "test.csv", delimiter=",")
    raw = data[:, 1:] @ np.asarray(doc["rawCoefficients"]) + doc["rawIntercept"]
    assert np.allclose(raw, load_predictor(base / "model").predict(data[:, 1:]), rtol=1e-5)


def test_closed_form_ridge_equals_sklearn(prepared: Path) -> None:
    from sklearn.linear_model import LinearRegression, Ridge

    from mlops_algorithms.linear_learner.solvers import ridge

    data = np.loadtxt(prepared / "train" / "train.csv", delimiter=",")
    Z = (data[:, 1:] - data[:, 1:].mean(0)) / data[:, 1:].std(0)
    t = (data[:, 0] - data[:, 0].mean()) / data[:, 0].std()
    for wd in (0.03, 0.5):
        ours = ridge(Z, t, wd, use_bias=True)
        ref = Ridge(alpha=len(t) * wd).fit(Z, t)
        assert np.allclose(ours.coef, ref.coef_, atol=1e-8) and ours.intercept == pytest.approx(ref.intercept_, abs=1e-9)
    ours = ridge(Z, t, 0.0, use_bias=True)
    ref = LinearRegression().fit(Z, t)
    assert np.allclose(Z @ ours.coef + ours.intercept, ref.predict(Z), atol=1e-8)


@pytest.mark.parametrize("extra,solver", [
    ({"optimizer": "sgd", "epochs": "8"}, "SGDRegressor"),
    ({"optimizer": "adam", "epochs": "6", "mini_batch_size": "64", "learning_rate": "0.02"}, "MLPRegressor"),
    ({"l1": "0.001", "wd": "0.001"}, "ElasticNet"),
    ({"loss": "absolute_loss"}, "QuantileRegressor"),
    ({"loss": "huber_loss", "epochs": "5"}, "SGDRegressor(loss=huber"),
])
def test_linear_solvers(prepared: Path, tmp_path: Path, in_base, capsys, extra: dict[str, str], solver: str) -> None:
    hp = {"predictor_type": "regressor", **extra}
    log = _train(ll_main, make_training_base(tmp_path, prepared, hp), in_base, capsys)
    assert solver in log
    metrics = final_metrics(log, "linear-learner")
    assert metrics["test:rmse"] < 4000
    epochs = all_matches(log, "linear-learner", "validation:objective_loss")
    assert len(epochs) >= 1 and all_matches(log, "linear-learner", "train:progress")[-1] > 0


@pytest.mark.parametrize("family,main,hp", [("xgboost", xgb_main, {**XGBOOST, "num_round": "20"}),
                                             ("linear-learner", ll_main, LINEAR_LEARNER)])
def test_when_a_channel_has_a_constant_label_then_its_r2_is_not_reported(
        prepared: Path, tmp_path: Path, in_base, capsys, family: str, main, hp: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Never an r2 of 1.0 (or any number) where it is undefined; the log says why instead."""
    base = make_training_base(tmp_path, prepared, hp, channels=("train", "validation"))
    validation = base / "input" / "data" / "validation" / "validation.csv"
    validation.write_text("".join("20000," + line.split(",", 1)[1] + "\n" for line in validation.read_text().splitlines()))
    log = _train(main, base, in_base, capsys)
    metrics = final_metrics(log, family)
    assert "validation:r2" not in metrics and metrics["validation:rmse"] > 0 and "train:r2" in metrics
    assert ("[warning] channel 'validation': r2 is undefined: the label has the same value in every row (no variance); "
            "r2 not reported") in log
