r"""IBSI-2 Laplacian of Gaussian filter (IBSI code L6PA).

.. math::

    h(\mathbf x) = -\frac{1}{\sigma^2} \left(\frac{1}{\sigma\sqrt{2\pi}}\right)^{D}
        \left(D - \frac{\lVert\mathbf x\rVert^2}{\sigma^2}\right)
        \exp\!\left(-\frac{\lVert\mathbf x\rVert^2}{2\sigma^2}\right),

the Laplacian :math:`\nabla^2 G_\sigma` of the :math:`D`-dimensional Gaussian (:math:`D` = 3, or 2 for
axial 2D filtering), sampled at voxel centres :math:`\mathbf x` (in voxels, :math:`\sigma` converted
from mm by the voxel size). The kernel is truncated at radius :math:`\lfloor t\,\sigma + 1/2 \rfloor`
voxels (``truncate`` :math:`t`, IBSI default 4) and not renormalised; it sums to about 0. Applied as
:math:`f = h * I` with the boundary condition, by FFT over the whole kernel.
"""

from __future__ import annotations

import math

import numpy as np
from pydantic import Field

from radiogenomics.ibsi.filters.base import FilterSettings, as_array, in_plane_spacing, response_image
from radiogenomics.ibsi.filters.boundary import convolve
from radiogenomics.image import Image

__all__ = ["LogSettings", "apply", "log_filter", "log_kernel"]


class LogSettings(FilterSettings):
    """``sigma``: Gaussian scale in mm (> 0); ``truncate``: kernel radius in units of sigma (> 0)."""

    sigma: float = Field(gt=0)
    truncate: float = Field(default=4.0, gt=0)


def log_kernel(sigma_voxels: float, truncate: float, ndim: int) -> np.ndarray:
    """The LoG kernel (see the module docstring), ``ndim`` axes of :math:`2\\lfloor t\\sigma + 1/2\\rfloor + 1`
    taps."""
    radius = math.floor(truncate * sigma_voxels + 0.5)
    axis = np.arange(-radius, radius + 1, dtype=np.float64)
    r2 = sum(np.meshgrid(*([axis**2] * ndim), indexing="ij", sparse=True))
    s2 = sigma_voxels**2
    norm = (1.0 / (sigma_voxels * math.sqrt(2.0 * math.pi))) ** ndim
    return -1.0 / s2 * norm * (ndim - r2 / s2) * np.exp(-r2 / (2.0 * s2))


def log_filter(array: np.ndarray, settings: LogSettings, spacing: float) -> np.ndarray:
    """LoG response of a ``[z, y, x]`` float array with isotropic voxel size ``spacing`` (mm)."""
    ndim = 2 if settings.dimensions == "2D" else 3
    kernel = log_kernel(settings.sigma / spacing, settings.truncate, ndim)
    axes = (1, 2) if ndim == 2 else (0, 1, 2)
    return convolve(array, kernel, settings.boundary, axes=axes)


def apply(image: Image, settings: LogSettings) -> Image:
    """LoG response map of ``image`` (float64, same grid)."""
    return response_image(image, log_filter(as_array(image, settings), settings, in_plane_spacing(image, settings)))
