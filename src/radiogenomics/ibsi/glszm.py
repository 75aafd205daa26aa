r"""IBSI grey level size zone matrix features (family ``glszm``, tags ``szm_*``).

A zone is a connected set of intensity-mask voxels of one level (26-connectivity in 3D, 8-connectivity
within a slice in 2D). :math:`M_{ij}` counts the zones of level :math:`i` and size :math:`j` voxels;
:math:`N_v` is the number of mask voxels. Aggregation: ``_2D`` per slice averaged, ``_2_5D`` slices merged,
``_3D`` one matrix. The zones are those of the default engine, whose kernel
(:func:`radiogenomics.features.glszm.glszm_matrix`) counts them with the same connectivity (the
neighbour offsets of :func:`~radiogenomics.ibsi.texture.offsets`). The features are the generic
count-matrix features of :mod:`radiogenomics.ibsi.texture`: ``sze`` = se, ``lze`` = le, ``lgze`` = lge,
``hgze`` = hge, ``szlge`` = slge, ``szhge`` = shge, ``lzlge`` = llge, ``lzhge`` = lhge, ``glnu``,
``glnu_norm``, ``zsnu`` = jnu, ``zsnu_norm`` = jnu_norm, ``z_perc`` = perc, ``gl_var``, ``zs_var`` = j_var,
``zs_entr`` = j_entr.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from radiogenomics.features.glszm import glszm_matrix
from radiogenomics.ibsi.texture import count_matrix_family, offsets, single_matrix_features

__all__ = ["NAMES", "compute", "size_zone_matrix"]

NAMES, _features = count_matrix_family({
    "szm_sze": ("se", "Small zone emphasis"),
    "szm_lze": ("le", "Large zone emphasis"),
    "szm_lgze": ("lge", "Low grey level zone emphasis"),
    "szm_hgze": ("hge", "High grey level zone emphasis"),
    "szm_szlge": ("slge", "Small zone low grey level emphasis"),
    "szm_szhge": ("shge", "Small zone high grey level emphasis"),
    "szm_lzlge": ("llge", "Large zone low grey level emphasis"),
    "szm_lzhge": ("lhge", "Large zone high grey level emphasis"),
    "szm_glnu": ("glnu", "Grey level non-uniformity"),
    "szm_glnu_norm": ("glnu_norm", "Normalised grey level non-uniformity"),
    "szm_zsnu": ("jnu", "Zone size non-uniformity"),
    "szm_zsnu_norm": ("jnu_norm", "Normalised zone size non-uniformity"),
    "szm_z_perc": ("perc", "Zone percentage"),
    "szm_gl_var": ("gl_var", "Grey level variance"),
    "szm_zs_var": ("j_var", "Zone size variance"),
    "szm_zs_entr": ("j_entr", "Zone size entropy"),
})


def size_zone_matrix(levels: np.ndarray, n_g: int, planar: bool) -> np.ndarray:
    """Zone counts ``(n_g, largest zone size)``: ``[i - 1, j - 1]`` counts the zones of level :math:`i` and
    :math:`j` voxels of ``levels`` (0 outside the mask); ``planar`` zones do not cross slices."""
    return glszm_matrix(levels, levels > 0, np.array(offsets(1, planar, half=False)), n_g)


def compute(levels: np.ndarray, n_g: int, dims: Sequence[str]) -> dict[str, float]:
    """``szm_*`` features for every requested dimension, tags with their suffix."""
    return single_matrix_features(
        levels, dims, lambda part, planar: size_zone_matrix(levels[part], n_g, planar), _features
    )
