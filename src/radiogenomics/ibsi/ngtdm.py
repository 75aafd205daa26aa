r"""IBSI neighbourhood grey tone difference matrix features (family ``ngtdm``, tags ``ngt_*``).

For every intensity-mask voxel of level :math:`i` with at least one neighbour in the mask (Chebyshev
distance 1: 26 neighbours in 3D, 8 in-plane in 2D), :math:`\bar A` is the mean level of its neighbours in
the mask; :math:`s_i = \sum |i - \bar A|` over those voxels and :math:`n_i` their number,
:math:`N_{v,c} = \sum n_i`, :math:`p_i = n_i / N_{v,c}`, :math:`N_{g,p}` the number of levels with
:math:`p_i > 0`; the sums below run over levels with :math:`p > 0`:

- ``coarseness`` :math:`1 / \sum_i p_i s_i`
- ``contrast`` :math:`\left(\frac{1}{N_{g,p}(N_{g,p}-1)} \sum_i \sum_j p_i p_j (i-j)^2\right)
  \left(\frac{1}{N_{v,c}} \sum_i s_i\right)`
- ``busyness`` :math:`\frac{\sum_i p_i s_i}{\sum_i \sum_j |i p_i - j p_j|}`
- ``complexity`` :math:`\frac{1}{N_{v,c}} \sum_i \sum_j |i - j| \frac{p_i s_i + p_j s_j}{p_i + p_j}`
- ``strength`` :math:`\frac{\sum_i \sum_j (p_i + p_j)(i-j)^2}{\sum_i s_i}`

Aggregation: ``_2D`` per slice averaged, ``_2_5D`` slice matrices (:math:`s_i`, :math:`n_i`) summed, ``_3D``.

The default engine's NGTDM kernel (:func:`radiogenomics.features.ngtdm.ngtdm_matrix`) has the same
:math:`s_i` (a voxel without neighbours adds 0) but counts every mask voxel in :math:`n_i` (PyRadiomics);
IBSI counts only the voxels with a neighbour, so the voxels without one are subtracted. They are the
voxels with no dependent neighbour when every level difference is allowed: column :math:`d = 0` of the
default engine's GLDM (:func:`radiogenomics.features.gldm.gldm_matrix`) with :math:`\alpha = N_g`.

Coarseness is NaN (not PyRadiomics' :math:`10^6`) when :math:`\sum_i p_i s_i = 0`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from radiogenomics.features.gldm import gldm_matrix
from radiogenomics.features.ngtdm import ngtdm_matrix
from radiogenomics.ibsi.texture import offsets, single_matrix_features

__all__ = ["NAMES", "compute", "difference_matrix", "ngtdm_features", "ngtdm_matrices"]

NAMES = {
    "ngt_coarseness": "Coarseness",
    "ngt_contrast": "Contrast",
    "ngt_busyness": "Busyness",
    "ngt_complexity": "Complexity",
    "ngt_strength": "Strength",
}


def difference_matrix(levels: np.ndarray, n_g: int, planar: bool) -> np.ndarray:
    """``(2, n_g)`` array of :math:`s_i` (row 0) and :math:`n_i` (row 1) of ``levels`` (0 outside the mask),
    neighbours in-plane if ``planar`` (see the module docstring)."""
    neighbours = np.array(offsets(1, planar, half=False))
    mask = levels > 0
    counts = ngtdm_matrix(levels, mask, neighbours, n_g)  # columns: n_i over every mask voxel, s_i, i
    alone = gldm_matrix(levels, mask, neighbours, n_g, alpha=n_g)[:, 0]  # voxels without a mask neighbour
    return np.stack([counts[:, 1], counts[:, 0] - alone])


def ngtdm_matrices(levels: np.ndarray, n_g: int, planar: bool) -> np.ndarray:
    """``(n_slices or 1, 2, n_g)`` array of :math:`s_i` (row 0) and :math:`n_i` (row 1) per slice
    (``planar``) or of the volume (:func:`difference_matrix`)."""
    if not planar:
        return difference_matrix(levels, n_g, planar=False)[np.newaxis]
    return np.stack([difference_matrix(levels[s : s + 1], n_g, planar=True) for s in range(levels.shape[0])])


def ngtdm_features(matrix: np.ndarray, n_voxels: float | None = None) -> dict[str, float]:
    """Features of one :math:`(s_i, n_i)` matrix (see the module docstring); ``n_voxels`` is unused
    (:math:`N_{v,c}` comes from the matrix)."""
    s_all, n_all = matrix
    keep = n_all > 0
    g = np.arange(1, matrix.shape[1] + 1, dtype=np.float64)[keep]
    s, n = s_all[keep], n_all[keep]
    nvc = n.sum()
    p = n / nvc
    ngp = g.size
    ps = p * s
    di, dj = g[:, None], g[None, :]
    pi, pj = p[:, None], p[None, :]
    sum_ps = ps.sum()
    out = {"ngt_coarseness": 1.0 / sum_ps if sum_ps > 0 else float("nan")}
    if ngp > 1:
        out["ngt_contrast"] = float((pi * pj * (di - dj) ** 2).sum() / (ngp * (ngp - 1)) * s.sum() / nvc)
        out["ngt_busyness"] = float(sum_ps / np.abs(di * pi - dj * pj).sum())
    else:
        out["ngt_contrast"] = out["ngt_busyness"] = 0.0
    out["ngt_complexity"] = float((np.abs(di - dj) * (ps[:, None] + ps[None, :]) / (pi + pj)).sum() / nvc)
    out["ngt_strength"] = float(((pi + pj) * (di - dj) ** 2).sum() / s.sum()) if s.sum() > 0 else 0.0
    return out


def compute(levels: np.ndarray, n_g: int, dims: Sequence[str]) -> dict[str, float]:
    """``ngt_*`` features for every requested dimension, tags with their suffix."""
    return single_matrix_features(
        levels, dims, lambda part, planar: difference_matrix(levels[part], n_g, planar), ngtdm_features
    )
