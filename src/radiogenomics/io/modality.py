"""One manifest image cell → an :class:`~radiogenomics.image.Image`: a volume file, or a DICOM series folder.

A DICOM folder is read as the series of the modality's DICOM type (``pet`` → ``PT``, converted to SUV from
its tags by :func:`radiogenomics.io.suv.pet_to_suv`; ``ct`` → ``CT``; ``mri_*`` → ``MR``; anything else: the
folder's single series). A file is read as it is (a PET file must already hold SUV).
"""

from __future__ import annotations

from pathlib import Path

from radiogenomics.image import Image

__all__ = ["dicom_modality", "read_modality_image"]


def dicom_modality(modality: str) -> str | None:
    """DICOM Modality of a manifest modality column (``None``: any)."""
    if modality == "pet":
        return "PT"
    if modality == "ct":
        return "CT"
    return "MR" if modality.startswith("mri_") else None


def read_modality_image(path: str | Path, modality: str) -> Image:
    """The image of ``modality`` stored at ``path`` (module docstring)."""
    from radiogenomics.io.volume import read_image

    path = Path(path)
    if not path.is_dir():
        return read_image(path)
    from radiogenomics.io.dicom import read_dicom_series

    if modality == "pet":
        from radiogenomics.io.suv import pet_to_suv

        return pet_to_suv(read_dicom_series(path, modality="PT"))
    return read_dicom_series(path, modality=dicom_modality(modality)).image
