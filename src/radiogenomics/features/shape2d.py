r"""2D shape features, PyRadiomics 3.0.1 definitions (``shape2D`` class).

The features describe a single-slice ROI mask; the image is not used. As in PyRadiomics, a 3D mask
(cropped to the ROI bounding box) needs ``force2D`` and must be one voxel thick along
``force2Ddimension`` (array axis: 0 = z, 1 = y, 2 = x); that axis is dropped, leaving a 2D mask with the
spacing :math:`s = (s_0, s_1)` of the two remaining axes (array order). The mask is padded with one
background pixel on every side; pixel indices below refer to that padded grid.

Mesh
----
A marching-squares contour is built with the iso-level halfway between an ROI pixel and a background
pixel: every vertex is the midpoint of a grid edge joining an ROI pixel to a background pixel. A
:math:`2 \times 2` square at :math:`(i, j)` gets the 4-bit index :math:`\sum_k 2^k [\text{corner } k
\in \text{ROI}]` (corners :math:`(0,0), (0,1), (1,1), (1,0)`) and its line segments come from a lookup
table, oriented consistently. A segment with end points :math:`a, b` (physical coordinates
:math:`(i + \delta) s`, :math:`\delta \in \{0, \tfrac12, 1\}`) contributes

.. math::

    A = \frac12 \sum_f (a_{f,0} b_{f,1} - b_{f,0} a_{f,1}), \qquad
    P = \sum_f \lVert a_f - b_f \rVert

(``MeshSurface`` :math:`A`, the signed area of the triangles spanned with the origin, and ``Perimeter``
:math:`P`), summed over the squares in C order, as PyRadiomics does.

Features
--------
With :math:`N_p` ROI pixels and :math:`\lambda_{minor} \le \lambda_{major}` the eigenvalues of the
covariance matrix of the physical pixel-centre coordinates (population covariance; eigenvalues in
:math:`(-10^{-10}, 0)` are set to 0):

- MeshSurface :math:`A`; PixelSurface :math:`N_p \, (s_1 s_0)`; Perimeter :math:`P`;
  PerimeterSurfaceRatio :math:`P / A`
- Sphericity :math:`2 \sqrt{\pi A} / P`
- MaximumDiameter: largest Euclidean distance between two contour vertices
- MajorAxisLength :math:`4 \sqrt{\lambda_{major}}`, MinorAxisLength :math:`4 \sqrt{\lambda_{minor}}`
- Elongation :math:`\sqrt{\lambda_{minor} / \lambda_{major}}`

The maximum diameter uses the same extreme-point pruning as the 3D diameters
(:func:`radiogenomics.features.shape.max_diameters`), with bit-identical results to PyRadiomics'
all-pairs search.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numba
import numpy as np

from radiogenomics.errors import InvalidMaskError, SettingsError
from radiogenomics.features.base import RoiData
from radiogenomics.features.shape import (
    axis_features,
    checked_mask,
    edge_vertices,
    max_diameters,
)

__all__ = ["compute", "contour_perimeter_area", "slice_mask"]

logger = logging.getLogger(__name__)

# Corner k of a marching square, offset (row, column) from the square origin; bit k of the square index.
_CORNERS = np.array([[0, 0], [0, 1], [1, 1], [1, 0]], dtype=np.int64)

# Contour vertex on square edge e, offset (row, column) from the square origin.
_EDGE_VERTICES = np.array([[0.0, 0.5], [0.5, 1.0], [1.0, 0.5], [0.5, 0.0]], dtype=np.float64)

# Segments (pairs of edge numbers, -1 terminated) of square indices 0..15, as in PyRadiomics' cshape.c.
_SEGMENTS = np.array(
    [
        [-1, -1, -1, -1, -1],
        [3, 0, -1, -1, -1],
        [0, 1, -1, -1, -1],
        [3, 1, -1, -1, -1],
        [1, 2, -1, -1, -1],
        [1, 2, 3, 0, -1],
        [0, 2, -1, -1, -1],
        [3, 2, -1, -1, -1],
        [2, 3, -1, -1, -1],
        [2, 0, -1, -1, -1],
        [0, 1, 2, 3, -1],
        [2, 1, -1, -1, -1],
        [1, 3, -1, -1, -1],
        [1, 0, -1, -1, -1],
        [0, 3, -1, -1, -1],
        [-1, -1, -1, -1, -1],
    ],
    dtype=np.int64,
)


@numba.njit(cache=True)
def _contour_perimeter_area(mask: np.ndarray, spacing: np.ndarray) -> tuple[float, float]:
    ny, nx = mask.shape
    s0, s1 = spacing[0], spacing[1]
    perimeter = 0.0
    twice_area = 0.0
    for y in range(ny - 1):
        for x in range(nx - 1):
            code = 0
            for k in range(4):
                if mask[y + _CORNERS[k, 0], x + _CORNERS[k, 1]] != 0:
                    code |= 1 << k
            if code == 0 or code == 15:
                continue
            row = _SEGMENTS[code]
            t = 0
            while row[t] >= 0:
                ea, eb = row[t], row[t + 1]
                a0 = (y + _EDGE_VERTICES[ea, 0]) * s0
                a1 = (x + _EDGE_VERTICES[ea, 1]) * s1
                b0 = (y + _EDGE_VERTICES[eb, 0]) * s0
                b1 = (x + _EDGE_VERTICES[eb, 1]) * s1
                # z component of a x b: twice the signed area of the triangle (origin, a, b)
                twice_area += a0 * b1 - b0 * a1
                d0 = a0 - b0
                d1 = a1 - b1
                perimeter += np.sqrt(d0 * d0 + d1 * d1)
                t += 2
    return perimeter, twice_area / 2.0


def contour_perimeter_area(padded: np.ndarray, spacing: np.ndarray) -> tuple[float, float]:
    r"""Perimeter :math:`P` and area :math:`A` of the marching-squares contour.

    Parameters
    ----------
    padded
        2D mask with at least one background layer on every side.
    spacing
        Spacing of the two axes in mm (array order).

    Returns
    -------
    tuple of float
        :math:`P = \sum_f \lVert a_f - b_f \rVert` and
        :math:`A = \tfrac12 \sum_f (a_{f,0} b_{f,1} - b_{f,0} a_{f,1})`.
    """
    perimeter, area = _contour_perimeter_area(
        np.ascontiguousarray(padded, dtype=np.uint8), np.ascontiguousarray(spacing, dtype=np.float64)
    )
    return float(perimeter), float(area)


def slice_mask(roi: RoiData) -> tuple[np.ndarray, np.ndarray]:
    """The 2D mask and its spacing (array order), with PyRadiomics' checks.

    Raises
    ------
    SettingsError
        A 3D mask without ``force2D``.
    InvalidMaskError
        A 3D mask more than one voxel thick along ``force2Ddimension``, or a mask neither 2D nor 3D.
    """
    mask = np.asarray(roi.mask, dtype=bool)
    spacing = np.asarray(roi.spacing, dtype=np.float64)[::-1]
    if mask.ndim == 2:
        return mask, spacing.copy()
    if mask.ndim != 3:
        raise InvalidMaskError(f"shape2D needs a 2D mask or a 3D mask with force2D, got {mask.ndim}D")
    settings = roi.settings
    if not settings.force2d:
        raise SettingsError("shape2D on a 3D mask needs force2D=True (and force2Ddimension)")
    dim = settings.force2d_dimension
    if mask.shape[dim] > 1:
        raise InvalidMaskError(
            f"shape2D needs a ROI one voxel thick along force2Ddimension={dim}; "
            f"the ROI bounding box is {mask.shape[dim]} voxels thick there"
        )
    keep = [a for a in range(3) if a != dim]
    return np.squeeze(mask, axis=dim), spacing[keep].copy()


_MESH = {"MeshSurface", "Perimeter", "PerimeterSurfaceRatio", "Sphericity"}


def compute(roi: RoiData, features: Sequence[str]) -> dict[str, float]:
    """2D shape features of ``roi`` (names from :data:`radiogenomics.catalogue.FEATURES` ``["shape2D"]``),
    as ``{name: value}`` in the order of ``features``.

    ``roi.mask`` (cropped to the ROI bounding box), ``roi.spacing`` and the ``force2D`` /
    ``force2Ddimension`` settings are used.

    Raises
    ------
    UnknownNameError, EmptyMaskError, SettingsError, InvalidMaskError
        See :func:`~radiogenomics.features.shape.checked_mask` and :func:`slice_mask`.
    """
    mask, spacing, padded = checked_mask(roi, features, "shape2D", slice_mask)
    wanted = set(features)

    perimeter = area = float("nan")
    if wanted & _MESH:
        perimeter, area = contour_perimeter_area(padded, spacing)
    diameter = float("nan")
    if "MaximumDiameter" in wanted:
        vertices = edge_vertices(padded)
        grid = np.zeros((vertices.shape[0], 3), dtype=np.int64)
        grid[:, :2] = vertices
        diameter = float(max_diameters(grid, (spacing[0], spacing[1], 1.0), planes=False)[3])
    axes = axis_features(padded, spacing, features)

    values: dict[str, float] = {}
    for name in features:
        if name == "MeshSurface":
            v = area
        elif name == "PixelSurface":
            s0, s1 = (float(s) for s in spacing)
            v = int(np.count_nonzero(mask)) * (s1 * s0)
        elif name == "Perimeter":
            v = perimeter
        elif name == "PerimeterSurfaceRatio":
            v = perimeter / area
        elif name == "Sphericity":
            v = (2 * np.sqrt(np.pi * area)) / perimeter
        elif name == "MaximumDiameter":
            v = diameter
        else:  # principal axes
            v = axes[name]
        values[name] = float(v)
    return values
