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

__all__ = ["METRICS", "binary_metrics", "confusion", "roc_auc", "youden_threshold"]

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
