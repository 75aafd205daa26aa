r"""DeLong's test for two correlated ROC AUCs (fast algorithm of Sun & Xu, 2014).

For positives :math:`X_i` (:math:`m` of them) and negatives :math:`Y_j` (:math:`n`), with the kernel
:math:`\psi(x, y) = [x > y] + \tfrac12 [x = y]`, the structural components of model :math:`r` are

.. math:: V_{10}^r(X_i) = \frac1n \sum_j \psi(X_i^r, Y_j^r), \qquad
          V_{01}^r(Y_j) = \frac1m \sum_i \psi(X_i^r, Y_j^r),

and :math:`\hat\theta^r = \overline{V_{10}^r}`. With :math:`S_{10}, S_{01}` the sample covariance
matrices of the components, :math:`S = S_{10}/m + S_{01}/n` and the statistic is

.. math:: z = \frac{\hat\theta^1 - \hat\theta^2}{\sqrt{S_{11} + S_{22} - 2 S_{12}}}.

Sun & Xu compute the components from mid-ranks: :math:`V_{10}(X_i) = (R_i - T_i) / n` where
:math:`R_i` is the rank of :math:`X_i` among all values and :math:`T_i` its rank among positives.

References: DeLong, DeLong & Clarke-Pearson (1988) Biometrics 44:837; Sun & Xu (2014) IEEE Signal
Processing Letters 21:1389.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import norm, rankdata

from radiogenomics.models.errors import InvalidTargetError

__all__ = ["DeLongResult", "delong_components", "delong_test"]


@dataclass(frozen=True)
class DeLongResult:
    """Result of :func:`delong_test`: both AUCs, their difference, its SE, z and two-sided p."""

    auc1: float
    auc2: float
    difference: float
    se: float
    z: float
    p_value: float
    var1: float
    var2: float
    cov: float


def delong_components(y_true: ArrayLike, scores: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """AUCs (k,), ``V10`` (k, m) and ``V01`` (k, n) for ``scores`` of shape (k, N) or (N,)."""
    y = np.asarray(y_true).astype(np.int64).ravel()
    s = np.atleast_2d(np.asarray(scores, dtype=np.float64))
    if s.shape[1] != y.size:
        raise InvalidTargetError(f"scores have {s.shape[1]} columns but y_true has {y.size} values")
    pos, neg = y == 1, y == 0
    m, n = int(pos.sum()), int(neg.sum())
    if m == 0 or n == 0 or m + n != y.size:
        raise InvalidTargetError("DeLong needs binary y_true (0/1) with both classes present")
    aucs, v10s, v01s = [], [], []
    for row in s:
        r_all = rankdata(row)
        tx = rankdata(row[pos])
        ty = rankdata(row[neg])
        v10 = (r_all[pos] - tx) / n
        v01 = 1.0 - (r_all[neg] - ty) / m
        aucs.append(v10.mean())
        v10s.append(v10)
        v01s.append(v01)
    return np.array(aucs), np.vstack(v10s), np.vstack(v01s)


def delong_test(y_true: ArrayLike, prob1: ArrayLike, prob2: ArrayLike) -> DeLongResult:
    """Two-sided DeLong test of :math:`H_0: AUC_1 = AUC_2` on the same cases.

    Parameters
    ----------
    y_true : array of 0/1
    prob1, prob2 : scores of the two models for the same cases (higher = more likely positive).
    """
    aucs, v10, v01 = delong_components(y_true, np.vstack([np.ravel(prob1), np.ravel(prob2)]))
    m, n = v10.shape[1], v01.shape[1]
    if m < 2 or n < 2:
        raise InvalidTargetError(f"DeLong's variance needs at least 2 positives and 2 negatives, got {m} and {n}")
    s = np.cov(v10) / m + np.cov(v01) / n
    var_d = s[0, 0] + s[1, 1] - 2 * s[0, 1]
    diff = float(aucs[0] - aucs[1])
    se = float(np.sqrt(max(var_d, 0.0)))
    if se == 0.0:
        z, p = (0.0, 1.0) if diff == 0 else (float(np.sign(diff) * np.inf), 0.0)
    else:
        z = diff / se
        p = float(2 * norm.sf(abs(z)))
    return DeLongResult(float(aucs[0]), float(aucs[1]), diff, se, float(z), p,
                        float(s[0, 0]), float(s[1, 1]), float(s[0, 1]))
