"""Settings base class and helpers shared by the IBSI-2 filters.

Every filter has a frozen pydantic settings model derived from :class:`FilterSettings` (unknown keys fail
with the closest valid key suggested) and a function ``apply(image, settings) -> Image`` that returns the
response map on the image's grid, in float64.

Axis conventions: arrays are indexed ``[z, y, x]`` (SimpleITK order). "2D" filtering works on the axial
``(y, x)`` planes, slice by slice; in a kernel name such as Laws ``E5L5S5`` or a wavelet sub-band ``LHL``
the first letter applies along ``x``, the second along ``y`` and the third along ``z``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
from pydantic import field_validator

from radiogenomics.errors import InvalidImageError
from radiogenomics.ibsi.filters.boundary import BoundaryCondition, boundary_condition
from radiogenomics.ibsi.settings import StrictSettings
from radiogenomics.image import Image

__all__ = ["Dimensions", "FilterSettings", "Pooling", "as_array", "in_plane_spacing", "pool", "response_image"]

Dimensions = Literal["2D", "3D"]
Pooling = Literal["average", "max"]


class FilterSettings(StrictSettings):
    """Common settings: ``boundary`` (IBSI-2 boundary condition) and ``dimensions`` ("2D": axial slices
    filtered one by one; "3D": volumetric). Unknown keys and invalid values fail as described in
    :class:`~radiogenomics.ibsi.settings.StrictSettings`, naming the settings class."""

    boundary: BoundaryCondition = BoundaryCondition.mirror
    dimensions: Dimensions = "3D"

    @field_validator("boundary", mode="before")
    @classmethod
    def _boundary(cls, value: Any) -> BoundaryCondition:
        return boundary_condition(value)


def as_array(image: Image, settings: FilterSettings) -> np.ndarray:
    """The image voxels as a float64 3-D array (a 2-D image becomes one slice; it needs ``dimensions="2D"``)."""
    array = np.asarray(image.array, dtype=np.float64)
    if array.ndim == 2:
        if settings.dimensions != "2D":
            raise InvalidImageError("a 2D image needs dimensions='2D'")
        array = array[np.newaxis]
    if not np.all(np.isfinite(array)):
        raise InvalidImageError("the image holds NaN or infinite voxels; IBSI-2 filters need finite values")
    return array


def pool(responses: Iterable[np.ndarray], pooling: Pooling) -> np.ndarray:
    r"""Voxel-wise pooling of response maps :math:`f_1 \dots f_K`: :math:`\frac1K \sum_k f_k` (``average``)
    or :math:`\max_k f_k` (``max``).

    The maps are accumulated one at a time (in order), so an iterator keeps two maps in memory at most.

    Raises
    ------
    ValueError
        ``responses`` is empty.
    """
    pooled: np.ndarray | None = None
    count = 0
    for response in responses:
        count += 1
        if pooled is None:
            pooled = np.array(response, dtype=np.float64)
        elif pooling == "average":
            pooled += response
        else:
            np.maximum(pooled, response, out=pooled)
    if pooled is None:
        raise ValueError("no response map to pool")
    return pooled / count if pooling == "average" else pooled


def response_image(image: Image, response: np.ndarray) -> Image:
    """``response`` (float64, shape of :func:`as_array`) on the grid of ``image``."""
    return image.with_array(np.asarray(response, dtype=np.float64).reshape(image.array.shape))


def in_plane_spacing(image: Image, settings: FilterSettings, planar: bool = False) -> float:
    """The voxel size (mm) that converts a physical filter scale to voxels.

    IBSI-2 filters are defined on isotropic grids (in-plane isotropic for 2D filtering, or for a filter that
    only works in the axial plane, ``planar``): the spacing of the filtered axes must agree within 1e-6
    relative, else :class:`~radiogenomics.errors.InvalidImageError` (resample first).
    """
    spacing = tuple(image.spacing)  # (x, y, z)
    used = spacing[:2] if planar or settings.dimensions == "2D" or len(spacing) == 2 else spacing
    if max(used) - min(used) > 1e-6 * max(used):
        raise InvalidImageError(
            f"IBSI-2 filters need an isotropic grid along the filtered axes; spacing (x, y, z) is {spacing}: "
            "resample the image first"
        )
    return float(used[0])
