"""Feature extraction for one image and one ROI, with PyRadiomics' pipeline and names.

Order of operations (PyRadiomics 3.0.1 ``RadiomicsFeatureExtractor.execute``):

1. read image and mask; select the ROI label;
2. normalise the whole image (``normalize``);
3. resample around the ROI (``resampledPixelSpacing``) or crop with ``padDistance`` (``preCrop``);
4. check the ROI: geometry (``geometryTolerance``; ``correctMask`` resamples the mask), size and
   dimensionality; NaN/inf voxels inside the ROI are an error;
5. re-segment (``resegmentRange``) and check again;
6. shape features on the original image (on the re-segmented ROI only with ``resegmentShape``), cropped
   to the bounding box of the final ROI;
7. for every image type: filter the image (cropped first to the ROI box plus the margin the filter
   needs, so values inside the box equal filtering the whole image), crop to the ROI box and compute
   every enabled family.

Names are ``<imagetype>_<family>_<Feature>``, in PyRadiomics' order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import SimpleITK as sitk

from radiogenomics import __version__
from radiogenomics.catalogue import SHAPE_FAMILIES
from radiogenomics.errors import (
    GeometryMismatchError,
    NonFiniteVoxelError,
    SettingsError,
    TooFewDimensionsError,
)
from radiogenomics.features.base import RoiData
from radiogenomics.features.registry import FAMILIES
from radiogenomics.filters.registry import FILTERS
from radiogenomics.image import Image, Mask, check_geometry
from radiogenomics.io.volume import read_geometry, read_image, read_mask, slab
from radiogenomics.preprocess import (
    BoundingBox,
    check_roi,
    crop,
    normalise,
    resample_mask_to_image,
    resample_to_spacing,
    resegment,
    select_label,
)
from radiogenomics.presets import load_preset
from radiogenomics.settings import ExtractionSettings

__all__ = ["ImageLike", "MaskLike", "extract", "extract_roi"]

logger = logging.getLogger(__name__)

ImageLike = str | Path | Image | sitk.Image | np.ndarray
MaskLike = str | Path | Mask | sitk.Image | np.ndarray


def _as_image(image: ImageLike) -> Image:
    if isinstance(image, Image):
        return image
    if isinstance(image, str | Path):
        return read_image(image)
    if isinstance(image, sitk.Image):
        return Image.from_sitk(image)
    if isinstance(image, np.ndarray):
        return Image(image)
    raise TypeError(f"cannot use {type(image).__name__} as an image")


def _as_mask(mask: MaskLike, label_channel: int) -> Mask:
    if isinstance(mask, Mask):
        return mask
    if isinstance(mask, str | Path):
        return read_mask(mask, label_channel)
    if isinstance(mask, sitk.Image):
        return Mask.from_sitk(mask)
    if isinstance(mask, np.ndarray | Image):
        arr = mask.array if isinstance(mask, Image) else mask
        geo = (mask.spacing, mask.origin, mask.direction) if isinstance(mask, Image) else ()
        return Mask(arr, *geo)
    raise TypeError(f"cannot use {type(mask).__name__} as a mask")


def _load(image: ImageLike, mask: MaskLike, s: ExtractionSettings) -> tuple[Image, Mask]:
    """Read image and mask; from an image file read only the slab of slices the ROI needs.

    The slab (ROI slices plus the filters' context and ``padDistance``) is read when nothing needs the
    rest of the image: no normalisation, no resampling, no mask correction, finite filter margins, and
    a mask on the image's grid. Results are identical to reading everything.
    """
    msk = _as_mask(mask, s.label_channel)
    if not isinstance(image, str | Path) or s.normalize or s.resampled_pixel_spacing is not None \
            or s.correct_mask or msk.ndim != 3:
        return _as_image(image), msk
    margin = _context_margin(s, msk.spacing)
    header = read_geometry(image)
    if margin is None or header is None:
        return _as_image(image), msk
    try:
        check_geometry(header, msk, s.geometry_tolerance)
    except GeometryMismatchError:
        return _as_image(image), msk  # the full read reports the mismatch
    planes = np.flatnonzero((msk.array == s.label).any(axis=(1, 2)))
    if planes.size == 0:
        return _as_image(image), msk  # the full path reports the missing label
    pad = max(margin, s.pad_distance)
    slices = (int(planes[0]) - pad, int(planes[-1]) + pad)
    return read_image(image, slices), slab(msk, slices)


def _to_3d(volume: Image | Mask) -> Image | Mask:
    """Promote a 2D volume to 3D with one slice (array order ``(1, y, x)``)."""
    d2 = np.array(volume.direction).reshape(2, 2)
    d3 = np.eye(3)
    d3[:2, :2] = d2
    return type(volume)(
        volume.array[np.newaxis], (*volume.spacing, 1.0), (*volume.origin, 0.0), tuple(d3.ravel())
    )


def resolve_settings(
    settings: ExtractionSettings | None, preset: str | None, label: int | None
) -> ExtractionSettings:
    """The settings to use: explicit settings, else the preset's; ``label`` overrides the label."""
    if settings is None:
        settings = load_preset(preset or "default")
    if label is not None and label != settings.label:
        settings = settings.replace(label=label)
    for name in settings.image_types:
        if name not in FILTERS:
            raise SettingsError(f"image type {name!r} is not available in this version")
    return settings


def prepare(image: Image, mask: Mask, settings: ExtractionSettings) -> tuple[Image, Mask, Mask, BoundingBox]:
    """Steps 1–5 of the pipeline: returns ``(image, texture_roi, shape_roi, bbox)``."""
    s = settings
    if image.ndim == 2 or mask.ndim == 2:
        if not s.force2d:
            raise TooFewDimensionsError(
                "the image is 2D; set force2D: true (with force2Ddimension: 0) to extract 2D features"
            )
        if "shape" in s.feature_classes:
            raise SettingsError("shape (3D) features need a 3D image; enable shape2D instead for 2D input")
        volumetric = sorted(set(s.image_types) & {"LoG", "Wavelet", "LBP3D"})
        if volumetric:
            raise SettingsError(
                f"image types {volumetric} are not available for 2D input (PyRadiomics filters a 2D image "
                "differently from a one-slice 3D volume); pass the image as a 3D volume with one slice"
            )
        image = _to_3d(image) if image.ndim == 2 else image
        mask = _to_3d(mask) if mask.ndim == 2 else mask
    roi = select_label(mask, s.label)
    if s.normalize:
        image = normalise(image, s.normalize_scale, s.remove_outliers)
    if s.resampled_pixel_spacing is not None:
        image, roi = resample_to_spacing(image, roi, s.resampled_pixel_spacing, s.interpolator, s.pad_distance)
    elif s.pre_crop:
        roi = _corrected(image, roi, s)
        image, roi = (crop(v, BoundingBox.of(roi.array), s.pad_distance) for v in (image, roi))
    roi = _corrected(image, roi, s)
    bbox = _check(image, roi, s)
    inside = image.array[roi.array]
    if not np.all(np.isfinite(inside)):
        n_bad = int(np.count_nonzero(~np.isfinite(inside)))
        raise NonFiniteVoxelError(f"{n_bad} voxel(s) inside the ROI are NaN or infinite")
    shape_roi = roi
    if s.resegment_range is not None:
        roi = resegment(image, roi, s.resegment_range, s.resegment_mode)
        bbox = _check(image, roi, s)
        if s.resegment_shape:
            shape_roi = roi
    return image, roi, shape_roi, bbox


def _context_margin(s: ExtractionSettings, spacing: tuple[float, ...]) -> int | None:
    """Voxels of context around the ROI box that the enabled image types need (``None``: all)."""
    margins = [FILTERS[name].margin(s.for_image_type(name), spacing) for name in s.image_types]
    if any(m is None for m in margins):
        return None
    return max(margins, default=0)


def _corrected(image: Image, roi: Mask, s: ExtractionSettings) -> Mask:
    """The ROI on the image grid: resampled there when the grids differ and ``correctMask`` is on."""
    if not s.correct_mask:
        return roi
    try:
        check_geometry(image, roi, s.geometry_tolerance)
    except GeometryMismatchError:
        logger.warning("image/mask geometry mismatch; resampling the mask onto the image grid (correctMask)")
        return resample_mask_to_image(image, roi)
    return roi


def _check(image: Image, roi: Mask, s: ExtractionSettings) -> BoundingBox:
    return check_roi(
        image, roi, tolerance=s.geometry_tolerance, minimum_dimensions=s.minimum_roi_dimensions,
        minimum_size=s.minimum_roi_size,
    )


def _roi_data(image: Image, roi: Mask, bbox: BoundingBox, settings: ExtractionSettings) -> RoiData:
    img = crop(image, bbox)
    msk = crop(roi, bbox)
    return RoiData(img.array, msk.array, image.spacing, settings)


def _filtered(
    image: Image, roi: Mask, bbox: BoundingBox, settings: ExtractionSettings
) -> Iterator[tuple[str, RoiData]]:
    """``(prefix, ROI data)`` for every image type and every image it produces."""
    roi_box = crop(roi, bbox).array
    for name in settings.image_types:
        type_settings = settings.for_image_type(name)
        for prefix, filtered in FILTERS[name].apply(image, roi, bbox, type_settings):
            if filtered.array.shape != roi_box.shape:
                raise AssertionError(f"filter {name} returned shape {filtered.array.shape}, not {roi_box.shape}")
            yield prefix, RoiData(filtered.array, roi_box, image.spacing, type_settings)


def extract_roi(image: Image, mask: Mask, settings: ExtractionSettings) -> dict[str, float]:
    """Features of one ROI as an ordered ``{name: value}`` mapping (see :func:`extract`)."""
    image, roi, shape_roi, bbox = prepare(image, mask, settings)
    values: dict[str, float] = {}
    for family in SHAPE_FAMILIES:
        names = settings.enabled_features(family)
        if not names:
            continue
        if family == "shape2D":
            if not settings.force2d:
                raise SettingsError("shape2D features need force2D: true")
            if bbox.size[settings.force2d_dimension] > 1:
                raise SettingsError(
                    f"shape2D needs an ROI one voxel thick in force2Ddimension {settings.force2d_dimension}; "
                    f"its bounding box is {bbox.size}"
                )
        data = _roi_data(image, shape_roi, bbox, settings)
        for key, val in FAMILIES[family](data, names).items():
            values[f"original_{family}_{key}"] = val
    families = [f for f in settings.feature_classes if f not in SHAPE_FAMILIES]
    if not families:
        return values
    texture = [f for f in families if f in TEXTURE_FAMILIES]
    for prefix, data in _filtered(image, roi, bbox, settings):
        if prefix == "original" and texture:
            _check_grey_levels(data)
        for family in families:
            for key, val in FAMILIES[family](data, data.settings.enabled_features(family)).items():
                values[f"{prefix}_{family}_{key}"] = val
    return values


#: Texture families, whose matrices need several grey levels to describe anything.
TEXTURE_FAMILIES = ("glcm", "glrlm", "glszm", "gldm", "ngtdm")
#: Fewer grey levels than this in the original image's ROI gets a warning (:func:`_check_grey_levels`).
MIN_GREY_LEVELS = 5


def _check_grey_levels(data: RoiData) -> None:
    """Warn when the ROI discretises to fewer than :data:`MIN_GREY_LEVELS` grey levels: texture features of one or
    two levels are degenerate (GLCM Contrast 0, entropy 0), typically a SUV image (values 0–20) with a HU-sized
    ``binWidth`` of 25."""
    n = int(data.gray_levels.size)
    if n >= MIN_GREY_LEVELS:
        return
    s = data.settings
    lo, hi = float(data.voxels.min()), float(data.voxels.max())
    how = f"binCount {s.bin_count}" if s.bin_count is not None else f"binWidth {s.bin_width:g}"
    advice = (f"use a binWidth near {(hi - lo) / 32:.3g} (about 32 levels) or binCount 32" if hi > lo
              else "the ROI is flat")
    logger.warning("the ROI discretises to %d grey level(s) with %s (intensities %.4g to %.4g): texture features "
                   "are degenerate; %s (for SUV images see docs/errors.md)", n, how, lo, hi, advice)


def extract(
    image: ImageLike,
    mask: MaskLike,
    settings: ExtractionSettings | None = None,
    preset: str | None = "default",
    label: int | None = None,
) -> pd.Series:
    """Radiomic features of one ROI, PyRadiomics-compatible names and values.

    Parameters
    ----------
    image, mask
        Paths (NIfTI, NRRD, MetaImage), :class:`~radiogenomics.image.Image`/:class:`Mask`, SimpleITK
        images, or NumPy arrays (unit spacing, zero origin).
    settings
        Extraction settings; when ``None`` the ``preset``'s settings are used.
    preset
        Built-in preset name (``default``, ``paper``, ``bat``); ignored when ``settings`` is given.
    label
        ROI label value; overrides the settings' ``label``.

    Returns
    -------
    pandas.Series
        float64 values indexed by feature name in PyRadiomics order. ``series.attrs["provenance"]``
        records the package version, settings hash, label and timing.
    """
    t0 = time.perf_counter()
    s = resolve_settings(settings, preset, label)
    img, msk = _load(image, mask, s)
    values = extract_roi(img, msk, s)
    del img, msk
    series = pd.Series(values, dtype=np.float64, name="value")
    bad = series.index[~np.isfinite(series.to_numpy())]
    if len(bad):
        logger.warning("%d feature(s) are not finite (as PyRadiomics defines them): %s", len(bad), list(bad))
    series.attrs["provenance"] = {
        "package": "radiogenomics",
        "version": __version__,
        "settings_hash": s.settings_hash(),
        "label": s.label,
        "n_features": len(series),
        "seconds": round(time.perf_counter() - t0, 6),
    }
    return series
