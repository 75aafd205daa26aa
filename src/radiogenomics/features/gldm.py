r"""Grey Level Dependence Matrix (GLDM) features, PyRadiomics 3.0.1 definitions.

:func:`gldm_matrix` counts dependences, :func:`gldm_trim` reduces the counts to PyRadiomics' matrix,
:func:`gldm_properties` derives features and :func:`compute` does all three for a
:class:`~radiogenomics.features.base.RoiData`.

The matrix
----------
A neighbour of an ROI voxel :math:`\mathbf x` is :math:`\mathbf x + \mathbf a` for every offset
:math:`\mathbf a` of :meth:`~radiogenomics.features.base.RoiData.angles` with ``bidirectional=True`` (both
directions, all ``distances``; 26 offsets at distance 1 in 3D) that lies inside the bounding box and the
ROI. It is *dependent* when its grey level differs from that of :math:`\mathbf x` by at most
:math:`\alpha` (``gldm_a``). :math:`\mathbf P(i, d)` counts the ROI voxels of grey level :math:`i` with
:math:`d` dependent neighbours. Then grey levels absent from the ROI and dependence counts occurring
nowhere are deleted; the remaining rows carry the grey level values :math:`i` and the remaining columns the
values :math:`j = d + 1` (so the dependence of a voxel includes the voxel itself).

Features
--------
The 14 features are the grey level × size statistics of
:class:`~radiogenomics.features.texture.GraySizeStatistics` (formulas there) with the dependences as sizes
:math:`j` and :math:`N = N_z = \sum \mathbf P` (the number of ROI voxels; 1 if the matrix is empty), e.g.
SmallDependenceLowGrayLevelEmphasis :math:`\sum_{i,j} \mathbf P(i, j) / (i^2 j^2) / N_z`. Their names
(:func:`~radiogenomics.features.texture.statistic_names`) say ``SmallDependence`` and ``LargeDependence``
for small and large sizes and ``Dependence`` in the non-uniformities, DependenceVariance and
DependenceEntropy; the grey level emphases are LowGrayLevelEmphasis and HighGrayLevelEmphasis. There is
no GrayLevelNonUniformityNormalized.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from radiogenomics.features.base import RoiData
from radiogenomics.features.neighbourhood import dependence_counts
from radiogenomics.features.texture import GraySizeStatistics, matrix_inputs, statistic_names, texture_angles

__all__ = ["compute", "gldm_matrix", "gldm_properties", "gldm_trim"]

logger = logging.getLogger(__name__)

_STATISTICS = statistic_names(
    "gldm", small="SmallDependence", large="LargeDependence", size="Dependence", unit="Dependence", gray=""
)


def gldm_matrix(
    binned: np.ndarray,
    mask: np.ndarray,
    angles: np.ndarray,
    n_levels: int,
    alpha: int = 0,
) -> np.ndarray:
    r"""Dependence counts of a discretised image.

    Parameters
    ----------
    binned, mask, angles, n_levels
        See :func:`~radiogenomics.features.texture.matrix_inputs`; ``angles`` in both directions of each pair.
    alpha
        Largest absolute grey level difference of a dependent neighbour (``gldm_a``).

    Returns
    -------
    numpy.ndarray
        ``float64`` array ``(n_levels, n_angles + 1)``; element ``[i - 1, d]`` counts the ROI voxels of grey
        level ``i`` with exactly ``d`` dependent neighbours.
    """
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0, got {alpha}")
    img, msk, ang = matrix_inputs(binned, mask, angles, n_levels)
    return dependence_counts(img, msk, ang, int(n_levels), int(alpha))


def gldm_trim(counts: np.ndarray, gray_levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PyRadiomics' GLDM from :func:`gldm_matrix` counts.

    Keeps the rows of ``gray_levels`` (the levels present in the ROI) and the dependence columns that occur.

    Returns
    -------
    matrix, jvector
        The ``(len(gray_levels), n_dependences)`` matrix (PyRadiomics' ``P_gldm[0]``) and the dependence
        value :math:`j` (number of dependent neighbours + 1) of each column.
    """
    p = counts[np.asarray(gray_levels, dtype=np.int64) - 1]
    filled = p.sum(axis=0) != 0
    jvector = np.arange(1, counts.shape[1] + 1, dtype=np.float64)[filled]
    return p[:, filled], jvector


def gldm_properties(
    p: np.ndarray,
    gray_levels: np.ndarray,
    jvector: np.ndarray,
    features: Sequence[str],
) -> dict[str, float]:
    """GLDM features of the trimmed matrix ``p`` (rows ``gray_levels``, columns ``jvector``).

    Feature names as in :data:`radiogenomics.catalogue.FEATURES` ``["gldm"]``, returned in the given order.
    """
    pd = p.sum(axis=0)
    pg = p.sum(axis=1)
    nz = float(pd.sum())
    if nz == 0:
        nz = 1.0
    stats = GraySizeStatistics(p, pg, pd, gray_levels, jvector, nz)
    out: dict[str, float] = {}
    for name in features:
        if name not in _STATISTICS:
            raise KeyError(f"unknown GLDM feature {name!r}")
        out[name] = float(stats.value(_STATISTICS[name]))
    return out


def compute(roi: RoiData, features: Sequence[str]) -> dict[str, float]:
    """GLDM features of ``roi``: :func:`gldm_matrix` over the bidirectional offsets at the ``distances``
    (in-plane only with ``force2D``) with :math:`\alpha` = ``gldm_a``, :func:`gldm_trim`, :func:`gldm_properties`.

    Raises
    ------
    TooFewDimensionsError, KeyError
        No neighbour offset fits in the bounding box (:func:`~radiogenomics.features.texture.texture_angles`);
        an unknown feature name.
    """
    angles = texture_angles(roi, bidirectional=True)
    counts = gldm_matrix(roi.binned, roi.mask, angles, roi.n_levels, alpha=roi.settings.gldm_a)
    p, jvector = gldm_trim(counts, roi.gray_levels)
    return gldm_properties(p, roi.gray_levels, jvector, features)
