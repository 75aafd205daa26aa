r"""Shared pieces of the IBSI texture families: neighbour offsets, aggregation tags, and the features
common to every "grey level x something" count matrix (GLRLM, GLSZM, GLDZM, NGLDM).

Aggregation (IBSI reference manual, "Texture feature aggregation"); tag suffixes of the reference table:

==============  ==================================================================  ========
suffix          GLCM / GLRLM                                                        code
==============  ==================================================================  ========
``_2D_avg``     features per slice and in-plane direction, averaged                BTW3
``_2D_comb``    directions merged per slice, features averaged over slices           SUJT
``_2_5D_avg``   slices merged per direction, features averaged over directions       JJUI
``_2_5D_comb``  all in-plane matrices merged                                         ZW7Z
``_3D_avg``     features per 3D direction, averaged                                  ITBB
``_3D_comb``    all 3D direction matrices merged                                     IAZD
==============  ==================================================================  ========

GLSZM, GLDZM, NGTDM, NGLDM: ``_2D`` (per slice, averaged; 8QNN), ``_2_5D`` (slice matrices merged; 62GR),
``_3D`` (one 3D matrix; KOBO). Empty matrices are skipped, and features undefined for one matrix (e.g.
a correlation without variance) are left out of the average (NaN-aware mean), as in MIRP.

Generic count-matrix features (:func:`count_matrix_features`), for counts :math:`M_{ij}` with grey level
:math:`i = 1 \dots N_g` and second index :math:`j = 1, 2, \dots` (run length, zone size, distance,
dependence), :math:`N_s = \sum M_{ij}`, :math:`p_{ij} = M_{ij}/N_s`, marginals :math:`m_i = \sum_j M_{ij}`,
:math:`m_j = \sum_i M_{ij}` and :math:`N_v` voxels:

- ``se`` :math:`\sum M/j^2 / N_s`; ``le`` :math:`\sum M j^2 / N_s`; ``lge`` :math:`\sum M/i^2 / N_s`;
  ``hge`` :math:`\sum M i^2 / N_s`; ``slge`` :math:`\sum M/(i^2 j^2) / N_s`; ``shge`` :math:`\sum M i^2/j^2 / N_s`;
  ``llge`` :math:`\sum M j^2/i^2 / N_s`; ``lhge`` :math:`\sum M i^2 j^2 / N_s`
- ``glnu`` :math:`\sum_i m_i^2 / N_s`, ``glnu_norm`` :math:`\sum_i m_i^2 / N_s^2`; ``jnu``, ``jnu_norm`` the
  same with :math:`m_j`; ``perc`` :math:`N_s / N_v`
- ``gl_var`` :math:`\sum (i - \mu_i)^2 p_{ij}`, ``j_var`` :math:`\sum (j - \mu_j)^2 p_{ij}` with
  :math:`\mu_i = \sum i\,p_{ij}`, :math:`\mu_j = \sum j\,p_{ij}`; ``j_entr`` :math:`-\sum p_{ij}\log_2 p_{ij}`;
  ``energy`` :math:`\sum p_{ij}^2`
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

import numpy as np

from radiogenomics.errors import TooSmallMaskError

__all__ = [
    "GLCM_SUFFIXES",
    "ZONE_SUFFIXES",
    "count_matrix_features",
    "nanmean_features",
    "offsets",
]

GLCM_SUFFIXES = {("2D", "avg"): "_2D_avg", ("2D", "comb"): "_2D_comb", ("2.5D", "avg"): "_2_5D_avg",
                 ("2.5D", "comb"): "_2_5D_comb", ("3D", "avg"): "_3D_avg", ("3D", "comb"): "_3D_comb"}
ZONE_SUFFIXES = {"2D": "_2D", "2.5D": "_2_5D", "3D": "_3D"}


def offsets(distance: int, planar: bool, half: bool) -> list[tuple[int, int, int]]:
    """Neighbour offsets ``(dz, dy, dx)`` at Chebyshev distance ``distance`` (``half``: one of each
    mirrored pair, as directions) or within it (``half=False``: the whole neighbourhood, centre excluded);
    ``planar`` keeps ``dz = 0``."""
    rz = range(0, 1) if planar else range(-distance, distance + 1)
    r = range(-distance, distance + 1)
    out = []
    for dz, dy, dx in itertools.product(rz, r, r):
        cheb = max(abs(dz), abs(dy), abs(dx))
        if cheb == 0 or (half and cheb != distance):
            continue
        if half and (dz, dy, dx) < (0, 0, 0):
            continue
        out.append((dz, dy, dx))
    return out


def shifted(array: np.ndarray, offset: Sequence[int]) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    """Slices ``(src, dst)`` such that ``array[dst]`` is the neighbour at ``offset`` of ``array[src]``."""
    src, dst = [], []
    for d, n in zip(offset, array.shape, strict=True):
        src.append(slice(max(0, -d), n - max(0, d)))
        dst.append(slice(max(0, d), n - max(0, -d)))
    return tuple(src), tuple(dst)


def nanmean_features(rows: list[dict[str, float]], keys: Sequence[str]) -> dict[str, float]:
    """Mean of each feature over ``rows``, ignoring NaN (undefined) values.

    Raises
    ------
    TooSmallMaskError
        ``rows`` is empty: the ROI gives no non-empty matrix (e.g. no pair of neighbouring voxels).
    """
    if not rows:
        raise TooSmallMaskError("the ROI is too small for this texture matrix: every matrix is empty")
    out = {}
    for k in keys:
        vals = np.array([r[k] for r in rows], dtype=np.float64)
        vals = vals[np.isfinite(vals)]
        out[k] = float(vals.mean()) if vals.size else float("nan")
    return out


def count_matrix_features(matrix: np.ndarray, n_voxels: float) -> dict[str, float]:
    """Generic features of a grey level x j count matrix (see the module docstring)."""
    m = np.asarray(matrix, dtype=np.float64)
    i = np.arange(1, m.shape[0] + 1, dtype=np.float64)[:, None]
    j = np.arange(1, m.shape[1] + 1, dtype=np.float64)[None, :]
    ns = m.sum()
    p = m / ns
    mi, mj = m.sum(axis=1), m.sum(axis=0)
    mu_i, mu_j = float((i * p).sum()), float((j * p).sum())
    nz = p[p > 0]
    return {
        "se": float((p / j**2).sum()),
        "le": float((p * j**2).sum()),
        "lge": float((p / i**2).sum()),
        "hge": float((p * i**2).sum()),
        "slge": float((p / (i**2 * j**2)).sum()),
        "shge": float((p * i**2 / j**2).sum()),
        "llge": float((p * j**2 / i**2).sum()),
        "lhge": float((p * i**2 * j**2).sum()),
        "glnu": float((mi**2).sum() / ns),
        "glnu_norm": float((mi**2).sum() / ns**2),
        "jnu": float((mj**2).sum() / ns),
        "jnu_norm": float((mj**2).sum() / ns**2),
        "perc": float(ns / n_voxels),
        "gl_var": float(((i - mu_i) ** 2 * p).sum()),
        "j_var": float(((j - mu_j) ** 2 * p).sum()),
        "j_entr": float(-(nz * np.log2(nz)).sum()),
        "energy": float((nz**2).sum()),
    }


def aggregate_zone_matrices(
    per_slice: list[tuple[np.ndarray, float]] | None,
    volume: tuple[np.ndarray, float] | None,
    dims: Sequence[str],
    features: Callable[[np.ndarray, float], dict[str, float]],
) -> dict[str, dict[str, float]]:
    """Features of single-matrix families per dimension: ``2D`` (mean over the non-empty slice matrices),
    ``2.5D`` (slice matrices summed, voxel counts summed) and ``3D`` (``volume``).

    ``per_slice`` holds ``(matrix, n_voxels)`` per slice, all matrices of one shape; returns
    ``{dimension: features}``.
    """
    out: dict[str, dict[str, float]] = {}
    if per_slice is not None:
        nonempty = [(m, n) for m, n in per_slice if m.sum() > 0]
        if not nonempty:
            raise TooSmallMaskError("the ROI is too small for this texture matrix: every slice matrix is empty")
        if "2D" in dims:
            rows = [features(m, n) for m, n in nonempty]
            out["2D"] = nanmean_features(rows, list(rows[0]))
        if "2.5D" in dims:
            out["2.5D"] = features(sum(m for m, _ in nonempty), float(sum(n for _, n in nonempty)))
    if volume is not None and "3D" in dims:
        out["3D"] = features(*volume)
    return out
