r"""IBSI-1 image processing: loading, IBSI-aligned interpolation, re-segmentation, outlier filtering.

The result is an :class:`IbsiRoi`: the processed image, the *morphological* mask (the interpolated ROI)
and the *intensity* mask (the morphological mask after re-segmentation), both on the same grid, cropped
to the ROI bounding box with a margin.

Interpolation grid (IBSI reference manual, "Interpolation"): along an axis with :math:`n` voxels of
spacing :math:`s`, the new grid with spacing :math:`s'` has :math:`n' = \lceil n s / s' \rceil` voxels and
is centred on the old grid, so new voxel :math:`j` sits at old index
:math:`k_j = \tfrac12 (n - 1) - \tfrac12 (n' - 1) s'/s + j\,s'/s`. Images are sampled there with a
B-spline of order 0, 1 or 3 (``scipy.ndimage.map_coordinates``, nearest-boundary extrapolation); masks
are sampled as 0/1 float maps and thresholded. This differs from the default (PyRadiomics) mode, whose
resampled grid keeps the origin of the first voxel.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from radiogenomics.errors import EmptyMaskError, InvalidImageError
from radiogenomics.ibsi.settings import IbsiSettings
from radiogenomics.image import Image, Mask, check_geometry
from radiogenomics.preprocess.roi import BoundingBox

__all__ = ["IbsiRoi", "interpolation_grid", "prepare"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IbsiRoi:
    """Processed image and masks, arrays ``[z, y, x]``.

    Attributes
    ----------
    image
        float64 intensities (after interpolation and rounding), cropped with ``margin`` voxels around
        the ROI where the image allows (edge voxels are repeated beyond the image).
    morph_mask, int_mask
        Morphological and intensity masks (bool, same shape as ``image``).
    in_image
        True where the voxel lies inside the (interpolated) image, False in the padded margin.
    spacing
        Voxel spacing ``(s_z, s_y, s_x)`` in mm.
    intensity_range
        ``(lower, upper)`` of the re-segmentation *setting* (NaN where not set): the IBSI lower bound of
        fixed bin size discretisation and the IVH range.
    """

    image: np.ndarray
    morph_mask: np.ndarray
    int_mask: np.ndarray
    in_image: np.ndarray
    spacing: tuple[float, float, float]
    intensity_range: tuple[float, float]

    @property
    def intensities(self) -> np.ndarray:
        """Intensities of the intensity-mask voxels (float64)."""
        return self.image[self.int_mask]


def interpolation_grid(n: int, spacing: float, new_spacing: float) -> tuple[int, np.ndarray]:
    """IBSI-aligned grid along one axis: new size and the positions of its voxels in old-index units."""
    n_new = math.ceil(n * spacing / new_spacing - 1e-9)
    step = new_spacing / spacing
    start = 0.5 * (n - 1) - 0.5 * (n_new - 1) * step
    return n_new, start + step * np.arange(n_new)


def _resample(array: np.ndarray, axes: list[np.ndarray], order: int) -> np.ndarray:
    coords = np.meshgrid(*axes, indexing="ij")
    return ndimage.map_coordinates(array, coords, order=order, mode="nearest", prefilter=order > 1)


def _crop(arrays: list[np.ndarray], mask: np.ndarray, margin: int) -> list[np.ndarray]:
    """``arrays`` cropped to the bounding box of ``mask`` widened by ``margin`` voxels; beyond the array
    the margin repeats the edge voxels (False for boolean arrays), unlike the default engine's crop, which
    stops at the border."""
    box = BoundingBox.of(mask)
    lo = np.array(box.lower) - margin
    hi = np.array(box.upper) + margin + 1
    pad = [(max(0, -a), max(0, b - s)) for a, b, s in zip(lo, hi, mask.shape, strict=True)]
    sl = tuple(slice(max(0, a), min(s, b)) for a, b, s in zip(lo, hi, mask.shape, strict=True))
    out = []
    for arr in arrays:
        part = arr[sl]
        if any(p != (0, 0) for p in pad):
            part = np.pad(part, pad, mode="edge") if arr.dtype != bool else np.pad(part, pad)
        out.append(part)
    return out


def prepare(image: Image, mask: Mask, settings: IbsiSettings, margin: int = 8) -> IbsiRoi:
    """Process ``image`` and ``mask`` (same grid, any non-zero label is the ROI) as IBSI specifies.

    Steps: cast to float64 (rounded to integers if ``round_intensities``); interpolate the image and the
    ROI (:func:`interpolation_grid`), round the interpolated intensities; re-segment the intensity mask
    to ``resegmentation_range`` and/or :math:`\\mu \\pm k\\sigma` of the interpolated ROI; crop.

    Raises
    ------
    InvalidImageError
        The image is not 3D.
    GeometryMismatchError
        The image and mask grids differ.
    EmptyMaskError
        The ROI is empty before or after processing.
    """
    if image.ndim != 3:
        raise InvalidImageError(f"IBSI mode needs a 3D image, got {image.ndim}D")
    check_geometry(image, mask)
    img = np.asarray(image.array, dtype=np.float64)
    roi = np.asarray(mask.array) != 0
    if not roi.any():
        raise EmptyMaskError("the ROI mask is empty")
    if settings.round_intensities:
        img = np.round(img)
    spacing = tuple(float(s) for s in image.spacing[::-1])  # (z, y, x)
    if settings.voxel_size is not None:
        target = settings.voxel_size[::-1]  # (z?, y, x)
        axes, new_spacing = [], []
        for axis in range(3):
            if axis == 0 and len(target) == 2:  # in-plane only: keep the slices
                axes.append(np.arange(img.shape[0], dtype=np.float64))
                new_spacing.append(spacing[0])
                continue
            t = target[axis - (3 - len(target))]
            _, pos = interpolation_grid(img.shape[axis], spacing[axis], t)
            axes.append(pos)
            new_spacing.append(float(t))
        img = _resample(img, axes, settings.interpolator.order)
        if settings.round_intensities:
            img = np.round(img)
        roi_f = _resample(roi.astype(np.float64), axes, settings.mask_interpolator.order)
        roi = np.round(roi_f, 6) >= np.round(settings.mask_threshold, 6)
        spacing = tuple(new_spacing)
        logger.debug("interpolated to %s voxels of %s mm", img.shape, spacing)
        if not roi.any():
            raise EmptyMaskError("the ROI is empty after interpolation")
    lo, hi = (settings.resegmentation_range or (None, None))
    int_mask = roi.copy()
    lower, upper = (-np.inf if lo is None else lo), (np.inf if hi is None else hi)
    if settings.outlier_sigma is not None:
        values = img[roi]
        mu, sd = values.mean(), values.std()
        lower = max(lower, mu - settings.outlier_sigma * sd)
        upper = min(upper, mu + settings.outlier_sigma * sd)
    if np.isfinite(lower):
        int_mask &= img >= lower
    if np.isfinite(upper):
        int_mask &= img <= upper
    if not int_mask.any():
        raise EmptyMaskError("no ROI voxel is left after re-segmentation")
    img, roi, int_mask, inside = _crop([img, roi, int_mask, np.ones(img.shape, dtype=bool)], roi, margin)
    rng = (np.nan if lo is None else float(lo), np.nan if hi is None else float(hi))
    return IbsiRoi(img, roi, int_mask, inside, spacing, rng)
