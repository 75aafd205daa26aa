r"""Right-angle rotations used for rotation-invariant separable filters (Laws, separable wavelets).

IBSI-2 makes a directional separable filter rotation invariant by applying it in every orientation that
maps the voxel grid onto itself and pooling the responses voxel by voxel (max or average). In 3D these are
the 24 proper rotations of the cube; in 2D (axial plane) the 4 rotations by multiples of 90 degrees.

A rotation :math:`R` is a signed permutation matrix with :math:`\det R = +1`. Rotating a separable kernel
:math:`h(\mathbf x) = \prod_a g_a(x_a)` gives :math:`h(R^{-1}\mathbf x) = \prod_a \tilde g_a(x_a)` with
:math:`\tilde g_a = g_{\pi(a)}` reversed when the sign of row :math:`a` is negative — a separable kernel
again, so each orientation is a permutation of the 1-D factors plus reversals.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import cache

import numpy as np

__all__ = ["Orientation", "orientations", "rotate_factors"]

Orientation = tuple[tuple[int, ...], tuple[bool, ...]]
"""``(permutation, reversed)``: new factor ``a`` is old factor ``permutation[a]``, reversed if ``reversed[a]``."""


@cache
def orientations(ndim: int) -> tuple[Orientation, ...]:
    """All proper right-angle rotations of an ``ndim``-D grid (24 for 3D, 4 for 2D), identity first."""
    out: list[Orientation] = []
    for perm in itertools.permutations(range(ndim)):
        matrix = np.zeros((ndim, ndim))
        matrix[np.arange(ndim), perm] = 1.0
        for signs in itertools.product((False, True), repeat=ndim):
            flip = np.diag([-1.0 if s else 1.0 for s in signs])
            if round(np.linalg.det(flip @ matrix)) == 1:
                out.append((tuple(perm), tuple(signs)))
    return tuple(out)


def rotate_factors(factors: Sequence[np.ndarray], orientation: Orientation) -> list[np.ndarray]:
    """The 1-D factors of a separable kernel after the rotation ``orientation`` (factor ``a`` acts on axis
    ``a`` of the kernel's own order, e.g. ``(x, y, z)``). Factors must have odd lengths, so that reversal
    keeps the centre in place."""
    perm, flipped = orientation
    out = []
    for a in range(len(factors)):
        g = np.asarray(factors[perm[a]], dtype=np.float64)
        if g.size % 2 == 0:
            raise ValueError("rotate_factors needs odd-length factors (append a trailing zero first)")
        out.append(g[::-1].copy() if flipped[a] else g)
    return out
