"""Resampling with PyRadiomics' grid alignment (``resampledPixelSpacing``, ``interpolator``, ``padDistance``).

The new grid keeps the mask's direction and is aligned to its origin so that voxel *corners* coincide:
the new origin lies at continuous index :math:`(s_{new} - s_{old}) / (2 s_{old})` of the old grid. Only
the ROI's bounding box plus ``padDistance`` new voxels (clipped to the image extent) is resampled. Images
use the chosen interpolator and keep their pixel type; masks use nearest neighbour. Dimensions in which
the ROI spans one slice, and spacings given as 0, keep the original spacing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import SimpleITK as sitk

from radiogenomics.errors import SettingsError
from radiogenomics.image import Image, Mask
from radiogenomics.preprocess.roi import BoundingBox, crop, roi_inside_image
from radiogenomics.settings import Interpolator

__all__ = ["resample_mask_to_image", "resample_to_spacing"]

logger = logging.getLogger(__name__)


def _interp(interpolator: Interpolator | str) -> int:
    name = interpolator.value if isinstance(interpolator, Interpolator) else str(interpolator)
    return getattr(sitk, name)


def resample_to_spacing(
    image: Image,
    roi: Mask,
    spacing: Sequence[float],
    interpolator: Interpolator | str = Interpolator.bspline,
    pad_distance: int = 5,
) -> tuple[Image, Mask]:
    """Resample ``image`` and the boolean ``roi`` to ``spacing`` (x, y, z) around the ROI.

    Returns the resampled, partially cropped image and ROI (see module docstring).
    """
    nd = roi.ndim
    mask_spacing = np.array(roi.spacing)
    image_spacing = np.array(image.spacing)
    new_spacing = np.array(spacing, dtype=float)
    if len(new_spacing) != nd:
        raise SettingsError(f"resampledPixelSpacing has {len(new_spacing)} values for a {nd}D image")
    new_spacing = np.where(new_spacing == 0, mask_spacing, new_spacing)
    roi_inside_image(image, roi)
    box = BoundingBox.of(roi.array.astype(bool, copy=False))
    lower = np.array(box.lower[::-1])  # (x, y, z)
    size = np.array(box.size[::-1])
    new_spacing = np.where(size != 1, new_spacing, mask_spacing)

    if np.allclose(image_spacing, new_spacing):
        logger.info("requested spacing equals the image spacing; only the mask is resampled")
        ref = image.to_sitk()
        resampled_roi = _as_roi(sitk.Resample(roi.to_sitk(), ref, sitk.Transform(), sitk.sitkNearestNeighbor))
        bbox = BoundingBox.of(resampled_roi.array)
        return crop(image, bbox, pad_distance), crop(resampled_roi, bbox, pad_distance)

    ratio = mask_spacing / new_spacing
    new_lower = np.floor((lower - 0.5) * ratio - pad_distance)
    new_upper = np.ceil((lower + size - 0.5) * ratio + pad_distance)
    max_upper = np.ceil(np.array(roi.array.shape[::-1]) * ratio) - 1
    new_lower = np.where(new_lower < 0, 0, new_lower)
    new_upper = np.where(new_upper > max_upper, max_upper, new_upper)
    new_size = np.array(new_upper - new_lower + 1, dtype=int).tolist()
    origin_index = 0.5 * (new_spacing - mask_spacing) / mask_spacing + new_lower / ratio
    mask_sitk = roi.to_sitk()
    new_origin = mask_sitk.TransformContinuousIndexToPhysicalPoint(origin_index.tolist())
    logger.info("resampling from spacing %s to %s, size %s", mask_spacing, new_spacing, new_size)

    rif = sitk.ResampleImageFilter()
    rif.SetOutputSpacing(new_spacing.tolist())
    rif.SetOutputDirection(roi.direction)
    rif.SetSize(new_size)
    rif.SetOutputOrigin(new_origin)
    image_sitk = image.to_sitk()
    rif.SetOutputPixelType(image_sitk.GetPixelID())
    rif.SetInterpolator(_interp(interpolator))
    out_image = rif.Execute(image_sitk)
    rif.SetOutputPixelType(mask_sitk.GetPixelID())
    rif.SetInterpolator(sitk.sitkNearestNeighbor)
    out_mask = rif.Execute(mask_sitk)
    return Image.from_sitk(out_image), _as_roi(out_mask)


def resample_mask_to_image(image: Image, mask: Mask) -> Mask:
    """Nearest-neighbour resampling of ``mask`` onto ``image``'s grid (PyRadiomics ``correctMask``).

    The mask's ROI must lie inside the image's physical extent, else
    :class:`~radiogenomics.errors.GeometryMismatchError`.
    """
    roi_inside_image(image, mask)
    out = sitk.Resample(mask.to_sitk(), image.to_sitk(), sitk.Transform(), sitk.sitkNearestNeighbor)
    return _as_roi(out) if mask.array.dtype == bool else Mask.from_sitk(out)


def _as_roi(img: sitk.Image) -> Mask:
    """A resampled 0/1 ROI as a boolean :class:`Mask`."""
    mask = Mask.from_sitk(img)
    return mask.with_array(mask.array.astype(bool))
