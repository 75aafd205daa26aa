r"""IBSI neighbouring grey level dependence matrix features (family ``ngldm``, tags ``ngl_*``).

For every intensity-mask voxel of level :math:`i`, the dependence :math:`j` is one plus the number of
its neighbours (Chebyshev distance :math:`\le \delta`; in-plane only in 2D) in the mask whose level
differs by at most the coarseness :math:`\alpha` from :math:`i`. :math:`M_{ij}` counts the voxels;
:math:`N_v` the mask voxels. The features are the generic count-matrix features of
:mod:`radiogenomics.ibsi.texture`: ``lde`` = se, ``hde`` = le, ``lgce`` = lge, ``hgce`` = hge,
``ldlge`` = slge, ``ldhge`` = shge, ``hdlge`` = llge, ``hdhge`` = lhge, ``glnu``, ``glnu_norm``,
``dcnu`` = jnu, ``dcnu_norm`` = jnu_norm, ``dc_perc`` = perc, ``gl_var``, ``dc_var`` = j_var,
``dc_entr`` = j_entr, ``dc_energy`` = energy. Aggregation: ``_2D``, ``_2_5D``, ``_3D`` as for the GLSZM.

This is the default engine's grey level dependence matrix (GLDM) with :math:`\alpha` = ``gldm_a``: its
kernel (:func:`radiogenomics.features.gldm.gldm_matrix`) counts the voxels of level :math:`i` with
:math:`d` dependent neighbours, and :math:`j = d + 1`. Levels are integers, so
:math:`|i - k| \le \alpha \iff |i - k| \le \lfloor \alpha \rfloor`; a negative :math:`\alpha` makes no
neighbour dependent.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from radiogenomics.features.gldm import gldm_matrix
from radiogenomics.ibsi.texture import count_matrix_family, offsets, single_matrix_features

__all__ = ["NAMES", "compute", "dependence_matrix"]

NAMES, _features = count_matrix_family({
    "ngl_lde": ("se", "Low dependence emphasis"),
    "ngl_hde": ("le", "High dependence emphasis"),
    "ngl_lgce": ("lge", "Low grey level count emphasis"),
    "ngl_hgce": ("hge", "High grey level count emphasis"),
    "ngl_ldlge": ("slge", "Low dependence low grey level emphasis"),
    "ngl_ldhge": ("shge", "Low dependence high grey level emphasis"),
    "ngl_hdlge": ("llge", "High dependence low grey level emphasis"),
    "ngl_hdhge": ("lhge", "High dependence high grey level emphasis"),
    "ngl_glnu": ("glnu", "Grey level non-uniformity"),
    "ngl_glnu_norm": ("glnu_norm", "Normalised grey level non-uniformity"),
    "ngl_dcnu": ("jnu", "Dependence count non-uniformity"),
    "ngl_dcnu_norm": ("jnu_norm", "Normalised dependence count non-uniformity"),
    "ngl_dc_perc": ("perc", "Dependence count percentage"),
    "ngl_gl_var": ("gl_var", "Grey level variance"),
    "ngl_dc_var": ("j_var", "Dependence count variance"),
    "ngl_dc_entr": ("j_entr", "Dependence count entropy"),
    "ngl_dc_energy": ("energy", "Dependence count energy"),
})


def dependence_matrix(
    levels: np.ndarray, n_g: int, planar: bool, distance: int = 1, coarseness: float = 0.0
) -> np.ndarray:
    """Dependence counts ``(n_g, largest dependence)``: ``[i - 1, j - 1]`` counts the mask voxels of level
    :math:`i` with dependence :math:`j` (see the module docstring); ``levels`` is 0 outside the mask."""
    neighbours = np.array(offsets(distance, planar, half=False))
    if coarseness < 0:  # no neighbour is dependent
        neighbours = neighbours[:0]
    alpha = int(min(max(coarseness, 0.0), n_g))  # floor; level differences are below n_g
    counts = gldm_matrix(levels, levels > 0, neighbours, n_g, alpha=alpha)  # columns: d = 0 .. n_neighbours
    used = np.flatnonzero(counts.any(axis=0))
    return counts[:, : used[-1] + 1 if used.size else 1]


def compute(
    levels: np.ndarray, n_g: int, dims: Sequence[str], distance: int = 1, coarseness: float = 0.0
) -> dict[str, float]:
    """``ngl_*`` features for every requested dimension, tags with their suffix."""
    return single_matrix_features(
        levels, dims, lambda part, planar: dependence_matrix(levels[part], n_g, planar, distance, coarseness),
        _features,
    )
