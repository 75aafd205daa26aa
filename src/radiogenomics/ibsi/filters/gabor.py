r"""IBSI-2 Gabor filter (IBSI code Q88H), a 2-D filter applied in planes.

In-plane kernel (positions :math:`(x, y)` in voxels, :math:`\sigma` and :math:`\lambda` converted from
mm by the in-plane voxel size):

.. math::

    h(x, y) = \exp\!\left(-\frac{\tilde x^2 + \gamma^2 \tilde y^2}{2\sigma^2}\right)
              \exp\!\left(i\,\frac{2\pi \tilde x}{\lambda}\right),\qquad
    \tilde x = x\cos\theta + y\sin\theta,\quad \tilde y = -x\sin\theta + y\cos\theta,

with :math:`x` the last array index and :math:`y` the middle one (row index, growing downwards on screen):
:math:`\theta` turns from :math:`+x` towards :math:`+y`. This orientation reproduces the IBSI-2 consensus
maps 4.a.1 and 4.b.1; the opposite sense (:math:`y` pointing up) does not. The kernel is not
normalised and spans :math:`2\lfloor N/2\rfloor + 1` voxels per axis (:math:`N` = largest in-plane image
size) unless ``truncate`` is given (radius :math:`\lfloor t\,\sigma/\min(1,\gamma) + 1/2 \rfloor`). The
response (by FFT, exact over the whole kernel) is the modulus :math:`|h * I|` (or its real or imaginary
part, or its argument).

Rotation invariance (``theta_step`` :math:`\Delta\theta` given): responses for
:math:`\theta_k = \theta + k\Delta\theta`, :math:`k = 0 \dots 2\pi/\Delta\theta - 1`, pooled by ``pooling``.
``orthogonal_planes`` (3D only) repeats the in-plane filtering in the axial, coronal and sagittal planes and
pools the three pooled maps the same way (IBSI-2 "2D filters, 3 orthogonal planes").
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from radiogenomics.ibsi.filters.base import FilterSettings, Pooling, as_array, in_plane_spacing, pool, response_image
from radiogenomics.ibsi.filters.boundary import pad
from radiogenomics.image import Image

__all__ = ["GaborSettings", "apply", "gabor_filter", "gabor_kernel"]


class GaborSettings(FilterSettings):
    """Gabor settings: ``sigma`` and ``wavelength`` (:math:`\\lambda`) in mm, ``gamma`` (spatial aspect
    ratio), ``theta`` (radians), ``theta_step`` (radians, dividing :math:`2\\pi`, or None for one
    orientation), ``pooling``, ``orthogonal_planes``, ``response`` and optional ``truncate``."""

    sigma: float = Field(gt=0)
    wavelength: float = Field(gt=0)
    gamma: float = Field(default=1.0, gt=0)
    theta: float = 0.0
    theta_step: float | None = Field(default=None, gt=0)
    pooling: Pooling = "average"
    orthogonal_planes: bool = False
    response: Literal["modulus", "real", "imaginary", "argument"] = "modulus"
    truncate: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _check(self) -> GaborSettings:
        if self.theta_step is not None:
            n = 2.0 * math.pi / self.theta_step
            if abs(n - round(n)) > 1e-6:
                raise ValueError(f"theta_step must divide 2*pi into equal parts, got {self.theta_step}")
        if self.orthogonal_planes and self.dimensions == "2D":
            raise ValueError("orthogonal_planes needs dimensions='3D'")
        return self


def gabor_kernel(sigma: float, wavelength: float, gamma: float, theta: float, radius: int) -> np.ndarray:
    """Complex Gabor kernel of ``2 radius + 1`` voxels per axis, indexed ``[y, x]`` (``sigma`` and
    ``wavelength`` in voxels; formula in the module docstring)."""
    k = np.arange(-radius, radius + 1, dtype=np.float64)
    y = k[:, np.newaxis]
    x = k[np.newaxis, :]
    xr = x * math.cos(theta) + y * math.sin(theta)
    yr = -x * math.sin(theta) + y * math.cos(theta)
    return np.exp(-(xr**2 + gamma**2 * yr**2) / (2.0 * sigma**2)) * np.exp(1j * 2.0 * math.pi * xr / wavelength)


def _response(values: np.ndarray, kind: str) -> np.ndarray:
    if kind == "modulus":
        return np.abs(values)
    if kind == "real":
        return values.real.copy()
    if kind == "imaginary":
        return values.imag.copy()
    return np.angle(values)


def _planar(array: np.ndarray, settings: GaborSettings, spacing: float) -> np.ndarray:
    """Filter every ``[:, y, x]`` plane of ``array`` (pooled over the orientations)."""
    sigma, wavelength = settings.sigma / spacing, settings.wavelength / spacing
    if settings.truncate is None:
        radius = max(array.shape[1:]) // 2
    else:
        radius = math.floor(settings.truncate * sigma / min(1.0, settings.gamma) + 0.5)
    if settings.theta_step is None:
        thetas = [settings.theta]
    else:
        n = round(2.0 * math.pi / settings.theta_step)
        thetas = [settings.theta + k * settings.theta_step for k in range(n)]
    kernels = [gabor_kernel(sigma, wavelength, settings.gamma, theta, radius) for theta in thetas]
    out = np.empty(array.shape)
    # slabs of slices bound the memory of the complex spectra (about 2**24 values per slab)
    step = max(1, 2**24 // ((array.shape[1] + 2 * radius) * (array.shape[2] + 2 * radius)))
    for z0 in range(0, array.shape[0], step):
        out[z0:z0 + step] = _planar_slab(array[z0:z0 + step], kernels, radius, settings)
    return out


def _planar_slab(array: np.ndarray, kernels: list[np.ndarray], radius: int, settings: GaborSettings) -> np.ndarray:
    r"""Pooled response of a slab of slices to the kernels of every orientation.

    One FFT of the extended slab serves every orientation: with the slab extended by the kernel radius
    :math:`r` on both sides (length :math:`n + 2r`), the circular convolution is exact at indices
    :math:`2r \dots 2r + n - 1`.
    """
    padded = pad(array, [(0, 0), (radius, radius), (radius, radius)], settings.boundary)
    shape = padded.shape[1:]
    spectrum = np.fft.fft2(padded, axes=(1, 2))
    crop = (slice(None), slice(2 * radius, 2 * radius + array.shape[1]), slice(2 * radius, 2 * radius + array.shape[2]))

    def responses() -> Iterator[np.ndarray]:
        for kernel in kernels:
            values = np.fft.ifft2(spectrum * np.fft.fft2(kernel, s=shape)[np.newaxis], axes=(1, 2))[crop]
            yield _response(values, settings.response)

    return pool(responses(), settings.pooling)


def gabor_filter(array: np.ndarray, settings: GaborSettings, spacing: float) -> np.ndarray:
    """Gabor response of a ``[z, y, x]`` float array with isotropic (in-plane) voxel size ``spacing`` (mm)."""
    axial = _planar(array, settings, spacing)
    if not settings.orthogonal_planes:
        return axial
    # coronal planes (z, x) and sagittal planes (z, y): move the plane normal to axis 0, filter, move back
    coronal = np.moveaxis(_planar(np.moveaxis(array, 1, 0), settings, spacing), 0, 1)
    sagittal = np.moveaxis(_planar(np.moveaxis(array, 2, 0), settings, spacing), 0, 2)
    return pool([axial, coronal, sagittal], settings.pooling)


def apply(image: Image, settings: GaborSettings) -> Image:
    """Gabor response map of ``image`` (float64, same grid)."""
    spacing = in_plane_spacing(image, settings, planar=not settings.orthogonal_planes)
    return response_image(image, gabor_filter(as_array(image, settings), settings, spacing))
