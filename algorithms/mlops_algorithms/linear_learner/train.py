"""Linear Learner training job: channels -> portable linear model, logging in LL's style.

Per epoch: ``#quality_metric: host=algo-1, epoch=3, validation mse_objective <loss>=...`` and
``#progress_metric: host=algo-1, completed 20 % of epochs``; after training, one final set of
``#quality_metric: host=algo-1, <channel> <metric> <loss>=...`` lines per channel for the final
(best) model, so "last match per metric" is the final model.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from ..channels import LabeledData, feature_names, read_channels
from ..contract import ClientError, TrainingPaths, read_hyperparameters, read_input_data_config, read_resource_config
from ..metrics import R2_UNDEFINED, regression_metrics
from .hyperparameters import LinearConfig, build_config
from .losses import OBJECTIVE_NAMES, objective
from .model import build_document, save_model
from .normalization import Normalizer, fit_normalizer
from .solvers import IterativeSolver, Weights, fit_exact

FINAL_METRICS = (("rmse", "rmse"), ("mse", "mse"), ("absolute_loss", "mae"), ("r2", "r2"))


def _log(line: str) -> None:
    sys.stdout.write(line + "\n")


class _Reporter:
    """Formats Linear Learner's log lines for one host."""

    def __init__(self, host: str, cfg: LinearConfig, norm: Normalizer, channels: dict[str, LabeledData]) -> None:
        self.host, self.cfg, self.norm, self.channels = host, cfg, norm, channels
        self.objective_name = OBJECTIVE_NAMES[cfg.loss]
        self.Z = {name: norm.features(data.X) for name, data in channels.items()}

    def predict(self, channel: str, w: Weights) -> np.ndarray:
        return self.norm.unlabel(self.Z[channel] @ w.coef + w.intercept)

    def objective(self, channel: str, w: Weights) -> float:
        c = self.cfg
        return objective(c.loss, self.channels[channel].y, self.predict(channel, w), label_scale=self.norm.label_scale,
                         huber_delta=c.huber_delta, quantile=c.quantile, loss_insensitivity=c.loss_insensitivity)

    def epoch(self, epoch: int, w: Weights) -> dict[str, float]:
        losses = {ch: self.objective(ch, w) for ch in ("train", "validation") if ch in self.channels}
        for ch, value in losses.items():
            _log(f"#quality_metric: host={self.host}, epoch={epoch}, {ch} {self.objective_name} <loss>={value!r}")
        return losses

    def progress(self, done: int, total: int) -> None:
        _log(f"#progress_metric: host={self.host}, completed {int(100 * done / total)} % of epochs")

    def final(self, w: Weights) -> None:
        for ch, data in self.channels.items():
            metrics = regression_metrics(data.y, self.predict(ch, w))
            _log(f"#quality_metric: host={self.host}, {ch} {self.objective_name} <loss>={self.objective(ch, w)!r}")
            for label, key in FINAL_METRICS:
                value = metrics[key]
                if value is None:  # r2 of a constant label: no number rather than a misleading one
                    _log(f"[warning] channel '{ch}': {R2_UNDEFINED}; {label} not reported")
                    continue
                _log(f"#quality_metric: host={self.host}, {ch} {label} <loss>={value!r}")


def _iterate(cfg: LinearConfig, Z: np.ndarray, t: np.ndarray, rep: _Reporter) -> tuple[Weights, str, int]:
    """Epoch loop with Linear Learner's early stopping (relative tolerance, patience); keeps the best epoch."""
    solver = IterativeSolver(cfg, len(t))
    best: tuple[float, Weights] | None = None
    stale, done = 0, 0
    for epoch in range(cfg.epochs):
        w = solver.epoch(Z, t)
        done = epoch + 1
        if not (np.all(np.isfinite(w.coef)) and np.isfinite(w.intercept)):
            raise ClientError(f"training diverged at epoch {epoch} (non-finite weights); lower learning_rate")
        losses = rep.epoch(epoch, w)
        rep.progress(done, cfg.epochs)
        monitored = losses.get("validation", losses["train"])
        if best is None or monitored < best[0] * (1.0 - cfg.tolerance):
            best, stale = (monitored, Weights(w.coef.copy(), w.intercept)), 0
        else:
            stale += 1
            if stale >= cfg.patience:
                _log(f"[info] early stopping at epoch {epoch}: no relative improvement > {cfg.tolerance:g} "
                     f"in {cfg.patience} epochs")
                break
    assert best is not None
    return best[1], solver.description, done


def train(paths: TrainingPaths) -> None:
    """The job body, called by ``run_training_job``."""
    started = time.perf_counter()
    resources = read_resource_config(paths)
    cfg = build_config(read_hyperparameters(paths))
    channels = read_channels(paths, read_input_data_config(paths), allow_missing_features=False)
    n_features = channels["train"].X.shape[1]
    if cfg.feature_dim is not None and cfg.feature_dim != n_features:
        raise ClientError(f"Hyperparameter feature_dim: value {cfg.feature_dim} does not match the "
                          f"{n_features} features of the train channel")
    names = feature_names(paths, n_features)
    for note in cfg.notes:
        _log(f"[warning] {note}")
    train_data = channels["train"]
    norm = fit_normalizer(train_data.X, train_data.y, normalize_data=cfg.normalize_data, unbias_data=cfg.unbias_data,
                          normalize_label=cfg.normalize_label, unbias_label=cfg.unbias_label)
    rep = _Reporter(resources.current_host, cfg, norm, channels)
    Z, t = rep.Z["train"], norm.label(train_data.y)
    _log(f"[info] linear learner: loss={cfg.loss}, optimizer={cfg.optimizer}, wd={cfg.wd:g}, l1={cfg.l1:g}, "
         f"channels {', '.join(f'{k}={v.rows}' for k, v in channels.items())}")
    if cfg.optimizer == "exact":
        weights, solver = fit_exact(cfg, Z, t)
        rep.epoch(0, weights)
        rep.progress(1, 1)
        epochs_run = 1
    else:
        weights, solver, epochs_run = _iterate(cfg, Z, t, rep)
    _log(f"[info] solver: {solver}")
    rep.final(weights)
    doc = build_document(weights, norm, names, loss=cfg.loss, solver=solver, hyperparameters=cfg.raw,
                         epochs_run=epochs_run)
    path = save_model(paths.model_dir, doc)
    _log(f"[info] saved {path.name} in {time.perf_counter() - started:.2f} s")
