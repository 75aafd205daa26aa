r"""Right-angle rotations used for rotation-invariant separable filters (Laws, separable wavelets).

IBSI-2 makes a directional separable filter rotation invariant by applying it in every orientation that
maps the voxel grid onto itself and pooling the responses voxel by voxel (max or average). In 3D these are
the 24 proper rotations of the cube; in 2D (axial plane) the 4 rotations by multiples of 90 degrees.

A rotation :math:`R` is a signed permutation matrix with :math:`\det R = +1`. Rotating a separable kernel
:math:`h(\mathbf x) = \prod_a g_a(x_a)` gives :math:`h(R^{-1}\mathbf x) = \prod_a \tilde g_a(x_a)` with
:math:`\tilde g_a = g_{\pi(a)}` reversed when the sign of row :math:`a` is negative — a separable kernel
again, so each orientation is a permutation of the 1-D factors plus reversals.

:func:`separable_filter` applies a chain of separable kernels (Laws: one kernel; wavelets: the low-pass
pre-filters of the lower levels and the sub-band filter) in every orientation and pools the responses.
Orientations that give the same chain are filtered once: a rotation group maps every distinct chain from
the same number of orientations (orbit-stabiliser theorem), so pooling over the distinct chains equals
pooling over all orientations, for the average as for the maximum.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from functools import cache

import numpy as np

from radiogenomics.ibsi.filters.base import Pooling, pool
from radiogenomics.ibsi.filters.boundary import BoundaryCondition, convolve_separable

__all__ = ["Orientation", "orientations", "rotate_factors", "rotated_chains", "separable_filter"]

Chain = Sequence[Sequence[np.ndarray]]
"""Separable kernels applied one after the other, each given by its 1-D factors in ``(x, y[, z])`` order."""

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


def rotated_chains(chain: Chain, rotation_invariant: bool) -> list[list[list[np.ndarray]]]:
    """``chain`` in every orientation of :func:`orientations` (only the identity unless
    ``rotation_invariant``), each distinct chain once, in order of first occurrence."""
    ndim = len(chain[0])
    out: list[list[list[np.ndarray]]] = []
    for orientation in orientations(ndim) if rotation_invariant else orientations(ndim)[:1]:
        rotated = [rotate_factors(factors, orientation) for factors in chain]
        if not any(_same(rotated, other) for other in out):
            out.append(rotated)
    return out


def _same(a: Chain, b: Chain) -> bool:
    return all(np.array_equal(x, y) for fa, fb in zip(a, b, strict=True) for x, y in zip(fa, fb, strict=True))


def separable_filter(
    array: np.ndarray,
    chain: Chain,
    boundary: BoundaryCondition,
    rotation_invariant: bool = False,
    pooling: Pooling = "average",
) -> np.ndarray:
    r"""Response :math:`h_K * \dots * h_1 * I` of a ``[z, y, x]`` array to the chain of separable kernels
    :math:`h_1 \dots h_K` (:func:`~radiogenomics.ibsi.filters.boundary.convolve_separable`, every
    convolution with ``boundary``); rotation invariant, the responses to the rotated chains
    :math:`R h_K * \dots * R h_1 * I` of the distinct right-angle orientations :math:`R` pooled voxel by
    voxel (:func:`~radiogenomics.ibsi.filters.base.pool`). Factors must have odd lengths."""

    def response(rotated: list[list[np.ndarray]]) -> np.ndarray:
        out = array
        for factors in rotated:
            out = convolve_separable(out, factors, boundary)
        return out

    return pool((response(rotated) for rotated in rotated_chains(chain, rotation_invariant)), pooling)
