"""DICOM inputs: a real CT series + RTSTRUCT and a PET series (Units GML) + RTSTRUCT of STS_025 give the
features of the same patient's NIfTI files; a DICOM SEG segment is chosen with ``seg.dcm#<number>``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radiogenomics.cohort import run_cohort
from radiogenomics.io import read_mask, write_image
from tests.conftest import require_data

from .conftest import small_settings, write_sts_manifest


def test_dicom_series_and_rtstruct_equal_the_nifti_files(sts: Path, tmp_path: Path) -> None:
    dicom = require_data("dicom_ct_rtstruct")
    manifest = tmp_path / "dicom.csv"
    pd.DataFrame([{
        "case_id": "STS_025", "ct": dicom / "ct", "pet": dicom / "pet_gml",
        "tumour_mask": dicom / "ct_rtstruct.dcm", "tumour_mask_pet": f"{dicom / 'pet_rtstruct.dcm'}#GTV_Mass_PET",
    }]).to_csv(manifest, index=False)
    from_dicom = run_cohort(manifest, tmp_path / "dicom", small_settings(), workers=1)
    from_nifti = run_cohort(write_sts_manifest(sts, tmp_path / "nifti", ["STS_025"], ), tmp_path / "nifti_out",
                            small_settings(), workers=1)
    assert from_dicom.failures.empty and set(from_dicom.status.status) == {"ok"}
    a = from_dicom.features.filter(like="__").iloc[0]
    b = from_nifti.features.filter(like="__").iloc[0]
    assert list(a.index) == list(b.index)
    # CT voxels and both contours are identical (README: Dice 1.0), the spacing differs in the 8th digit (DICOM
    # slice positions vs NIfTI header); the DICOM PET is float64 SUV, the NIfTI PET float32
    ct = a.index.str.startswith("tumour_ct__")
    np.testing.assert_allclose(a[ct].to_numpy(), b[ct].to_numpy(), rtol=1e-7)
    assert 6.0 < a["tumour_pet__original_firstorder_Maximum"] <= 6.38  # README: SUVmax 6.38 on the PET grid
    # (absolute 1e-5 for differences of near-equal SUVs: the interquartile range of the BAT, whose values span
    # 0.25 SUV, differs by 2e-6)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-5, atol=1e-5)


def test_label_of_a_label_map(sts: Path, tmp_path: Path) -> None:
    ct_mask = read_mask(sts / "STS_019" / "ct_mask.nii.gz")
    labels = write_image(ct_mask.with_array(ct_mask.array.astype(np.uint8) * 3), tmp_path / "labels.nii.gz")
    manifest = write_sts_manifest(sts, tmp_path / "m", ["STS_019"], pet_mask=False)
    table = pd.read_csv(manifest)
    table["tumour_mask"] = f"{labels}#3"
    table.to_csv(manifest, index=False)
    picked = run_cohort(manifest, tmp_path / "out", small_settings(rois=["tumour"], extraction={"tumour": "default"}),
                        workers=1)
    assert picked.failures.empty
    assert picked.features["tumour_ct__original_shape_VoxelVolume"].iloc[0] == pytest.approx(
        ct_mask.array.sum() * np.prod(ct_mask.spacing))


def test_pet_only_cohort_with_seg_segments(tmp_path: Path) -> None:
    """Raw Bq/mL PET (converted to SUV from its tags) and segments of a DICOM SEG; known SUVmax/mean."""
    folder = require_data("dicom_pet_seg")
    manifest = tmp_path / "m.csv"
    pd.DataFrame([
        {"case_id": "lesion1", "pet": folder / "pet", "tumour_mask": f"{folder / 'seg.dcm'}#1"},
        {"case_id": "all", "pet": folder / "pet", "tumour_mask": folder / "seg.dcm"},
    ]).to_csv(manifest, index=False)
    settings = small_settings(rois=["tumour"], modalities=["pet"], extraction={"tumour": small_settings().extraction[
        "tumour"].replace(feature_classes={"firstorder": ["Maximum", "Mean"], "shape": ["VoxelVolume"]})})
    result = run_cohort(manifest, tmp_path / "out", settings, workers=1)
    f = result.features.set_index("case_id")
    assert f.loc["lesion1", "tumour_pet__original_firstorder_Maximum"] == pytest.approx(20.8343, abs=1e-4)
    assert f.loc["lesion1", "tumour_pet__original_firstorder_Mean"] == pytest.approx(10.2955, abs=1e-4)
    assert f.loc["lesion1", "tumour_pet__original_shape_VoxelVolume"] == pytest.approx(39585.6, rel=1e-4)
    # the suv family on the native PET grid, and how the PET became SUV (reference_values.json)
    assert f.loc["lesion1", "tumour_pet__suv_SUVmax"] == pytest.approx(20.8343, abs=5e-5)
    assert f.loc["lesion1", "tumour_pet__suv_VoxelNum"] == 1697
    [pet] = result.status[(result.status.case_id == "lesion1")].itertuples()
    assert pet.suv_method == "bw" and pet.suv_factor == pytest.approx(0.0004016640142130896, rel=1e-9)
    assert pet.suv_decay_s == pytest.approx(6151.687, abs=1e-3)
    assert pet.suv_decayed_fraction == pytest.approx(0.5233954352080725, rel=1e-9)
    assert "PatientWeight" in pet.suv_source and "RadionuclideTotalDose" in pet.suv_source
    [(stage, error, message)] = result.failures[["stage", "error_type", "message"]].itertuples(index=False)
    assert (stage, error) == ("load", "InvalidMaskError") and "11 segments" in message and "seg.dcm#1" in message
