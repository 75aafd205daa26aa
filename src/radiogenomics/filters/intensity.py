r"""What the four rescaled intensity transforms share (``Square``, ``SquareRoot``, ``Logarithm``, ``Exponential``).

Each maps every voxel :math:`x` to

.. math::

    f(x) = T(x, c), \qquad c = C(\max |x|)

with :math:`\max |x|` taken over the *whole* image (after normalisation/resampling), a coefficient
:math:`C` chosen so that the filtered range stays that of the image, and a voxel-wise transform :math:`T`
(both given by the filter's module). Voxels are converted to float64 first, as PyRadiomics 3.0.1 does; the
result is float64. Only the voxels of the ROI bounding box are transformed, but the scale needs every voxel
of the image, so :func:`margin` is ``None``.
"""

from __future__ import annotations

import logging
import math
import weakref
from collections.abc import Callable, Iterator

import numpy as np

from radiogenomics.errors import InvalidImageError
from radiogenomics.image import Image
from radiogenomics.preprocess.roi import BoundingBox, crop
from radiogenomics.settings import ExtractionSettings

__all__ = ["apply_rescaled", "boxed_float64", "margin", "whole_image_max_abs"]

logger = logging.getLogger(__name__)

#: image -> max |x| over its voxels; images are immutable, so the statistic is computed once per image
#: even when several intensity transforms are enabled.
_MAX_ABS: weakref.WeakKeyDictionary[Image, float] = weakref.WeakKeyDictionary()


def whole_image_max_abs(image: Image, filter_name: str) -> float:
    r"""The largest absolute voxel value of the whole image, :math:`\max |x|`, as float64.

    Equal to PyRadiomics' ``numpy.max(numpy.abs(im.astype('float64')))`` bit for bit (conversion to
    float64 is monotonic and ``abs`` is exact), computed as ``max(-min, max)`` without a temporary copy
    of the image. Cached per :class:`~radiogenomics.image.Image` object.

    Raises
    ------
    InvalidImageError
        The image holds NaN or infinite voxels (PyRadiomics would return NaN features), or every voxel
        is 0 (the scale :math:`\max|x|` would divide by zero).
    """
    value = _MAX_ABS.get(image)
    if value is None:
        arr = image.array
        if arr.size == 0:
            raise InvalidImageError(f"{filter_name}: the image is empty")
        value = max(-float(arr.min()), float(arr.max()))
        _MAX_ABS[image] = value
    if not math.isfinite(value):
        raise InvalidImageError(
            f"{filter_name}: the image holds NaN or infinite voxels; this filter scales by the largest absolute "
            "intensity of the whole image, which is then undefined (remove or replace the non-finite voxels)"
        )
    if value == 0.0:
        raise InvalidImageError(
            f"{filter_name}: every voxel of the image is 0; this filter scales by the largest absolute intensity "
            "of the whole image, which must not be 0"
        )
    return value


def boxed_float64(image: Image, bbox: BoundingBox) -> tuple[Image, np.ndarray]:
    """The image cropped to ``bbox`` and a float64 copy of its voxels (to be transformed in place)."""
    box = crop(image, bbox)
    return box, box.array.astype(np.float64)


def margin(settings: ExtractionSettings, spacing: tuple[float, ...]) -> None:
    """``None``: the scale :math:`\\max|x|` needs every voxel of the image."""
    return None


def apply_rescaled(
    image: Image,
    bbox: BoundingBox,
    image_type: str,
    coefficient: Callable[[np.float64], np.float64],
    transform: Callable[[np.ndarray, np.float64], None],
) -> Iterator[tuple[str, Image]]:
    r"""Yield ``(prefix, f(image) cropped to bbox)`` with :math:`f(x) = T(x, c)`, :math:`c = C(\max|x|)`.

    Parameters
    ----------
    image
        The whole preprocessed image; :math:`\max|x|` is taken over all its voxels.
    bbox
        The ROI bounding box; only its voxels are transformed.
    image_type
        PyRadiomics image type (``Square``, ...), named in errors; the feature-name prefix is its lower case.
    coefficient
        :math:`C`: the coefficient :math:`c` from :math:`\max|x|` (float64).
    transform
        :math:`T`: transforms the float64 voxels of the box in place, given :math:`c`.

    Raises
    ------
    InvalidImageError
        Non-finite voxels in the image, or an all-zero image (see :func:`whole_image_max_abs`).
    """
    c = coefficient(np.float64(whole_image_max_abs(image, image_type)))
    box, x = boxed_float64(image, bbox)
    transform(x, c)
    prefix = image_type.lower()
    logger.debug("%s: coefficient c = %r", prefix, c)
    yield prefix, box.with_array(x)
