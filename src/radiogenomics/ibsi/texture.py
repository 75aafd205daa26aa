r"""Shared pieces of the IBSI texture families: neighbour offsets, texture aggregation, and the features
common to every "grey level x something" count matrix (GLRLM, GLSZM, GLDZM, NGLDM).

Array conventions of the texture functions: ``levels`` is a discretised volume ``[z, y, x]`` with levels
``1 .. n_g`` in the intensity mask and 0 outside it, ``n_g`` the number of grey levels; a count matrix has
one row per level (row :math:`i - 1` for level :math:`i`).

Neighbour offsets are those of the default engine (:func:`radiogenomics.features.angles.generate_angles`):
the IBSI and PyRadiomics neighbourhoods coincide, except that PyRadiomics drops offsets that reach beyond
the ROI bounding box, which IBSI keeps (a direction that meets no voxel pair still exists; for the GLRLM
every voxel is then a run of length 1), so the offsets are generated for a box large enough to keep all.

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

GLSZM, GLDZM, NGTDM, NGLDM have one matrix per slice or volume, i.e. a single "direction", for which
``avg`` and ``comb`` coincide: ``_2D`` (per slice, averaged; 8QNN), ``_2_5D`` (slice matrices merged; 62GR),
``_3D`` (one 3D matrix; KOBO). The matrices of the slices are zero-padded to a common shape; merging
sums the count matrices and their voxel counts :math:`N_v`. Empty matrices are skipped, and features
undefined for one matrix (e.g. a correlation without variance) are left out of the average (NaN-aware
mean), as in MIRP.

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

Trailing all-zero rows or columns do not change these features.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from radiogenomics.errors import TooSmallMaskError
from radiogenomics.features.angles import generate_angles

__all__ = [
    "GLCM_SUFFIXES",
    "ZONE_SUFFIXES",
    "Features",
    "Item",
    "aggregate",
    "count_matrix_family",
    "count_matrix_features",
    "nanmean_features",
    "offsets",
    "single_matrix_features",
]

Item = tuple[np.ndarray, float]
"""A count matrix and the number of voxels :math:`N_v` it was counted over."""

Features = Callable[[np.ndarray, float], dict[str, float]]
"""Features of one ``(matrix, n_voxels)`` pair."""

GLCM_SUFFIXES = {("2D", "avg"): "_2D_avg", ("2D", "comb"): "_2D_comb", ("2.5D", "avg"): "_2_5D_avg",
                 ("2.5D", "comb"): "_2_5D_comb", ("3D", "avg"): "_3D_avg", ("3D", "comb"): "_3D_comb"}
ZONE_SUFFIXES = {("2D", "avg"): "_2D", ("2.5D", "avg"): "_2_5D", ("3D", "avg"): "_3D"}
"""Tag suffixes of the single-matrix families, keyed like :data:`GLCM_SUFFIXES` (``avg`` = ``comb``)."""


def offsets(distance: int, planar: bool, half: bool) -> list[tuple[int, int, int]]:
    r"""Neighbour offsets ``(dz, dy, dx)`` of the default engine, in ascending lexicographic order (the order
    of the matrices of a family, and of their features in an average).

    Parameters
    ----------
    distance
        Chebyshev distance :math:`\delta`.
    planar
        Keep ``dz = 0`` only (in-plane neighbours of 2D texture).
    half
        ``True``: the directions at distance exactly :math:`\delta`, one of each mirrored pair (13 in 3D,
        4 in-plane for :math:`\delta = 1`); ``False``: the whole neighbourhood within :math:`\delta`, both
        directions, centre excluded (26 or 8 for :math:`\delta = 1`).
    """
    distances = (distance,) if half else tuple(range(1, distance + 1))
    box = (2 * distance + 1,) * 3  # larger than every offset: none is dropped
    angles = generate_angles(box, distances, bidirectional=not half, force2d_dimension=0 if planar else None)
    return sorted((int(dz), int(dy), int(dx)) for dz, dy, dx in angles)


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


def _merge(items: Iterable[Item]) -> Item:
    """Sum of the matrices (all of one shape) and of their voxel counts."""
    items = list(items)
    if not items:
        return np.zeros((1, 1)), 0.0
    return np.sum([m for m, _ in items], axis=0), float(sum(n for _, n in items))


def _common_shape(slices: Sequence[Sequence[Item]]) -> list[list[Item]]:
    """The slice matrices zero-padded to the largest shape among them."""
    shape = np.max([m.shape for per_dir in slices for m, _ in per_dir], axis=0)
    return [[(np.pad(m, [(0, k - j) for j, k in zip(m.shape, shape, strict=True)]), n) for m, n in per_dir]
            for per_dir in slices]


def _average(items: Iterable[Item], features: Features) -> dict[str, float]:
    """NaN-aware mean of the features of the non-empty matrices (see :func:`nanmean_features`)."""
    rows = [features(m, n) for m, n in items if m.sum() > 0]
    return nanmean_features(rows, list(rows[0]) if rows else [])


def aggregate(
    slices: Sequence[Sequence[Item]] | None,
    volume: Sequence[Item] | None,
    dims: Sequence[str],
    aggregations: Sequence[str],
    features: Features,
    suffixes: Mapping[tuple[str, str], str] = GLCM_SUFFIXES,
) -> dict[str, float]:
    """Features of every requested dimension and aggregation (see the module docstring), tagged.

    Parameters
    ----------
    slices
        ``slices[s][d]``: matrix and voxel count of slice ``s`` and in-plane direction ``d`` (``None``
        when neither 2D nor 2.5D is requested).
    volume
        ``volume[d]``: matrix and voxel count of 3D direction ``d`` (``None`` without 3D).
    dims, aggregations
        Requested dimensions (``2D``, ``2.5D``, ``3D``) and aggregations (``avg``, ``comb``).
    features
        Features of one matrix.
    suffixes
        Tag suffix of each ``(dimension, aggregation)``; pairs without one are not computed.

    Returns
    -------
    dict
        ``{feature + suffix: value}``, aggregations in the order of ``suffixes``.

    Raises
    ------
    TooSmallMaskError
        Every matrix of a requested aggregation is empty.
    """
    groups: dict[tuple[str, str], Callable[[], list[Item]]] = {}
    if slices is not None:
        slices = _common_shape(slices) if slices else []
        n_dirs = len(slices[0]) if slices else 0
        groups["2D", "avg"] = lambda: [item for per_dir in slices for item in per_dir]
        groups["2D", "comb"] = lambda: [_merge(per_dir) for per_dir in slices]
        groups["2.5D", "avg"] = lambda: [_merge(per_dir[d] for per_dir in slices) for d in range(n_dirs)]
        groups["2.5D", "comb"] = lambda: [_merge(item for per_dir in slices for item in per_dir)]
    if volume is not None:
        groups["3D", "avg"] = lambda: list(volume)
        groups["3D", "comb"] = lambda: [_merge(volume)]
    out: dict[str, float] = {}
    for key, suffix in suffixes.items():
        if key[0] in dims and key[1] in aggregations and key in groups:
            for name, value in _average(groups[key](), features).items():
                out[name + suffix] = value
    return out


def single_matrix_features(
    levels: np.ndarray,
    dims: Sequence[str],
    matrix: Callable[[slice, bool], np.ndarray],
    features: Features,
) -> dict[str, float]:
    """``_2D``, ``_2_5D`` and ``_3D`` features of a family with one matrix per slice or volume.

    Parameters
    ----------
    levels
        Discretised volume (array conventions above).
    dims
        Requested dimensions.
    matrix
        ``matrix(part, planar)``: the count matrix of ``levels[part]``, ``part`` a slice of axis 0 (one
        slice with ``planar`` True, the whole volume with ``planar`` False).
    features
        Features of one ``(matrix, n_voxels)``; :math:`N_v` is the number of mask voxels of the part.

    Returns
    -------
    dict
        ``{feature + suffix: value}`` (:func:`aggregate` with one direction and :data:`ZONE_SUFFIXES`).
    """
    slices = volume = None
    if "2D" in dims or "2.5D" in dims:
        slices = [[(matrix(slice(s, s + 1), True), float(np.count_nonzero(levels[s])))]
                  for s in range(levels.shape[0]) if levels[s].any()]
    if "3D" in dims:
        volume = [(matrix(slice(None), False), float(np.count_nonzero(levels)))]
    return aggregate(slices, volume, dims, ("avg",), features, ZONE_SUFFIXES)


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


def count_matrix_family(table: Mapping[str, tuple[str, str]]) -> tuple[dict[str, str], Features]:
    """Names and feature function of a family made of generic count-matrix features.

    Parameters
    ----------
    table
        ``{IBSI tag: (generic feature of count_matrix_features, readable name)}``, in output order.

    Returns
    -------
    names, features
        ``{tag: name}`` and the function mapping ``(matrix, n_voxels)`` to ``{tag: value}``.
    """
    generic = {tag: key for tag, (key, _) in table.items()}

    def features(matrix: np.ndarray, n_voxels: float) -> dict[str, float]:
        f = count_matrix_features(matrix, n_voxels)
        return {tag: f[key] for tag, key in generic.items()}

    return {tag: name for tag, (_, name) in table.items()}, features
