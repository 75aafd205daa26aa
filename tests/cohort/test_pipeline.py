"""Preprocessing of the per-case pipeline against the same steps done by hand: centre crop, normalisation, PET on
its own grid, BAT with the tumour excluded, an empty BAT."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from radiogenomics import extract, read_image, read_mask
from radiogenomics.bat import BatSettings, bat_mask
from radiogenomics.cohort import run_cohort
from radiogenomics.cohort.jobs import single_threaded
from radiogenomics.features.suv import suv_features
from radiogenomics.layout import mask_path
from radiogenomics.preprocess import normalise
from radiogenomics.preprocess.regrid import resample_to_reference

from .conftest import SMALL, small_settings

CASE = "STS_002"  # CT 161 x 143 x 48


@pytest.fixture(scope="module")
def volumes(sts: Path) -> dict:
    d = sts / CASE
    return {"ct": read_image(d / "ct.nii.gz"), "pet": read_image(d / "pet.nii.gz"),
            "ct_mask": read_mask(d / "ct_mask.nii.gz"), "pet_mask": read_mask(d / "pet_mask.nii.gz")}


def _part(result, part: str) -> np.ndarray:
    """The radiomic features of a part (the suv family left out: compared by ``_suv``)."""
    row = result.features.filter(like=f"{part}__").iloc[0]
    return row[~row.index.str.contains("__suv_")].to_numpy()


def _suv(result, part: str) -> np.ndarray:
    return result.features.filter(like=f"{part}__suv_").iloc[0].to_numpy()


def _direct(image, mask) -> np.ndarray:
    with single_threaded():
        return extract(image, mask, settings=SMALL).to_numpy()


def test_centre_crop_and_normalisation(sts_manifest, tmp_path: Path, volumes: dict, caplog) -> None:
    settings = small_settings(crop_size=(100, 100), normalise=True, normalise_scale=100.0, bat_exclude_tumour=False)
    result = run_cohort(sts_manifest([CASE]), tmp_path / "out", settings, workers=1)
    assert result.failures.empty
    lower, upper = (0, 21, 30), (47, 120, 129)  # (161 - 100) // 2 = 30, (143 - 100) // 2 = 21
    ct = volumes["ct"].region(lower, upper)
    assert ct.array.shape == (48, 100, 100)
    pet = resample_to_reference(volumes["pet"], ct, "linear")
    ct_mask = volumes["ct_mask"].region(lower, upper)
    pet_mask = resample_to_reference(volumes["pet_mask"], ct)
    with single_threaded():
        ct_n, pet_n = normalise(ct, 100.0), normalise(pet, 100.0)
    np.testing.assert_array_equal(_part(result, "tumour_ct"), _direct(ct_n, ct_mask))
    np.testing.assert_array_equal(_part(result, "tumour_pet"), _direct(pet_n, pet_mask))
    bat = bat_mask(ct, volumes["pet"]).mask  # BAT from HU and SUV, before normalisation
    np.testing.assert_array_equal(_part(result, "bat_ct"), _direct(ct_n, bat))
    np.testing.assert_array_equal(_part(result, "bat_pet"), _direct(pet_n, bat))
    if volumes["ct_mask"].array.sum() > ct_mask.array.sum():
        assert "centre crop" in caplog.text
    # the masks the features were computed from are written on their working grid (the cropped CT grid)
    out = tmp_path / "out"
    for part, expected in (("tumour_ct", ct_mask), ("tumour_pet", pet_mask), ("bat_ct", bat), ("bat_pet", bat)):
        saved = read_mask(mask_path(out, CASE, *part.split("_")))
        assert saved.array.shape == ct.array.shape, part
        np.testing.assert_allclose(saved.origin + saved.spacing + saved.direction,
                                   ct.origin + ct.spacing + ct.direction, atol=1e-5)  # NIfTI stores float32
        np.testing.assert_array_equal(saved.array > 0, expected.array > 0, err_msg=part)
    n_voxels = result.status.set_index(["roi", "modality"]).n_voxels
    assert n_voxels[("bat", "ct")] == int(bat.array.sum())


def test_a_missing_mask_file_recomputes_its_result(sts_manifest, tmp_path: Path) -> None:
    manifest = sts_manifest([CASE])
    first = run_cohort(manifest, tmp_path / "out", small_settings(), workers=1)
    mask_path(tmp_path / "out", CASE, "tumour", "pet").unlink()
    second = run_cohort(manifest, tmp_path / "out", small_settings(), workers=1)
    assert second.computed == ((CASE, "tumour", "pet"),)
    assert mask_path(tmp_path / "out", CASE, "tumour", "pet").is_file()
    assert second.features.equals(first.features)
    third = run_cohort(manifest, tmp_path / "out2", small_settings(save_masks=False), workers=1)
    assert not (tmp_path / "out2" / "masks").exists()
    assert third.features.equals(first.features)


def test_pet_on_its_own_grid_and_bat_without_tumour(sts_manifest, tmp_path: Path, volumes: dict) -> None:
    settings = small_settings(pet_grid="native", bat_exclude_tumour=True, bat={"tumour_margin_mm": 10.0})
    result = run_cohort(sts_manifest([CASE]), tmp_path / "out", settings, workers=1)
    assert result.failures.empty
    np.testing.assert_array_equal(_part(result, "tumour_pet"), _direct(volumes["pet"], volumes["pet_mask"]))
    bat = bat_mask(volumes["ct"], volumes["pet"], BatSettings(tumour_margin_mm=10.0), tumour=volumes["ct_mask"])
    plain = bat_mask(volumes["ct"], volumes["pet"])
    assert 0 < bat.n_voxels < plain.n_voxels
    status = result.status.set_index(["roi", "modality"]).n_voxels
    assert status[("bat", "ct")] == bat.n_voxels
    np.testing.assert_array_equal(_part(result, "bat_ct"), _direct(volumes["ct"], bat.mask))
    bat_on_pet = resample_to_reference(bat.mask, volumes["pet"])
    np.testing.assert_array_equal(_part(result, "bat_pet"), _direct(volumes["pet"], bat_on_pet))
    # the suv family: on the native PET, with the PET contour and the BAT carried onto the PET grid
    np.testing.assert_array_equal(_suv(result, "tumour_pet"),
                                  suv_features(volumes["pet"], volumes["pet_mask"]).to_numpy())
    np.testing.assert_array_equal(_suv(result, "bat_pet"), suv_features(volumes["pet"], bat_on_pet).to_numpy())


def test_a_patient_without_bat_is_reported_not_failed(sts_manifest, tmp_path: Path) -> None:
    result = run_cohort(sts_manifest([CASE, "STS_019"]), tmp_path / "out",
                        small_settings(bat={"suv_threshold": 50.0}), workers=1)
    assert result.failures.empty
    bat = result.status[result.status.roi == "bat"]
    assert set(bat.status) == {"empty"} and set(bat.n_voxels) == {0}
    assert result.features.filter(like="bat_").isna().all().all()
    assert result.features.filter(like="bat_ct__").shape[1] == 20  # columns from the settings, not the data
    assert result.features.filter(like="tumour_").notna().all().all()
