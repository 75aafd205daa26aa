r"""3D shape features, PyRadiomics 3.0.1 definitions (``shape`` class).

The features describe the ROI mask only; the image is not used. The mask (cropped to the ROI bounding
box, as PyRadiomics' ``computeShape`` does) is padded with one layer of background voxels on every side;
all voxel indices below refer to that padded grid, array order :math:`(z, y, x)`, with the spacing
:math:`s = (s_z, s_y, s_x)` in mm.

Mesh
----
A marching-cubes surface is built on the padded mask with the iso-level halfway between an ROI voxel
and a background voxel, so every mesh vertex is the midpoint of a grid edge joining an ROI voxel to a
background voxel. A :math:`2 \times 2 \times 2` cube at :math:`(z, y, x)` gets the 8-bit index
:math:`\sum_k 2^k [\text{corner } k \in \text{ROI}]` (corner order of PyRadiomics). An index with bit 7
set is replaced by its complement (the triangle table holds 128 entries) and the triangles it yields get
the sign :math:`\sigma = -1` (else :math:`\sigma = +1`). A triangle with vertices :math:`a, b, c`
(physical coordinates :math:`(i + \delta) s` with :math:`\delta \in \{0, \tfrac12, 1\}`) contributes

.. math::

    V = \frac{1}{6} \sum_f \sigma_f \, (a_f \times b_f) \cdot c_f, \qquad
    A = \sum_f \tfrac12 \lVert (a_f - c_f) \times (b_f - c_f) \rVert

(``MeshVolume`` :math:`V`, the signed volume of the tetrahedra spanned with the origin, and
``SurfaceArea`` :math:`A`). Sums run over the cubes in C order and the triangles in table order, exactly
as PyRadiomics accumulates them.

Features
--------
With :math:`N_v` ROI voxels and :math:`\lambda_{least} \le \lambda_{minor} \le \lambda_{major}` the
eigenvalues of the covariance matrix of the physical voxel-centre coordinates (population covariance,
:math:`\frac1{N_v} \sum (p - \bar p)(p - \bar p)^T`; eigenvalues in :math:`(-10^{-10}, 0)` are set to 0):

- MeshVolume :math:`V`; SurfaceArea :math:`A`; SurfaceVolumeRatio :math:`A / V`
- VoxelVolume :math:`N_v \, (s_z s_x s_y)`
- Sphericity :math:`\sqrt[3]{36 \pi V^2} / A`
- Maximum3DDiameter: largest Euclidean distance between two mesh vertices
- Maximum2DDiameterSlice / Column / Row: the same over vertex pairs with equal :math:`z` / :math:`y` /
  :math:`x` coordinate (axial / coronal / sagittal planes)
- MajorAxisLength :math:`4 \sqrt{\lambda_{major}}`, MinorAxisLength :math:`4 \sqrt{\lambda_{minor}}`,
  LeastAxisLength :math:`4 \sqrt{\lambda_{least}}`
- Elongation :math:`\sqrt{\lambda_{minor} / \lambda_{major}}`, Flatness
  :math:`\sqrt{\lambda_{least} / \lambda_{major}}`

An axis length, Elongation or Flatness whose eigenvalue is (still) negative is NaN with a warning, as in
PyRadiomics.

Diameters
---------
PyRadiomics compares all vertex pairs (:math:`O(n^2)`). The largest distance over a finite point set is
always attained between two extreme points of its convex hull, and a point that lies strictly between two
other points of the set on a grid line is never extreme. Only vertices that are the first or last vertex
on their grid line along each axis (the axes lying in the plane considered, for the 2D diameters) are
therefore compared. Among those, points are visited by decreasing distance to the farthest corner of
their bounding box (an upper bound of any pair distance involving them) and the search stops once that
bound cannot beat the best pair found. The squared distance of each compared pair is computed with the
same floating-point operations as PyRadiomics (and rounding is monotonic, so the bounds hold for the
computed values), hence the maxima are bit-identical to PyRadiomics' all-pairs search. The vertex set is
PyRadiomics' (every vertex once; PyRadiomics stores, per cube, the vertices on the three edges at
corner 7) and does not depend on the visiting order.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numba
import numpy as np

from radiogenomics.catalogue import FEATURES
from radiogenomics.errors import EmptyMaskError, UnknownNameError
from radiogenomics.features.base import RoiData

__all__ = [
    "axis_features",
    "checked_mask",
    "compute",
    "covariance_eigenvalues",
    "edge_vertices",
    "max_diameters",
    "mesh_area_volume",
    "volume_mask",
]

logger = logging.getLogger(__name__)

# Corner k of a marching cube, offset (z, y, x) from the cube origin; bit k of the cube index.
_CORNERS = np.array(
    [[0, 0, 0], [0, 0, 1], [0, 1, 1], [0, 1, 0], [1, 0, 0], [1, 0, 1], [1, 1, 1], [1, 1, 0]],
    dtype=np.int64,
)

# Mesh vertex on cube edge e, offset (z, y, x) from the cube origin (midpoint of the edge).
_EDGE_VERTICES = np.array(
    [
        [0.0, 0.0, 0.5], [0.0, 0.5, 1.0], [0.0, 1.0, 0.5], [0.0, 0.5, 0.0],
        [1.0, 0.0, 0.5], [1.0, 0.5, 1.0], [1.0, 1.0, 0.5], [1.0, 0.5, 0.0],
        [0.5, 0.0, 0.0], [0.5, 0.0, 1.0], [0.5, 1.0, 1.0], [0.5, 1.0, 0.0],
    ],
    dtype=np.float64,
)

# Triangles of cube indices 0..127 (edge numbers, three per triangle, -1 terminated): the lookup table of
# PyRadiomics' cshape.c (Lorensen & Cline marching cubes, oriented so that normals point outward).
_TRIANGLES = np.array(
    [
        [-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [0, 8, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [1, 9, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [1, 8, 3, 1, 9, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [1, 2, 10, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [0, 8, 3, 1, 2, 10, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [9, 2, 10, 0, 2, 9, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [2, 8, 3, 2, 10, 8, 10, 9, 8, -1, -1, -1, -1, -1, -1, -1],
        [11, 2, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [11, 2, 0, 0, 8, 11, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [1, 9, 0, 11, 2, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [11, 2, 1, 1, 9, 11, 9, 8, 11, -1, -1, -1, -1, -1, -1, -1],
        [3, 10, 1, 11, 10, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [10, 1, 0, 0, 8, 10, 8, 11, 10, -1, -1, -1, -1, -1, -1, -1],
        [9, 0, 3, 3, 11, 9, 11, 10, 9, -1, -1, -1, -1, -1, -1, -1],
        [9, 8, 10, 11, 10, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [4, 7, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [0, 4, 3, 4, 7, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [1, 9, 0, 4, 7, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [1, 9, 4, 1, 4, 7, 1, 7, 3, -1, -1, -1, -1, -1, -1, -1],
        [1, 2, 10, 4, 7, 8, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [3, 4, 7, 3, 0, 4, 1, 2, 10, -1, -1, -1, -1, -1, -1, -1],
        [9, 2, 10, 9, 0, 2, 4, 7, 8, -1, -1, -1, -1, -1, -1, -1],
        [2, 10, 9, 2, 9, 7, 2, 7, 3, 4, 7, 9, -1, -1, -1, -1],
        [4, 7, 8, 11, 2, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [11, 4, 7, 11, 2, 4, 2, 0, 4, -1, -1, -1, -1, -1, -1, -1],
        [1, 9, 0, 4, 7, 8, 11, 2, 3, -1, -1, -1, -1, -1, -1, -1],
        [4, 7, 11, 9, 4, 11, 11, 2, 9, 1, 9, 2, -1, -1, -1, -1],
        [3, 10, 1, 11, 10, 3, 4, 7, 8, -1, -1, -1, -1, -1, -1, -1],
        [11, 10, 1, 1, 4, 11, 1, 0, 4, 4, 7, 11, -1, -1, -1, -1],
        [4, 7, 8, 9, 0, 3, 3, 11, 9, 11, 10, 9, -1, -1, -1, -1],
        [4, 7, 11, 4, 11, 9, 9, 11, 10, -1, -1, -1, -1, -1, -1, -1],
        [9, 5, 4, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [9, 5, 4, 0, 8, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [0, 5, 4, 0, 1, 5, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [8, 5, 4, 8, 3, 5, 3, 1, 5, -1, -1, -1, -1, -1, -1, -1],
        [1, 2, 10, 9, 5, 4, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [0, 8, 3, 1, 2, 10, 9, 5, 4, -1, -1, -1, -1, -1, -1, -1],
        [2, 10, 5, 5, 4, 2, 2, 4, 0, -1, -1, -1, -1, -1, -1, -1],
        [2, 10, 5, 3, 2, 5, 3, 5, 4, 8, 3, 4, -1, -1, -1, -1],
        [9, 5, 4, 11, 2, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [11, 2, 0, 0, 8, 11, 9, 5, 4, -1, -1, -1, -1, -1, -1, -1],
        [0, 5, 4, 0, 1, 5, 11, 2, 3, -1, -1, -1, -1, -1, -1, -1],
        [2, 1, 5, 2, 5, 8, 11, 2, 8, 5, 4, 8, -1, -1, -1, -1],
        [3, 10, 1, 11, 10, 3, 9, 5, 4, -1, -1, -1, -1, -1, -1, -1],
        [5, 4, 9, 10, 1, 0, 0, 8, 10, 8, 11, 10, -1, -1, -1, -1],
        [5, 4, 0, 5, 0, 11, 10, 5, 11, 11, 0, 3, -1, -1, -1, -1],
        [5, 4, 8, 10, 5, 8, 11, 10, 8, -1, -1, -1, -1, -1, -1, -1],
        [7, 8, 9, 5, 7, 9, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [3, 0, 9, 5, 3, 9, 3, 5, 7, -1, -1, -1, -1, -1, -1, -1],
        [7, 8, 0, 0, 1, 7, 7, 1, 5, -1, -1, -1, -1, -1, -1, -1],
        [1, 5, 7, 1, 7, 3, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [7, 8, 9, 5, 7, 9, 1, 2, 10, -1, -1, -1, -1, -1, -1, -1],
        [1, 2, 10, 3, 0, 9, 3, 9, 5, 3, 5, 7, -1, -1, -1, -1],
        [0, 2, 8, 8, 2, 5, 8, 5, 7, 2, 10, 5, -1, -1, -1, -1],
        [2, 10, 5, 2, 5, 3, 3, 5, 7, -1, -1, -1, -1, -1, -1, -1],
        [5, 7, 9, 7, 8, 9, 11, 2, 3, -1, -1, -1, -1, -1, -1, -1],
        [5, 7, 9, 9, 7, 2, 2, 0, 9, 11, 2, 7, -1, -1, -1, -1],
        [11, 2, 3, 0, 1, 8, 1, 7, 8, 1, 5, 7, -1, -1, -1, -1],
        [2, 1, 11, 1, 7, 11, 1, 5, 7, -1, -1, -1, -1, -1, -1, -1],
        [7, 8, 9, 5, 7, 9, 3, 10, 1, 11, 10, 3, -1, -1, -1, -1],
        [5, 7, 0, 5, 0, 9, 7, 11, 0, 10, 1, 0, 11, 10, 0, -1],
        [11, 10, 0, 0, 3, 11, 10, 5, 0, 0, 7, 8, 5, 7, 0, -1],
        [11, 10, 5, 5, 7, 11, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [6, 5, 10, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [0, 8, 3, 6, 5, 10, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [1, 9, 0, 6, 5, 10, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [1, 8, 3, 1, 9, 8, 6, 5, 10, -1, -1, -1, -1, -1, -1, -1],
        [1, 6, 5, 1, 2, 6, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [1, 6, 5, 1, 2, 6, 0, 8, 3, -1, -1, -1, -1, -1, -1, -1],
        [9, 6, 5, 9, 0, 6, 0, 2, 6, -1, -1, -1, -1, -1, -1, -1],
        [5, 9, 8, 5, 8, 2, 5, 2, 6, 8, 3, 2, -1, -1, -1, -1],
        [11, 2, 3, 6, 5, 10, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [11, 2, 0, 0, 8, 11, 6, 5, 10, -1, -1, -1, -1, -1, -1, -1],
        [1, 9, 0, 11, 2, 3, 6, 5, 10, -1, -1, -1, -1, -1, -1, -1],
        [11, 2, 1, 1, 9, 11, 9, 8, 11, 6, 5, 10, -1, -1, -1, -1],
        [6, 3, 11, 6, 5, 3, 5, 1, 3, -1, -1, -1, -1, -1, -1, -1],
        [0, 8, 11, 0, 11, 5, 0, 5, 1, 5, 11, 6, -1, -1, -1, -1],
        [6, 3, 11, 0, 3, 6, 0, 6, 5, 0, 5, 9, -1, -1, -1, -1],
        [6, 5, 9, 6, 9, 11, 11, 9, 8, -1, -1, -1, -1, -1, -1, -1],
        [4, 7, 8, 6, 5, 10, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [0, 4, 3, 4, 7, 3, 6, 5, 10, -1, -1, -1, -1, -1, -1, -1],
        [1, 9, 0, 4, 7, 8, 6, 5, 10, -1, -1, -1, -1, -1, -1, -1],
        [1, 9, 4, 1, 4, 7, 1, 7, 3, 6, 5, 10, -1, -1, -1, -1],
        [4, 7, 8, 1, 6, 5, 1, 2, 6, -1, -1, -1, -1, -1, -1, -1],
        [0, 4, 3, 4, 7, 3, 1, 6, 5, 1, 2, 6, -1, -1, -1, -1],
        [4, 7, 8, 9, 6, 5, 9, 0, 6, 0, 2, 6, -1, -1, -1, -1],
        [7, 3, 9, 4, 7, 9, 3, 2, 9, 5, 9, 6, 2, 6, 9, -1],
        [11, 2, 3, 4, 7, 8, 6, 5, 10, -1, -1, -1, -1, -1, -1, -1],
        [11, 4, 7, 11, 2, 4, 2, 0, 4, 6, 5, 10, -1, -1, -1, -1],
        [1, 9, 0, 11, 2, 3, 4, 7, 8, 6, 5, 10, -1, -1, -1, -1],
        [4, 7, 11, 9, 4, 11, 11, 2, 9, 1, 9, 2, 6, 5, 10, -1],
        [4, 7, 8, 6, 3, 11, 6, 5, 3, 5, 1, 3, -1, -1, -1, -1],
        [5, 1, 11, 5, 11, 6, 1, 0, 11, 4, 7, 11, 0, 4, 11, -1],
        [4, 7, 8, 6, 3, 11, 0, 3, 6, 0, 6, 5, 0, 5, 9, -1],
        [6, 5, 9, 6, 9, 11, 4, 7, 9, 7, 11, 9, -1, -1, -1, -1],
        [10, 4, 9, 6, 4, 10, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [10, 4, 9, 6, 4, 10, 0, 8, 3, -1, -1, -1, -1, -1, -1, -1],
        [0, 1, 10, 10, 6, 0, 6, 4, 0, -1, -1, -1, -1, -1, -1, -1],
        [1, 8, 3, 1, 6, 8, 8, 6, 4, 6, 1, 10, -1, -1, -1, -1],
        [1, 4, 9, 1, 2, 4, 2, 6, 4, -1, -1, -1, -1, -1, -1, -1],
        [1, 4, 9, 1, 2, 4, 2, 6, 4, 0, 8, 3, -1, -1, -1, -1],
        [0, 2, 4, 4, 2, 6, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [8, 3, 2, 8, 2, 4, 4, 2, 6, -1, -1, -1, -1, -1, -1, -1],
        [11, 2, 3, 10, 4, 9, 6, 4, 10, -1, -1, -1, -1, -1, -1, -1],
        [11, 2, 0, 0, 8, 11, 10, 4, 9, 6, 4, 10, -1, -1, -1, -1],
        [11, 2, 3, 0, 1, 10, 10, 6, 0, 6, 4, 0, -1, -1, -1, -1],
        [6, 4, 1, 6, 1, 10, 1, 4, 8, 11, 2, 1, 1, 8, 11, -1],
        [9, 6, 4, 3, 6, 9, 1, 3, 9, 11, 6, 3, -1, -1, -1, -1],
        [1, 8, 11, 0, 8, 1, 11, 6, 1, 1, 4, 9, 6, 4, 1, -1],
        [6, 3, 11, 0, 3, 6, 6, 4, 0, -1, -1, -1, -1, -1, -1, -1],
        [8, 6, 4, 6, 8, 11, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [6, 7, 10, 7, 8, 10, 8, 9, 10, -1, -1, -1, -1, -1, -1, -1],
        [6, 7, 10, 0, 10, 7, 0, 9, 10, 0, 7, 3, -1, -1, -1, -1],
        [6, 7, 10, 1, 10, 7, 1, 7, 8, 0, 1, 8, -1, -1, -1, -1],
        [6, 7, 10, 1, 10, 7, 1, 7, 3, -1, -1, -1, -1, -1, -1, -1],
        [1, 2, 6, 1, 6, 8, 1, 8, 9, 6, 7, 8, -1, -1, -1, -1],
        [2, 6, 9, 1, 2, 9, 6, 7, 9, 3, 0, 9, 7, 3, 9, -1],
        [0, 7, 8, 7, 0, 6, 6, 0, 2, -1, -1, -1, -1, -1, -1, -1],
        [2, 7, 3, 2, 6, 7, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [11, 2, 3, 6, 7, 10, 7, 8, 10, 8, 9, 10, -1, -1, -1, -1],
        [2, 0, 7, 11, 2, 7, 0, 9, 7, 6, 7, 10, 9, 10, 7, -1],
        [6, 7, 10, 1, 10, 7, 1, 7, 8, 0, 1, 8, 11, 2, 3, -1],
        [11, 2, 1, 1, 7, 11, 10, 6, 1, 1, 6, 7, -1, -1, -1, -1],
        [8, 9, 6, 6, 7, 8, 1, 6, 9, 11, 6, 3, 1, 3, 6, -1],
        [0, 9, 1, 6, 7, 11, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
        [0, 7, 8, 7, 0, 6, 0, 3, 11, 11, 6, 0, -1, -1, -1, -1],
        [6, 7, 11, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1],
    ],
    dtype=np.int64,
)


# ---------------------------------------------------------------------------------------------------------
# Mesh: surface area and volume
# ---------------------------------------------------------------------------------------------------------


@numba.njit(cache=True)
def _mesh_area_volume(mask: np.ndarray, spacing: np.ndarray) -> tuple[float, float]:
    """Marching-cubes surface area and signed volume of a padded ``uint8`` mask (see module docstring)."""
    nz, ny, nx = mask.shape
    sz, sy, sx = spacing[0], spacing[1], spacing[2]
    area = 0.0
    six_volume = 0.0
    for z in range(nz - 1):
        for y in range(ny - 1):
            for x in range(nx - 1):
                code = 0
                for k in range(8):
                    if mask[z + _CORNERS[k, 0], y + _CORNERS[k, 1], x + _CORNERS[k, 2]] != 0:
                        code |= 1 << k
                sign = 1.0
                if code & 0x80:
                    code ^= 0xFF
                    sign = -1.0
                if code == 0:
                    continue
                row = _TRIANGLES[code]
                t = 0
                while t < 16 and row[t] >= 0:
                    ea, eb, ec = row[t], row[t + 1], row[t + 2]
                    # triangle corners in physical coordinates (grid position times spacing)
                    a0 = (z + _EDGE_VERTICES[ea, 0]) * sz
                    a1 = (y + _EDGE_VERTICES[ea, 1]) * sy
                    a2 = (x + _EDGE_VERTICES[ea, 2]) * sx
                    b0 = (z + _EDGE_VERTICES[eb, 0]) * sz
                    b1 = (y + _EDGE_VERTICES[eb, 1]) * sy
                    b2 = (x + _EDGE_VERTICES[eb, 2]) * sx
                    c0 = (z + _EDGE_VERTICES[ec, 0]) * sz
                    c1 = (y + _EDGE_VERTICES[ec, 1]) * sy
                    c2 = (x + _EDGE_VERTICES[ec, 2]) * sx
                    # signed volume (times 6) of the tetrahedron (origin, a, b, c): (a x b) . c
                    n0 = a1 * b2 - b1 * a2
                    n1 = a2 * b0 - b2 * a0
                    n2 = a0 * b1 - b0 * a1
                    six_volume += sign * (n0 * c0 + n1 * c1 + n2 * c2)
                    # area: half the norm of (a - c) x (b - c)
                    u0, u1, u2 = a0 - c0, a1 - c1, a2 - c2
                    v0, v1, v2 = b0 - c0, b1 - c1, b2 - c2
                    n0 = u1 * v2 - v1 * u2
                    n1 = u2 * v0 - v2 * u0
                    n2 = u0 * v1 - v0 * u1
                    area += 0.5 * np.sqrt(n0 * n0 + n1 * n1 + n2 * n2)
                    t += 3
    return area, six_volume / 6.0


def mesh_area_volume(padded: np.ndarray, spacing: np.ndarray) -> tuple[float, float]:
    r"""Surface area :math:`A` and volume :math:`V` of the marching-cubes mesh.

    Parameters
    ----------
    padded
        3D mask, array order ``(z, y, x)``, with at least one background layer on every side.
    spacing
        Spacing ``(s_z, s_y, s_x)`` in mm (array order).

    Returns
    -------
    tuple of float
        :math:`A = \sum_f \tfrac12 \lVert (a_f - c_f) \times (b_f - c_f) \rVert` and
        :math:`V = \tfrac16 \sum_f \sigma_f (a_f \times b_f) \cdot c_f`.
    """
    area, volume = _mesh_area_volume(
        np.ascontiguousarray(padded, dtype=np.uint8), np.ascontiguousarray(spacing, dtype=np.float64)
    )
    return float(area), float(volume)


# ---------------------------------------------------------------------------------------------------------
# Mesh vertices and diameters
# ---------------------------------------------------------------------------------------------------------


def edge_vertices(padded: np.ndarray) -> np.ndarray:
    r"""Mesh vertices of a padded mask as doubled grid coordinates.

    A vertex sits at the midpoint of every grid edge (6-neighbourhood) joining an ROI voxel to a
    background voxel; the vertex at grid position :math:`p` is returned as the integers :math:`2p`.

    Parameters
    ----------
    padded
        Boolean mask (2D or 3D), with a background layer on every side.

    Returns
    -------
    numpy.ndarray
        ``(n, padded.ndim)`` ``int64`` array, one row per vertex.
    """
    padded = np.asarray(padded, dtype=bool)
    blocks = []
    for axis in range(padded.ndim):
        n = padded.shape[axis]
        lo = [slice(None)] * padded.ndim
        hi = [slice(None)] * padded.ndim
        lo[axis], hi[axis] = slice(0, n - 1), slice(1, n)
        pos = np.argwhere(padded[tuple(lo)] != padded[tuple(hi)]) * 2
        pos[:, axis] += 1
        blocks.append(pos)
    return np.concatenate(blocks, axis=0).astype(np.int64, copy=False)


@numba.njit(cache=True)
def _line_extremes(grid: np.ndarray, axis: int) -> np.ndarray:
    """For each point, whether it is the first or last point on its grid line along ``axis``."""
    n = grid.shape[0]
    ka = (axis + 1) % 3
    kb = (axis + 2) % 3
    ma = 0
    mb = 0
    for i in range(n):
        ma = max(ma, grid[i, ka] + 1)
        mb = max(mb, grid[i, kb] + 1)
    lo = np.full((ma, mb), np.iinfo(np.int64).max, dtype=np.int64)
    hi = np.full((ma, mb), -1, dtype=np.int64)
    for i in range(n):
        a, b, c = grid[i, ka], grid[i, kb], grid[i, axis]
        lo[a, b] = min(lo[a, b], c)
        hi[a, b] = max(hi[a, b], c)
    out = np.empty(n, dtype=np.bool_)
    for i in range(n):
        a, b, c = grid[i, ka], grid[i, kb], grid[i, axis]
        out[i] = c == lo[a, b] or c == hi[a, b]
    return out


@numba.njit(cache=True)
def _sq_dist(points: np.ndarray, i: int, j: int) -> float:
    # Same operation order as PyRadiomics: squared coordinate differences summed left to right.
    d0 = points[i, 0] - points[j, 0]
    d1 = points[i, 1] - points[j, 1]
    d2 = points[i, 2] - points[j, 2]
    return d0 * d0 + d1 * d1 + d2 * d2


@numba.njit(cache=True)
def _max_sq_dist(points: np.ndarray, idx: np.ndarray) -> float:
    """Largest squared distance between two of the points ``idx`` (0 for fewer than two).

    Each point gets the upper bound ``ub`` = squared distance to the farthest corner of the points'
    bounding box, computed with the same operations as the pair distances (rounding is monotonic, so no
    computed pair distance exceeds it). Points are visited by decreasing bound and the search stops as
    soon as the bound cannot beat the best pair found.
    """
    n = idx.shape[0]
    if n < 2:
        return 0.0
    lo = np.empty(3)
    hi = np.empty(3)
    for k in range(3):
        lo[k] = points[idx[0], k]
        hi[k] = points[idx[0], k]
    for p in range(1, n):
        for k in range(3):
            lo[k] = min(lo[k], points[idx[p], k])
            hi[k] = max(hi[k], points[idx[p], k])
    ub = np.empty(n)
    for p in range(n):
        i = idx[p]
        far = np.empty(3)
        for k in range(3):
            dl = points[i, k] - lo[k]
            dh = points[i, k] - hi[k]
            far[k] = max(dl * dl, dh * dh)
        ub[p] = far[0] + far[1] + far[2]
    order = np.argsort(-ub)
    best = 0.0
    for p in range(n):
        if ub[order[p]] <= best:
            break
        i = idx[order[p]]
        for q in range(p + 1, n):
            if ub[order[q]] <= best:
                break
            d = _sq_dist(points, i, idx[order[q]])
            if d > best:
                best = d
    return best


@numba.njit(cache=True)
def _max_sq_dist_in_planes(points: np.ndarray, grid: np.ndarray, idx: np.ndarray, axis: int) -> float:
    """Largest squared distance between points of ``idx`` sharing the grid coordinate along ``axis``."""
    n = idx.shape[0]
    if n < 2:
        return 0.0
    m = 0
    for p in range(n):
        m = max(m, grid[idx[p], axis] + 1)
    # counting sort of the candidates by their plane
    start = np.zeros(m + 1, dtype=np.int64)
    for p in range(n):
        start[grid[idx[p], axis] + 1] += 1
    for k in range(m):
        start[k + 1] += start[k]
    fill = start[:-1].copy()
    order = np.empty(n, dtype=np.int64)
    for p in range(n):
        k = grid[idx[p], axis]
        order[fill[k]] = idx[p]
        fill[k] += 1
    best = 0.0
    for k in range(m):
        d = _max_sq_dist(points, order[start[k] : start[k + 1]])
        if d > best:
            best = d
    return best


@numba.njit(cache=True)
def _max_diameters(grid: np.ndarray, points: np.ndarray, planes: bool) -> np.ndarray:
    ext = np.empty((3, grid.shape[0]), dtype=np.bool_)
    for axis in range(3):
        ext[axis] = _line_extremes(grid, axis)
    out = np.zeros(4)
    # 2D diameters: pairs in one plane normal to `axis`; candidates extreme along the two in-plane axes
    for axis in range(3 if planes else 0):
        cand = np.nonzero(ext[(axis + 1) % 3] & ext[(axis + 2) % 3])[0]
        out[axis] = np.sqrt(_max_sq_dist_in_planes(points, grid, cand, axis))
    cand = np.nonzero(ext[0] & ext[1] & ext[2])[0]
    out[3] = np.sqrt(_max_sq_dist(points, cand))
    return out


def max_diameters(grid: np.ndarray, spacing: Sequence[float], *, planes: bool = True) -> np.ndarray:
    r"""Maximum pairwise vertex distances.

    Parameters
    ----------
    grid
        ``(n, 3)`` doubled grid coordinates of the mesh vertices (see :func:`edge_vertices`); the
        physical position of a vertex is :math:`(g / 2)\, s`.
    spacing
        Spacing of the three grid axes in mm.
    planes
        Whether to compute the in-plane maxima :math:`D_k` (else they are returned as 0).

    Returns
    -------
    numpy.ndarray
        ``[D_0, D_1, D_2, D]`` where :math:`D = \max_{i<j} \lVert p_i - p_j \rVert` and :math:`D_k` is the
        same maximum over the pairs with equal coordinate :math:`k` (0 if there is no such pair).
    """
    grid = np.ascontiguousarray(grid, dtype=np.int64)
    points = (grid / 2.0) * np.asarray(spacing, dtype=np.float64)
    return _max_diameters(grid, np.ascontiguousarray(points), planes)


# ---------------------------------------------------------------------------------------------------------
# Principal axes
# ---------------------------------------------------------------------------------------------------------


def covariance_eigenvalues(padded: np.ndarray, spacing: np.ndarray) -> np.ndarray:
    r"""Ascending eigenvalues of the covariance of the physical ROI voxel coordinates.

    With :math:`p_k = i_k \odot s` the physical position of voxel :math:`k` (grid index :math:`i_k` in
    the padded mask) and :math:`q_k = (p_k - \bar p) / \sqrt{N}`, the covariance is
    :math:`C = \sum_k q_k q_k^T`. Eigenvalues in :math:`(-10^{-10}, 0)` (round-off of flat ROIs) are set
    to 0. The operations are those of PyRadiomics, so results agree to the last bit or so.

    Parameters
    ----------
    padded
        Boolean mask (any dimension), padded with one background layer as PyRadiomics does.
    spacing
        Spacing of the mask axes in mm (array order).
    """
    coords = np.argwhere(padded)
    n = coords.shape[0]
    phys = coords * np.asarray(spacing, dtype=np.float64)[None, :]
    phys -= np.mean(phys, axis=0)
    phys /= np.sqrt(n)
    cov = np.dot(phys.T.copy(), phys)
    eig = np.linalg.eigvals(cov)
    if np.iscomplexobj(eig):  # a symmetric matrix has real eigenvalues; drop a zero imaginary part
        eig = np.real(eig).copy()
    tiny = (eig < 0) & (eig > -1e-10)
    if np.any(tiny):
        logger.warning("Encountered %d eigenvalues < 0 and > -1e-10, rounding to 0", int(np.sum(tiny)))
        eig[tiny] = 0
    eig.sort()
    return eig


def axis_length(eigenvalue: float, what: str) -> float:
    r""":math:`4 \sqrt{\lambda}`, NaN (with a warning) for a negative eigenvalue."""
    if eigenvalue < 0:
        logger.warning("%s axis eigenvalue negative! (%g)", what, eigenvalue)
        return float("nan")
    return float(np.sqrt(eigenvalue) * 4)


def axis_ratio(small: float, large: float, what: str) -> float:
    r""":math:`\sqrt{\lambda_{small} / \lambda_{large}}`, NaN (with a warning) for a negative eigenvalue.

    As in PyRadiomics (NumPy division), :math:`0 / 0` gives NaN, logged as a warning here.
    """
    if small < 0 or large < 0:
        logger.warning("%s eigenvalue negative! (%g, %g)", what, small, large)
        return float("nan")
    if large == 0:
        logger.warning("%s undefined: all eigenvalues are 0 (single-voxel ROI)", what)
        return float("nan")
    return float(np.sqrt(small / large))


_AXES = {"MajorAxisLength", "MinorAxisLength", "LeastAxisLength", "Elongation", "Flatness"}


def axis_features(padded: np.ndarray, spacing: np.ndarray, features: Sequence[str]) -> dict[str, float]:
    r"""The principal-axis features among ``features``, for ``shape`` (3D) and ``shape2D``.

    With :math:`\lambda_{major} \ge \lambda_{minor} \ge \lambda_{least}` the eigenvalues of
    :func:`covariance_eigenvalues` (no :math:`\lambda_{least}` in 2D): MajorAxisLength, MinorAxisLength,
    LeastAxisLength :math:`4 \sqrt{\lambda}` (:func:`axis_length`); Elongation
    :math:`\sqrt{\lambda_{minor} / \lambda_{major}}`, Flatness :math:`\sqrt{\lambda_{least} / \lambda_{major}}`
    (:func:`axis_ratio`). The eigenvalues are computed only when one of these features is wanted.

    Parameters
    ----------
    padded, spacing
        The padded mask and its spacing (array order), as :func:`covariance_eigenvalues` takes them.
    features
        The feature names asked for (others than the principal-axis ones are ignored).

    Returns
    -------
    dict
        ``{name: value}`` of the principal-axis names in ``features``, in their order.
    """
    wanted = [name for name in features if name in _AXES]
    if not wanted:
        return {}
    eig = covariance_eigenvalues(padded, spacing)  # ascending
    major, minor = float(eig[-1]), float(eig[-2])
    least = float(eig[-3]) if eig.size > 2 else float("nan")
    values: dict[str, float] = {}
    for name in wanted:
        if name == "MajorAxisLength":
            values[name] = axis_length(major, "Major")
        elif name == "MinorAxisLength":
            values[name] = axis_length(minor, "Minor")
        elif name == "LeastAxisLength":
            values[name] = axis_length(least, "Least")
        elif name == "Elongation":
            values[name] = axis_ratio(minor, major, "Elongation")
        else:  # Flatness
            values[name] = axis_ratio(least, major, "Flatness")
    return values


# ---------------------------------------------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------------------------------------------

_MESH = {"MeshVolume", "SurfaceArea", "SurfaceVolumeRatio", "Sphericity"}
_DIAMETERS = {
    "Maximum2DDiameterSlice": 0,
    "Maximum2DDiameterColumn": 1,
    "Maximum2DDiameterRow": 2,
    "Maximum3DDiameter": 3,
}


def checked_mask(
    roi: RoiData,
    features: Sequence[str],
    family: str,
    mask_of: Callable[[RoiData], tuple[np.ndarray, np.ndarray]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The checked ROI mask of a shape family (``shape`` or ``shape2D``), its spacing and the padded mask.

    Checks the feature names, takes the mask and its spacing (array order) from ``mask_of(roi)``
    (:func:`volume_mask` or :func:`radiogenomics.features.shape2d.slice_mask`, which raise their own
    errors), checks that it holds an ROI voxel and pads it with one background voxel on every side, as
    PyRadiomics does.

    Parameters
    ----------
    roi
        The ROI.
    features
        The feature names asked for.
    family
        ``shape`` or ``shape2D`` (:data:`radiogenomics.catalogue.FEATURES` key).
    mask_of
        Returns the boolean mask and its spacing (array order) of ``roi``.

    Returns
    -------
    mask, spacing, padded
        The mask, its spacing in mm (array order, float64) and the padded mask.

    Raises
    ------
    UnknownNameError
        For a name that is not a ``family`` feature.
    EmptyMaskError
        When the mask holds no ROI voxel.
    """
    valid = FEATURES[family]
    for name in features:
        if name not in valid:
            raise UnknownNameError(f"{family} feature", name, valid)
    mask, spacing = mask_of(roi)
    if not mask.any():
        raise EmptyMaskError(f"The mask holds no ROI voxel; {family} features are undefined")
    return mask, spacing, np.pad(mask, 1)


def volume_mask(roi: RoiData) -> tuple[np.ndarray, np.ndarray]:
    """The 3D mask and its spacing in array order ``(z, y, x)``.

    Raises
    ------
    ValueError
        A mask that is not 3D (2D masks have the ``shape2D`` features).
    """
    mask = np.asarray(roi.mask, dtype=bool)
    if mask.ndim != 3:
        raise ValueError(f"shape features need a 3D mask, got {mask.ndim}D (use shape2D)")
    return mask, np.asarray(roi.spacing, dtype=np.float64)[::-1].copy()


def compute(roi: RoiData, features: Sequence[str]) -> dict[str, float]:
    """3D shape features of ``roi`` (names from :data:`radiogenomics.catalogue.FEATURES` ``["shape"]``), as
    ``{name: value}`` in the order of ``features``.

    Only ``roi.mask`` (3D, cropped to the ROI bounding box) and ``roi.spacing`` are used.

    Raises
    ------
    UnknownNameError, EmptyMaskError, ValueError
        See :func:`checked_mask` and :func:`volume_mask`.
    """
    mask, spacing, padded = checked_mask(roi, features, "shape", volume_mask)
    wanted = set(features)

    area = volume = float("nan")
    if wanted & _MESH:
        area, volume = mesh_area_volume(padded, spacing)
    diameters = np.full(4, np.nan)
    if wanted & _DIAMETERS.keys():
        diameters = max_diameters(edge_vertices(padded), spacing)
    axes = axis_features(padded, spacing, features)

    values: dict[str, float] = {}
    for name in features:
        if name == "MeshVolume":
            v = volume
        elif name == "SurfaceArea":
            v = area
        elif name == "SurfaceVolumeRatio":
            v = area / volume
        elif name == "Sphericity":
            v = (36 * np.pi * volume**2) ** (1.0 / 3.0) / area
        elif name == "VoxelVolume":
            sz, sy, sx = (float(s) for s in spacing)
            v = int(np.count_nonzero(mask)) * (sz * sx * sy)
        elif name in _DIAMETERS:
            v = float(diameters[_DIAMETERS[name]])
        else:  # principal axes
            v = axes[name]
        values[name] = float(v)
    return values
