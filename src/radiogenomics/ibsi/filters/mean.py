r"""IBSI-2 mean filter (IBSI code S60F).

The response is the average of the voxels in a cubic (3D) or square (2D, axial) support of
:math:`M` voxels per side (:math:`M` odd), centred on the voxel:

.. math::

    h(\mathbf k) = \frac{1}{M^D} \quad \text{for } \lVert \mathbf k \rVert_\infty \le \frac{M - 1}{2},
    \qquad f = h * I,

with the image extended by the boundary condition. Separable: a 1-D box of :math:`M` taps per axis.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, field_validator

from radiogenomics.ibsi.filters.base import FilterSettings, as_array, response_image
from radiogenomics.ibsi.filters.boundary import convolve_separable
from radiogenomics.image import Image

__all__ = ["MeanSettings", "apply", "mean_filter"]


class MeanSettings(FilterSettings):
    """``support``: side :math:`M` of the support in voxels (odd, >= 1)."""

    support: int = Field(default=3, ge=1)

    @field_validator("support")
    @classmethod
    def _odd(cls, value: int) -> int:
        if value % 2 == 0:
            raise ValueError(f"the mean-filter support must be odd, got {value}")
        return value


def mean_filter(array: np.ndarray, settings: MeanSettings) -> np.ndarray:
    """Mean-filter response of a ``[z, y, x]`` float array."""
    box = np.full(settings.support, 1.0 / settings.support)
    ndim = 2 if settings.dimensions == "2D" else 3
    return convolve_separable(array, [box] * ndim, settings.boundary)


def apply(image: Image, settings: MeanSettings) -> Image:
    """Mean-filter response map of ``image`` (float64, same grid)."""
    return response_image(image, mean_filter(as_array(image, settings), settings))
