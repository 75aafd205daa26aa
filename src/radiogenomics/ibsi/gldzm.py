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

Zones are labelled here (:func:`find_zones`, ``scipy.ndimage.label`` per level) rather than by the
default engine's flood fill (:func:`radiogenomics.features.glszm.zones`), which gives the level and size
of each zone but not its voxels, and the distance of a zone needs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from radiogenomics.ibsi.texture import count_matrix_family, single_matrix_features

__all__ = ["NAMES", "Zones", "compute", "distance_zone_matrix", "edge_distance", "find_zones"]

NAMES, _features = count_matrix_family({
    "dzm_sde": ("se", "Small distance emphasis"),
    "dzm_lde": ("le", "Large distance emphasis"),
    "dzm_lgze": ("lge", "Low grey level zone emphasis"),
    "dzm_hgze": ("hge", "High grey level zone emphasis"),
    "dzm_sdlge": ("slge", "Small distance low grey level emphasis"),
    "dzm_sdhge": ("shge", "Small distance high grey level emphasis"),
    "dzm_ldlge": ("llge", "Large distance low grey level emphasis"),
    "dzm_ldhge": ("lhge", "Large distance high grey level emphasis"),
    "dzm_glnu": ("glnu", "Grey level non-uniformity"),
    "dzm_glnu_norm": ("glnu_norm", "Normalised grey level non-uniformity"),
    "dzm_zdnu": ("jnu", "Zone distance non-uniformity"),
    "dzm_zdnu_norm": ("jnu_norm", "Normalised zone distance non-uniformity"),
    "dzm_z_perc": ("perc", "Zone percentage"),
    "dzm_gl_var": ("gl_var", "Grey level variance"),
    "dzm_zd_var": ("j_var", "Zone distance variance"),
    "dzm_zd_entr": ("j_entr", "Zone distance entropy"),
})


@dataclass(frozen=True)
class Zones:
    """Zones of a discretised volume: per zone its ``level``, ``size`` (voxels) and ``min_value``, the
    minimum of a voxel map over the zone (empty without a map)."""

    level: np.ndarray
    size: np.ndarray
    min_value: np.ndarray


def find_zones(levels: np.ndarray, planar: bool, values: np.ndarray | None = None) -> Zones:
    """Connected zones of equal level (26-connected, or 8-connected within a slice if ``planar``) of
    ``levels`` (0 outside the mask); ``values`` (e.g. a distance map) gives each zone's minimum."""
    structure = np.ones((3, 3, 3), dtype=bool)
    if planar:
        structure[0] = structure[2] = False
    lv, sz, mn = [], [], []
    for g in np.unique(levels[levels > 0]):
        lab, n = ndimage.label(levels == g, structure=structure)
        idx = np.nonzero(lab)
        ids = lab[idx] - 1
        lv.append(np.full(n, g, dtype=np.int64))
        sz.append(np.bincount(ids, minlength=n))
        if values is not None:
            m = np.full(n, np.inf)
            np.minimum.at(m, ids, values[idx])
            mn.append(m)
    cat = np.concatenate
    return Zones(cat(lv), cat(sz), cat(mn) if values is not None else np.zeros(0))


def edge_distance(mask: np.ndarray, planar: bool) -> np.ndarray:
    """City-block distance of every mask voxel to the nearest non-mask voxel (1 at the edge, 0 outside)."""
    if planar:
        out = np.zeros(mask.shape, dtype=np.int64)
        for s in range(mask.shape[0]):
            if mask[s].any():
                out[s] = ndimage.distance_transform_cdt(np.pad(mask[s], 1), metric="taxicab")[1:-1, 1:-1]
        return out
    return ndimage.distance_transform_cdt(np.pad(mask, 1), metric="taxicab")[1:-1, 1:-1, 1:-1].astype(np.int64)


def distance_zone_matrix(levels: np.ndarray, morph_mask: np.ndarray, n_g: int, planar: bool) -> np.ndarray:
    """Zone counts ``(n_g, largest distance)``: ``[i - 1, j - 1]`` counts the zones of level :math:`i` at
    distance :math:`j` from the edge of ``morph_mask``."""
    zones = find_zones(levels, planar, values=edge_distance(morph_mask, planar).astype(np.float64))
    d = zones.min_value.astype(np.int64)
    n_j = int(d.max()) if d.size else 1
    flat = (zones.level - 1) * n_j + (d - 1)
    return np.bincount(flat, minlength=n_g * n_j).reshape(n_g, n_j).astype(np.float64)


def compute(levels: np.ndarray, morph_mask: np.ndarray, n_g: int, dims: Sequence[str]) -> dict[str, float]:
    """``dzm_*`` features for every requested dimension, tags with their suffix."""
    return single_matrix_features(
        levels, dims, lambda part, planar: distance_zone_matrix(levels[part], morph_mask[part], n_g, planar),
        _features,
    )
