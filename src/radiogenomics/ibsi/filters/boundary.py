r"""IBSI-2 boundary conditions (padding) and the convolutions that use them.

IBSI-2 (reference manual, chapter 2, section "Boundary conditions") names four ways to extend an image
beyond its border before a convolution. On a 1-D signal :math:`a\,b\,c\,d` extended by 3 voxels on each
side:

==========  ==========================  =====================  ======================
IBSI name   extension                   ``numpy.pad`` mode     ``scipy.ndimage`` mode
==========  ==========================  =====================  ======================
constant    ``0 0 0 | a b c d | 0 0 0``  ``constant`` (0)       ``constant`` (cval 0)
nearest     ``a a a | a b c d | d d d``  ``edge``               ``nearest``
periodic    ``b c d | a b c d | a b c``  ``wrap``               ``wrap``
mirror      ``c b a | a b c d | d c b``  ``symmetric``          ``reflect``
==========  ==========================  =====================  ======================

IBSI *mirror* repeats the border voxel (symmetric reflection about the voxel edge): it is NumPy's
``symmetric`` and SciPy's ``reflect`` — **not** SciPy's ``mirror``, which reflects about the border
voxel's centre (``d c b | a b c d | c b a``). ``zero`` is accepted as an alias of ``constant``.

Convolutions here are true convolutions, :math:`(f * g)(\mathbf k) = \sum_{\mathbf m} f(\mathbf k -
\mathbf m)\, g(\mathbf m)`, with the kernel centre at index :math:`\lfloor n/2 \rfloor` of an odd-sized
kernel (even-sized separable kernels get a trailing zero first, so the centre is the element at
:math:`n/2`). The output has the shape of the input.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.ndimage as ndi
import scipy.signal

from radiogenomics.choices import Choice

__all__ = [
    "BoundaryCondition",
    "boundary_condition",
    "convolve",
    "convolve_1d",
    "convolve_separable",
    "pad",
]


_ALIASES = {"zero": "constant", "zero padding": "constant", "wrap": "periodic", "periodisation": "periodic",
            "symmetric": "mirror", "edge": "nearest", "replicate": "nearest"}


class BoundaryCondition(Choice, kind="boundary condition", aliases=_ALIASES):
    """IBSI-2 boundary conditions (see the module docstring for the extension rule of each); parsed by
    :meth:`~radiogenomics.choices.Choice.parse` (case-insensitive, with the aliases of :func:`boundary_condition`)."""

    constant = "constant"
    nearest = "nearest"
    periodic = "periodic"
    mirror = "mirror"

    @property
    def numpy_mode(self) -> str:
        """The ``numpy.pad`` mode that extends an array this way."""
        return _NUMPY[self]

    @property
    def scipy_mode(self) -> str:
        """The ``scipy.ndimage`` mode that extends an array this way (``cval`` = 0)."""
        return _SCIPY[self]


_NUMPY = {
    BoundaryCondition.constant: "constant",
    BoundaryCondition.nearest: "edge",
    BoundaryCondition.periodic: "wrap",
    BoundaryCondition.mirror: "symmetric",
}
_SCIPY = {
    BoundaryCondition.constant: "constant",
    BoundaryCondition.nearest: "nearest",
    BoundaryCondition.periodic: "wrap",
    BoundaryCondition.mirror: "reflect",
}


def boundary_condition(name: str | BoundaryCondition) -> BoundaryCondition:
    """The :class:`BoundaryCondition` called ``name`` (IBSI name, case-insensitive).

    Also accepted: ``zero`` (= constant), ``wrap``/``periodisation`` (= periodic), ``symmetric``
    (= mirror), ``edge``/``replicate`` (= nearest). Anything else raises
    :class:`~radiogenomics.errors.UnknownNameError` with the closest valid name.
    """
    return BoundaryCondition.parse(name)


def pad(array: np.ndarray, widths: Sequence[tuple[int, int]], boundary: BoundaryCondition) -> np.ndarray:
    """``array`` extended by ``widths[d] = (before, after)`` voxels along axis ``d`` (widths may exceed the
    array size: the extension rule is applied repeatedly)."""
    boundary = boundary_condition(boundary)
    if boundary is BoundaryCondition.constant:
        return np.pad(array, widths, mode="constant", constant_values=0.0)
    return np.pad(array, widths, mode=boundary.numpy_mode)


def _odd(kernel: np.ndarray) -> np.ndarray:
    """A 1-D kernel of odd length: an even-length kernel gets a trailing zero."""
    kernel = np.asarray(kernel, dtype=np.float64)
    return np.append(kernel, 0.0) if kernel.size % 2 == 0 else kernel


def convolve_1d(array: np.ndarray, kernel: np.ndarray, axis: int, boundary: BoundaryCondition) -> np.ndarray:
    r"""Convolve along one axis: :math:`y_k = \sum_m x_{k + c - m}\, w_m` with :math:`c = \lfloor n/2 \rfloor`
    (``scipy.ndimage.convolve1d``), after making an even kernel odd with a trailing zero."""
    boundary = boundary_condition(boundary)
    return ndi.convolve1d(np.asarray(array, dtype=np.float64), _odd(kernel), axis=axis,
                          mode=boundary.scipy_mode, cval=0.0)


def convolve(array: np.ndarray, kernel: np.ndarray, boundary: BoundaryCondition,
             axes: Sequence[int] | None = None) -> np.ndarray:
    r"""Convolve ``array`` with a (possibly complex) N-D kernel of odd sizes, by FFT.

    The array is extended by :math:`\lfloor n_d/2 \rfloor` voxels on both sides of every filtered axis with
    ``boundary``, convolved (``scipy.signal.fftconvolve``) and the valid part kept, so every output voxel is
    the exact sum :math:`\sum_{\mathbf m} x(\mathbf k - \mathbf m + \mathbf c)\, h(\mathbf m)` over the
    whole kernel. ``axes`` (default: all) are the array axes the kernel spans; the kernel has one axis per
    filtered axis, and the other array axes are filtered independently (e.g. slice by slice).
    """
    boundary = boundary_condition(boundary)
    array = np.asarray(array, dtype=np.float64)
    axes = tuple(range(array.ndim)) if axes is None else tuple(axes)
    kernel = np.asarray(kernel)
    if kernel.ndim != len(axes) or any(n % 2 == 0 for n in kernel.shape):
        raise ValueError(f"kernel shape {kernel.shape} must have odd sizes along the {len(axes)} filtered axes")
    widths = [(0, 0)] * array.ndim
    shape = [1] * array.ndim
    for ax, n in zip(axes, kernel.shape, strict=True):
        widths[ax] = (n // 2, n // 2)
        shape[ax] = n
    padded = pad(array, widths, boundary)
    return scipy.signal.fftconvolve(padded, kernel.reshape(shape), mode="valid", axes=axes)


def convolve_separable(array: np.ndarray, factors: Sequence[np.ndarray], boundary: BoundaryCondition) -> np.ndarray:
    """Convolve a ``[z, y, x]`` array with the separable kernel whose 1-D factors are given in ``(x, y[, z])``
    order: factor 0 along the last axis, factor 1 along the middle axis, factor 2 (if any) along axis 0. With
    two factors the kernel is 2-D and every axial slice is filtered on its own."""
    out = np.asarray(array, dtype=np.float64)
    for a, g in enumerate(factors):
        out = convolve_1d(out, g, axis=array.ndim - 1 - a, boundary=boundary)
    return out
