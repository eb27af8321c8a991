"""XGBoost training job: channels -> Booster, logging like the built-in container.

Per round the log is xgboost's own ``EvaluationMonitor`` output (``[17]\\ttrain-rmse:...``).
After training one line per channel reports the FINAL model's metrics, so the orchestrator's
"last match per metric" equals the final model, as SageMaker's FinalMetricDataList.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np

from ..channels import LabeledData, read_channels
from ..contract import AlgorithmError, ClientError, TrainingPaths, read_hyperparameters, read_input_data_config, read_resource_config
from ..metrics import R2_UNDEFINED, regression_metrics
from ..predict import XGBOOST_MODEL_FILE
from .hyperparameters import XGBoostConfig, build_config


def _log(message: str) -> None:
    sys.stdout.write(message if message.endswith("\n") else message + "\n")


def _dmatrix(xgb: Any, data: LabeledData, cfg: XGBoostConfig) -> Any:
    X, weight = data.X, None
    if cfg.csv_weights:
        if X.shape[1] < 2:
            raise ClientError(f"csv_weights=1 needs a weight column and at least one feature in channel '{data.channel}'")
        weight, X = X[:, 0], X[:, 1:]
        if np.isnan(weight).any() or (weight < 0).any():
            raise ClientError(f"channel '{data.channel}': instance weights (column 1) must be non-negative numbers")
    return xgb.DMatrix(X, label=data.y, weight=weight, nthread=cfg.nthread, missing=np.nan)


def final_metric_line(n: int, channel: str, metrics: dict[str, float | None]) -> str:
    """``[n]\\tchannel-rmse:..\\tchannel-mae:..\\tchannel-mse:..\\tchannel-r2:..`` in xgboost's layout.

    Values are Python's shortest round-trip repr, not xgboost's ``%.5f``: the final metrics decide
    about the model, and ``%.5f`` turns an RMSE of 3e-06 into ``0.00000``, indistinguishable from a
    perfect fit.  A metric that is undefined (``None``: r2 of a constant label) is left out.
    """
    cells = "".join(f"\t{channel}-{name}:{metrics[name]!r}" for name in ("rmse", "mae", "mse", "r2")
                    if metrics[name] is not None)
    return f"[{n}]{cells}"


def train(paths: TrainingPaths) -> None:
    """The job body, called by ``run_training_job``."""
    started = time.perf_counter()
    resources = read_resource_config(paths)
    cfg = build_config(read_hyperparameters(paths), resources.threads)
    channels = read_channels(paths, read_input_data_config(paths), allow_missing_features=True)
    if cfg.early_stopping_rounds is not None and "validation" not in channels:
        raise ClientError("early_stopping_rounds requires a 'validation' channel")
    for name in cfg.ignored:
        _log(f"[warning] hyperparameter {name} has no effect in this xgboost version; ignored")

    from .._xgb import import_xgboost

    xgb = import_xgboost()
    dmats = {name: _dmatrix(xgb, data, cfg) for name, data in channels.items()}
    evals = [(dmats[name], name) for name in ("train", "validation") if name in dmats]
    callbacks: list[Any] = [xgb.callback.EvaluationMonitor(logger=_log)]
    if cfg.early_stopping_rounds is not None:
        callbacks.append(xgb.callback.EarlyStopping(
            rounds=cfg.early_stopping_rounds, metric_name=cfg.early_stopping_metric,
            data_name="validation", save_best=True,
        ))
    _log(f"[info] xgboost {xgb.__version__}: {cfg.num_round} rounds, {cfg.nthread} thread(s), "
         f"channels {', '.join(f'{k}={v.rows}' for k, v in channels.items())}")
    rounds_done = [0]

    class _Counter(xgb.callback.TrainingCallback):  # type: ignore[misc, name-defined]
        def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
            rounds_done[0] = epoch + 1
            return False

    try:
        booster = xgb.train(cfg.params, dmats["train"], num_boost_round=cfg.num_round, evals=evals,
                            callbacks=[_Counter(), *callbacks], verbose_eval=False)
    except xgb.core.XGBoostError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "XGBoostError"
        if rounds_done[0] == 0:  # rejected before the first round: a configuration problem
            raise ClientError(f"xgboost rejected the hyperparameters: {first}") from None
        raise AlgorithmError(f"xgboost failed after {rounds_done[0]} rounds: {first}") from None

    n = booster.num_boosted_rounds()
    for name, data in channels.items():
        metrics = regression_metrics(data.y, booster.predict(dmats[name]))
        if metrics["r2"] is None:
            _log(f"[warning] channel '{name}': {R2_UNDEFINED}; r2 not reported")
        _log(final_metric_line(n, name, metrics))
    paths.model_dir.mkdir(parents=True, exist_ok=True)
    # UBJSON, xgboost's default format; the explicit extension avoids its "no extension" warning.
    tmp = paths.model_dir / f".{XGBOOST_MODEL_FILE}.ubj"
    booster.save_model(str(tmp))
    tmp.replace(paths.model_dir / XGBOOST_MODEL_FILE)
    _log(f"[info] saved {XGBOOST_MODEL_FILE} ({n} trees per output) in {time.perf_counter() - started:.2f} s")
