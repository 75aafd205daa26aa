r"""Numba kernels that visit the ROI neighbours of every ROI voxel (GLCM, GLDM, NGTDM, GLSZM).

Each kernel takes the 3D arrays of :func:`~radiogenomics.features.texture.matrix_inputs`: a discretised
image (grey levels :math:`1 \dots N_g` inside the ROI), its boolean ROI mask and integer offsets
:math:`\mathbf a` (array order). The neighbour of voxel :math:`\mathbf x` at offset :math:`\mathbf a` is
:math:`\mathbf x + \mathbf a` when that lies inside the array *and* the ROI (:func:`_roi_neighbour`, the
one test all four kernels share); ROI voxels are visited in C order.

- :func:`cooccurrence_counts`: :math:`\mathbf P(i, j, \mathbf a)`, voxels of level :math:`i` whose
  neighbour at :math:`\mathbf a` has level :math:`j` (GLCM);
- :func:`dependence_counts`: :math:`\mathbf P(i, d)`, voxels of level :math:`i` with :math:`d` neighbours
  of level :math:`j`, :math:`|i - j| \le \alpha` (GLDM);
- :func:`grey_tone_differences`: :math:`n_i` and :math:`s_i = \sum |i - \bar A|`, :math:`\bar A` the
  mean level of a voxel's neighbours (NGTDM);
- :func:`zone_levels_sizes`: the grey level and size of every zone, a set of same-level voxels connected
  through the offsets (GLSZM).

The kernels live in one module because numba's on-disk cache (``cache=True``) only notices changes to the
file that defines a kernel, not to the helpers it inlines from other files.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["cooccurrence_counts", "dependence_counts", "grey_tone_differences", "zone_levels_sizes"]


@numba.njit(inline="always")
def _roi_neighbour(mask: np.ndarray, angles: np.ndarray, a: int, z: int, y: int,
                   x: int) -> tuple[bool, int, int, int]:
    """``(inside, zz, yy, xx)``: the voxel ``(z, y, x) + angles[a]`` and whether it lies inside the array
    and inside ``mask``."""
    nz, ny, nx = mask.shape
    zz = z + angles[a, 0]
    yy = y + angles[a, 1]
    xx = x + angles[a, 2]
    if zz < 0 or zz >= nz or yy < 0 or yy >= ny or xx < 0 or xx >= nx:
        return False, zz, yy, xx
    return mask[zz, yy, xx], zz, yy, xx


@numba.njit(cache=True)
def cooccurrence_counts(img: np.ndarray, mask: np.ndarray, angles: np.ndarray, ng: int) -> np.ndarray:
    r"""``(ng, ng, n_angles)`` float64: element ``[i - 1, j - 1, a]`` counts the ROI voxels of level
    :math:`i` whose neighbour at ``angles[a]`` has level :math:`j`."""
    nz, ny, nx = img.shape
    na = angles.shape[0]
    out = np.zeros((ng, ng, na), dtype=np.float64)
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                if not mask[z, y, x]:
                    continue
                gi = img[z, y, x] - 1
                for a in range(na):
                    inside, zz, yy, xx = _roi_neighbour(mask, angles, a, z, y, x)
                    if inside:
                        out[gi, img[zz, yy, xx] - 1, a] += 1.0
    return out


@numba.njit(cache=True)
def dependence_counts(img: np.ndarray, mask: np.ndarray, angles: np.ndarray, ng: int, alpha: int) -> np.ndarray:
    r"""``(ng, n_angles + 1)`` float64: element ``[i - 1, d]`` counts the ROI voxels of level :math:`i`
    with exactly :math:`d` neighbours of level :math:`j`, :math:`|i - j| \le \alpha`."""
    nz, ny, nx = img.shape
    na = angles.shape[0]
    out = np.zeros((ng, na + 1), dtype=np.float64)
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                if not mask[z, y, x]:
                    continue
                gi = img[z, y, x]
                dep = 0
                for a in range(na):
                    inside, zz, yy, xx = _roi_neighbour(mask, angles, a, z, y, x)
                    if inside and abs(gi - img[zz, yy, xx]) <= alpha:
                        dep += 1
                out[gi - 1, dep] += 1.0
    return out


@numba.njit(cache=True)
def grey_tone_differences(img: np.ndarray, mask: np.ndarray, angles: np.ndarray, ng: int) -> np.ndarray:
    r"""``(ng, 3)`` float64, row ``i - 1`` :math:`(n_i, s_i, i)`: :math:`n_i` the ROI voxels of level
    :math:`i`, :math:`s_i = \sum |i - \bar A|` over those with :math:`W > 0` neighbours of mean level
    :math:`\bar A` (the neighbour levels summed in offset order, then divided by :math:`W`)."""
    nz, ny, nx = img.shape
    na = angles.shape[0]
    out = np.zeros((ng, 3), dtype=np.float64)
    for g in range(ng):
        out[g, 2] = g + 1
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                if not mask[z, y, x]:
                    continue
                count = 0.0
                total = 0.0
                for a in range(na):
                    inside, zz, yy, xx = _roi_neighbour(mask, angles, a, z, y, x)
                    if inside:
                        count += 1.0
                        total += img[zz, yy, xx]
                gi = img[z, y, x]
                diff = 0.0
                if count > 0:
                    diff = abs(float(gi) - total / count)
                out[gi - 1, 0] += 1.0
                out[gi - 1, 1] += diff
    return out


@numba.njit(cache=True)
def zone_levels_sizes(binned: np.ndarray, mask: np.ndarray, angles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flood-fill the ROI; return the grey level and the size (voxels) of every zone, in C order of the
    zones' first voxel (``int64`` arrays)."""
    nz, ny, nx = binned.shape
    todo = mask.copy()
    n_roi = 0
    for v in mask.ravel():
        if v:
            n_roi += 1
    stack = np.empty((n_roi, 3), dtype=np.int64)
    levels = np.empty(n_roi, dtype=np.int64)
    sizes = np.empty(n_roi, dtype=np.int64)
    n_zones = 0
    na = angles.shape[0]
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                if not todo[z, y, x]:
                    continue
                g = binned[z, y, x]
                todo[z, y, x] = False
                stack[0, 0] = z
                stack[0, 1] = y
                stack[0, 2] = x
                top = 1
                size = 0
                while top > 0:
                    top -= 1
                    cz = stack[top, 0]
                    cy = stack[top, 1]
                    cx = stack[top, 2]
                    size += 1
                    for a in range(na):
                        # a neighbour still to do (in the ROI, not yet in a zone) of the same level joins
                        inside, qz, qy, qx = _roi_neighbour(todo, angles, a, cz, cy, cx)
                        if inside and binned[qz, qy, qx] == g:
                            todo[qz, qy, qx] = False
                            stack[top, 0] = qz
                            stack[top, 1] = qy
                            stack[top, 2] = qx
                            top += 1
                levels[n_zones] = g
                sizes[n_zones] = size
                n_zones += 1
    return levels[:n_zones], sizes[:n_zones]
