r"""IBSI grey level size zone matrix features (family ``glszm``, tags ``szm_*``).

A zone is a connected set of intensity-mask voxels of one level (26-connectivity in 3D, 8-connectivity
within a slice in 2D). :math:`M_{ij}` counts the zones of level :math:`i` and size :math:`j` voxels;
:math:`N_v` is the number of mask voxels. Aggregation: ``_2D`` per slice averaged, ``_2_5D`` slices merged,
``_3D`` one matrix. The features are the generic count-matrix features of
:mod:`radiogenomics.ibsi.texture`: ``sze`` = se, ``lze`` = le, ``lgze`` = lge, ``hgze`` = hge,
``szlge`` = slge, ``szhge`` = shge, ``lzlge`` = llge, ``lzhge`` = lhge, ``glnu``, ``glnu_norm``,
``zsnu`` = jnu, ``zsnu_norm`` = jnu_norm, ``z_perc`` = perc, ``gl_var``, ``zs_var`` = j_var,
``zs_entr`` = j_entr.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from radiogenomics.ibsi.texture import ZONE_SUFFIXES, aggregate_zone_matrices, count_matrix_features

__all__ = ["NAMES", "Zones", "compute", "find_zones"]

_MAP = {"sze": "se", "lze": "le", "lgze": "lge", "hgze": "hge", "szlge": "slge", "szhge": "shge", "lzlge": "llge",
        "lzhge": "lhge", "glnu": "glnu", "glnu_norm": "glnu_norm", "zsnu": "jnu", "zsnu_norm": "jnu_norm",
        "z_perc": "perc", "gl_var": "gl_var", "zs_var": "j_var", "zs_entr": "j_entr"}

NAMES = {
    "szm_sze": "Small zone emphasis",
    "szm_lze": "Large zone emphasis",
    "szm_lgze": "Low grey level zone emphasis",
    "szm_hgze": "High grey level zone emphasis",
    "szm_szlge": "Small zone low grey level emphasis",
    "szm_szhge": "Small zone high grey level emphasis",
    "szm_lzlge": "Large zone low grey level emphasis",
    "szm_lzhge": "Large zone high grey level emphasis",
    "szm_glnu": "Grey level non-uniformity",
    "szm_glnu_norm": "Normalised grey level non-uniformity",
    "szm_zsnu": "Zone size non-uniformity",
    "szm_zsnu_norm": "Normalised zone size non-uniformity",
    "szm_z_perc": "Zone percentage",
    "szm_gl_var": "Grey level variance",
    "szm_zs_var": "Zone size variance",
    "szm_zs_entr": "Zone size entropy",
}


@dataclass(frozen=True)
class Zones:
    """Zones of a discretised volume: per zone its ``level``, ``size`` (voxels) and ``slice`` (first
    axis index of its voxels; meaningful for planar zones), and ``min_value`` of an optional voxel map."""

    level: np.ndarray
    size: np.ndarray
    slice: np.ndarray
    min_value: np.ndarray


def find_zones(levels: np.ndarray, planar: bool, values: np.ndarray | None = None) -> Zones:
    """Connected zones of equal level (see the module docstring); ``values`` (e.g. a distance map) gives
    each zone's minimum."""
    structure = np.ones((3, 3, 3), dtype=bool)
    if planar:
        structure[0] = structure[2] = False
    lv, sz, sl, mn = [], [], [], []
    for g in np.unique(levels[levels > 0]):
        lab, n = ndimage.label(levels == g, structure=structure)
        idx = np.nonzero(lab)
        ids = lab[idx] - 1
        lv.append(np.full(n, g, dtype=np.int64))
        sz.append(np.bincount(ids, minlength=n))
        first = np.zeros(n, dtype=np.int64)
        first[ids] = idx[0]
        sl.append(first)
        if values is not None:
            m = np.full(n, np.inf)
            np.minimum.at(m, ids, values[idx])
            mn.append(m)
    cat = np.concatenate
    return Zones(cat(lv), cat(sz), cat(sl), cat(mn) if values is not None else np.zeros(0))


def zone_matrix(level: np.ndarray, j: np.ndarray, n_g: int, n_j: int) -> np.ndarray:
    """Counts ``(n_g, n_j)`` of zones by level and second index ``j`` (1-based)."""
    flat = (level - 1) * n_j + (j - 1)
    return np.bincount(flat, minlength=n_g * n_j).reshape(n_g, n_j).astype(np.float64)


def _features(matrix: np.ndarray, n_voxels: float) -> dict[str, float]:
    f = count_matrix_features(matrix, n_voxels)
    return {f"szm_{k}": f[v] for k, v in _MAP.items()}


def compute(levels: np.ndarray, n_g: int, dims: Sequence[str]) -> dict[str, float]:
    """``szm_*`` features for every requested dimension, tags with their suffix."""
    per_slice = volume = None
    if "2D" in dims or "2.5D" in dims:
        z = find_zones(levels, planar=True)
        n_j = int(z.size.max())
        per_slice = [
            (zone_matrix(z.level[z.slice == s], z.size[z.slice == s], n_g, n_j), float((levels[s] > 0).sum()))
            for s in range(levels.shape[0]) if levels[s].any()
        ]
    if "3D" in dims:
        z = find_zones(levels, planar=False)
        volume = (zone_matrix(z.level, z.size, n_g, int(z.size.max())), float((levels > 0).sum()))
    res = aggregate_zone_matrices(per_slice, volume, dims, _features)
    return {name + ZONE_SUFFIXES[d]: v for d, feats in res.items() for name, v in feats.items()}
