r"""From a case's images and ROI mask to one CNN input array: N4, bounding-box crop + resize, normalisation.

**N4 bias-field correction** (Tustison et al., 2010; SimpleITK ``N4BiasFieldCorrectionImageFilter``): an
observed image is modelled as :math:`v(\mathbf x) = u(\mathbf x)\, b(\mathbf x)` with a smooth
multiplicative field :math:`b`; N4 fits :math:`\log b` as a B-spline on a ``shrink``-times down-sampled
copy (voxels inside the foreground mask — Otsu's threshold unless given — with :math:`v > 0`) and the
corrected image is :math:`\hat u = v / \exp(\widehat{\log b})` at full resolution. Meant for MRI; CT and
PET are quantitative and are not corrected.

**Crop and resize** (one interpolation): the ROI's bounding box in its mask's voxel grid, inclusive
indices :math:`l_k..u_k`, is widened by ``margin_mm`` :math:`m` on every side, giving the physical extent
:math:`L_k = (u_k - l_k + 1)\, s_k + 2m` along axis :math:`k` of the mask's grid (spacing :math:`s_k`,
direction :math:`D`, origin :math:`\mathbf o`). The output grid has ``size`` :math:`n_k` voxels of spacing
:math:`L_k / n_k` (the box is stretched to the size, as in seed 003) and first voxel centre
:math:`\mathbf o + D\,[(l_k - \tfrac12) s_k - m + \tfrac12 L_k / n_k]_k`. Every channel is resampled from its
own grid (PET onto the crop of the CT-grid mask, say) with linear interpolation
(:func:`~radiogenomics.preprocess.regrid.resample_to_reference`); positions outside a channel's extent take
that channel's smallest finite value. A NaN or infinite voxel of a channel inside the box (the voxels the
interpolation can reach) raises :class:`~radiogenomics.errors.NonFiniteVoxelError`; one outside the box is
irrelevant to the crop and ignored.

**Normalisation** per channel :math:`c`: ``"case"`` — :math:`(x - \bar x_c) / s_c` with the case's own mean
and SD; ``"cohort"`` — the same with the mean and SD over all voxels of the *training* cases
(:class:`ChannelStats`, fitted inside each training fold); an SD of 0 is replaced by 1.

Arrays are ``(channel, z, y, x)`` float32 (network input precision).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import SimpleITK as sitk

from radiogenomics.cnn.settings import PreprocessSettings
from radiogenomics.errors import (
    EmptyMaskError,
    ImageReadError,
    InvalidImageError,
    InvalidMaskError,
    NonFiniteVoxelError,
    SettingsError,
)
from radiogenomics.image import Geometry, Image, Mask
from radiogenomics.io.manifest import Manifest
from radiogenomics.preprocess.case import CaseLoader, original_errors
from radiogenomics.preprocess.regrid import resample_to_reference

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = [
    "ChannelStats",
    "crop_geometry",
    "crop_resize",
    "load_case",
    "n4_correct",
    "normalise_case",
    "prepare_case",
]


def n4_correct(image: Image, mask: Mask | None = None, shrink: int = 4,
               iterations: Sequence[int] = (50, 50, 50, 50)) -> Image:
    r"""N4 bias-field correction of ``image`` (module docstring); returns :math:`\hat u` as float64.

    Parameters
    ----------
    image : a 3D image with positive foreground intensities (MRI).
    mask : foreground used for the fit (default: Otsu's threshold of ``image``); voxels :math:`\le 0` are
        always left out.
    shrink : down-sampling factor of the fit (1 = full resolution).
    iterations : maximum iterations per fitting level; ``len(iterations)`` levels.
    """
    if image.ndim != 3:
        raise InvalidImageError(f"N4 needs a 3D image, got {image.ndim}D")
    if shrink < 1 or not iterations:
        raise SettingsError("N4: shrink must be >= 1 and iterations non-empty")
    arr = image.array.astype(np.float64)
    if not np.isfinite(arr).all():
        raise NonFiniteVoxelError(f"N4: the image holds {int((~np.isfinite(arr)).sum())} NaN/infinite voxel(s)")
    img = sitk.Cast(image.to_sitk(), sitk.sitkFloat32)
    if mask is None:
        fg = sitk.GetArrayFromImage(sitk.OtsuThreshold(img, 0, 1, 200)).astype(bool)
    else:
        if mask.array.shape != image.array.shape:
            raise InvalidMaskError(f"N4 mask shape {mask.array.shape} differs from the image {image.array.shape}")
        fg = mask.array > 0
    fg &= arr > 0
    if fg.sum() < 8:
        raise EmptyMaskError("N4: fewer than 8 positive foreground voxels to fit the bias field")
    m = sitk.GetImageFromArray(fg.astype(np.uint8))
    m.CopyInformation(img)
    small, small_mask = img, m
    if shrink > 1:
        small = sitk.Shrink(img, [shrink] * 3)
        small_mask = sitk.Shrink(m, [shrink] * 3)
    f = sitk.N4BiasFieldCorrectionImageFilter()
    f.SetMaximumNumberOfIterations([int(i) for i in iterations])
    f.Execute(small, small_mask)
    log_bias = sitk.GetArrayFromImage(f.GetLogBiasFieldAsImage(img)).astype(np.float64)
    logger.debug("N4: log bias field range %.3g..%.3g", log_bias.min(), log_bias.max())
    return Image(arr / np.exp(log_bias), image.spacing, image.origin, image.direction)


def crop_geometry(mask: Mask, size: Sequence[int], margin_mm: float) -> Geometry:
    """Output grid of the bounding box of ``mask > 0`` widened by ``margin_mm`` and divided into ``size``
    ``(x, y, z)`` voxels (formula in the module docstring)."""
    roi = mask.array > 0
    if not roi.any():
        raise EmptyMaskError("the ROI mask is empty: no bounding box to crop")
    if len(size) != mask.ndim:
        raise SettingsError(f"size needs {mask.ndim} values, got {tuple(size)}")
    idx = np.nonzero(roi)
    lower = np.array([i.min() for i in idx][::-1], dtype=np.float64)  # (x, y, z)
    upper = np.array([i.max() for i in idx][::-1], dtype=np.float64)
    s = np.array(mask.spacing)
    n = np.array(size, dtype=np.float64)
    extent = (upper - lower + 1) * s + 2 * margin_mm
    out_spacing = extent / n
    d = np.array(mask.direction).reshape(mask.ndim, mask.ndim)
    first = (lower - 0.5) * s - margin_mm + out_spacing / 2
    origin = np.array(mask.origin) + d @ first
    return Geometry(tuple(int(v) for v in size), tuple(out_spacing.tolist()), tuple(origin.tolist()),
                    mask.direction)


def crop_resize(images: Sequence[Image], mask: Mask, size: Sequence[int], margin_mm: float) -> np.ndarray:
    """Channels ``images`` resampled onto :func:`crop_geometry` of ``mask``: ``(C, z, y, x)`` float32.

    Linear interpolation; output voxels outside a channel's extent take the channel's smallest finite value.

    Raises
    ------
    EmptyMaskError
        ``mask`` has no voxel > 0.
    NonFiniteVoxelError
        A NaN or infinite voxel of a channel reaches the crop (NaN outside the box does not matter).
    """
    geom = crop_geometry(mask, size, margin_mm)
    out = []
    for c, img in enumerate(images):
        finite = np.isfinite(img.array)
        if not finite.any():
            raise NonFiniteVoxelError(f"channel {c}: every voxel is NaN or infinite")
        bad = int((~finite[_covering(img, geom)]).sum())
        if bad:
            raise NonFiniteVoxelError(f"channel {c}: {bad} NaN/infinite voxel(s) inside the cropped box")
        low = float(np.min(img.array[finite]))
        out.append(np.asarray(resample_to_reference(img, geom, "linear", default_value=low).array, np.float32))
    return np.stack(out)


def _covering(image: Image, geom: Geometry) -> tuple[slice, ...]:
    """Array slices (z, y, x) of the voxels of ``image`` that linear interpolation onto ``geom`` can touch:
    the index bounding box of ``geom``'s eight outer corners in ``image``'s continuous index, widened to
    whole voxels (empty slices when the box misses the image)."""
    n = np.array(geom.size, dtype=np.float64)
    d_out = np.array(geom.direction).reshape(3, 3) * np.array(geom.spacing)
    corners = np.array([[a, b, c] for a in (-0.5, n[0] - 0.5) for b in (-0.5, n[1] - 0.5) for c in (-0.5, n[2] - 0.5)])
    points = np.array(geom.origin) + corners @ d_out.T
    d_in = np.array(image.direction).reshape(3, 3) * np.array(image.spacing)
    idx = np.linalg.solve(d_in, (points - np.array(image.origin)).T).T  # continuous (x, y, z) index
    size = np.array(image.array.shape[::-1])
    lo = np.clip(np.floor(idx.min(axis=0)).astype(int), 0, size)
    hi = np.clip(np.ceil(idx.max(axis=0)).astype(int) + 1, 0, size)
    return tuple(slice(int(a), int(b)) for a, b in zip(lo[::-1], hi[::-1], strict=True))


def normalise_case(x: np.ndarray) -> np.ndarray:
    """Per-channel z-score of one case ``(C, ...)`` with its own mean and SD (SD 0 → 1)."""
    axes = tuple(range(1, x.ndim))
    mean = x.mean(axis=axes, dtype=np.float64, keepdims=True)
    sd = x.std(axis=axes, dtype=np.float64, keepdims=True)
    return ((x - mean) / np.where(sd > 0, sd, 1.0)).astype(np.float32)


@dataclass(frozen=True)
class ChannelStats:
    """Per-channel mean and SD over all voxels of a set of cases (fitted on training cases only)."""

    mean: tuple[float, ...]
    sd: tuple[float, ...]

    @classmethod
    def fit(cls, volumes: Sequence[np.ndarray]) -> ChannelStats:
        r"""Pooled :math:`\bar x_c = \sum_i \sum_v x_{icv} / N` and :math:`s_c = \sqrt{\sum (x - \bar x_c)^2 / N}`."""
        if not volumes:
            raise InvalidImageError("no volumes to fit channel statistics on")
        c = volumes[0].shape[0]
        total = np.zeros(c)
        sq = np.zeros(c)
        n = 0
        for v in volumes:
            flat = v.reshape(c, -1).astype(np.float64)
            total += flat.sum(axis=1)
            n += flat.shape[1]
        mean = total / n
        for v in volumes:
            flat = v.reshape(c, -1).astype(np.float64)
            sq += ((flat - mean[:, None]) ** 2).sum(axis=1)
        sd = np.sqrt(sq / n)
        return cls(tuple(mean.tolist()), tuple(np.where(sd > 0, sd, 1.0).tolist()))

    def apply(self, x: np.ndarray) -> np.ndarray:
        """``(x - mean_c) / sd_c`` for a ``(C, ...)`` array, float32."""
        shape = (-1,) + (1,) * (x.ndim - 1)
        mean = np.asarray(self.mean).reshape(shape)
        sd = np.asarray(self.sd).reshape(shape)
        return ((x - mean) / sd).astype(np.float32)


def load_case(manifest: Manifest, row: int, settings: PreprocessSettings) -> tuple[list[Image], Mask]:
    """The channel images (N4-corrected where asked) and the ROI mask of manifest row ``row``.

    The mask is ``<roi>_mask`` (or ``<roi>_mask_<first channel>``), see
    :meth:`~radiogenomics.io.manifest.Manifest.mask_column`; images and mask are read by the case's
    :class:`~radiogenomics.preprocess.case.CaseLoader` (files or DICOM; a DICOM SEG or RTSTRUCT mask is
    rasterised on the image of its grid), the mask on its own grid.
    """
    missing = [c for c in settings.channels if c not in manifest.columns]
    if missing:
        raise SettingsError(f"channels {missing} are not manifest columns ({', '.join(manifest.columns)})")
    column, grid = manifest.mask_column(row, settings.roi, settings.channels[0])
    if column is None:
        raise SettingsError(f"the manifest has no mask column for ROI {settings.roi!r} ({settings.roi}_mask)")
    for c in (column, *settings.channels):
        if manifest.path(row, c) is None:
            raise ImageReadError(f"empty {c} cell")
    loader = CaseLoader.from_manifest(manifest, row)
    with original_errors():
        mask = loader.native_mask(column, grid or settings.channels[0], check=False)
        images = []
        for c in settings.channels:
            img = loader.native(c)
            if c in settings.n4:
                img = n4_correct(img, shrink=settings.n4_shrink, iterations=settings.n4_iterations)
            images.append(img)
    return images, mask


def prepare_case(manifest, row: int, settings: PreprocessSettings) -> np.ndarray:
    """The un-normalised network input of manifest row ``row``: ``(C, z, y, x)`` float32."""
    images, mask = load_case(manifest, row, settings)
    return crop_resize(images, mask, settings.size, settings.margin_mm)
