r"""IBSI grey level run length matrix features (family ``glrlm``, tags ``rlm_*``).

For each direction :math:`\mathbf a` (as for the GLCM), :math:`M_{ij}` counts the runs of length
:math:`j` of consecutive intensity-mask voxels of level :math:`i` along :math:`\mathbf a` (a run ends at a
voxel of another level or outside the mask). :math:`N_v` is the number of mask voxels of the slice (2D)
or volume (3D) the matrix comes from; when matrices are merged their :math:`N_v` add up. The features
are the generic count-matrix features of :mod:`radiogenomics.ibsi.texture`: ``sre`` = se, ``lre`` = le,
``lgre`` = lge, ``hgre`` = hge, ``srlge`` = slge, ``srhge`` = shge, ``lrlge`` = llge, ``lrhge`` = lhge,
``glnu``, ``glnu_norm``, ``rlnu`` = jnu, ``rlnu_norm`` = jnu_norm, ``r_perc`` = perc, ``gl_var``,
``rl_var`` = j_var, ``rl_entr`` = j_entr.

The runs are counted by the default engine's kernel (:func:`radiogenomics.features.glrlm.glrlm_matrix`),
whose runs are the same. It follows PyRadiomics in one more rule: a direction along which no line holds
two mask voxels gets an empty matrix; IBSI keeps it, and then every mask voxel is a run of length 1
(:func:`run_length_matrices` restores those counts).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from radiogenomics.features.glrlm import glrlm_matrix
from radiogenomics.ibsi.texture import aggregate, count_matrix_family, offsets

__all__ = ["NAMES", "compute", "run_length_matrices", "run_length_matrix"]

NAMES, _features = count_matrix_family({
    "rlm_sre": ("se", "Short runs emphasis"),
    "rlm_lre": ("le", "Long runs emphasis"),
    "rlm_lgre": ("lge", "Low grey level run emphasis"),
    "rlm_hgre": ("hge", "High grey level run emphasis"),
    "rlm_srlge": ("slge", "Short run low grey level emphasis"),
    "rlm_srhge": ("shge", "Short run high grey level emphasis"),
    "rlm_lrlge": ("llge", "Long run low grey level emphasis"),
    "rlm_lrhge": ("lhge", "Long run high grey level emphasis"),
    "rlm_glnu": ("glnu", "Grey level non-uniformity"),
    "rlm_glnu_norm": ("glnu_norm", "Normalised grey level non-uniformity"),
    "rlm_rlnu": ("jnu", "Run length non-uniformity"),
    "rlm_rlnu_norm": ("jnu_norm", "Normalised run length non-uniformity"),
    "rlm_r_perc": ("perc", "Run percentage"),
    "rlm_gl_var": ("gl_var", "Grey level variance"),
    "rlm_rl_var": ("j_var", "Run length variance"),
    "rlm_rl_entr": ("j_entr", "Run entropy"),
})


def run_length_matrices(levels: np.ndarray, n_g: int, directions: Sequence[Sequence[int]]) -> np.ndarray:
    """Run-length counts of ``levels`` along each of ``directions`` (offsets ``(dz, dy, dx)``; array
    conventions of :mod:`radiogenomics.ibsi.texture`).

    Returns
    -------
    numpy.ndarray
        ``(n_g, max(levels.shape), n_directions)``: element ``[i - 1, j - 1, d]`` counts the runs of level
        :math:`i` and length :math:`j` along ``directions[d]``.
    """
    mask = levels > 0
    out = glrlm_matrix(levels, mask, np.asarray(directions, dtype=np.int64).reshape(-1, 3), n_g)
    dropped = out.sum(axis=(0, 1)) == 0
    if dropped.any() and mask.any():  # no line holds two mask voxels: every voxel is a run of length 1
        out[:, 0, dropped] = np.bincount(levels[mask] - 1, minlength=n_g)[:, np.newaxis]
    return out


def run_length_matrix(levels: np.ndarray, n_g: int, offset: Sequence[int]) -> np.ndarray:
    """Run-length counts ``(n_g, max(levels.shape))`` along one ``offset`` (:func:`run_length_matrices`)."""
    return run_length_matrices(levels, n_g, [offset])[:, :, 0]


def compute(
    levels: np.ndarray, n_g: int, dims: Sequence[str], aggregations: Sequence[str]
) -> dict[str, float]:
    """``rlm_*`` features for every requested dimension and aggregation, tags with their suffix
    (:func:`~radiogenomics.ibsi.texture.aggregate`). :math:`N_v` of a matrix is the number of mask voxels of
    its slice (2D) or volume (3D)."""
    slices = volume = None
    if "2D" in dims or "2.5D" in dims:
        dirs = offsets(1, planar=True, half=True)
        slices = []
        for lv in levels:
            if lv.any():
                m = run_length_matrices(lv[np.newaxis], n_g, dirs)
                slices.append([(m[:, :, d], float(np.count_nonzero(lv))) for d in range(len(dirs))])
    if "3D" in dims:
        m = run_length_matrices(levels, n_g, offsets(1, planar=False, half=True))
        volume = [(m[:, :, d], float(np.count_nonzero(levels))) for d in range(m.shape[2])]
    return aggregate(slices, volume, dims, aggregations, _features)
