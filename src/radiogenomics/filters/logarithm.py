r"""Logarithm of the intensities (PyRadiomics image type ``Logarithm``, feature prefix ``logarithm``).

.. math::

    f(x) = c \operatorname{sign}(x) \log(|x| + 1), \qquad c = \frac{\max |x|}{\log(\max |x| + 1)}

with :math:`\max |x|` over the *whole* image (float64, see :mod:`radiogenomics.filters.intensity`), so the
filtered range stays :math:`[-\max|x|, \max|x|]` and negative intensities stay negative, as PyRadiomics
3.0.1 (``getLogarithmImage``) computes it.

PyRadiomics divides by the largest absolute value of the *transformed* whole image; since
:math:`\log(|x| + 1)` increases with :math:`|x|`, that is :math:`\log(\max|x| + 1)`, computed here from
the whole-image maximum alone (the same float64 operations on the same value).
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
    r""":math:`c = \max|x| / \log(\max|x| + 1)`.

    :math:`\log(\max|x| + 1)` is the largest :math:`|\text{log-transformed}|` value of the whole image (the
    positive and the negative branch give the same value for :math:`|x| = \max|x|`).
    """
    log_max = np.log(np.array([max_abs + 1.0]))[0]
    return max_abs / log_max


def _transform(x: np.ndarray, c: np.float64) -> None:
    r""":math:`x \leftarrow c \operatorname{sign}(x) \log(|x| + 1)`, in place."""
    pos = x > 0
    neg = x < 0
    x[pos] = np.log(x[pos] + 1)
    x[neg] = -np.log(-(x[neg] - 1))
    x *= c


def apply(image: Image, roi: Mask, bbox: BoundingBox, settings: ExtractionSettings) -> Iterator[tuple[str, Image]]:
    r"""Yield ``("logarithm", f(image) cropped to bbox)``, :math:`f(x) = c\,\mathrm{sign}(x)\log(|x| + 1)`.

    See :func:`~radiogenomics.filters.intensity.apply_rescaled` (``roi`` and ``settings`` are unused).
    """
    return apply_rescaled(image, bbox, "Logarithm", _coefficient, _transform)
