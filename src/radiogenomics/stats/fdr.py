r"""Multiple-testing corrections, vectorised and NaN-aware.

All functions take an array of p-values of any shape and return adjusted p-values of the same shape.
NaN p-values (untested features) stay NaN and are not counted in the number of tests :math:`m`.

Benjamini–Hochberg (``"fdr_bh"``), with the :math:`m` finite p-values sorted ascending
:math:`p_{(1)} \le \dots \le p_{(m)}`:

.. math:: q_{(i)} = \min\Big(1, \min_{j \ge i} \frac{m\, p_{(j)}}{j}\Big)

Benjamini–Yekutieli (``"fdr_by"``): as BH with :math:`m` replaced by :math:`m \sum_{k=1}^{m} 1/k`.

Bonferroni (``"bonferroni"``): :math:`\min(1, m\, p_i)`.

Holm (``"holm"``): :math:`q_{(i)} = \min\big(1, \max_{j \le i} (m - j + 1)\, p_{(j)}\big)`.

The results equal ``statsmodels.stats.multitest.multipletests(p, method=...)[1]`` for the same methods
(tested to 1e-12).
"""

from __future__ import annotations

import logging

import numpy as np
from numpy.typing import ArrayLike, NDArray

from radiogenomics.choices import Choice

__all__ = ["Correction", "adjust_pvalues", "bonferroni", "fdr_bh", "fdr_by", "holm"]

logger = logging.getLogger(__name__)


class Correction(Choice, kind="multiple-testing correction"):
    """Multiple-testing corrections accepted by :func:`adjust_pvalues`."""

    FDR_BH = "fdr_bh"
    FDR_BY = "fdr_by"
    BONFERRONI = "bonferroni"
    HOLM = "holm"
    NONE = "none"


def _prepare(p: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.float64]]:
    arr = np.asarray(p, dtype=np.float64)
    finite = ~np.isnan(arr)
    vals = arr[finite]
    if np.any((vals < 0) | (vals > 1)):
        raise ValueError("p-values must lie in [0, 1] (NaN marks an untested feature)")
    return arr, finite, vals


def _step_up(vals: NDArray[np.float64], factor: float) -> NDArray[np.float64]:
    """BH-type step-up on the finite p-values ``vals`` with ``m`` multiplied by ``factor``."""
    m = vals.size
    order = np.argsort(vals, kind="stable")
    ranked = vals[order] * (m * factor) / np.arange(1, m + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(ranked, 1.0)
    return out


def fdr_bh(p: ArrayLike) -> NDArray[np.float64]:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN stays NaN and is not counted."""
    arr, finite, vals = _prepare(p)
    out = np.full(arr.shape, np.nan)
    if vals.size:
        out[finite] = _step_up(vals, 1.0)
    return out


def fdr_by(p: ArrayLike) -> NDArray[np.float64]:
    """Benjamini–Yekutieli adjusted p-values (valid under any dependence); NaN stays NaN."""
    arr, finite, vals = _prepare(p)
    out = np.full(arr.shape, np.nan)
    if vals.size:
        out[finite] = _step_up(vals, float(np.sum(1.0 / np.arange(1, vals.size + 1))))
    return out


def bonferroni(p: ArrayLike) -> NDArray[np.float64]:
    """Bonferroni adjusted p-values ``min(1, m p)``; NaN stays NaN and is not counted."""
    arr, finite, vals = _prepare(p)
    out = np.full(arr.shape, np.nan)
    out[finite] = np.minimum(vals * vals.size, 1.0)
    return out


def holm(p: ArrayLike) -> NDArray[np.float64]:
    """Holm step-down adjusted p-values; NaN stays NaN and is not counted."""
    arr, finite, vals = _prepare(p)
    out = np.full(arr.shape, np.nan)
    m = vals.size
    if m:
        order = np.argsort(vals, kind="stable")
        ranked = np.maximum.accumulate(vals[order] * (m - np.arange(m)))
        adj = np.empty(m)
        adj[order] = np.minimum(ranked, 1.0)
        out[finite] = adj
    return out


def adjust_pvalues(p: ArrayLike, method: str | Correction = Correction.FDR_BH) -> NDArray[np.float64]:
    """Adjust p-values for multiple testing.

    Parameters
    ----------
    p : array_like
        Raw p-values in [0, 1]; NaN marks an untested entry (kept NaN, not counted in ``m``).
    method : {"fdr_bh", "fdr_by", "bonferroni", "holm", "none"}
        Correction; see the module docstring for the formulas.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, same shape as ``p``.
    """
    method = Correction.parse(method)
    if method is Correction.NONE:
        return _prepare(p)[0].copy()
    return {
        Correction.FDR_BH: fdr_bh,
        Correction.FDR_BY: fdr_by,
        Correction.BONFERRONI: bonferroni,
        Correction.HOLM: holm,
    }[method](p)
