r"""Grey Level Co-occurrence Matrix (GLCM) features, PyRadiomics 3.0.1 definitions.

Computing the matrix and deriving its properties are separate steps (as in scikit-image):
:func:`glcm_matrix` counts co-occurrences, :func:`glcm_normalise` turns the counts into PyRadiomics'
per-angle probability matrix, :func:`glcm_properties` derives features from it and :func:`compute` does all
three for a :class:`~radiogenomics.features.base.RoiData`.

The matrix
----------
For every offset ("angle") :math:`\mathbf a` from
:meth:`~radiogenomics.features.base.RoiData.angles` (one of each mirrored pair, 13 offsets at distance 1 in
3D) and every ROI voxel :math:`\mathbf x` whose neighbour :math:`\mathbf x + \mathbf a` lies inside the
bounding box *and* inside the ROI, the element :math:`\mathbf P(i, j, \mathbf a)` with :math:`i`, :math:`j`
the grey levels of :math:`\mathbf x` and :math:`\mathbf x + \mathbf a` is incremented. Then, as PyRadiomics
does:

1. rows and columns of grey levels :math:`1 \dots N_g` absent from the ROI are deleted, leaving the
   :math:`N_g'` levels :math:`g_1 < \dots < g_{N_g'}` present (``i`` and ``j`` below are these *values*,
   :math:`N_g` the highest of them);
2. ``symmetricalGLCM``: :math:`\mathbf P \leftarrow \mathbf P + \mathbf P^T` per angle;
3. ``weightingNorm``: angles are merged, :math:`\mathbf P \leftarrow \sum_{\mathbf a} w_{\mathbf a}
   \mathbf P(\mathbf a)` with :math:`\mathbf d = |\mathbf a| \odot \text{spacing}` and
   :math:`w = e^{-\|\mathbf d\|_\infty^2}` (infinity), :math:`e^{-\|\mathbf d\|_2^2}` (euclidean),
   :math:`e^{-\|\mathbf d\|_1^2}` (manhattan) or :math:`1` (no_weighting);
4. with more than one angle left, angles without any co-occurrence are deleted;
5. each angle is normalised to sum 1, :math:`p(i, j) = \mathbf P(i, j) / \sum \mathbf P` (an all-zero
   single angle becomes NaN).

Features
--------
Per angle, with :math:`\epsilon` the machine epsilon, :math:`p_x(i) = \sum_j p(i, j)`,
:math:`p_y(j) = \sum_i p(i, j)`, :math:`\mu_x = \sum i\,p(i, j)`, :math:`\mu_y = \sum j\,p(i, j)`,
:math:`\sigma_x^2 = \sum (i - \mu_x)^2 p(i, j)`, :math:`\sigma_y^2 = \sum (j - \mu_y)^2 p(i, j)`,
:math:`p_{x+y}(k) = \sum_{i + j = k} p(i, j)` for :math:`k = 2 \dots 2N_g`,
:math:`p_{x-y}(k) = \sum_{|i - j| = k} p(i, j)` for :math:`k = 0 \dots N_g - 1`, and the entropies
:math:`HX = -\sum p_x \log_2(p_x + \epsilon)`, :math:`HY = -\sum p_y \log_2(p_y + \epsilon)`,
:math:`HXY = -\sum p \log_2(p + \epsilon)`, :math:`HXY1 = -\sum p \log_2(p_x p_y + \epsilon)`,
:math:`HXY2 = -\sum p_x p_y \log_2(p_x p_y + \epsilon)`:

- Autocorrelation :math:`\sum p(i, j)\,ij`
- JointAverage :math:`\mu_x` (plain mean over angles, not NaN-aware)
- ClusterProminence, ClusterShade, ClusterTendency :math:`\sum (i + j - \mu_x - \mu_y)^{4, 3, 2} p(i, j)`
- Contrast :math:`\sum (i - j)^2 p(i, j)`
- Correlation :math:`\frac{\sum p(i, j)(i - \mu_x)(j - \mu_y)}{\sigma_x \sigma_y + \epsilon}`, 1 where
  :math:`\sigma_x \sigma_y = 0`
- DifferenceAverage :math:`DA = \sum k\,p_{x-y}(k)`; DifferenceEntropy
  :math:`-\sum p_{x-y} \log_2(p_{x-y} + \epsilon)`; DifferenceVariance :math:`\sum (k - DA)^2 p_{x-y}(k)`
- JointEnergy :math:`\sum p(i, j)^2`; JointEntropy :math:`HXY`
- Imc1 :math:`\frac{HXY - HXY1}{\max(HX, HY)}`, 0 where :math:`\max(HX, HY) = 0`
- Imc2 :math:`\sqrt{1 - e^{-2(HXY2 - HXY)}}`, 0 where :math:`HXY2 = HXY` (NaN, hence ignored, where
  :math:`HXY2 < HXY`)
- Id :math:`\sum \frac{p_{x-y}(k)}{1 + k}`; Idn :math:`\sum \frac{p_{x-y}(k)}{1 + k / N_g}`;
  Idm :math:`\sum \frac{p_{x-y}(k)}{1 + k^2}`; Idmn :math:`\sum \frac{p_{x-y}(k)}{1 + k^2 / N_g^2}`
- InverseVariance :math:`\sum_{k \ge 1} p_{x-y}(k) / k^2`
- MCC :math:`\sqrt{\lambda_2}`, the square root (complex) of the second largest eigenvalue of
  :math:`Q(i, j) = \sum_k \frac{p(i, k)\,p(j, k)}{p_x(i)\,p_y(k) + \epsilon}` (eigenvalues sorted as
  complex numbers); 1 for a flat region (:math:`N_g' < 2`); the real part of the mean is returned
- MaximumProbability :math:`\max p(i, j)`
- SumAverage :math:`\sum k\,p_{x+y}(k)`; SumEntropy :math:`-\sum p_{x+y} \log_2(p_{x+y} + \epsilon)`
- SumSquares :math:`\sum (i - \mu_x)^2 p(i, j)`

Each feature except JointAverage is the NaN-ignoring mean of its per-angle values.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cached_property

import numba
import numpy as np

from radiogenomics.features.base import RoiData
from radiogenomics.features.neighbourhood import cooccurrence_counts
from radiogenomics.features.texture import matrix_inputs, texture_angles

__all__ = ["angle_weights", "compute", "glcm_matrix", "glcm_normalise", "glcm_properties"]

logger = logging.getLogger(__name__)

_EPS = float(np.spacing(1))


@numba.njit(cache=True)
def _sum_diff_marginals(p: np.ndarray, levels: np.ndarray, ng: int) -> tuple[np.ndarray, np.ndarray]:
    # p_{x+y}(k) for k = 2..2Ng and p_{x-y}(k) for k = 0..Ng-1, accumulated in C order of (i, j)
    n, _, na = p.shape
    p_sum = np.zeros((2 * ng - 1, na))
    p_diff = np.zeros((ng, na))
    for i in range(n):
        for j in range(n):
            ks = levels[i] + levels[j] - 2
            kd = abs(levels[i] - levels[j])
            for a in range(na):
                p_sum[ks, a] += p[i, j, a]
                p_diff[kd, a] += p[i, j, a]
    return p_sum, p_diff


@numba.njit(cache=True)
def _mcc_q(p: np.ndarray, px: np.ndarray, py: np.ndarray, eps: float) -> np.ndarray:
    # Q(a, i, j) = sum_k p(i, k) p(j, k) / (px(i) py(k) + eps), k summed in ascending order
    n, _, na = p.shape
    q = np.zeros((na, n, n))
    for a in range(na):
        for i in range(n):
            for j in range(n):
                s = 0.0
                for k in range(n):
                    s += (p[i, k, a] * p[j, k, a]) / (px[i, a] * py[k, a] + eps)
                q[a, i, j] = s
    return q


# --------------------------------------------------------------------------------------------------
# matrix
# --------------------------------------------------------------------------------------------------
def glcm_matrix(
    binned: np.ndarray,
    mask: np.ndarray,
    angles: np.ndarray,
    n_levels: int,
    symmetrical: bool = True,
) -> np.ndarray:
    r"""Co-occurrence counts of a discretised image.

    Parameters
    ----------
    binned, mask, angles, n_levels
        See :func:`~radiogenomics.features.texture.matrix_inputs`; ``angles`` holds one offset of each mirrored
        pair.
    symmetrical
        Add the transpose per angle (count each pair in both directions).

    Returns
    -------
    numpy.ndarray
        ``float64`` array ``(n_levels, n_levels, n_angles)``; element ``[i - 1, j - 1, a]`` counts the ROI
        voxels of grey level ``i`` whose neighbour at offset ``angles[a]`` lies inside the array and the ROI
        and has grey level ``j``.
    """
    img, msk, ang = matrix_inputs(binned, mask, angles, n_levels)
    counts = cooccurrence_counts(img, msk, ang, int(n_levels))
    if symmetrical:
        counts += counts.transpose(1, 0, 2)
    return counts


def angle_weights(angles: np.ndarray, spacing: Sequence[float], norm: str | None) -> np.ndarray:
    r"""PyRadiomics' GLCM angle weights :math:`w_{\mathbf a}` for ``weightingNorm`` ``norm``.

    With :math:`\mathbf d = |\mathbf a| \odot \text{spacing}`: ``infinity``
    :math:`e^{-\|\mathbf d\|_\infty^2}`, ``euclidean`` :math:`e^{-\|\mathbf d\|_2^2}`, ``manhattan``
    :math:`e^{-\|\mathbf d\|_1^2}`; ``no_weighting``, ``None`` or an unknown norm 1 (an unknown norm is
    logged as a warning, as PyRadiomics does).

    Parameters
    ----------
    angles
        Offsets ``(n_angles, ndim)`` in array order (``(z, y, x)`` in 3D).
    spacing
        Voxel spacing in SimpleITK order (``(x, y, z)`` in 3D), as :attr:`RoiData.spacing`.
    norm
        ``manhattan``, ``euclidean``, ``infinity``, ``no_weighting`` or ``None``.
    """
    angles = np.asarray(angles)
    s = np.asarray(spacing, dtype=np.float64)[::-1]
    if s.shape != (angles.shape[1],):
        raise ValueError(f"spacing {tuple(spacing)} does not match {angles.shape[1]}-D angles")
    d = np.abs(angles) * s[None, :]
    if norm == "infinity":
        return np.exp(-(np.max(d, axis=1) ** 2))
    if norm == "euclidean":
        return np.exp(-np.sum(d**2, axis=1))
    if norm == "manhattan":
        return np.exp(-(np.sum(d, axis=1) ** 2))
    if norm not in (None, "no_weighting"):
        logger.warning('weighting norm "%s" is unknown, weighting factor is set to 1', norm)
    return np.ones(angles.shape[0], dtype=np.float64)


def glcm_normalise(
    counts: np.ndarray,
    gray_levels: np.ndarray,
    *,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """PyRadiomics' per-angle GLCM probabilities from :func:`glcm_matrix` counts.

    Keeps the rows and columns of ``gray_levels`` (the levels present in the ROI), merges the angles with
    ``weights`` if given (see :func:`angle_weights`), deletes angles without co-occurrences (only when more
    than one angle is left) and divides each angle by its sum (an all-zero single angle becomes NaN).

    Returns
    -------
    numpy.ndarray
        ``(n, n, n_angles')`` with ``n = len(gray_levels)``; the same as PyRadiomics' ``P_glcm[0]``.
    """
    keep = np.asarray(gray_levels, dtype=np.int64) - 1
    p = counts[np.ix_(keep, keep, np.arange(counts.shape[2]))]
    if weights is not None:
        p = np.sum(p * np.asarray(weights, dtype=np.float64)[None, None, :], axis=2, keepdims=True)
    totals = np.sum(p, axis=(0, 1))
    if p.shape[2] > 1:
        filled = totals != 0
        if not filled.all():
            logger.debug("deleting %d empty GLCM angles", int((~filled).sum()))
            p = p[:, :, filled]
            totals = totals[filled]
    totals = np.where(totals == 0, np.nan, totals)
    return p / totals[None, None, :]


# --------------------------------------------------------------------------------------------------
# features
# --------------------------------------------------------------------------------------------------
def glcm_properties(
    p: np.ndarray,
    gray_levels: np.ndarray,
    features: Sequence[str],
    *,
    n_levels: int | None = None,
) -> dict[str, float]:
    """GLCM features of a normalised matrix ``p`` (from :func:`glcm_normalise`).

    Parameters
    ----------
    p
        ``(n, n, n_angles)`` per-angle probabilities.
    gray_levels
        The ``n`` grey levels indexing the first two axes of ``p`` (ascending).
    features
        Feature names (see :data:`radiogenomics.catalogue.FEATURES` ``["glcm"]``), returned in this order.
    n_levels
        :math:`N_g` used by Idn and Idmn and for the length of :math:`p_{x+y}`, :math:`p_{x-y}`; defaults to
        ``max(gray_levels)`` as in PyRadiomics.
    """
    levels = np.asarray(gray_levels, dtype=np.int64)
    ng = int(levels.max()) if n_levels is None else int(n_levels)
    c = _Coefficients(np.asarray(p, dtype=np.float64), levels, ng)
    p, i, j, eps = c.p, c.i, c.j, _EPS
    k_sum = np.arange(2, 2 * ng + 1, dtype=np.float64)[:, None]
    k_diff = np.arange(0, ng, dtype=np.float64)[:, None]

    out: dict[str, float] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for name in features:
            if name == "Autocorrelation":
                v = _nanmean(np.sum(p * (i * j), axis=(0, 1)))
            elif name == "JointAverage":
                v = float(np.mean(c.ux)) if p.shape[2] else float("nan")
            elif name == "ClusterProminence":
                v = c.cluster(4)
            elif name == "ClusterShade":
                v = c.cluster(3)
            elif name == "ClusterTendency":
                v = c.cluster(2)
            elif name == "Contrast":
                v = _nanmean(np.sum(p * (np.abs(i - j) ** 2), axis=(0, 1)))
            elif name == "Correlation":
                dx = i - c.ux[None, None, :]
                dy = j - c.uy[None, None, :]
                sx = np.sum(p * dx**2, axis=(0, 1)) ** 0.5
                sy = np.sum(p * dy**2, axis=(0, 1)) ** 0.5
                corr = np.sum(p * dx * dy, axis=(0, 1)) / (sx * sy + eps)
                corr[sx * sy == 0] = 1.0
                v = _nanmean(corr)
            elif name == "DifferenceAverage":
                v = _nanmean(np.sum(k_diff * c.p_diff, axis=0))
            elif name == "DifferenceEntropy":
                v = _nanmean(-np.sum(c.p_diff * np.log2(c.p_diff + eps), axis=0))
            elif name == "DifferenceVariance":
                da = np.sum(k_diff * c.p_diff, axis=0, keepdims=True)
                v = _nanmean(np.sum(c.p_diff * (k_diff - da) ** 2, axis=0))
            elif name == "JointEnergy":
                v = _nanmean(np.sum(p**2, axis=(0, 1)))
            elif name == "JointEntropy":
                v = _nanmean(c.hxy)
            elif name == "Imc1":
                hxy1 = -np.sum(p * np.log2(c.pxpy + eps), axis=(0, 1))
                div = np.fmax(c.hx, c.hy)
                imc1 = c.hxy - hxy1
                nz = div != 0
                imc1[nz] /= div[nz]
                imc1[~nz] = 0.0
                v = _nanmean(imc1)
            elif name == "Imc2":
                hxy2 = -np.sum(c.pxpy * np.log2(c.pxpy + eps), axis=(0, 1))
                imc2 = (1 - np.power(np.e, -2 * (hxy2 - c.hxy))) ** 0.5
                imc2[hxy2 == c.hxy] = 0.0
                v = _nanmean(imc2)
            elif name == "Id":
                v = _nanmean(np.sum(c.p_diff / (1 + k_diff), axis=0))
            elif name == "Idn":
                v = _nanmean(np.sum(c.p_diff / (1 + (k_diff / ng)), axis=0))
            elif name == "Idm":
                v = _nanmean(np.sum(c.p_diff / (1 + k_diff**2), axis=0))
            elif name == "Idmn":
                v = _nanmean(np.sum(c.p_diff / (1 + (k_diff**2) / (ng**2)), axis=0))
            elif name == "InverseVariance":
                v = _nanmean(np.sum(c.p_diff[1:] / k_diff[1:] ** 2, axis=0))
            elif name == "MCC":
                v = c.mcc()
            elif name == "MaximumProbability":
                v = _nanmean(np.max(p, axis=(0, 1)))
            elif name == "SumAverage":
                v = _nanmean(np.sum(k_sum * c.p_sum, axis=0))
            elif name == "SumEntropy":
                v = _nanmean(-np.sum(c.p_sum * np.log2(c.p_sum + eps), axis=0))
            elif name == "SumSquares":
                v = _nanmean(np.sum(p * (i - c.ux[None, None, :]) ** 2, axis=(0, 1)))
            else:
                raise KeyError(f"unknown GLCM feature {name!r}")
            out[name] = v
    return out


class _Coefficients:
    """Per-angle quantities shared by several GLCM features, computed on first use."""

    def __init__(self, p: np.ndarray, levels: np.ndarray, ng: int) -> None:
        self.p = p
        self.levels = levels
        self.ng = ng
        g = levels.astype(np.float64)
        self.i = g[:, None, None]
        self.j = g[None, :, None]

    @cached_property
    def px(self) -> np.ndarray:  # (n, 1, A)
        return self.p.sum(axis=1, keepdims=True)

    @cached_property
    def py(self) -> np.ndarray:  # (1, n, A)
        return self.p.sum(axis=0, keepdims=True)

    @cached_property
    def pxpy(self) -> np.ndarray:  # (n, n, A)
        return self.px * self.py

    @cached_property
    def ux(self) -> np.ndarray:  # (A,)
        return np.sum(self.i * self.p, axis=(0, 1))

    @cached_property
    def uy(self) -> np.ndarray:
        return np.sum(self.j * self.p, axis=(0, 1))

    @cached_property
    def _marginals(self) -> tuple[np.ndarray, np.ndarray]:
        return _sum_diff_marginals(np.ascontiguousarray(self.p), self.levels, self.ng)

    @property
    def p_sum(self) -> np.ndarray:  # (2 Ng - 1, A): k = 2 .. 2 Ng
        return self._marginals[0]

    @property
    def p_diff(self) -> np.ndarray:  # (Ng, A): k = 0 .. Ng - 1
        return self._marginals[1]

    @cached_property
    def hxy(self) -> np.ndarray:
        return -np.sum(self.p * np.log2(self.p + _EPS), axis=(0, 1))

    @cached_property
    def hx(self) -> np.ndarray:
        return -np.sum(self.px * np.log2(self.px + _EPS), axis=(0, 1))

    @cached_property
    def hy(self) -> np.ndarray:
        return -np.sum(self.py * np.log2(self.py + _EPS), axis=(0, 1))

    @cached_property
    def _centred(self) -> tuple[np.ndarray, np.ndarray]:
        c = (self.i + self.j) - self.ux[None, None, :] - self.uy[None, None, :]
        return c, c * c

    def cluster(self, power: int) -> float:
        """ClusterTendency (2), ClusterShade (3), ClusterProminence (4)."""
        # powers by multiplication: pow() is ~30x slower, and the results differ by an ulp or so
        c, c2 = self._centred
        term = c2 if power == 2 else (c2 * c if power == 3 else c2 * c2)
        return _nanmean(np.sum(self.p * term, axis=(0, 1)))

    def mcc(self) -> float:
        p = self.p
        if p.shape[0] < 2:
            return 1.0  # flat region
        if p.shape[2] == 0 or not np.all(np.isfinite(p)):
            return float("nan")  # no angle left, or an empty single angle (PyRadiomics: NaN)
        q = _mcc_q(np.ascontiguousarray(p), np.ascontiguousarray(self.px[:, 0, :]),
                   np.ascontiguousarray(self.py[0]), _EPS)
        ev = np.linalg.eigvals(q)
        ev.sort()  # complex: by real part, then imaginary part
        return float(np.nanmean(np.sqrt(ev[:, -2])).real)


def _nanmean(values: np.ndarray) -> float:
    """Mean over angles ignoring NaN (NaN when every angle is NaN), without a RuntimeWarning."""
    values = np.asarray(values, dtype=np.float64)
    finite = ~np.isnan(values)
    if not finite.any():
        return float("nan")
    return float(np.nanmean(values))


def compute(roi: RoiData, features: Sequence[str]) -> dict[str, float]:
    """GLCM features of ``roi`` with its settings (distances, symmetricalGLCM, weightingNorm, force2D).

    Raises
    ------
    TooFewDimensionsError
        When the ROI's bounding box admits no neighbour offset at the requested distances (e.g. a single
        voxel, or a line along the ``force2D`` dimension), where PyRadiomics fails with "Error getting
        angle count".
    KeyError
        For an unknown feature name.
    """
    s = roi.settings
    angles = texture_angles(roi, bidirectional=False)
    counts = glcm_matrix(roi.binned, roi.mask, angles, roi.n_levels, symmetrical=s.symmetrical_glcm)
    weights = None
    if s.weighting_norm is not None:
        weights = angle_weights(angles, roi.spacing, s.weighting_norm)
    p = glcm_normalise(counts, roi.gray_levels, weights=weights)
    if not s.symmetrical_glcm and "JointAverage" in features:
        logger.debug("GLCM JointAverage assumes a symmetrical GLCM, but symmetricalGLCM is off")
    return glcm_properties(p, roi.gray_levels, features, n_levels=roi.n_levels)
