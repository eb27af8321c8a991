"""Hyperparameter parsing and rejection (generic parser, XGBoost and Linear Learner maps)."""

from __future__ import annotations

import pytest

from mlops_algorithms.contract import ClientError
from mlops_algorithms.defaults import LINEAR_LEARNER, XGBOOST
from mlops_algorithms.hyperparameters import AUTO, Param, parse_hyperparameters
from mlops_algorithms.linear_learner.hyperparameters import build_config as ll_config
from mlops_algorithms.xgboost.hyperparameters import build_config as xgb_config


def test_generic_types_ranges_and_auto() -> None:
    params = [Param("n", "int", required=True, low=1), Param("f", "float", 0.5, low=0, high=1, low_open=True),
              Param("b", "bool", True), Param("c", "choice", "x", choices=("x", "y")),
              Param("a", "float", AUTO, allow_auto=True)]
    hp = parse_hyperparameters({"n": "3", "f": "1", "b": "False", "c": "y", "a": "auto"}, params)
    assert hp == {"n": 3, "f": 1.0, "b": False, "c": "y", "a": AUTO}
    assert parse_hyperparameters({"n": "2.0"}, params)["n"] == 2
    for raw, fragment in [({"n": "0"}, "Hyperparameter n: value '0' is not in range [1, inf]"),
                          ({"n": "1.5"}, "is not an integer"), ({"n": "x"}, "is not a number"),
                          ({"n": "1", "f": "0"}, "is not in range (0, 1]"), ({"n": "1", "f": "nan"}, "finite"),
                          ({"n": "1", "b": "yes"}, "is not a boolean"), ({"n": "1", "c": "z"}, "is not one of x, y"),
                          ({}, "Missing required hyperparameter(s): n")]:
        with pytest.raises(ClientError) as info:
            parse_hyperparameters(raw, params)
        assert fragment in str(info.value)


def test_unknown_names_rejected_like_sagemaker() -> None:
    with pytest.raises(ClientError) as info:
        xgb_config({"num_round": "10", "foo": "1", "bar": "2"}, 1)
    assert str(info.value) == "Additional hyperparameters are not allowed ('bar', 'foo' were unexpected)"
    with pytest.raises(ClientError, match=r"\('max_dept' was unexpected\)"):
        xgb_config({"num_round": "10", "max_dept": "3"}, 1)
    # keys added by SageMaker automatic model tuning are tolerated
    assert xgb_config({"num_round": "10", "_tuning_objective_metric": "validation:rmse"}, 1).num_round == 10


def test_xgboost_mapping_and_defaults() -> None:
    cfg = xgb_config(XGBOOST, default_threads=2)
    assert cfg.num_round == 300 and cfg.nthread == 2
    assert cfg.params["eta"] == 0.05 and cfg.params["max_depth"] == 4 and cfg.params["seed"] == 42
    assert cfg.params["objective"] == "reg:squarederror" and cfg.params["eval_metric"] == ["rmse", "mae"]
    minimal = xgb_config({"num_round": "5", "objective": "reg:linear", "nthread": "3"}, 2)
    assert minimal.params["objective"] == "reg:squarederror" and minimal.nthread == 3
    assert minimal.eval_metrics == ("rmse", "mae") and minimal.early_stopping_metric == "rmse"
    assert minimal.params["seed"] == 0 and "eta" not in minimal.params


@pytest.mark.parametrize("raw,fragment", [
    ({}, "Missing required hyperparameter(s): num_round"),
    ({"num_round": "0"}, "Hyperparameter num_round: value '0'"),
    ({"num_round": "10", "eta": "1.5"}, "Hyperparameter eta: value '1.5' is not in range [0, 1]"),
    ({"num_round": "10", "subsample": "0"}, "Hyperparameter subsample"),
    ({"num_round": "10", "max_depth": "deep"}, "Hyperparameter max_depth: value 'deep' is not a number"),
    ({"num_round": "10", "objective": "binary:logistic"}, "Hyperparameter objective"),
    ({"num_round": "10", "tree_method": "gpu_hist"}, "gpu_hist"),
    ({"num_round": "10", "eval_metric": "rmse,auc"}, "Hyperparameter eval_metric: value 'auc'"),
    ({"num_round": "10", "num_class": "3"}, "Hyperparameter num_class"),
])
def test_xgboost_rejections(raw: dict[str, str], fragment: str) -> None:
    with pytest.raises(ClientError) as info:
        xgb_config(raw, 1)
    assert fragment in str(info.value)


def test_linear_learner_mapping() -> None:
    cfg = ll_config(LINEAR_LEARNER)
    assert (cfg.loss, cfg.optimizer, cfg.wd, cfg.l1) == ("squared_loss", "exact", 0.03, 0.0)
    assert cfg.normalize_data and cfg.normalize_label and cfg.unbias_data and cfg.unbias_label
    auto = ll_config({"predictor_type": "regressor"})
    assert (auto.loss, auto.optimizer, auto.wd, auto.epochs, auto.mini_batch_size) == ("squared_loss", "exact", 0.0, 15, 1000)
    assert ll_config({"predictor_type": "regressor", "loss": "huber_loss"}).optimizer == "sgd"
    assert ll_config({"predictor_type": "regressor", "loss": "absolute_loss"}).optimizer == "exact"
    nobias = ll_config({"predictor_type": "regressor", "use_bias": "false"})
    assert not nobias.unbias_data and not nobias.unbias_label
    noted = ll_config({"predictor_type": "regressor", "num_models": "4", "margin": "1.0"})
    assert any("num_models" in n for n in noted.notes) and any("margin" in n for n in noted.notes)


@pytest.mark.parametrize("raw,fragment", [
    ({}, "Missing required hyperparameter(s): predictor_type"),
    ({"predictor_type": "binary_classifier"}, "predictor_type: value 'binary_classifier' is not supported"),
    ({"predictor_type": "regressor", "optimizer": "rmsprop"}, "optimizer: value 'rmsprop'"),
    ({"predictor_type": "regressor", "loss": "logistic"}, "classification loss"),
    ({"predictor_type": "regressor", "optimizer": "adam", "loss": "huber_loss"}, "Hyperparameter loss"),
    ({"predictor_type": "regressor", "epochs": "0"}, "Hyperparameter epochs"),
    ({"predictor_type": "regressor", "wd": "-1"}, "Hyperparameter wd"),
    ({"predictor_type": "regressor", "normalize_data": "maybe"}, "Hyperparameter normalize_data"),
    ({"predictor_type": "regressor", "loss": "absolute_loss", "wd": "0.1"}, "Hyperparameter wd"),
    ({"predictor_type": "regressor", "learning_rate": "fast"}, "Hyperparameter learning_rate"),
    ({"predictor_type": "regressor", "alpha": "1"}, "Additional hyperparameters are not allowed ('alpha' was unexpected)"),
])
def test_linear_learner_rejections(raw: dict[str, str], fragment: str) -> None:
    with pytest.raises(ClientError) as info:
        ll_config(raw)
    assert fragment in str(info.value)
