r"""IBSI grey level distance zone matrix features (family ``gldzm``, tags ``dzm_*``).

Zones as in :mod:`radiogenomics.ibsi.glszm`. The distance of a voxel to the ROI edge is the smallest
number of 6-connected steps (4-connected within the slice in 2D) to a voxel outside the *morphological*
mask (voxels outside the image count as outside), so edge voxels have distance 1 (city-block distance
transform). The distance of a zone is the smallest distance of its voxels. :math:`M_{ij}` counts the
zones of level :math:`i` at distance :math:`j`. The features are the generic count-matrix features of
:mod:`radiogenomics.ibsi.texture`: ``sde`` = se, ``lde`` = le, ``lgze`` = lge, ``hgze`` = hge,
``sdlge`` = slge, ``sdhge`` = shge, ``ldlge`` = llge, ``ldhge`` = lhge, ``glnu``, ``glnu_norm``,
``zdnu`` = jnu, ``zdnu_norm`` = jnu_norm, ``z_perc`` = perc, ``gl_var``, ``zd_var`` = j_var,
``zd_entr`` = j_entr.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import ndimage

from radiogenomics.ibsi.glszm import find_zones, zone_matrix
from radiogenomics.ibsi.texture import ZONE_SUFFIXES, aggregate_zone_matrices, count_matrix_features

__all__ = ["NAMES", "compute", "edge_distance"]

_MAP = {"sde": "se", "lde": "le", "lgze": "lge", "hgze": "hge", "sdlge": "slge", "sdhge": "shge", "ldlge": "llge",
        "ldhge": "lhge", "glnu": "glnu", "glnu_norm": "glnu_norm", "zdnu": "jnu", "zdnu_norm": "jnu_norm",
        "z_perc": "perc", "gl_var": "gl_var", "zd_var": "j_var", "zd_entr": "j_entr"}

NAMES = {
    "dzm_sde": "Small distance emphasis",
    "dzm_lde": "Large distance emphasis",
    "dzm_lgze": "Low grey level zone emphasis",
    "dzm_hgze": "High grey level zone emphasis",
    "dzm_sdlge": "Small distance low grey level emphasis",
    "dzm_sdhge": "Small distance high grey level emphasis",
    "dzm_ldlge": "Large distance low grey level emphasis",
    "dzm_ldhge": "Large distance high grey level emphasis",
    "dzm_glnu": "Grey level non-uniformity",
    "dzm_glnu_norm": "Normalised grey level non-uniformity",
    "dzm_zdnu": "Zone distance non-uniformity",
    "dzm_zdnu_norm": "Normalised zone distance non-uniformity",
    "dzm_z_perc": "Zone percentage",
    "dzm_gl_var": "Grey level variance",
    "dzm_zd_var": "Zone distance variance",
    "dzm_zd_entr": "Zone distance entropy",
}


def edge_distance(mask: np.ndarray, planar: bool) -> np.ndarray:
    """City-block distance of every mask voxel to the nearest non-mask voxel (1 at the edge, 0 outside)."""
    if planar:
        out = np.zeros(mask.shape, dtype=np.int64)
        for s in range(mask.shape[0]):
            if mask[s].any():
                out[s] = ndimage.distance_transform_cdt(np.pad(mask[s], 1), metric="taxicab")[1:-1, 1:-1]
        return out
    return ndimage.distance_transform_cdt(np.pad(mask, 1), metric="taxicab")[1:-1, 1:-1, 1:-1].astype(np.int64)


def _features(matrix: np.ndarray, n_voxels: float) -> dict[str, float]:
    f = count_matrix_features(matrix, n_voxels)
    return {f"dzm_{k}": f[v] for k, v in _MAP.items()}


def compute(levels: np.ndarray, morph_mask: np.ndarray, n_g: int, dims: Sequence[str]) -> dict[str, float]:
    """``dzm_*`` features for every requested dimension, tags with their suffix."""
    per_slice = volume = None
    if "2D" in dims or "2.5D" in dims:
        z = find_zones(levels, planar=True, values=edge_distance(morph_mask, planar=True).astype(np.float64))
        d = z.min_value.astype(np.int64)
        n_j = int(d.max())
        per_slice = [
            (zone_matrix(z.level[z.slice == s], d[z.slice == s], n_g, n_j), float((levels[s] > 0).sum()))
            for s in range(levels.shape[0]) if levels[s].any()
        ]
    if "3D" in dims:
        z = find_zones(levels, planar=False, values=edge_distance(morph_mask, planar=False).astype(np.float64))
        d = z.min_value.astype(np.int64)
        volume = (zone_matrix(z.level, d, n_g, int(d.max())), float((levels > 0).sum()))
    res = aggregate_zone_matrices(per_slice, volume, dims, _features)
    return {name + ZONE_SUFFIXES[d]: v for d, feats in res.items() for name, v in feats.items()}
