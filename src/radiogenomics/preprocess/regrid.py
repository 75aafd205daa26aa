r"""Resampling of a volume onto another volume's voxel grid (e.g. PET onto the CT grid).

Every output voxel takes the value of the input at the output voxel centre's *physical* position
(origin, spacing and direction cosines of both grids are honoured), as in SimpleITK's ``Resample`` with an
identity transform:

.. math:: \mathbf{p} = \mathbf{o}_{ref} + D_{ref}\,\mathrm{diag}(\mathbf{s}_{ref})\,\mathbf{i},
          \qquad v_{out}(\mathbf{i}) = I\bigl(\mathbf{p}\bigr)

Positions outside the input's extent get ``default_value``. The type of the volume decides the kernel
(TorchIO's rule): an :class:`~radiogenomics.image.Image` uses the requested interpolation (``linear`` by
default, as the seed study resampled PET onto CT), a :class:`~radiogenomics.image.Mask` always uses
nearest neighbour and keeps its dtype. Interpolated images are returned as float32 when the input is
float32, otherwise as float64 (an int16 CT interpolated linearly is no longer integer).
"""

from __future__ import annotations

import logging
from typing import overload

import numpy as np
import SimpleITK as sitk

from radiogenomics.choices import Choice
from radiogenomics.errors import GeometryMismatchError
from radiogenomics.image import Geometry, Image, Mask

__all__ = ["Interpolation", "grid_at_spacing", "resample_to_reference"]

logger = logging.getLogger(__name__)


class Interpolation(Choice, kind="interpolation"):
    """Interpolation kernels of :func:`resample_to_reference`."""

    linear = "linear"
    nearest = "nearest"
    bspline = "bspline"


_SITK = {
    Interpolation.linear: sitk.sitkLinear,
    Interpolation.nearest: sitk.sitkNearestNeighbor,
    Interpolation.bspline: sitk.sitkBSpline,
}


def _geometry(reference: Image | Mask | Geometry) -> Geometry:
    return reference if isinstance(reference, Geometry) else reference.geometry


def grid_at_spacing(reference: Image | Mask | Geometry, spacing: tuple[float, ...]) -> Geometry:
    r"""The grid covering ``reference``'s physical box at another ``spacing`` (same direction, corners aligned).

    Size :math:`n' = \max(1, \lceil n s / s' - 10^{-6} \rceil)` per axis; the first voxel's corner coincides with
    the reference's, so the origin moves by :math:`D\,(s' - s) / 2`. The box grows by less than one new voxel
    where :math:`n s` is not a multiple of :math:`s'`.
    """
    geometry = _geometry(reference)
    old = np.asarray(geometry.spacing, dtype=float)
    new = np.asarray(spacing, dtype=float)
    if new.shape != old.shape or not np.all(np.isfinite(new)) or np.any(new <= 0):
        raise GeometryMismatchError(f"spacing {tuple(spacing)} must hold {len(old)} positive values")
    size = np.maximum(1, np.ceil(np.asarray(geometry.size) * old / new - 1e-6)).astype(int)
    direction = np.asarray(geometry.direction, dtype=float).reshape(len(old), len(old))
    origin = np.asarray(geometry.origin, dtype=float) + direction @ ((new - old) / 2.0)
    return Geometry(tuple(int(v) for v in size), tuple(float(v) for v in new), tuple(float(v) for v in origin),
                    geometry.direction)


@overload
def resample_to_reference(
    image: Mask,
    reference: Image | Mask | Geometry,
    interpolation: Interpolation | str = ...,
    default_value: float = ...,
) -> Mask: ...


@overload
def resample_to_reference(
    image: Image,
    reference: Image | Mask | Geometry,
    interpolation: Interpolation | str = ...,
    default_value: float = ...,
) -> Image: ...


def resample_to_reference(
    image: Image | Mask,
    reference: Image | Mask | Geometry,
    interpolation: Interpolation | str = Interpolation.linear,
    default_value: float = 0.0,
) -> Image | Mask:
    """Resample ``image`` onto the voxel grid of ``reference``.

    Parameters
    ----------
    image
        The volume to resample. A :class:`Mask` is always resampled with nearest neighbour, whatever
        ``interpolation`` says, and keeps its dtype (a boolean mask stays boolean).
    reference
        The volume (or bare :class:`~radiogenomics.image.Geometry`) whose grid the result takes:
        size, spacing, origin and direction.
    interpolation
        ``"linear"`` (default), ``"nearest"`` or ``"bspline"`` (cubic B-spline) for images.
    default_value
        Value of output voxels whose centre lies outside ``image``'s extent.

    Returns
    -------
    Image or Mask
        Same type as ``image``, on ``reference``'s grid. When both grids are already identical, the
        input is returned unchanged.

    Raises
    ------
    UnknownNameError
        ``interpolation`` is not one of the names above (the closest one is suggested).
    """
    kind = Interpolation.parse(interpolation)
    geometry = _geometry(reference)
    if image.ndim != len(geometry.size):
        raise GeometryMismatchError(
            f"cannot resample a {image.ndim}D volume onto a {len(geometry.size)}D reference grid"
        )
    if image.geometry == geometry:
        return image
    is_mask = isinstance(image, Mask)
    source = image.to_sitk()
    if is_mask:
        kind = Interpolation.nearest
        pixel = source.GetPixelID()
    elif kind is Interpolation.nearest:
        pixel = source.GetPixelID()
    else:
        pixel = sitk.sitkFloat32 if image.array.dtype == np.float32 else sitk.sitkFloat64
        if source.GetPixelID() != pixel:
            source = sitk.Cast(source, pixel)
    f = sitk.ResampleImageFilter()
    f.SetSize([int(s) for s in geometry.size])
    f.SetOutputSpacing(geometry.spacing)
    f.SetOutputOrigin(geometry.origin)
    f.SetOutputDirection(geometry.direction)
    f.SetTransform(sitk.Transform())
    f.SetInterpolator(_SITK[kind])
    f.SetDefaultPixelValue(float(default_value))
    f.SetOutputPixelType(pixel)
    out = f.Execute(source)
    logger.debug(
        "resampled %s %s -> %s (%s)", type(image).__name__, image.geometry.size, geometry.size, kind.value
    )
    array = sitk.GetArrayFromImage(out)
    if is_mask and image.array.dtype == bool:
        array = array.astype(bool)
    return type(image)(array, geometry.spacing, geometry.origin, geometry.direction)
