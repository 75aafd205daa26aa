r"""Neighbouring Grey Tone Difference Matrix (NGTDM) features, PyRadiomics 3.0.1 definitions.

:func:`ngtdm_matrix` builds the matrix, :func:`ngtdm_trim` deletes absent grey levels,
:func:`ngtdm_properties` derives features and :func:`compute` does all three for a
:class:`~radiogenomics.features.base.RoiData`.

The matrix
----------
The neighbourhood of an ROI voxel :math:`\mathbf x` consists of the voxels :math:`\mathbf x + \mathbf a`,
for every offset of :meth:`~radiogenomics.features.base.RoiData.angles` with ``bidirectional=True`` (both
directions, all ``distances``; 26 offsets at distance 1 in 3D), that lie inside the bounding box *and*
the ROI. With :math:`W` their number and :math:`\bar A` the mean of their grey levels, the voxel
contributes :math:`|i - \bar A|` to :math:`s_i` of its grey level :math:`i` (0 when :math:`W = 0`: a voxel
without ROI neighbours still counts in :math:`n_i` but adds nothing to :math:`s_i`). Every ROI voxel counts
in :math:`n_i`. The matrix has one row per grey level, columns :math:`(n_i, s_i, i)`; rows with
:math:`n_i = 0` are deleted.

Features
--------
With :math:`N_{v,p} = \sum n_i`, :math:`p_i = n_i / N_{v,p}`, :math:`N_{g,p}` the number of grey levels
present and sums running over them:

- Coarseness :math:`1 / \sum p_i s_i` (:math:`10^6` when the sum is 0)
- Contrast :math:`\frac{1}{N_{g,p}(N_{g,p} - 1)} \sum_{i,j} p_i p_j (i - j)^2 \cdot
  \frac{\sum s_i}{N_{v,p}}` (0 when :math:`N_{g,p} \le 1`)
- Busyness :math:`\frac{\sum p_i s_i}{\sum_{i,j} |i p_i - j p_j|}` (0 when the denominator is 0)
- Complexity :math:`\frac{1}{N_{v,p}} \sum_{i,j} |i - j| \frac{p_i s_i + p_j s_j}{p_i + p_j}`
- Strength :math:`\frac{\sum_{i,j} (p_i + p_j)(i - j)^2}{\sum s_i}` (0 when :math:`\sum s_i = 0`)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from radiogenomics.features.base import RoiData
from radiogenomics.features.neighbourhood import grey_tone_differences
from radiogenomics.features.texture import matrix_inputs, texture_angles

__all__ = ["compute", "ngtdm_matrix", "ngtdm_properties", "ngtdm_trim"]

logger = logging.getLogger(__name__)


def ngtdm_matrix(binned: np.ndarray, mask: np.ndarray, angles: np.ndarray, n_levels: int) -> np.ndarray:
    r"""Neighbouring grey tone differences of a discretised image.

    Parameters
    ----------
    binned, mask, angles, n_levels
        See :func:`~radiogenomics.features.texture.matrix_inputs`; ``angles`` in both directions of each pair.

    Returns
    -------
    numpy.ndarray
        ``float64`` array ``(n_levels, 3)``; row ``i - 1`` holds :math:`n_i` (ROI voxels of grey level
        :math:`i`), :math:`s_i` (sum of :math:`|i - \bar A|` over them) and :math:`i`.
    """
    img, msk, ang = matrix_inputs(binned, mask, angles, n_levels)
    return grey_tone_differences(img, msk, ang, int(n_levels))


def ngtdm_trim(matrix: np.ndarray) -> np.ndarray:
    """PyRadiomics' NGTDM (``P_ngtdm[0]``): the rows of :func:`ngtdm_matrix` with :math:`n_i > 0`."""
    return matrix[matrix[:, 0] != 0]


def ngtdm_properties(p: np.ndarray, features: Sequence[str]) -> dict[str, float]:
    """NGTDM features of the trimmed matrix ``p`` (columns :math:`n_i, s_i, i`).

    Feature names as in :data:`radiogenomics.catalogue.FEATURES` ``["ngtdm"]``, returned in the given order.
    """
    n = p[:, 0]
    s = p[:, 1]
    g = p[:, 2]
    nvp = float(n.sum())
    pi = n / nvp if nvp else np.full_like(n, np.nan)
    ngp = int(np.count_nonzero(n > 0))
    # p_i = 0 cannot occur after trimming, except for an untrimmed matrix: such levels are left out of the
    # pairwise sums of Busyness, Complexity and Strength, as PyRadiomics does.
    present = pi != 0
    pair = present[:, None] & present[None, :]
    gdiff = g[:, None] - g[None, :]
    sum_s = float(s.sum())
    pisi = pi * s

    out: dict[str, float] = {}
    for name in features:
        if name == "Coarseness":
            total = float(np.sum(pisi))
            v = 1.0 / total if total != 0 else 1e6
        elif name == "Contrast":
            div = ngp * (ngp - 1)
            v = float(np.sum(pi[:, None] * pi[None, :] * gdiff**2) * sum_s / nvp) / div if div else 0.0
        elif name == "Busyness":
            gp = g * pi
            absdiff = float(np.sum(np.where(pair, np.abs(gp[:, None] - gp[None, :]), 0.0)))
            v = float(np.sum(pisi)) / absdiff if absdiff != 0 else 0.0
        elif name == "Complexity":
            num = np.where(pair, pisi[:, None] + pisi[None, :], 0.0)
            den = pi[:, None] + pi[None, :]
            den = np.where(den == 0, 1.0, den)
            v = float(np.sum(np.abs(gdiff) * num / den) / nvp)
        elif name == "Strength":
            st = float(np.sum(np.where(pair, (pi[:, None] + pi[None, :]) * gdiff**2, 0.0)))
            v = st / sum_s if sum_s != 0 else 0.0
        else:
            raise KeyError(f"unknown NGTDM feature {name!r}")
        out[name] = v
    return out


def compute(roi: RoiData, features: Sequence[str]) -> dict[str, float]:
    """NGTDM features of ``roi``: :func:`ngtdm_matrix` over the bidirectional offsets at the ``distances``
    (in-plane only with ``force2D``), :func:`ngtdm_trim`, :func:`ngtdm_properties`.

    Raises
    ------
    TooFewDimensionsError, KeyError
        No neighbour offset fits in the bounding box (:func:`~radiogenomics.features.texture.texture_angles`);
        an unknown feature name.
    """
    angles = texture_angles(roi, bidirectional=True)
    p = ngtdm_trim(ngtdm_matrix(roi.binned, roi.mask, angles, roi.n_levels))
    return ngtdm_properties(p, features)
