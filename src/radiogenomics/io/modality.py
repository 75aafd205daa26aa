"""Manifest cells → volumes: an image cell (a volume file, or a DICOM series folder), a label-map cell.

A DICOM folder is read as the series of the modality's DICOM type (``pet`` → ``PT``, converted to SUV from
its tags by :func:`radiogenomics.io.suv.pet_to_suv`; ``ct`` → ``CT``; ``mri_*`` → ``MR``; anything else: the
folder's single series). A file is read as it is (a PET file must already hold SUV).
"""

from __future__ import annotations

from pathlib import Path

from radiogenomics.errors import InvalidMaskError
from radiogenomics.image import Image, Mask
from radiogenomics.io.volume import read_image, read_mask

__all__ = ["dicom_modality", "read_label_map", "read_modality_image"]


def dicom_modality(modality: str) -> str | None:
    """DICOM Modality of a manifest modality column (``None``: any)."""
    if modality == "pet":
        return "PT"
    if modality == "ct":
        return "CT"
    return "MR" if modality.startswith("mri_") else None


def read_modality_image(path: str | Path, modality: str) -> Image:
    """The image of ``modality`` stored at ``path`` (module docstring)."""
    path = Path(path)
    if not path.is_dir():
        return read_image(path)
    from radiogenomics.io.dicom import read_dicom_series  # lazy: imports pydicom

    if modality == "pet":
        from radiogenomics.io.suv import pet_to_suv  # lazy: imports pydicom

        return pet_to_suv(read_dicom_series(path, modality="PT"))
    return read_dicom_series(path, modality=dicom_modality(modality)).image


def read_label_map(path: str | Path, selector: str | None = None) -> Mask:
    """The label map at ``path``; with a ``file#n`` selector (``n`` a label value) the boolean map ``== n``."""
    path = Path(path)
    mask = read_mask(path)
    if selector is None:
        return mask
    if not selector.isdigit():
        raise InvalidMaskError(f"{path.name}#{selector}: a label map's selector is a label value")
    return mask.with_array(mask.array == int(selector))
