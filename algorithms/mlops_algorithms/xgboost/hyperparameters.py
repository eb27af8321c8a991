"""Hyperparameters of the built-in SageMaker XGBoost algorithm (algorithm mode), locally.

Names and ranges follow the SageMaker documentation so that a hyperparameter map works
unchanged against SageMaker.  Only regression objectives are accepted: every consumer of the
model in this framework (metrics, monitors, serving) assumes a regression target.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..contract import ClientError
from ..hyperparameters import Param, parse_hyperparameters

OBJECTIVES = ("reg:squarederror", "reg:linear", "reg:squaredlogerror", "reg:pseudohubererror",
              "reg:absoluteerror", "reg:gamma", "reg:tweedie", "count:poisson")
EVAL_METRICS = ("rmse", "mae", "rmsle", "mape", "mphe", "poisson-nloglik", "gamma-nloglik",
                "gamma-deviance", "tweedie-nloglik")
DEFAULT_EVAL_METRICS = ("rmse", "mae")
# Metrics SageMaker's XGBoost container adds to xgboost's own; here the final metric lines report
# them (every channel gets rmse, mae, mse and r2), so they are not passed to xgboost.
CONTAINER_EVAL_METRICS = ("mse", "r2")
UNIT = dict(low=0.0, high=1.0)
PARAMS = [
    Param("num_round", "int", required=True, low=1),
    Param("objective", "choice", "reg:squarederror", choices=OBJECTIVES),
    Param("booster", "choice", "gbtree", choices=("gbtree", "gblinear", "dart")),
    Param("eta", "float", **UNIT),
    Param("gamma", "float", low=0.0),
    Param("max_depth", "int", low=0),
    Param("min_child_weight", "float", low=0.0),
    Param("max_delta_step", "float", low=0.0),
    Param("subsample", "float", low=0.0, high=1.0, low_open=True),
    Param("colsample_bytree", "float", low=0.0, high=1.0, low_open=True),
    Param("colsample_bylevel", "float", low=0.0, high=1.0, low_open=True),
    Param("colsample_bynode", "float", low=0.0, high=1.0, low_open=True),
    Param("lambda", "float", low=0.0),
    Param("alpha", "float", low=0.0),
    Param("lambda_bias", "float", low=0.0),
    Param("tree_method", "choice", "auto", choices=("auto", "exact", "approx", "hist", "gpu_hist")),
    Param("sketch_eps", "float", low=0.0, high=1.0, low_open=True, high_open=True),
    Param("scale_pos_weight", "float", low=0.0, low_open=True),
    Param("updater", "str"),
    Param("refresh_leaf", "int", low=0, high=1),
    Param("process_type", "choice", choices=("default", "update")),
    Param("grow_policy", "choice", choices=("depthwise", "lossguide")),
    Param("max_leaves", "int", low=0),
    Param("max_bin", "int", low=2),
    Param("num_parallel_tree", "int", low=1),
    Param("sample_type", "choice", choices=("uniform", "weighted")),
    Param("normalize_type", "choice", choices=("tree", "forest")),
    Param("rate_drop", "float", **UNIT),
    Param("one_drop", "int", low=0, high=1),
    Param("skip_drop", "float", **UNIT),
    Param("tweedie_variance_power", "float", low=1.0, high=2.0, low_open=True, high_open=True),
    Param("monotone_constraints", "str"),
    Param("interaction_constraints", "str"),
    Param("base_score", "float"),
    Param("eval_metric", "str"),
    Param("early_stopping_rounds", "int", low=1),
    Param("seed", "int", 0),
    Param("nthread", "int", low=1),
    Param("verbosity", "int", 1, low=0, high=3),
    Param("csv_weights", "int", 0, low=0, high=1),
    Param("num_class", "int", low=1),
    Param("deterministic_histogram", "bool"),
    Param("single_precision_histogram", "bool"),
    Param("sampling_method", "choice", choices=("uniform", "gradient_based")),
]
# Passed to xgboost under the same name when given.
PASS_THROUGH = ("booster", "eta", "gamma", "max_depth", "min_child_weight", "max_delta_step", "subsample",
                "colsample_bytree", "colsample_bylevel", "colsample_bynode", "lambda", "alpha", "sketch_eps",
                "scale_pos_weight", "updater", "refresh_leaf", "process_type", "grow_policy", "max_leaves",
                "max_bin", "num_parallel_tree", "sample_type", "normalize_type", "rate_drop", "one_drop",
                "skip_drop", "tweedie_variance_power", "monotone_constraints", "interaction_constraints",
                "base_score", "seed", "verbosity", "sampling_method")


@dataclass(frozen=True)
class XGBoostConfig:
    """Everything the training loop needs, derived from the hyperparameters."""

    params: dict[str, Any]
    num_round: int
    eval_metrics: tuple[str, ...]
    early_stopping_rounds: int | None
    early_stopping_metric: str | None  # None: xgboost's rule (last metric)
    csv_weights: bool
    nthread: int
    ignored: tuple[str, ...]


def _eval_metrics(text: str | None) -> tuple[str, ...]:
    if text is None:
        return DEFAULT_EVAL_METRICS
    metrics = tuple(m.strip() for m in text.split(",") if m.strip())
    if not metrics:
        raise ClientError("Hyperparameter eval_metric: value is empty")
    for m in metrics:
        if m.split("@")[0] not in EVAL_METRICS + CONTAINER_EVAL_METRICS:
            raise ClientError(
                f"Hyperparameter eval_metric: value '{m}' is not a supported regression metric "
                f"({', '.join(EVAL_METRICS + CONTAINER_EVAL_METRICS)})"
            )
    return metrics


def build_config(raw: dict[str, str], default_threads: int) -> XGBoostConfig:
    """Validate ``raw`` (hyperparameters.json) and translate it to xgboost's native parameters."""
    hp = parse_hyperparameters(raw, PARAMS)
    if hp["tree_method"] == "gpu_hist":
        raise ClientError("Hyperparameter tree_method: value 'gpu_hist' is not supported locally (no GPU); use hist")
    if hp["num_class"] is not None:
        raise ClientError("Hyperparameter num_class: classification is not supported (regression objectives only)")
    objective = "reg:squarederror" if hp["objective"] == "reg:linear" else hp["objective"]
    nthread = hp["nthread"] or default_threads
    params: dict[str, Any] = {"objective": objective, "nthread": nthread, "tree_method": hp["tree_method"]}
    params.update({k: hp[k] for k in PASS_THROUGH if k == "seed" or (k in raw and hp[k] is not None)})
    metrics = _eval_metrics(hp["eval_metric"])
    native = [m for m in metrics if m not in CONTAINER_EVAL_METRICS]
    params["eval_metric"] = native or [DEFAULT_EVAL_METRICS[0]]
    if hp["early_stopping_rounds"] is not None and "eval_metric" in raw and metrics[-1] in CONTAINER_EVAL_METRICS:
        raise ClientError(
            f"Hyperparameter eval_metric: early stopping uses the last metric, and '{metrics[-1]}' is only "
            "reported after training here; list rmse or mae last"
        )
    ignored = tuple(k for k in ("deterministic_histogram", "single_precision_histogram", "lambda_bias") if k in raw)
    return XGBoostConfig(
        params=params,
        num_round=hp["num_round"],
        eval_metrics=metrics,
        early_stopping_rounds=hp["early_stopping_rounds"],
        early_stopping_metric=None if "eval_metric" in raw else DEFAULT_EVAL_METRICS[0],
        csv_weights=hp["csv_weights"] == 1,
        nthread=nthread,
        ignored=ignored,
    )
