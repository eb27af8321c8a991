"""Solvers behind the Linear Learner hyperparameters.

Mapping (all in the normalised space, objective = mean loss + wd/2*||w||^2 + l1*||w||_1 with
squared loss taken as 1/2*r^2, scikit-learn's convention):

* optimizer ``auto``, squared loss, l1 = 0: closed-form ridge in numpy, identical to
  ``sklearn.linear_model.Ridge(alpha=n*wd)`` (``LinearRegression``'s minimum-norm least squares
  when wd = 0).  numpy rather than scikit-learn only to save ~1 s of import time; a test checks
  the equality.
* optimizer ``auto``, squared loss, l1 > 0: ``ElasticNet(alpha=wd+l1, l1_ratio=l1/(wd+l1))``.
* optimizer ``auto``, absolute/quantile loss: ``QuantileRegressor(quantile, alpha=l1)`` (exact LP).
* optimizer ``sgd``: ``SGDRegressor`` (per-sample SGD; one ``partial_fit`` per epoch) with the
  matching loss and elastic-net penalty; ``learning_rate`` -> ``eta0`` and ``use_lr_scheduler`` ->
  ``invscaling`` vs ``constant``.
* optimizer ``adam``: ``MLPRegressor(hidden_layer_sizes=())`` - a linear model trained with
  mini-batch Adam (batch = ``mini_batch_size``), L2 ``alpha = wd * batch``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .hyperparameters import LinearConfig


@dataclass(frozen=True)
class Weights:
    """Coefficients and intercept in the normalised space."""

    coef: np.ndarray
    intercept: float


def ridge(Z: np.ndarray, t: np.ndarray, wd: float, use_bias: bool) -> Weights:
    """Closed-form ridge: (Zc'Zc + n*wd*I) w = Zc't on centred data when a bias is fitted."""
    n, d = Z.shape
    if use_bias:
        z_mean, t_mean = Z.mean(axis=0), float(t.mean())
        Zc, tc = Z - z_mean, t - t_mean
    else:
        z_mean, t_mean = np.zeros(d), 0.0
        Zc, tc = Z, t
    if wd > 0:
        w = np.linalg.solve(Zc.T @ Zc + n * wd * np.eye(d), Zc.T @ tc)
    else:
        w = np.linalg.lstsq(Zc, tc, rcond=None)[0]
    return Weights(w, t_mean - float(z_mean @ w) if use_bias else 0.0)


def fit_exact(cfg: LinearConfig, Z: np.ndarray, t: np.ndarray) -> tuple[Weights, str]:
    """The ``optimizer=auto`` path; returns the weights and a description of the solver used."""
    if cfg.loss == "squared_loss" and cfg.l1 == 0:
        return ridge(Z, t, cfg.wd, cfg.use_bias), f"closed-form ridge (numpy; = sklearn Ridge alpha={len(t) * cfg.wd:g})"
    if cfg.loss == "squared_loss":
        from sklearn.linear_model import ElasticNet

        alpha, ratio = cfg.wd + cfg.l1, cfg.l1 / (cfg.wd + cfg.l1)
        model = ElasticNet(alpha=alpha, l1_ratio=ratio, fit_intercept=cfg.use_bias, max_iter=100_000, tol=1e-6)
        model.fit(Z, t)
        return Weights(np.asarray(model.coef_, float), float(model.intercept_)), \
            f"sklearn ElasticNet(alpha={alpha:g}, l1_ratio={ratio:g})"
    from sklearn.linear_model import QuantileRegressor

    q = 0.5 if cfg.loss == "absolute_loss" else cfg.quantile
    model = QuantileRegressor(quantile=q, alpha=cfg.l1, fit_intercept=cfg.use_bias, solver="highs")
    model.fit(Z, t)
    return Weights(np.asarray(model.coef_, float), float(model.intercept_)), \
        f"sklearn QuantileRegressor(quantile={q:g}, alpha={cfg.l1:g})"


SGD_LOSSES = {
    "squared_loss": ("squared_error", None),
    "absolute_loss": ("epsilon_insensitive", 0.0),
    "eps_insensitive_absolute_loss": ("epsilon_insensitive", "loss_insensitivity"),
    "eps_insensitive_squared_loss": ("squared_epsilon_insensitive", "loss_insensitivity"),
    "huber_loss": ("huber", "huber_delta"),
}


class IterativeSolver:
    """One scikit-learn estimator advanced one epoch at a time (so we can log and early-stop)."""

    def __init__(self, cfg: LinearConfig, n_train: int, seed: int = 0) -> None:
        self.cfg = cfg
        if cfg.optimizer == "adam":
            from sklearn.neural_network import MLPRegressor

            batch = min(cfg.mini_batch_size, n_train)
            self.model: Any = MLPRegressor(
                hidden_layer_sizes=(), solver="adam", alpha=cfg.wd * batch, batch_size=batch,
                learning_rate_init=cfg.learning_rate or 0.001, beta_1=cfg.beta_1, beta_2=cfg.beta_2,
                shuffle=True, random_state=seed,
            )
            self.description = f"sklearn MLPRegressor(hidden_layer_sizes=(), solver=adam, batch_size={batch})"
        else:
            from sklearn.linear_model import SGDRegressor

            loss, eps = SGD_LOSSES[cfg.loss]
            epsilon = 0.1 if eps is None else (eps if isinstance(eps, float) else float(getattr(cfg, eps)))
            penalty = cfg.wd + cfg.l1
            self.model = SGDRegressor(
                loss=loss, epsilon=epsilon, penalty="elasticnet" if penalty > 0 else None,
                alpha=penalty if penalty > 0 else 0.0001, l1_ratio=cfg.l1 / penalty if penalty > 0 else 0.15,
                fit_intercept=cfg.use_bias, learning_rate="invscaling" if cfg.use_lr_scheduler else "constant",
                eta0=cfg.learning_rate or 0.01, shuffle=True, random_state=seed,
            )
            self.description = f"sklearn SGDRegressor(loss={loss}, penalty={'elasticnet' if penalty > 0 else None})"

    def epoch(self, Z: np.ndarray, t: np.ndarray) -> Weights:
        """One pass over the training data; returns the current weights."""
        self.model.partial_fit(Z, t)
        if self.cfg.optimizer == "adam":
            return Weights(np.asarray(self.model.coefs_[0][:, 0], float), float(self.model.intercepts_[0][0]))
        return Weights(np.asarray(self.model.coef_, float), float(np.ravel(self.model.intercept_)[0]))
