"""Bad-input matrix: each broken case fails with a clear, typed error at the right stage, and every other
case (and every result of the broken case that does not need the broken input) still finishes."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pydicom
import pytest

from radiogenomics.cohort import run_cohort
from radiogenomics.image import Mask
from radiogenomics.io import read_image, read_mask, write_image

from .conftest import small_settings


def _dicom_copy(src: Path, dst: Path, edit) -> Path:
    shutil.copytree(src, dst)
    for f in sorted(dst.iterdir()):
        ds = pydicom.dcmread(f)
        edit(ds)
        ds.save_as(f)
    return dst


def _drop_weight(ds: pydicom.Dataset) -> None:
    del ds.PatientWeight


def _drop_injection(ds: pydicom.Dataset) -> None:
    del ds.RadiopharmaceuticalInformationSequence
    del ds.PatientWeight


@pytest.fixture(scope="module")
def bad_run(synthetic: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("bad")
    case = {i: synthetic / "cases" / f"SYN000{i}" for i in (1, 2, 3)}
    ct3, pet3, mask3 = (case[3] / n for n in ("ct.nii.gz", "pet.nii.gz", "tumour_mask.nii.gz"))

    m = read_mask(mask3)
    shifted = write_image(Mask(m.array, m.spacing, (m.origin[0] + 5.0, *m.origin[1:]), m.direction),
                          root / "shifted_mask.nii.gz")
    empty = write_image(m.with_array(np.zeros_like(m.array)), root / "empty_mask.nii.gz")
    pet = read_image(pet3)
    bqml = write_image(pet.with_array(pet.array * 5000.0), root / "pet_bqml.nii.gz")
    corrupt = root / "corrupt_ct.nii.gz"
    corrupt.write_bytes(ct3.read_bytes()[:2000])
    no_weight = _dicom_copy(case[3] / "dicom" / "pet", root / "pet_no_weight", _drop_weight)
    no_tags = _dicom_copy(case[3] / "dicom" / "pet", root / "pet_no_tags", _drop_injection)

    def row(cid, ct=ct3, pet=pet3, mask=mask3):
        return {"case_id": cid, "ct": ct, "pet": pet, "tumour_mask": mask, "site": "x"}

    rows = [
        row("good_nifti", case[2] / "ct.nii.gz", case[2] / "pet.nii.gz", case[2] / "tumour_mask.nii.gz"),
        row("good_dicom", case[2] / "dicom" / "ct", case[2] / "dicom" / "pet", case[2] / "tumour_mask.nii.gz"),
        row("geometry_mismatch", mask=shifted),
        row("missing_suv_tag", pet=no_weight),
        row("bqml_without_tags", pet=no_tags),
        row("bqml_nifti", pet=bqml),
        row("empty_mask", mask=empty),
        row("corrupt_ct", ct=corrupt),
        row("duplicate"),
        row("duplicate", ct=case[1] / "ct.nii.gz"),
        row("missing_pet", pet=root / "nowhere" / "pet.nii.gz"),
    ]
    manifest = root / "manifest.csv"
    pd.DataFrame(rows).to_csv(manifest, index=False)
    # These small synthetic patients have no active BAT: with the tumour excluded (the default) their BAT ROI is
    # empty ("too_small"). The matrix is about inputs, so it uses the literal BAT rule, which keeps every part
    # computable; the exclusion itself is tested in tests/bat and on the STS patients.
    return run_cohort(manifest, root / "out", small_settings(bat_exclude_tumour=False), workers=2)


def _status(result, cid: str) -> dict[str, str]:
    s = result.status[result.status.case_id == cid]
    return {f"{r.roi}_{r.modality}": r.status for r in s.itertuples()}


def _failures(result, cid: str) -> list[tuple[str, str, str, str]]:
    f = result.failures[result.failures.case_id == cid]
    return [(r.stage, r.error_type, f"{r.roi}_{r.modality}".strip("_"), r.message) for r in f.itertuples()]


ALL_OK = {"tumour_ct": "ok", "tumour_pet": "ok", "bat_ct": "ok", "bat_pet": "ok"}


def test_good_cases_finish(bad_run) -> None:
    assert _status(bad_run, "good_nifti") == ALL_OK
    assert _status(bad_run, "good_dicom") == ALL_OK  # DICOM CT, DICOM PET converted to SUV from its tags
    assert not _failures(bad_run, "good_nifti") and not _failures(bad_run, "good_dicom")
    f = bad_run.features
    assert f.case_id.tolist() == sorted(set(f.case_id))  # one row per distinct id, sorted
    assert len(f) == 10
    good = f.set_index("case_id").loc[["good_nifti", "good_dicom"]].filter(like="__")
    # the literal-rule BAT of these patients is a few CT voxels: no voxel on the coarser PET grid, so its suv
    # family is undefined (NaN, with a warning); everything else has a value
    bat_suv = good.filter(like="bat_pet__suv_")
    assert bat_suv.isna().all().all() and good.drop(columns=bat_suv.columns).notna().all().all()
    # the same patient from NIfTI and from DICOM (SUV from the tags: float32 rounding of the NIfTI PET)
    np.testing.assert_allclose(good.loc["good_dicom"], good.loc["good_nifti"], rtol=1e-5)


def test_geometry_mismatch_between_ct_and_mask(bad_run) -> None:
    assert _status(bad_run, "geometry_mismatch") == {**ALL_OK, "tumour_ct": "failed", "tumour_pet": "failed"}
    [(stage, error, part, message)] = _failures(bad_run, "geometry_mismatch")
    assert (stage, error, part) == ("geometry", "GeometryMismatchError", "")
    assert message.startswith("tumour_mask:") and "origin" in message and "ct grid" in message


def test_missing_suv_tag(bad_run) -> None:
    assert _status(bad_run, "missing_suv_tag") == {
        "tumour_ct": "ok", "tumour_pet": "failed", "bat_ct": "failed", "bat_pet": "failed"}
    [(stage, error, _, message)] = _failures(bad_run, "missing_suv_tag")
    assert (stage, error) == ("suv", "MissingDicomTagError")
    assert message.startswith("pet:") and "PatientWeight" in message


def test_pet_in_bqml_without_tags(bad_run) -> None:
    [(stage, error, _, message)] = _failures(bad_run, "bqml_without_tags")
    assert (stage, error) == ("suv", "MissingDicomTagError")
    assert "RadionuclideTotalDose" in message and "PatientWeight" in message  # every missing tag at once
    [(stage, error, _, message)] = _failures(bad_run, "bqml_nifti")
    assert (stage, error) == ("suv", "SuvError") and "Bq/mL" in message
    assert _status(bad_run, "bqml_nifti")["tumour_ct"] == "ok"


def test_empty_mask(bad_run) -> None:
    assert _status(bad_run, "empty_mask") == {**ALL_OK, "tumour_ct": "failed", "tumour_pet": "failed"}
    failures = _failures(bad_run, "empty_mask")
    assert [(s, e, p) for s, e, p, _ in failures] == [
        ("extract", "EmptyMaskError", "tumour_ct"), ("extract", "EmptyMaskError", "tumour_pet")]


def test_corrupt_file(bad_run) -> None:
    assert set(_status(bad_run, "corrupt_ct").values()) == {"failed"}
    [(stage, error, _, message)] = _failures(bad_run, "corrupt_ct")
    assert (stage, error) == ("load", "ImageReadError") and message.startswith("ct:") and "corrupt" in message


def test_duplicate_case_id_and_missing_file(bad_run) -> None:
    assert set(_status(bad_run, "duplicate").values()) == {"failed"}
    [(stage, error, _, message)] = _failures(bad_run, "duplicate")
    assert (stage, error) == ("manifest", "duplicate_id") and "2 rows" in message
    assert _status(bad_run, "missing_pet") == {
        "tumour_ct": "ok", "tumour_pet": "failed", "bat_ct": "failed", "bat_pet": "failed"}
    [(stage, error, _, message)] = _failures(bad_run, "missing_pet")
    assert (stage, error) == ("manifest", "missing_file") and "pet: file not found" in message


def test_failures_csv_is_the_failures_table(bad_run) -> None:
    on_disk = pd.read_csv(bad_run.outdir / "failures.csv", keep_default_na=False, dtype=str)
    assert on_disk.to_dict("records") == bad_run.failures.astype(str).to_dict("records")
    assert len(on_disk) == 9
