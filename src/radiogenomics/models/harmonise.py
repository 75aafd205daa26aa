r"""ComBat harmonisation (Johnson, Li & Rabinovic 2007; as in neuroCombat, without covariates).

For feature :math:`g`, sample :math:`j` of batch :math:`i`: :math:`x_{ijg} = \alpha_g + \gamma_{ig} +
\delta_{ig}\varepsilon_{ijg}`. Fitted on the training rows only:

1. grand mean :math:`\hat\alpha_g = \frac1n \sum_{ij} x_{ijg}` and pooled variance
   :math:`\hat\sigma^2_g = \frac1n \sum_{ij} (x_{ijg} - \bar x_{ig})^2` (:math:`\bar x_{ig}` = batch mean);
2. standardised data :math:`z_{ijg} = (x_{ijg} - \hat\alpha_g) / \hat\sigma_g`; batch location
   :math:`\hat\gamma_{ig} = \bar z_{ig}` and scale :math:`\hat\delta^2_{ig} = \operatorname{var}_{j}(z_{ijg})`
   (ddof 1);
3. empirical Bayes (``empirical_bayes=True``): priors across features per batch —
   :math:`\gamma_{ig} \sim N(\bar\gamma_i, \tau_i^2)` (mean and ddof-1 variance of :math:`\hat\gamma_{i\cdot}`),
   :math:`\delta^2_{ig} \sim \text{InvGamma}(a_i, b_i)` with :math:`a = (2 s^2 + m^2)/s^2`,
   :math:`b = (m s^2 + m^3)/s^2` (:math:`m, s^2` = mean and variance of :math:`\hat\delta^2_{i\cdot}`);
   posterior means iterated to a relative change < ``tol``:
   :math:`\gamma^*_{ig} = (\tau_i^2 n_i \hat\gamma_{ig} + \delta^{2*}_{ig} \bar\gamma_i)
   / (\tau_i^2 n_i + \delta^{2*}_{ig})`,
   :math:`\delta^{2*}_{ig} = (\tfrac12 \sum_j (z_{ijg} - \gamma^*_{ig})^2 + b_i) / (n_i/2 + a_i - 1)`;
   without EB :math:`\gamma^* = \hat\gamma`, :math:`\delta^{2*} = \hat\delta^2`;
4. transform: :math:`x^*_{ijg} = \hat\sigma_g (z_{ijg} - \gamma^*_{ig}) / \delta^*_{ig} + \hat\alpha_g`
   (``mean_only``: :math:`\delta^* = 1`).

Without EB, on the fitted rows every batch then has mean :math:`\hat\alpha_g` and (ddof 1) variance
:math:`\hat\sigma^2_g`. Batches unseen at fit time, or with fewer than 2 training rows, are
standardised and rescaled with :math:`\gamma^* = 0, \delta^* = 1` (i.e. left unchanged) and logged.
Missing values are ignored in the estimates and stay missing.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from radiogenomics.models.errors import ModelParameterError

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["ComBat"]


class ComBat(BaseEstimator, TransformerMixin):
    """Location/scale empirical-Bayes batch harmonisation (see the module docstring).

    Parameters
    ----------
    batch_column : column of the input DataFrame holding the batch label (removed from the output).
    empirical_bayes : shrink the batch parameters with the EB priors (False: plain location/scale).
    mean_only : adjust the location only.
    tol, max_iter : convergence of the EB iteration (relative change).

    Attributes
    ----------
    feature_names_in_, batches_ (labels with ≥ 2 training rows), grand_mean_ (p,), var_pooled_ (p,),
    gamma_star_ (B, p), delta_star_ (B, p), n_iter_ (B,).
    """

    def __init__(self, batch_column: str = "batch", empirical_bayes: bool = True, mean_only: bool = False,
                 tol: float = 1e-4, max_iter: int = 1000) -> None:
        self.batch_column = batch_column
        self.empirical_bayes = empirical_bayes
        self.mean_only = mean_only
        self.tol = tol
        self.max_iter = max_iter

    def _split(self, X) -> tuple[np.ndarray, np.ndarray]:
        if not isinstance(X, pd.DataFrame) or self.batch_column not in X.columns:
            raise ModelParameterError(f"ComBat needs a DataFrame with the batch column {self.batch_column!r}")
        feats = X.drop(columns=[self.batch_column])
        return feats.to_numpy(dtype=np.float64), X[self.batch_column].to_numpy()

    def fit(self, X, y=None):
        Z, batch = self._split(X)
        self.feature_names_in_ = np.array([c for c in X.columns if c != self.batch_column], dtype=object)
        if pd.isna(batch).any():
            raise ModelParameterError(f"batch column {self.batch_column!r} has missing values")
        labels, counts = np.unique(batch.astype(str), return_counts=True)
        small = labels[counts < 2]
        if small.size:
            logger.warning("ComBat: batches %s have < 2 training rows and are not adjusted", list(small))
        self.batches_ = labels[counts >= 2]
        key = batch.astype(str)
        self.grand_mean_ = np.nanmean(Z, axis=0)
        resid = Z.copy()
        for b in labels:
            rows = key == b
            resid[rows] -= np.nanmean(Z[rows], axis=0)
        n_obs = np.isfinite(Z).sum(axis=0)
        var = np.nansum(resid ** 2, axis=0) / np.maximum(n_obs, 1)
        self.var_pooled_ = np.where(var > 0, var, 1.0)
        S = (Z - self.grand_mean_) / np.sqrt(self.var_pooled_)
        B, p = self.batches_.size, Z.shape[1]
        gamma_hat, delta_hat, n_b = np.zeros((B, p)), np.ones((B, p)), np.zeros((B, p))
        for i, b in enumerate(self.batches_):
            s = S[key == b]
            n_b[i] = np.isfinite(s).sum(axis=0)
            gamma_hat[i] = np.nanmean(s, axis=0)
            if not self.mean_only:
                delta_hat[i] = np.nanvar(s, axis=0, ddof=1)
        self.gamma_star_, self.delta_star_ = gamma_hat.copy(), delta_hat.copy()
        self.n_iter_ = np.zeros(B, dtype=int)
        if self.empirical_bayes and p >= 2:
            for i, b in enumerate(self.batches_):
                self._eb(i, S[key == b], gamma_hat[i], delta_hat[i], n_b[i])
        elif self.empirical_bayes:
            logger.info("ComBat: one feature, no empirical-Bayes priors; plain location/scale")
        return self

    def _eb(self, i: int, s: np.ndarray, g_hat: np.ndarray, d_hat: np.ndarray, n: np.ndarray) -> None:
        g_bar, t2 = g_hat.mean(), g_hat.var(ddof=1)
        if self.mean_only:
            self.gamma_star_[i] = (t2 * n * g_hat + g_bar) / (t2 * n + 1.0)
            return
        m, s2 = d_hat.mean(), d_hat.var(ddof=1)
        if not s2 > 0 or not t2 > 0:
            logger.info("ComBat: batch %s has degenerate priors; plain location/scale", self.batches_[i])
            return
        a, b = (2 * s2 + m ** 2) / s2, (m * s2 + m ** 3) / s2
        g_old, d_old = g_hat.copy(), d_hat.copy()
        it = 0
        while it < self.max_iter:
            it += 1
            g_new = (t2 * n * g_hat + d_old * g_bar) / (t2 * n + d_old)
            sum2 = np.nansum((s - g_new) ** 2, axis=0)
            d_new = (0.5 * sum2 + b) / (n / 2.0 + a - 1.0)
            change = max(np.max(np.abs(g_new - g_old) / np.maximum(np.abs(g_old), 1e-300)),
                         np.max(np.abs(d_new - d_old) / d_old))
            g_old, d_old = g_new, d_new
            if change <= self.tol:
                break
        else:
            logger.warning("ComBat: EB iteration of batch %s did not converge", self.batches_[i])
        self.gamma_star_[i], self.delta_star_[i], self.n_iter_[i] = g_new, d_new, it

    def transform(self, X):
        Z, batch = self._split(X)
        key = batch.astype(str)
        sd = np.sqrt(self.var_pooled_)
        S = (Z - self.grand_mean_) / sd
        unseen = sorted(set(key) - set(self.batches_))
        if unseen:
            logger.warning("ComBat: batches %s not fitted; left unchanged", unseen)
        for i, b in enumerate(self.batches_):
            rows = key == b
            S[rows] = (S[rows] - self.gamma_star_[i]) / np.sqrt(self.delta_star_[i])
        return S * sd + self.grand_mean_

    def get_feature_names_out(self, input_features=None):
        return self.feature_names_in_
