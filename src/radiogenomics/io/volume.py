"""NIfTI, NRRD and MetaImage volumes through SimpleITK, geometry kept."""

from __future__ import annotations

import logging
import os
import zlib
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from radiogenomics.errors import ImageReadError, InvalidMaskError
from radiogenomics.image import Geometry, Image, Mask
from radiogenomics.io.fastread import fast_read

__all__ = ["read_geometry", "read_image", "read_mask", "write_image", "write_mask"]

logger = logging.getLogger(__name__)

SUFFIXES = (".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd")


def _read(path: str | Path, slices: tuple[int, int] | None = None) -> Image | sitk.Image:
    """A fast-path :class:`Image` (scalar single-file NRRD/NIfTI; only ``slices`` of the slowest axis
    when given) or a whole SimpleITK image."""
    path = Path(path)
    if not path.exists():
        raise ImageReadError(f"file not found: {path}")
    if path.is_dir():
        raise ImageReadError(f"{path} is a folder; DICOM series are read by radiogenomics.io.dicom")
    try:
        fast = fast_read(path, slices)
        if fast is not None:
            array, spacing, origin, direction, first = fast
            logger.debug("read %s (fast path): %s voxels from slice %d", path.name, array.shape[::-1], first)
            whole = Image(np.empty((1,) * array.ndim, array.dtype), spacing, origin, direction)
            return whole._placed(array, (first,) + (0,) * (array.ndim - 1))
        img = sitk.ReadImage(str(path))
    except ImageReadError:
        raise
    except (RuntimeError, OSError, ValueError, EOFError, zlib.error) as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unknown error"
        raise ImageReadError(f"cannot read {path} as an image (corrupt or unsupported format): {first}") from None
    logger.debug("read %s: size %s spacing %s", path.name, img.GetSize(), img.GetSpacing())
    return img


def _slab(volume: Image | Mask, slices: tuple[int, int] | None) -> Image | Mask:
    if slices is None:
        return volume
    last = volume.array.shape[0] - 1
    lower = (max(slices[0], 0),) + (0,) * (volume.ndim - 1)
    upper = (min(slices[1], last), *(s - 1 for s in volume.array.shape[1:]))
    return volume.region(lower, upper)


def read_image(path: str | Path, slices: tuple[int, int] | None = None) -> Image:
    """Read a scalar image (NIfTI, NRRD, MetaImage).

    ``slices=(first, last)`` reads only those slices of the slowest array axis (``z``); the result is
    placed at its physical position (origin moved to slice ``first``). Gzip files are then decompressed
    only up to slice ``last``.
    """
    img = _read(path, slices)
    if isinstance(img, Image):
        return img
    if img.GetNumberOfComponentsPerPixel() != 1:
        raise ImageReadError(f"{path} holds {img.GetNumberOfComponentsPerPixel()} components per voxel; "
                             "a scalar image is needed")
    return _slab(Image.from_sitk(img), slices)


def slab(volume: Image | Mask, slices: tuple[int, int] | None) -> Image | Mask:
    """Slices ``first..last`` (inclusive, clipped) of the slowest axis of ``volume``."""
    return _slab(volume, slices)


def read_mask(path: str | Path, label_channel: int = 0) -> Mask:
    """Read a label map. A multi-component (segmentation object) file gives channel ``label_channel``."""
    img = _read(path)
    if isinstance(img, Image):
        return Mask(img.array, img.spacing, img.origin, img.direction)
    n = img.GetNumberOfComponentsPerPixel()
    if n > 1:
        if label_channel >= n:
            raise InvalidMaskError(f"label_channel {label_channel} requested but {path} has {n} channels")
        img = sitk.VectorIndexSelectionCast(img, label_channel)
    return Mask.from_sitk(img)


def read_geometry(path: str | Path) -> Geometry | None:
    """Geometry from the file header only (no voxel is read), or ``None`` if the header is unreadable."""
    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except RuntimeError:
        return None
    return Geometry(reader.GetSize(), reader.GetSpacing(), reader.GetOrigin(), reader.GetDirection())


def write_image(image: Image | Mask, path: str | Path, compress: bool = True) -> Path:
    """Write a volume; the format follows the suffix (``.nii.gz``, ``.nrrd``, ...).

    A single-file format (``.nii``, ``.nii.gz``, ``.nrrd``, ``.mha``) is written to a temporary file in the
    same folder and renamed, so a killed run never leaves a half-written volume.
    """
    path = Path(path)
    suffix = next((s for s in sorted(SUFFIXES, key=len, reverse=True) if path.name.endswith(s)), None)
    if suffix is None:
        raise ImageReadError(f"unsupported suffix for {path}; use one of {', '.join(SUFFIXES)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix in (".nhdr", ".mhd"):  # header + data file: written in place
        sitk.WriteImage(image.to_sitk(), str(path), compress)
        return path
    tmp = path.with_name(f".{path.name[:-len(suffix)]}.{os.getpid()}.tmp{suffix}")
    try:
        sitk.WriteImage(image.to_sitk(), str(tmp), compress)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


write_mask = write_image
