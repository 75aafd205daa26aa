r"""Binary classification metrics and threshold choice.

With predictions :math:`\hat y_i = [p_i \ge t]` and the confusion counts TP, FP, TN, FN:

* accuracy :math:`= (TP + TN) / n`
* precision :math:`= TP / (TP + FP)` (0 when nothing is predicted positive)
* sensitivity (recall) :math:`= TP / (TP + FN)`
* specificity :math:`= TN / (TN + FP)`
* F1 :math:`= 2\,TP / (2\,TP + FP + FN)`
* ROC AUC :math:`= P(p_+ > p_-) + \tfrac12 P(p_+ = p_-)` (Mann–Whitney form)
* PR AUC: average precision :math:`\sum_k (R_k - R_{k-1}) P_k` (as scikit-learn)
* Brier :math:`= \frac1n \sum_i (p_i - y_i)^2`
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import rankdata
from sklearn.metrics import average_precision_score, roc_curve

from radiogenomics.models.errors import InvalidTargetError

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["METRICS", "binary_metrics", "calibration", "confusion", "newton_logistic", "recalibrate", "recalibration",
           "roc_auc", "youden_threshold"]

METRICS: tuple[str, ...] = (
    "accuracy", "precision", "sensitivity", "specificity", "f1", "roc_auc", "pr_auc", "brier",
)


def _check(y_true: ArrayLike, y_prob: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y_true).astype(np.int64).ravel()
    p = np.asarray(y_prob, dtype=np.float64).ravel()
    if y.shape != p.shape:
        raise InvalidTargetError(f"y_true has {y.size} values but y_prob has {p.size}")
    if not np.isin(y, (0, 1)).all():
        raise InvalidTargetError("y_true must hold only 0 and 1")
    return y, p


def roc_auc(y_true: ArrayLike, y_prob: ArrayLike) -> float:
    r"""ROC AUC as the Mann–Whitney statistic :math:`U / (n_+ n_-)` with mid-ranks for ties.

    Returns NaN when only one class is present.
    """
    y, p = _check(y_true, y_prob)
    n1 = int(y.sum())
    n0 = y.size - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    r = rankdata(p)
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def confusion(y_true: ArrayLike, y_prob: ArrayLike, threshold: float = 0.5) -> dict[str, int]:
    """Confusion counts ``{"tp", "fp", "tn", "fn"}`` of ``y_prob >= threshold``."""
    y, p = _check(y_true, y_prob)
    pred = p >= threshold
    return {
        "tp": int(np.sum(pred & (y == 1))),
        "fp": int(np.sum(pred & (y == 0))),
        "tn": int(np.sum(~pred & (y == 0))),
        "fn": int(np.sum(~pred & (y == 1))),
    }


def binary_metrics(y_true: ArrayLike, y_prob: ArrayLike, threshold: float = 0.5) -> dict[str, float]:
    """All :data:`METRICS` of probabilities ``y_prob`` thresholded at ``threshold``.

    Ratios with an empty denominator are 0 (as scikit-learn's ``zero_division=0``); AUCs are NaN when
    one class is absent.
    """
    y, p = _check(y_true, y_prob)
    c = confusion(y, p, threshold)
    tp, fp, tn, fn = c["tp"], c["fp"], c["tn"], c["fn"]

    def ratio(a: float, b: float) -> float:
        return float(a / b) if b > 0 else 0.0

    both = 0 < y.sum() < y.size
    return {
        "accuracy": ratio(tp + tn, y.size),
        "precision": ratio(tp, tp + fp),
        "sensitivity": ratio(tp, tp + fn),
        "specificity": ratio(tn, tn + fp),
        "f1": ratio(2 * tp, 2 * tp + fp + fn),
        "roc_auc": roc_auc(y, p),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "brier": float(np.mean((p - y) ** 2)),
    }


def youden_threshold(y_true: ArrayLike, y_prob: ArrayLike) -> float:
    r"""Threshold maximising Youden's :math:`J = \text{sensitivity} + \text{specificity} - 1`.

    Meant to be computed on *training* (out-of-fold) predictions only, then applied to test rows.
    Falls back to 0.5 when a class is absent.
    """
    y, p = _check(y_true, y_prob)
    if y.sum() == 0 or y.sum() == y.size:
        return 0.5
    fpr, tpr, thr = roc_curve(y, p)
    k = int(np.argmax(tpr - fpr))
    t = float(thr[k])
    return min(t, 1.0) if np.isfinite(t) else 1.0


def newton_logistic(X: np.ndarray, y: np.ndarray, *, offset: np.ndarray | None = None,
                    penalty: np.ndarray | None = None, weights: np.ndarray | None = None,
                    iters: int = 200) -> np.ndarray:
    r"""``beta`` minimising :math:`\sum_i w_i \ell_i(X_i \beta + o_i) + \frac12 \sum_j \lambda_j \beta_j^2`
    (log-loss :math:`\ell`, offsets :math:`o`, sample weights :math:`w` and per-coefficient penalties
    :math:`\lambda`, all default 0 / 1 / 0; ``X`` holds its own intercept column): Newton-Raphson with step halving,
    so the objective never increases and saturated predictions cannot make it diverge."""
    y = np.asarray(y, dtype=np.float64)
    off = np.zeros(y.size) if offset is None else np.asarray(offset, dtype=np.float64)
    sw = np.ones(y.size) if weights is None else np.asarray(weights, dtype=np.float64)
    pen = np.zeros(X.shape[1]) if penalty is None else np.asarray(penalty, dtype=np.float64)

    def objective(b: np.ndarray) -> float:
        eta = X @ b + off
        return float(np.sum(sw * (np.logaddexp(0.0, eta) - y * eta)) + 0.5 * np.sum(pen * b * b))

    beta = np.zeros(X.shape[1])
    current = objective(beta)
    for _ in range(iters):
        mu = 1.0 / (1.0 + np.exp(-np.clip(X @ beta + off, -500, 500)))
        curv = np.maximum(sw * mu * (1 - mu), 1e-12)
        step = np.linalg.lstsq(X.T @ (X * curv[:, None]) + np.diag(pen), X.T @ (sw * (mu - y)) + pen * beta,
                               rcond=None)[0]
        for _half in range(60):
            new = objective(beta - step)
            if new <= current + 1e-12:
                break
            step = step / 2
        beta, gain, current = beta - step, current - new, new
        if np.max(np.abs(step)) < 1e-10 or gain < 1e-14:
            break
    return beta


def calibration(y_true: np.ndarray, prob: np.ndarray) -> dict[str, float]:
    r"""``{"calibration_slope", "calibration_intercept"}`` of predictions ``prob``.

    With :math:`\eta = \operatorname{logit} p`: the slope :math:`b` of :math:`\operatorname{logit} P(y=1) = a + b\eta`
    (1 is ideal) and the intercept :math:`a` of :math:`\operatorname{logit} P(y=1) = a + \eta` (calibration in the
    large, slope fixed at 1; 0 is ideal), maximum likelihood (Newton-Raphson).

    Probabilities are clipped to :math:`[10^{-6}, 1 - 10^{-6}]`; one class only, or constant predictions (no slope
    to estimate), gives NaN.
    """
    y = np.asarray(y_true, dtype=np.float64)
    p = np.clip(np.asarray(prob, dtype=np.float64), 1e-6, 1 - 1e-6)
    if y.min() == y.max() or np.ptp(p) == 0:
        return {"calibration_slope": float("nan"), "calibration_intercept": float("nan")}
    eta = np.log(p / (1 - p))
    ones = np.ones((y.size, 1))
    slope = newton_logistic(np.hstack([ones, eta[:, None]]), y)[1]
    intercept = newton_logistic(ones, y, offset=eta)[0]
    return {"calibration_slope": float(slope), "calibration_intercept": float(intercept)}


def recalibration(y_true: ArrayLike, prob: ArrayLike) -> dict[str, float] | None:
    r"""Logistic recalibration :math:`p^* = \sigma(a + b \operatorname{logit} p)` fitted by maximum likelihood on
    out-of-fold predictions ``prob`` (Platt scaling), as ``{"intercept": a, "slope": b}``; ``None`` when it cannot
    be estimated or is not increasing (:math:`b \le 0`: the predictions carry no usable ranking)."""
    y = np.asarray(y_true, dtype=np.float64)
    p = np.clip(np.asarray(prob, dtype=np.float64), 1e-6, 1 - 1e-6)
    ok = np.isfinite(p)
    y, p = y[ok], p[ok]
    if y.size < 4 or y.min() == y.max() or np.ptp(p) == 0:
        return None
    eta = np.log(p / (1 - p))
    a, b = newton_logistic(np.column_stack([np.ones(y.size), eta]), y)
    if not (np.isfinite(a) and np.isfinite(b)) or b <= 0:
        return None
    return {"intercept": float(a), "slope": float(b)}


def recalibrate(prob: ArrayLike, recal: dict[str, float] | None) -> np.ndarray:
    """``prob`` mapped by a :func:`recalibration` (unchanged when ``recal`` is None)."""
    p = np.asarray(prob, dtype=np.float64)
    if not recal:
        return p
    q = np.clip(p, 1e-6, 1 - 1e-6)
    eta = recal["intercept"] + recal["slope"] * np.log(q / (1 - q))
    return 1.0 / (1.0 + np.exp(-eta))
