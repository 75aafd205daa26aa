r"""IBSI neighbouring grey level dependence matrix features (family ``ngldm``, tags ``ngl_*``).

For every intensity-mask voxel of level :math:`i`, the dependence :math:`j` is one plus the number of
its neighbours (Chebyshev distance :math:`\le \delta`; in-plane only in 2D) in the mask whose level
differs by at most the coarseness :math:`\alpha` from :math:`i`. :math:`M_{ij}` counts the voxels;
:math:`N_v` the mask voxels. The features are the generic count-matrix features of
:mod:`radiogenomics.ibsi.texture`: ``lde`` = se, ``hde`` = le, ``lgce`` = lge, ``hgce`` = hge,
``ldlge`` = slge, ``ldhge`` = shge, ``hdlge`` = llge, ``hdhge`` = lhge, ``glnu``, ``glnu_norm``,
``dcnu`` = jnu, ``dcnu_norm`` = jnu_norm, ``dc_perc`` = perc, ``gl_var``, ``dc_var`` = j_var,
``dc_entr`` = j_entr, ``dc_energy`` = energy. Aggregation: ``_2D``, ``_2_5D``, ``_3D`` as for the GLSZM.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from radiogenomics.ibsi.texture import (
    ZONE_SUFFIXES,
    aggregate_zone_matrices,
    count_matrix_features,
    offsets,
    shifted,
)

__all__ = ["NAMES", "compute", "dependence_map"]

_MAP = {"lde": "se", "hde": "le", "lgce": "lge", "hgce": "hge", "ldlge": "slge", "ldhge": "shge", "hdlge": "llge",
        "hdhge": "lhge", "glnu": "glnu", "glnu_norm": "glnu_norm", "dcnu": "jnu", "dcnu_norm": "jnu_norm",
        "dc_perc": "perc", "gl_var": "gl_var", "dc_var": "j_var", "dc_entr": "j_entr", "dc_energy": "energy"}

NAMES = {
    "ngl_lde": "Low dependence emphasis",
    "ngl_hde": "High dependence emphasis",
    "ngl_lgce": "Low grey level count emphasis",
    "ngl_hgce": "High grey level count emphasis",
    "ngl_ldlge": "Low dependence low grey level emphasis",
    "ngl_ldhge": "Low dependence high grey level emphasis",
    "ngl_hdlge": "High dependence low grey level emphasis",
    "ngl_hdhge": "High dependence high grey level emphasis",
    "ngl_glnu": "Grey level non-uniformity",
    "ngl_glnu_norm": "Normalised grey level non-uniformity",
    "ngl_dcnu": "Dependence count non-uniformity",
    "ngl_dcnu_norm": "Normalised dependence count non-uniformity",
    "ngl_dc_perc": "Dependence count percentage",
    "ngl_gl_var": "Grey level variance",
    "ngl_dc_var": "Dependence count variance",
    "ngl_dc_entr": "Dependence count entropy",
    "ngl_dc_energy": "Dependence count energy",
}


def dependence_map(levels: np.ndarray, planar: bool, distance: int = 1, coarseness: float = 0.0) -> np.ndarray:
    """Dependence :math:`j` of every mask voxel (0 outside the mask)."""
    mask = levels > 0
    dep = mask.astype(np.int64)
    for off in offsets(distance, planar, half=False):
        src, dst = shifted(levels, off)
        a, b = levels[src], levels[dst]
        dep[src] += (a > 0) & (b > 0) & (np.abs(a - b) <= coarseness)
    return dep


def _features(matrix: np.ndarray, n_voxels: float) -> dict[str, float]:
    f = count_matrix_features(matrix, n_voxels)
    return {f"ngl_{k}": f[v] for k, v in _MAP.items()}


def _matrix(g: np.ndarray, j: np.ndarray, n_g: int, n_j: int) -> np.ndarray:
    return np.bincount((g - 1) * n_j + (j - 1), minlength=n_g * n_j).reshape(n_g, n_j).astype(np.float64)


def compute(
    levels: np.ndarray, n_g: int, dims: Sequence[str], distance: int = 1, coarseness: float = 0.0
) -> dict[str, float]:
    """``ngl_*`` features for every requested dimension, tags with their suffix."""
    per_slice = volume = None
    if "2D" in dims or "2.5D" in dims:
        dep = dependence_map(levels, True, distance, coarseness)
        n_j = int(dep.max())
        per_slice = []
        for s in range(levels.shape[0]):
            ok = levels[s] > 0
            if ok.any():
                per_slice.append((_matrix(levels[s][ok], dep[s][ok], n_g, n_j), float(ok.sum())))
    if "3D" in dims:
        dep = dependence_map(levels, False, distance, coarseness)
        ok = levels > 0
        volume = (_matrix(levels[ok], dep[ok], n_g, int(dep.max())), float(ok.sum()))
    res = aggregate_zone_matrices(per_slice, volume, dims, _features)
    return {name + ZONE_SUFFIXES[d]: v for d, feats in res.items() for name, v in feats.items()}
