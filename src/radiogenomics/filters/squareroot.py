r"""Square root of the intensities (PyRadiomics image type ``SquareRoot``, feature prefix ``squareroot``).

.. math::

    f(x) = \operatorname{sign}(x) \sqrt{c\,|x|}, \qquad c = \max |x|

with :math:`\max |x|` over the *whole* image (float64, see :mod:`radiogenomics.filters.intensity`), so the
filtered range stays :math:`[-\max|x|, \max|x|]` and negative intensities stay negative (0, -0.0 and NaN
are kept as they are), as PyRadiomics 3.0.1 (``getSquareRootImage``) computes it.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from radiogenomics.filters.intensity import apply_rescaled, margin
from radiogenomics.image import Image, Mask
from radiogenomics.preprocess.roi import BoundingBox
from radiogenomics.settings import ExtractionSettings

__all__ = ["apply", "margin"]


def _coefficient(max_abs: np.float64) -> np.float64:
    r""":math:`c = \max|x|`."""
    return max_abs


def _transform(x: np.ndarray, c: np.float64) -> None:
    r""":math:`x \leftarrow \operatorname{sign}(x) \sqrt{c\,|x|}`, in place (0, -0.0 and NaN unchanged)."""
    pos = x > 0
    neg = x < 0
    x[pos] = np.sqrt(x[pos] * c)
    x[neg] = -np.sqrt(-x[neg] * c)


def apply(image: Image, roi: Mask, bbox: BoundingBox, settings: ExtractionSettings) -> Iterator[tuple[str, Image]]:
    r"""Yield ``("squareroot", f(image) cropped to bbox)`` with :math:`f(x) = \operatorname{sign}(x)\sqrt{|x| \max|x|}`.

    See :func:`~radiogenomics.filters.intensity.apply_rescaled` (``roi`` and ``settings`` are unused).
    """
    return apply_rescaled(image, bbox, "SquareRoot", _coefficient, _transform)
