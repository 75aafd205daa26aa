r"""IBSI grey level co-occurrence matrix features (family ``glcm``, tags ``cm_*``).

For each direction :math:`\mathbf a` (Chebyshev distance :math:`\delta`; 4 in-plane directions in 2D,
13 in 3D for :math:`\delta = 1`), :math:`M_{ij}` counts the voxel pairs :math:`(\mathbf x, \mathbf x + \mathbf a)`
of the intensity mask with levels :math:`(i, j)`, made symmetric (:math:`M + M^T`). Matrices are
aggregated as described in :mod:`radiogenomics.ibsi.texture` and normalised, :math:`p_{ij} = M_{ij}/\sum M`,
with :math:`N_g` the number of discretised levels (highest level), :math:`p_i = \sum_j p_{ij}`,
:math:`\mu = \sum_{ij} i\,p_{ij}`, :math:`p_{i-j}(k) = \sum_{|i-j|=k} p_{ij}`, :math:`p_{i+j}(k) = \sum_{i+j=k} p_{ij}`:

- ``joint_max`` :math:`\max p_{ij}`; ``joint_avg`` :math:`\mu`; ``joint_var`` :math:`\sum (i-\mu)^2 p_{ij}`;
  ``joint_entr`` :math:`-\sum p_{ij}\log_2 p_{ij}`
- ``diff_avg`` :math:`\mu_d = \sum k\,p_{i-j}(k)`, ``diff_var`` :math:`\sum (k-\mu_d)^2 p_{i-j}(k)`,
  ``diff_entr`` :math:`-\sum p_{i-j}\log_2 p_{i-j}`; ``sum_avg``, ``sum_var``, ``sum_entr`` likewise with
  :math:`p_{i+j}`
- ``energy`` :math:`\sum p_{ij}^2`; ``contrast`` :math:`\sum (i-j)^2 p_{ij}`;
  ``dissimilarity`` :math:`\sum |i-j| p_{ij}`
- ``inv_diff`` :math:`\sum \frac{p_{ij}}{1+|i-j|}`; ``inv_diff_norm`` :math:`\sum \frac{p_{ij}}{1+|i-j|/N_g}`;
  ``inv_diff_mom`` :math:`\sum \frac{p_{ij}}{1+(i-j)^2}`;
  ``inv_diff_mom_norm`` :math:`\sum \frac{p_{ij}}{1+(i-j)^2/N_g^2}`;
  ``inv_var`` :math:`\sum_{i \ne j} \frac{p_{ij}}{(i-j)^2}`
- ``corr`` :math:`\frac{\sum (i-\mu_i)(j-\mu_j) p_{ij}}{\sigma_i \sigma_j}` (undefined for :math:`\sigma = 0`);
  ``auto_corr`` :math:`\sum ij\,p_{ij}`
- ``clust_tend``, ``clust_shade``, ``clust_prom`` :math:`\sum (i+j-2\mu)^{2,3,4} p_{ij}`
- ``info_corr1`` :math:`\frac{HXY - HXY1}{HX}`, ``info_corr2`` :math:`\sqrt{1 - e^{-2(HXY2 - HXY)}}`, with
  :math:`HX = -\sum p_i \log_2 p_i`, :math:`HXY` the joint entropy, :math:`HXY1 = -\sum p_{ij}\log_2(p_i p_j)`,
  :math:`HXY2 = -\sum p_i p_j \log_2(p_i p_j)`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from radiogenomics.features.glcm import glcm_matrix
from radiogenomics.ibsi.texture import aggregate, offsets

__all__ = ["NAMES", "compute", "glcm_features", "glcm_matrices"]

NAMES = {
    "cm_joint_max": "Joint maximum",
    "cm_joint_avg": "Joint average",
    "cm_joint_var": "Joint variance",
    "cm_joint_entr": "Joint entropy",
    "cm_diff_avg": "Difference average",
    "cm_diff_var": "Difference variance",
    "cm_diff_entr": "Difference entropy",
    "cm_sum_avg": "Sum average",
    "cm_sum_var": "Sum variance",
    "cm_sum_entr": "Sum entropy",
    "cm_energy": "Angular second moment",
    "cm_contrast": "Contrast",
    "cm_dissimilarity": "Dissimilarity",
    "cm_inv_diff": "Inverse difference",
    "cm_inv_diff_norm": "Normalised inverse difference",
    "cm_inv_diff_mom": "Inverse difference moment",
    "cm_inv_diff_mom_norm": "Normalised inverse difference moment",
    "cm_inv_var": "Inverse variance",
    "cm_corr": "Correlation",
    "cm_auto_corr": "Autocorrelation",
    "cm_clust_tend": "Cluster tendency",
    "cm_clust_shade": "Cluster shade",
    "cm_clust_prom": "Cluster prominence",
    "cm_info_corr1": "Information correlation 1",
    "cm_info_corr2": "Information correlation 2",
}


def glcm_matrices(levels: np.ndarray, n_g: int, planar: bool, distance: int = 1) -> np.ndarray:
    r"""Symmetric co-occurrence counts :math:`M + M^T` of ``levels`` per direction :math:`\mathbf a` at
    Chebyshev distance ``distance``: the in-plane directions, slice by slice, if ``planar``, else the 3D
    directions (array conventions of :mod:`radiogenomics.ibsi.texture`).

    :math:`M_{ij}` counts the pairs :math:`(\mathbf x, \mathbf x + \mathbf a)` of intensity-mask voxels with
    levels :math:`(i, j)`: the definition of the default engine, whose kernel
    (:func:`radiogenomics.features.glcm.glcm_matrix`) counts them.

    Returns
    -------
    numpy.ndarray
        ``(n_slices, n_directions, n_g, n_g)`` if ``planar``, else ``(1, n_directions, n_g, n_g)``, directions
        in the order of :func:`~radiogenomics.ibsi.texture.offsets`.
    """
    dirs = np.array(offsets(distance, planar, half=True))
    mask = levels > 0
    parts = [(levels[s : s + 1], mask[s : s + 1]) for s in range(levels.shape[0])] if planar else [(levels, mask)]
    return np.stack([glcm_matrix(lv, m, dirs, n_g, symmetrical=True).transpose(2, 0, 1) for lv, m in parts])


def glcm_features(counts: np.ndarray, n_g: int) -> dict[str, float]:
    """Features of one co-occurrence count matrix (see the module docstring)."""
    p = counts / counts.sum()
    g = np.arange(1, n_g + 1, dtype=np.float64)
    i, j = g[:, None], g[None, :]
    pi, pj = p.sum(axis=1), p.sum(axis=0)
    mu_i, mu_j = float(g @ pi), float(g @ pj)
    var_i, var_j = float(((g - mu_i) ** 2) @ pi), float(((g - mu_j) ** 2) @ pj)
    diff = np.abs(i - j).astype(np.int64)
    pd_ = np.bincount(diff.ravel(), weights=p.ravel(), minlength=n_g)
    k_d = np.arange(pd_.size, dtype=np.float64)
    ps = np.bincount((i + j).astype(np.int64).ravel(), weights=p.ravel(), minlength=2 * n_g + 1)
    k_s = np.arange(ps.size, dtype=np.float64)

    def entropy(q: np.ndarray) -> float:
        q = q[q > 0]
        return float(-(q * np.log2(q)).sum())

    d_avg, s_avg = float(k_d @ pd_), float(k_s @ ps)
    hxy = entropy(p)
    pipj = pi[:, None] * pj[None, :]
    mask = pipj > 0
    hxy1 = float(-(p[mask] * np.log2(pipj[mask])).sum())
    hxy2 = entropy(pipj)
    hx = entropy(pi)
    off = diff > 0
    sd = np.sqrt(var_i * var_j)
    return {
        "cm_joint_max": float(p.max()),
        "cm_joint_avg": mu_i,
        "cm_joint_var": var_i,
        "cm_joint_entr": hxy,
        "cm_diff_avg": d_avg,
        "cm_diff_var": float(((k_d - d_avg) ** 2) @ pd_),
        "cm_diff_entr": entropy(pd_),
        "cm_sum_avg": s_avg,
        "cm_sum_var": float(((k_s - s_avg) ** 2) @ ps),
        "cm_sum_entr": entropy(ps),
        "cm_energy": float((p**2).sum()),
        "cm_contrast": float(((i - j) ** 2 * p).sum()),
        "cm_dissimilarity": float((np.abs(i - j) * p).sum()),
        "cm_inv_diff": float((p / (1.0 + np.abs(i - j))).sum()),
        "cm_inv_diff_norm": float((p / (1.0 + np.abs(i - j) / n_g)).sum()),
        "cm_inv_diff_mom": float((p / (1.0 + (i - j) ** 2)).sum()),
        "cm_inv_diff_mom_norm": float((p / (1.0 + (i - j) ** 2 / n_g**2)).sum()),
        "cm_inv_var": float((p[off] / ((i - j)[off] ** 2)).sum()),
        "cm_corr": float(((i - mu_i) * (j - mu_j) * p).sum() / sd) if sd > 0 else float("nan"),
        "cm_auto_corr": float((i * j * p).sum()),
        "cm_clust_tend": float(((i + j - mu_i - mu_j) ** 2 * p).sum()),
        "cm_clust_shade": float(((i + j - mu_i - mu_j) ** 3 * p).sum()),
        "cm_clust_prom": float(((i + j - mu_i - mu_j) ** 4 * p).sum()),
        "cm_info_corr1": (hxy - hxy1) / hx if hx > 0 else float("nan"),
        "cm_info_corr2": float(np.sqrt(max(0.0, 1.0 - np.exp(-2.0 * (hxy2 - hxy))))),
    }


def compute(
    levels: np.ndarray, n_g: int, dims: Sequence[str], aggregations: Sequence[str], distance: int = 1
) -> dict[str, float]:
    """``cm_*`` features for every requested dimension and aggregation, tags with their suffix
    (:func:`~radiogenomics.ibsi.texture.aggregate`)."""
    slices = volume = None
    if "2D" in dims or "2.5D" in dims:
        m = glcm_matrices(levels, n_g, planar=True, distance=distance)
        slices = [[(m[s, d], 0.0) for d in range(m.shape[1])] for s in range(m.shape[0]) if m[s].any()]
    if "3D" in dims:
        volume = [(m, 0.0) for m in glcm_matrices(levels, n_g, planar=False, distance=distance)[0]]
    return aggregate(slices, volume, dims, aggregations, lambda counts, _: glcm_features(counts, n_g))
