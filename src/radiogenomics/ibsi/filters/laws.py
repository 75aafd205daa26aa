r"""IBSI-2 Laws kernels (IBSI code JTXT): response, rotation invariance and texture energy.

1-D kernels (IBSI-2 table; each normalised to unit :math:`\ell_2` norm before use):

=====  ======================  =====  ======================
L5     ``1 4 6 4 1``            L3     ``1 2 1``
E5     ``-1 -2 0 2 1``          E3     ``-1 0 1``
S5     ``-1 0 2 0 -1``          S3     ``-1 2 -1``
W5     ``-1 2 0 -2 1``
R5     ``1 -4 6 -4 1``
=====  ======================  =====  ======================

A kernel name concatenates one 1-D kernel per axis: ``E5L5S5`` is :math:`h = E5(x)\,L5(y)\,S5(z)` (3D),
``L5S5`` is :math:`L5(x)\,S5(y)` (2D, axial). The response is the convolution :math:`f = h * I` with the
boundary condition.

Rotation invariance: the responses to the kernel in every right-angle orientation (24 in 3D, 4 in 2D; see
:mod:`radiogenomics.ibsi.filters.rotation`) are pooled voxel by voxel with ``max`` or ``average``.

Energy map (``energy_delta`` :math:`\delta` given): the mean of :math:`|f|` over a cube (square in 2D) of
:math:`2\delta + 1` voxels per side around each voxel, with the same boundary condition,
:math:`E = \mathrm{mean}_{(2\delta+1)^D} * |f|`. Energy is computed after pooling.
"""

from __future__ import annotations

import re

import numpy as np
from pydantic import Field, field_validator, model_validator

from radiogenomics.errors import UnknownNameError
from radiogenomics.ibsi.filters.base import FilterSettings, Pooling, as_array, response_image
from radiogenomics.ibsi.filters.boundary import convolve_separable
from radiogenomics.ibsi.filters.rotation import separable_filter
from radiogenomics.image import Image

__all__ = ["LAWS_KERNELS", "LawsSettings", "apply", "laws_factors", "laws_filter"]

LAWS_KERNELS: dict[str, tuple[float, ...]] = {
    "L5": (1.0, 4.0, 6.0, 4.0, 1.0),
    "E5": (-1.0, -2.0, 0.0, 2.0, 1.0),
    "S5": (-1.0, 0.0, 2.0, 0.0, -1.0),
    "W5": (-1.0, 2.0, 0.0, -2.0, 1.0),
    "R5": (1.0, -4.0, 6.0, -4.0, 1.0),
    "L3": (1.0, 2.0, 1.0),
    "E3": (-1.0, 0.0, 1.0),
    "S3": (-1.0, 2.0, -1.0),
}
"""The unnormalised 1-D Laws kernels of IBSI-2."""


def _split(name: str) -> list[str]:
    parts = re.findall(r"[A-Za-z]\d", name)
    if "".join(parts) != name:
        raise UnknownNameError("Laws kernel", name, LAWS_KERNELS)
    for p in parts:
        if p.upper() not in LAWS_KERNELS:
            raise UnknownNameError("Laws kernel", p, LAWS_KERNELS)
    return [p.upper() for p in parts]


class LawsSettings(FilterSettings):
    """``kernel``: e.g. ``E5L5S5`` (3 parts for 3D, 2 for 2D); ``rotation_invariant`` and ``pooling``
    (``max``/``average``); ``energy_delta``: :math:`\\delta` of the energy map, or None for the plain
    response."""

    kernel: str
    rotation_invariant: bool = False
    pooling: Pooling = "max"
    energy_delta: int | None = Field(default=None, ge=0)

    @field_validator("kernel")
    @classmethod
    def _kernel(cls, value: str) -> str:
        return "".join(_split(value))

    @model_validator(mode="after")
    def _parts(self) -> LawsSettings:
        n = len(_split(self.kernel))
        if n != (2 if self.dimensions == "2D" else 3):
            raise ValueError(f"Laws kernel {self.kernel!r} has {n} parts; {self.dimensions} filtering needs "
                             f"{2 if self.dimensions == '2D' else 3}")
        return self


def laws_factors(kernel: str) -> list[np.ndarray]:
    """The :math:`\\ell_2`-normalised 1-D factors of ``kernel`` in ``(x, y[, z])`` order."""
    out = []
    for part in _split(kernel):
        g = np.array(LAWS_KERNELS[part])
        out.append(g / np.sqrt(np.sum(g**2)))
    return out


def laws_filter(array: np.ndarray, settings: LawsSettings) -> np.ndarray:
    """Laws response (or energy map) of a ``[z, y, x]`` float array."""
    factors = laws_factors(settings.kernel)
    pooled = separable_filter(array, [factors], settings.boundary, settings.rotation_invariant, settings.pooling)
    if settings.energy_delta is not None:
        size = 2 * settings.energy_delta + 1
        box = np.full(size, 1.0 / size)
        pooled = convolve_separable(np.abs(pooled), [box] * len(factors), settings.boundary)
    return pooled


def apply(image: Image, settings: LawsSettings) -> Image:
    """Laws response map of ``image`` (float64, same grid)."""
    return response_image(image, laws_filter(as_array(image, settings), settings))
