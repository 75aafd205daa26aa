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
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from radiogenomics.ibsi.texture import ZONE_SUFFIXES, aggregate_zone_matrices

__all__ = ["NAMES", "compute", "ngtdm_features", "ngtdm_matrices"]

NAMES = {
    "ngt_coarseness": "Coarseness",
    "ngt_contrast": "Contrast",
    "ngt_busyness": "Busyness",
    "ngt_complexity": "Complexity",
    "ngt_strength": "Strength",
}


def ngtdm_matrices(levels: np.ndarray, n_g: int, planar: bool) -> np.ndarray:
    """``(n_slices or 1, 2, n_g)`` array of :math:`s_i` (row 0) and :math:`n_i` (row 1)."""
    kernel = np.ones((1, 3, 3) if planar else (3, 3, 3))
    kernel[tuple(k // 2 for k in kernel.shape)] = 0.0
    mask = levels > 0
    total = ndimage.correlate(levels.astype(np.float64), kernel, mode="constant", cval=0.0)
    count = ndimage.correlate(mask.astype(np.float64), kernel, mode="constant", cval=0.0)
    ok = mask & (count > 0)
    g = levels[ok]
    s = np.abs(g - total[ok] / count[ok])
    z = np.nonzero(ok)[0] if planar else np.zeros(g.size, dtype=np.int64)
    nz = levels.shape[0] if planar else 1
    flat = z * n_g + (g - 1)
    out = np.zeros((nz, 2, n_g))
    out[:, 0] = np.bincount(flat, weights=s, minlength=nz * n_g).reshape(nz, n_g)
    out[:, 1] = np.bincount(flat, minlength=nz * n_g).reshape(nz, n_g)
    return out


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
    per_slice = volume = None
    if "2D" in dims or "2.5D" in dims:
        m = ngtdm_matrices(levels, n_g, planar=True)
        per_slice = [(m[s], 0.0) for s in range(m.shape[0]) if m[s, 1].sum() > 0]
    if "3D" in dims:
        volume = (ngtdm_matrices(levels, n_g, planar=False)[0], 0.0)
    res = aggregate_zone_matrices(per_slice, volume, dims, ngtdm_features)
    return {name + ZONE_SUFFIXES[d]: v for d, feats in res.items() for name, v in feats.items()}
