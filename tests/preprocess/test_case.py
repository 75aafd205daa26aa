"""The one per-case loader (``radiogenomics.preprocess.case``): cells, selectors, SUV guard, geometry, working grids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radiogenomics.errors import GeometryMismatchError, ImageReadError, InvalidMaskError, SuvError
from radiogenomics.image import Image, Mask
from radiogenomics.io import write_image
from radiogenomics.io.manifest import read_manifest
from radiogenomics.preprocess.case import (
    CaseLoader,
    CaseStepError,
    MaskCheck,
    WorkingGrid,
    crop_box,
    original_errors,
    split_cell,
)
from radiogenomics.preprocess.regrid import resample_to_reference


@pytest.fixture
def case(tmp_path: Path) -> dict[str, Path]:
    rng = np.random.default_rng(0)
    ct = Image(rng.normal(0, 50, (6, 20, 24)), (1.0, 1.0, 2.0), (10.0, -5.0, 3.0))
    pet = Image(rng.uniform(0, 8, (3, 10, 12)).astype(np.float32), (2.0, 2.0, 4.0), (10.5, -4.5, 4.0))
    labels = np.zeros(ct.array.shape, np.uint8)
    labels[2:4, 5:12, 6:14] = 1
    labels[1, 2:4, 2:4] = 2
    paths = {"ct": tmp_path / "ct.nii.gz", "pet": tmp_path / "pet.nii.gz", "mask": tmp_path / "labels.nii.gz",
             "hot": tmp_path / "bqml.nii.gz", "shifted": tmp_path / "shifted.nii.gz"}
    write_image(ct, paths["ct"])
    write_image(pet, paths["pet"])
    write_image(Mask(labels, ct.spacing, ct.origin, ct.direction), paths["mask"])
    write_image(pet.with_array(pet.array * 5000), paths["hot"])
    write_image(Mask(labels, ct.spacing, (10.3, -5.0, 3.0), ct.direction), paths["shifted"])
    return paths


def test_cells_and_selectors(case: dict[str, Path], tmp_path: Path) -> None:
    assert split_cell(f"{case['mask']}#2") == (case["mask"], "2")
    odd = tmp_path / "a#b.nii.gz"
    odd.write_bytes(b"")
    assert split_cell(str(odd)) == (odd, None)  # a path that exists as written keeps its '#'
    loader = CaseLoader("c1", {"ct": case["ct"], "tumour_mask": f"{case['mask']}#2"})
    mask = loader.native_mask("tumour_mask", "ct")
    assert int(mask.array.sum()) == 4  # label 2 only
    with pytest.raises(CaseStepError) as info:
        CaseLoader("c1", {"ct": case["ct"], "m": f"{case['mask']}#x"}).native_mask("m", "ct")
    assert info.value.step == "load" and isinstance(info.value.error, InvalidMaskError)
    with pytest.raises(ImageReadError, match=r"has no 'pet' input"), original_errors():
        loader.native("pet")


def test_pet_file_must_hold_suv(case: dict[str, Path]) -> None:
    loader = CaseLoader("c1", {"pet": case["hot"]})
    with pytest.raises(CaseStepError) as info:
        loader.native("pet")
    assert info.value.step == "suv" and isinstance(info.value.error, SuvError)
    assert "Bq/mL" in info.value.message
    with pytest.raises(CaseStepError):  # the error is remembered: every result needing it fails alike
        loader.native("pet")
    raised = CaseLoader("c1", {"pet": case["hot"]}, WorkingGrid(pet_suv_limit=None)).native("pet")
    assert float(raised.array.max()) > 1000


def test_mask_geometry_is_checked_or_corrected(case: dict[str, Path]) -> None:
    cells = {"ct": case["ct"], "tumour_mask": case["shifted"]}
    with pytest.raises(CaseStepError) as info:
        CaseLoader("c1", cells).native_mask("tumour_mask", "ct")
    assert info.value.step == "geometry" and isinstance(info.value.error, GeometryMismatchError)
    fixed = CaseLoader("c1", cells, mask_check=lambda _c: MaskCheck(correct=True)).native_mask("tumour_mask", "ct")
    assert fixed.array.shape == (6, 20, 24)
    loose = CaseLoader("c1", cells, mask_check=lambda _c: MaskCheck(tolerance=0.5)).native_mask("tumour_mask", "ct")
    ct = CaseLoader("c1", cells).native("ct")
    assert loose.origin == ct.origin  # within the tolerance: given the image's exact geometry
    unchecked = CaseLoader("c1", cells).native_mask("tumour_mask", "ct", check=False)
    assert unchecked.origin[0] == pytest.approx(10.3)


def test_working_grids_crop_and_resample(case: dict[str, Path]) -> None:
    grid = WorkingGrid(crop_size=(16, 12))
    loader = CaseLoader("c1", {"ct": case["ct"], "pet": case["pet"], "tumour_mask": case["mask"]}, grid)
    assert crop_box((6, 20, 24), (16, 12)) == ((0, 4, 4), (5, 15, 19))
    ct = loader.working("ct")
    native_ct = loader.native("ct")
    np.testing.assert_array_equal(ct.array, native_ct.array[:, 4:16, 4:20])
    pet = loader.working("pet")
    assert pet.geometry == ct.geometry
    np.testing.assert_array_equal(pet.array, resample_to_reference(loader.native("pet"), ct, "linear").array)
    roi = loader.working_mask("tumour_mask", "ct", "pet")
    assert roi.geometry == ct.geometry and int(roi.array.sum()) > 0
    native = CaseLoader("c1", {"ct": case["ct"], "pet": case["pet"]}, WorkingGrid(pet_grid="native"))
    assert native.working("pet").geometry == native.native("pet").geometry


def test_from_manifest_takes_image_and_mask_cells(case: dict[str, Path], tmp_path: Path) -> None:
    table = pd.DataFrame([{"case_id": "c1", "ct": str(case["ct"]), "pet": "", "tumour_mask": f"{case['mask']}#1",
                           "lesion_mask": "auto:model", "age": 63}])
    loader = CaseLoader.from_manifest(read_manifest(table, base=tmp_path), 0)
    assert set(loader.cells) == {"ct", "tumour_mask"}  # no empty, auto: or clinical cells
    assert loader.case_id == "c1" and loader.has("tumour_mask") and not loader.has("pet")


def test_a_seg_drawn_on_another_series_is_refused(tmp_path: Path) -> None:
    """A DICOM SEG drawn on one series (say the PET, coarser voxels) given as the mask of another (the CT) of the same
    frame of reference is a clear error, not a silently interpolated or empty mask; a SEG drawn on a series with the
    same voxels (or on the CT itself) is read exactly."""
    from pydicom.uid import generate_uid

    from tests.io import write_series
    from tests.io.test_seg import _write_seg

    def tags(ds, _k: int) -> None:  # what highdicom needs of the source images
        ds.PatientBirthDate, ds.PatientSex, ds.StudyTime, ds.ReferringPhysicianName = "", "O", "100000", ""
        ds.StudyID, ds.AccessionNumber, ds.Manufacturer = "1", "", "synthetic"
        ds.SeriesDate, ds.SeriesTime = "20240102", "100000"

    frame = generate_uid()
    positions = [(-10.0, 5.0, 3.0 * k) for k in range(6)]
    ct = write_series(tmp_path / "ct", np.zeros((6, 10, 12), np.int16), spacing=(2.0, 2.0), positions=positions,
                      frame_uid=frame, edit=tags)
    twin = write_series(tmp_path / "twin", np.zeros((6, 10, 12), np.int16), spacing=(2.0, 2.0), positions=positions,
                        frame_uid=frame, edit=tags)
    pet = write_series(tmp_path / "pet", np.zeros((6, 5, 6), np.int16), spacing=(4.0, 4.0), positions=positions,
                       frame_uid=frame, edit=tags)
    masks = np.zeros((6, 10, 12, 1), bool)
    masks[2:4, 3:6, 4:8, 0] = True
    coarse = np.zeros((6, 5, 6, 1), bool)
    coarse[2:4, 1:3, 2:4, 0] = True
    cells = {"ct": tmp_path / "ct", "a_mask": _write_seg(tmp_path / "pet.dcm", pet, coarse),
             "b_mask": _write_seg(tmp_path / "ct.dcm", ct, masks),
             "c_mask": _write_seg(tmp_path / "twin.dcm", twin, masks)}
    loader = CaseLoader("c1", cells)
    with pytest.raises(CaseStepError) as info:
        loader.native_mask("a_mask", "ct")
    assert isinstance(info.value.error, GeometryMismatchError)
    assert "pet.dcm was drawn on series" in info.value.message and "<roi>_mask_pet" in info.value.message
    assert int(loader.native_mask("b_mask", "ct").array.sum()) == int(masks.sum())
    assert np.array_equal(loader.native_mask("c_mask", "ct").array, loader.native_mask("b_mask", "ct").array)


def test_nonuniform_slices_are_a_setting(tmp_path: Path) -> None:
    """A DICOM series with a missing slice fails with the setting that fixes it named; with ``nonuniform:
    resample`` (a cohort setting and ``--nonuniform``) it is read onto a uniform grid."""
    from radiogenomics.cohort import CohortSettings
    from tests.io import write_series

    z = [0.0, 2.0, 4.0, 8.0, 10.0]  # the slice at 6 mm is missing
    write_series(tmp_path / "ct", np.zeros((5, 8, 8), np.int16), positions=[(0.0, 0.0, v) for v in z])
    with pytest.raises(CaseStepError) as info:
        CaseLoader("c1", {"ct": tmp_path / "ct"}).native("ct")
    assert "non-uniform slice spacing" in info.value.message and "nonuniform: resample" in info.value.message
    settings = CohortSettings.validate_dict({"rois": ["tumour"], "modalities": ["ct"],
                                             "extraction": {"tumour": "default"}, "nonuniform": "resample"})
    image = CaseLoader("c1", {"ct": tmp_path / "ct"}, settings.working_grid()).native("ct")
    assert image.array.shape[0] == 6 and image.spacing[2] == pytest.approx(2.0)
    assert settings.part_hash("tumour", "ct") != CohortSettings.validate_dict(
        {"rois": ["tumour"], "modalities": ["ct"], "extraction": {"tumour": "default"}}).part_hash("tumour", "ct")
