"""Hyperparameters of SageMaker Linear Learner, mapped honestly onto what we can run locally.

Every documented Linear Learner name is accepted (so a SageMaker hyperparameter map works
unchanged); names that have no local meaning are reported as ignored in the log instead of
silently pretending.  Only ``predictor_type=regressor`` is supported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..contract import ClientError
from ..hyperparameters import AUTO, Param, parse_hyperparameters

REGRESSION_LOSSES = ("squared_loss", "absolute_loss", "eps_insensitive_squared_loss",
                     "eps_insensitive_absolute_loss", "quantile_loss", "huber_loss")
CLASSIFICATION_LOSSES = ("logistic", "softmax_loss", "hinge_loss")
NONNEG = dict(low=0.0)
PARAMS = [
    Param("predictor_type", "choice", required=True,
          choices=("binary_classifier", "multiclass_classifier", "regressor")),
    Param("feature_dim", "int", AUTO, low=1, allow_auto=True),
    Param("epochs", "int", 15, low=1),
    Param("mini_batch_size", "int", 1000, low=1),
    Param("loss", "choice", AUTO, choices=REGRESSION_LOSSES + CLASSIFICATION_LOSSES, allow_auto=True),
    Param("optimizer", "choice", AUTO, choices=("sgd", "adam", "rmsprop"), allow_auto=True),
    Param("learning_rate", "float", AUTO, low=0.0, low_open=True, allow_auto=True),
    Param("wd", "float", AUTO, allow_auto=True, **NONNEG),
    Param("l1", "float", AUTO, allow_auto=True, **NONNEG),
    Param("use_bias", "bool", True),
    Param("normalize_data", "bool", True),
    Param("normalize_label", "bool", AUTO, allow_auto=True),
    Param("unbias_data", "bool", AUTO, allow_auto=True),
    Param("unbias_label", "bool", AUTO, allow_auto=True),
    Param("num_point_for_scaler", "int", 10000, low=1),
    Param("num_models", "int", AUTO, low=1, allow_auto=True),
    Param("num_calibration_samples", "int", 10000000, low=1),
    Param("init_method", "choice", "uniform", choices=("uniform", "normal")),
    Param("init_scale", "float", 0.07, **NONNEG),
    Param("init_sigma", "float", 0.01, **NONNEG),
    Param("init_bias", "float", 0.0),
    Param("early_stopping_patience", "int", 3, low=1),
    Param("early_stopping_tolerance", "float", 0.001, low=0.0, low_open=True),
    Param("use_lr_scheduler", "bool", True),
    Param("lr_scheduler_step", "int", AUTO, low=1, allow_auto=True),
    Param("lr_scheduler_factor", "float", AUTO, low=0.0, high=1.0, low_open=True, allow_auto=True),
    Param("lr_scheduler_minimum_lr", "float", AUTO, low=0.0, allow_auto=True),
    Param("huber_delta", "float", 1.0, **NONNEG),
    Param("quantile", "float", 0.5, low=0.0, high=1.0, low_open=True, high_open=True),
    Param("loss_insensitivity", "float", 0.01, **NONNEG),
    Param("beta_1", "float", AUTO, low=0.0, high=1.0, high_open=True, allow_auto=True),
    Param("beta_2", "float", AUTO, low=0.0, high=1.0, high_open=True, allow_auto=True),
    Param("momentum", "float", AUTO, low=0.0, high=1.0, high_open=True, allow_auto=True),
    Param("bias_lr_mult", "float", AUTO, low=0.0, low_open=True, allow_auto=True),
    Param("bias_wd_mult", "float", AUTO, allow_auto=True, **NONNEG),
    # classification-only names: accepted for map compatibility, meaningless for a regressor
    Param("binary_classifier_model_selection_criteria", "str"),
    Param("target_recall", "float"), Param("target_precision", "float"),
    Param("positive_example_weight_mult", "str"), Param("margin", "float"),
    Param("num_classes", "int"), Param("balance_multiclass_weights", "bool"),
    Param("accuracy_top_k", "int"), Param("f_beta", "float"),
]
CLASSIFICATION_ONLY = ("binary_classifier_model_selection_criteria", "target_recall", "target_precision",
                       "positive_example_weight_mult", "margin", "num_classes", "balance_multiclass_weights",
                       "accuracy_top_k", "f_beta")
NO_LOCAL_EFFECT = ("num_models", "num_calibration_samples", "num_point_for_scaler", "init_method", "init_scale",
                   "init_sigma", "init_bias", "lr_scheduler_step", "lr_scheduler_factor",
                   "lr_scheduler_minimum_lr", "momentum", "bias_lr_mult", "bias_wd_mult")


@dataclass(frozen=True)
class LinearConfig:
    """Resolved settings (no ``auto`` left) the solvers and the training loop use."""

    raw: dict[str, str]
    feature_dim: int | None
    epochs: int
    mini_batch_size: int
    loss: str
    optimizer: str  # "exact" | "sgd" | "adam"
    learning_rate: float | None  # None: solver default
    wd: float
    l1: float
    use_bias: bool
    normalize_data: bool
    normalize_label: bool
    unbias_data: bool
    unbias_label: bool
    patience: int
    tolerance: float
    use_lr_scheduler: bool
    huber_delta: float
    quantile: float
    loss_insensitivity: float
    beta_1: float
    beta_2: float
    notes: tuple[str, ...]


def _resolve_optimizer(hp: dict[str, Any], loss: str, notes: list[str]) -> str:
    opt = hp["optimizer"]
    if opt == "rmsprop":
        raise ClientError("Hyperparameter optimizer: value 'rmsprop' is not supported locally (scikit-learn has "
                          "no RMSProp for linear models); use auto, sgd or adam")
    if opt == AUTO:
        if loss in ("squared_loss", "absolute_loss", "quantile_loss"):
            return "exact"
        notes.append(f"optimizer auto: no exact solver for {loss}; using sgd")
        return "sgd"
    if opt == "adam" and loss != "squared_loss":
        raise ClientError(f"Hyperparameter loss: value '{loss}' is not supported with optimizer adam locally "
                          "(scikit-learn's linear Adam fits squared loss only); use optimizer sgd or auto")
    if opt == "sgd" and loss == "quantile_loss":
        raise ClientError("Hyperparameter loss: value 'quantile_loss' is not supported with optimizer sgd locally; "
                          "use optimizer auto (exact quantile regression)")
    return opt


def build_config(raw: dict[str, str]) -> LinearConfig:
    """Validate ``raw`` (hyperparameters.json) and resolve every ``auto``."""
    hp = parse_hyperparameters(raw, PARAMS)
    if hp["predictor_type"] != "regressor":
        raise ClientError(f"Hyperparameter predictor_type: value '{hp['predictor_type']}' is not supported here "
                          "(only regressor)")
    loss = "squared_loss" if hp["loss"] == AUTO else hp["loss"]
    if loss in CLASSIFICATION_LOSSES:
        raise ClientError(f"Hyperparameter loss: value '{loss}' is a classification loss; predictor_type is regressor")
    notes = [f"{k} applies to classifiers only; ignored" for k in CLASSIFICATION_ONLY if k in raw]
    notes += [f"{k} has no local equivalent; ignored" for k in NO_LOCAL_EFFECT if k in raw]
    optimizer = _resolve_optimizer(hp, loss, notes)
    wd = 0.0 if hp["wd"] == AUTO else hp["wd"]
    l1 = 0.0 if hp["l1"] == AUTO else hp["l1"]
    if optimizer == "exact" and loss != "squared_loss" and wd > 0:
        raise ClientError(f"Hyperparameter wd: L2 regularisation is not supported with {loss} and the exact solver "
                          "(scikit-learn QuantileRegressor has an L1 penalty only); set wd=0 or choose optimizer sgd")
    if optimizer == "adam" and l1 > 0:
        raise ClientError("Hyperparameter l1: not supported with optimizer adam locally (L2 only); use auto or sgd")
    use_bias = hp["use_bias"]
    if optimizer == "adam" and not use_bias:
        raise ClientError("Hyperparameter use_bias: false is not supported with optimizer adam locally")
    if optimizer == "exact" and any(k in raw for k in ("epochs", "mini_batch_size", "learning_rate")):
        notes.append("exact solver: epochs, mini_batch_size and learning_rate have no effect")
    return LinearConfig(
        raw=dict(raw),
        feature_dim=None if hp["feature_dim"] == AUTO else hp["feature_dim"],
        epochs=hp["epochs"], mini_batch_size=hp["mini_batch_size"], loss=loss, optimizer=optimizer,
        learning_rate=None if hp["learning_rate"] == AUTO else hp["learning_rate"],
        wd=wd, l1=l1, use_bias=use_bias, normalize_data=hp["normalize_data"],
        normalize_label=True if hp["normalize_label"] == AUTO else hp["normalize_label"],
        unbias_data=use_bias if hp["unbias_data"] == AUTO else hp["unbias_data"],
        unbias_label=use_bias if hp["unbias_label"] == AUTO else hp["unbias_label"],
        patience=hp["early_stopping_patience"], tolerance=hp["early_stopping_tolerance"],
        use_lr_scheduler=hp["use_lr_scheduler"], huber_delta=hp["huber_delta"], quantile=hp["quantile"],
        loss_insensitivity=hp["loss_insensitivity"],
        beta_1=0.9 if hp["beta_1"] == AUTO else hp["beta_1"],
        beta_2=0.999 if hp["beta_2"] == AUTO else hp["beta_2"],
        notes=tuple(notes),
    )
