r"""IBSI grey level run length matrix features (family ``glrlm``, tags ``rlm_*``).

For each direction :math:`\mathbf a` (as for the GLCM), :math:`M_{ij}` counts the runs of length
:math:`j` of consecutive intensity-mask voxels of level :math:`i` along :math:`\mathbf a` (a run ends at a
voxel of another level or outside the mask). :math:`N_v` is the number of mask voxels of the slice (2D)
or volume (3D) the matrix comes from; when matrices are merged their :math:`N_v` add up. The features
are the generic count-matrix features of :mod:`radiogenomics.ibsi.texture`: ``sre`` = se, ``lre`` = le,
``lgre`` = lge, ``hgre`` = hge, ``srlge`` = slge, ``srhge`` = shge, ``lrlge`` = llge, ``lrhge`` = lhge,
``glnu``, ``glnu_norm``, ``rlnu`` = jnu, ``rlnu_norm`` = jnu_norm, ``r_perc`` = perc, ``gl_var``,
``rl_var`` = j_var, ``rl_entr`` = j_entr.
"""

from __future__ import annotations

from collections.abc import Sequence

import numba
import numpy as np

from radiogenomics.ibsi.texture import GLCM_SUFFIXES, count_matrix_features, nanmean_features, offsets

__all__ = ["NAMES", "compute", "run_length_matrix"]

_MAP = {"sre": "se", "lre": "le", "lgre": "lge", "hgre": "hge", "srlge": "slge", "srhge": "shge", "lrlge": "llge",
        "lrhge": "lhge", "glnu": "glnu", "glnu_norm": "glnu_norm", "rlnu": "jnu", "rlnu_norm": "jnu_norm",
        "r_perc": "perc", "gl_var": "gl_var", "rl_var": "j_var", "rl_entr": "j_entr"}

NAMES = {
    "rlm_sre": "Short runs emphasis",
    "rlm_lre": "Long runs emphasis",
    "rlm_lgre": "Low grey level run emphasis",
    "rlm_hgre": "High grey level run emphasis",
    "rlm_srlge": "Short run low grey level emphasis",
    "rlm_srhge": "Short run high grey level emphasis",
    "rlm_lrlge": "Long run low grey level emphasis",
    "rlm_lrhge": "Long run high grey level emphasis",
    "rlm_glnu": "Grey level non-uniformity",
    "rlm_glnu_norm": "Normalised grey level non-uniformity",
    "rlm_rlnu": "Run length non-uniformity",
    "rlm_rlnu_norm": "Normalised run length non-uniformity",
    "rlm_r_perc": "Run percentage",
    "rlm_gl_var": "Grey level variance",
    "rlm_rl_var": "Run length variance",
    "rlm_rl_entr": "Run entropy",
}


@numba.njit(cache=True)
def _runs(levels: np.ndarray, dz: int, dy: int, dx: int, n_g: int, out: np.ndarray) -> None:
    nz, ny, nx = levels.shape
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                g = levels[z, y, x]
                if g == 0:
                    continue
                pz, py, px = z - dz, y - dy, x - dx
                if 0 <= pz < nz and 0 <= py < ny and 0 <= px < nx and levels[pz, py, px] == g:
                    continue  # not the first voxel of its run
                n = 1
                qz, qy, qx = z + dz, y + dy, x + dx
                while 0 <= qz < nz and 0 <= qy < ny and 0 <= qx < nx and levels[qz, qy, qx] == g:
                    n += 1
                    qz += dz
                    qy += dy
                    qx += dx
                out[g - 1, n - 1] += 1.0


def run_length_matrix(levels: np.ndarray, n_g: int, offset: tuple[int, int, int]) -> np.ndarray:
    """Run-length counts ``(n_g, max_run)`` of ``levels`` (0 outside the mask) along ``offset``."""
    out = np.zeros((n_g, max(levels.shape)), dtype=np.float64)
    _runs(np.ascontiguousarray(levels, dtype=np.int64), int(offset[0]), int(offset[1]), int(offset[2]), n_g, out)
    return out


def _features(matrix: np.ndarray, n_voxels: float) -> dict[str, float]:
    f = count_matrix_features(matrix, n_voxels)
    return {f"rlm_{k}": f[v] for k, v in _MAP.items()}


def _avg(items: list[tuple[np.ndarray, float]]) -> dict[str, float]:
    rows = [_features(m, n) for m, n in items if m.sum() > 0]
    return nanmean_features(rows, list(NAMES))


def compute(
    levels: np.ndarray, n_g: int, dims: Sequence[str], aggregations: Sequence[str]
) -> dict[str, float]:
    """``rlm_*`` features for every requested dimension and aggregation, tags with their suffix."""
    results: dict[tuple[str, str], dict[str, float]] = {}
    if "2D" in dims or "2.5D" in dims:
        dirs = offsets(1, planar=True, half=True)
        slices = [s for s in range(levels.shape[0]) if levels[s].any()]
        m = {(s, d): run_length_matrix(levels[s : s + 1], n_g, off) for s in slices for d, off in enumerate(dirs)}
        nv = {s: float((levels[s] > 0).sum()) for s in slices}
        nd = range(len(dirs))
        if "2D" in dims:
            if "avg" in aggregations:
                results["2D", "avg"] = _avg([(m[s, d], nv[s]) for s in slices for d in nd])
            if "comb" in aggregations:
                results["2D", "comb"] = _avg([(sum(m[s, d] for d in nd), nv[s] * len(dirs)) for s in slices])
        if "2.5D" in dims:
            total = sum(nv.values())
            if "avg" in aggregations:
                results["2.5D", "avg"] = _avg([(sum(m[s, d] for s in slices), total) for d in nd])
            if "comb" in aggregations:
                results["2.5D", "comb"] = _avg([(sum(m.values()), total * len(dirs))])
    if "3D" in dims:
        dirs = offsets(1, planar=False, half=True)
        mats = [run_length_matrix(levels, n_g, off) for off in dirs]
        nv = float((levels > 0).sum())
        if "avg" in aggregations:
            results["3D", "avg"] = _avg([(mm, nv) for mm in mats])
        if "comb" in aggregations:
            results["3D", "comb"] = _avg([(sum(mats), nv * len(dirs))])
    return {name + GLCM_SUFFIXES[key]: v for key, feats in results.items() for name, v in feats.items()}
