r"""Exponential of the intensities (PyRadiomics image type ``Exponential``, feature prefix ``exponential``).

.. math::

    f(x) = e^{c\,x}, \qquad c = \frac{\log(\max |x|)}{\max |x|}

with :math:`\max |x|` over the *whole* image (float64, see :mod:`radiogenomics.filters.intensity`): the
brightest voxel maps to :math:`f(\max|x|) = \max|x|` (range preservation) and :math:`f(-\max|x|) =
1/\max|x|`, as PyRadiomics 3.0.1 (``getExponentialImage``) computes it.
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
    r""":math:`c = \log(\max|x|) / \max|x|`."""
    return np.log(max_abs) / max_abs


def _transform(x: np.ndarray, c: np.float64) -> None:
    r""":math:`x \leftarrow e^{c\,x}`, in place."""
    x *= c
    np.exp(x, out=x)


def apply(image: Image, roi: Mask, bbox: BoundingBox, settings: ExtractionSettings) -> Iterator[tuple[str, Image]]:
    r"""Yield ``("exponential", f(image) cropped to bbox)`` with :math:`f(x) = \exp(x \log(\max|x|) / \max|x|)`.

    See :func:`~radiogenomics.filters.intensity.apply_rescaled` (``roi`` and ``settings`` are unused).
    """
    return apply_rescaled(image, bbox, "Exponential", _coefficient, _transform)
