r"""Square of the intensities (PyRadiomics image type ``Square``, feature prefix ``square``).

.. math::

    f(x) = (c\,x)^2, \qquad c = \frac{1}{\sqrt{\max |x|}}

with :math:`\max |x|` over the *whole* image (float64, see :mod:`radiogenomics.filters.intensity`), so the
filtered range stays :math:`[0, \max|x|]`, as PyRadiomics 3.0.1 (``getSquareImage``) computes it.
:func:`~radiogenomics.filters.intensity.whole_image_max_abs` and
:func:`~radiogenomics.filters.intensity.boxed_float64` are importable from this module too.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from radiogenomics.filters.intensity import apply_rescaled, boxed_float64, margin, whole_image_max_abs
from radiogenomics.image import Image, Mask
from radiogenomics.preprocess.roi import BoundingBox
from radiogenomics.settings import ExtractionSettings

__all__ = ["apply", "boxed_float64", "margin", "whole_image_max_abs"]


def _coefficient(max_abs: np.float64) -> np.float64:
    r""":math:`c = 1 / \sqrt{\max|x|}`."""
    return 1.0 / np.sqrt(max_abs)


def _transform(x: np.ndarray, c: np.float64) -> None:
    r""":math:`x \leftarrow (c\,x)^2`, in place."""
    x *= c
    np.square(x, out=x)


def apply(image: Image, roi: Mask, bbox: BoundingBox, settings: ExtractionSettings) -> Iterator[tuple[str, Image]]:
    r"""Yield ``("square", f(image) cropped to bbox)`` with :math:`f(x) = (x / \sqrt{\max|x|})^2`.

    See :func:`~radiogenomics.filters.intensity.apply_rescaled` (``roi`` and ``settings`` are unused).
    """
    return apply_rescaled(image, bbox, "Square", _coefficient, _transform)
