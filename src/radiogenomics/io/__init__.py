"""Reading and writing images and masks."""

import importlib

from radiogenomics.io.volume import read_geometry, read_image, read_mask, slab, write_image, write_mask

# DICOM readers load lazily (pydicom and highdicom take a while to import): ``from radiogenomics.io import
# read_dicom_series`` imports them on first use only.
_LAZY = {
    "DicomSeries": "dicom", "DicomVolume": "dicom", "list_series": "dicom", "read_dicom_image": "dicom",
    "read_dicom_series": "dicom", "select_series": "dicom",
    "SuvScale": "suv", "body_surface_area": "suv", "lean_body_mass": "suv", "pet_to_suv": "suv",
    "suv_scale": "suv",
    "Segment": "seg", "read_seg": "seg", "segments_to_label_map": "seg",
    "read_modality_image": "modality", "dicom_modality": "modality",
    "RoiInfo": "rtstruct", "list_rois": "rtstruct", "rasterise_polygons": "rtstruct", "read_rtstruct": "rtstruct",
}

__all__ = ["read_geometry", "read_image", "read_mask", "slab", "write_image", "write_mask", *_LAZY]


def __getattr__(name: str) -> object:
    if name in _LAZY:
        return getattr(importlib.import_module(f"radiogenomics.io.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'radiogenomics.io' has no attribute {name!r}")
