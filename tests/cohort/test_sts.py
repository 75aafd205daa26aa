"""Acceptance on the 12 real STS PET/CT patients: tumour and BAT features from CT and PET of every patient,
checked against direct ``radiogenomics extract`` calls on the same volumes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from radiogenomics import __version__, extract, read_image, read_mask
from radiogenomics.bat import bat_mask
from radiogenomics.cli import app
from radiogenomics.cohort import CohortSettings, run_cohort
from radiogenomics.cohort.jobs import single_threaded
from radiogenomics.io import write_image
from radiogenomics.preprocess.regrid import resample_to_reference

from .conftest import STS_IDS, write_sts_manifest

runner = CliRunner()
N_PAPER, N_BAT = 1781, 342


SUBSET = ("STS_019", "STS_041")


@pytest.fixture(scope="module")
def all_run(sts: Path, tmp_path_factory: pytest.TempPathFactory):
    """All 12 patients with the fast ``default`` preset for both ROIs, 2 workers."""
    folder = tmp_path_factory.mktemp("sts_all")
    manifest = write_sts_manifest(sts, folder)
    settings = CohortSettings(extraction={"tumour": "default", "bat": "default"})
    return run_cohort(manifest, folder / "out", settings, workers=2)


@pytest.fixture(scope="module")
def paper_run(sts: Path, tmp_path_factory: pytest.TempPathFactory):
    """The default settings (paper preset for the tumour, bat preset for BAT) on two patients, 2 workers."""
    folder = tmp_path_factory.mktemp("sts_paper")
    manifest = write_sts_manifest(sts, folder, SUBSET)
    return run_cohort(manifest, folder / "out", CohortSettings(), workers=2)


N_SUV = 10  # the suv family of every PET result


def _check_table(result, ids, n_tumour: int, n_bat: int) -> None:
    f = result.features
    assert f.shape == (len(ids), 2 + 2 * n_tumour + 2 * n_bat + 2 * N_SUV)
    assert f.case_id.tolist() == sorted(ids)
    assert list(f.columns[:2]) == ["case_id", "group"]
    prefixes = [c.split("__")[0] for c in f.columns[2:]]
    assert prefixes == (["tumour_ct"] * n_tumour + ["tumour_pet"] * (n_tumour + N_SUV) + ["bat_ct"] * n_bat
                        + ["bat_pet"] * (n_bat + N_SUV))
    assert [c.split("__")[1] for c in f.columns if c.startswith("tumour_pet__")][-N_SUV:][0] == "suv_SUVmax"
    assert all(f[c].dtype == np.float64 for c in f.columns[2:])
    # the tumour is found in every patient; BAT may be empty for some (reported, not a failure)
    status = result.status
    assert (status[status.roi == "tumour"].status == "ok").all()
    assert set(status[status.roi == "bat"].status) <= {"ok", "empty", "too_small"}
    assert result.failures.empty
    ok = status.set_index(["case_id", "roi", "modality"]).status == "ok"
    for (cid, roi, mod), good in ok.items():
        row = f.set_index("case_id").loc[cid].filter(like=f"{roi}_{mod}__")
        assert row.notna().any() == good


def test_every_patient_has_tumour_and_bat_features_from_ct_and_pet(all_run) -> None:
    _check_table(all_run, STS_IDS, 107, 107)
    names = [c.split("__")[1] for c in all_run.features.columns[2:109]]
    assert names[0] == "original_shape_Elongation" and names[-1] == "original_ngtdm_Strength"


def test_paper_and_bat_presets(paper_run) -> None:
    _check_table(paper_run, SUBSET, N_PAPER, N_BAT)
    names = [c.split("__")[1] for c in paper_run.features.columns[2:2 + N_PAPER]]
    assert "wavelet-LLH_glcm_Contrast" in names and "lbp-3D-k_ngtdm_Busyness" in names


def test_outputs_on_disk(all_run) -> None:
    out = all_run.outdir
    parquet = pd.read_parquet(out / "features.parquet")
    pd.testing.assert_frame_equal(parquet, all_run.features, check_dtype=False)
    csv = pd.read_csv(out / "features.csv")
    np.testing.assert_array_equal(csv.iloc[:, 2:].to_numpy(), parquet.iloc[:, 2:].to_numpy())  # repr floats
    assert list(pd.read_csv(out / "failures.csv").columns) == [
        "case_id", "stage", "roi", "modality", "error_type", "message"]
    prov = json.loads((out / "provenance.json").read_text())
    settings = CohortSettings(extraction={"tumour": "default", "bat": "default"})
    assert prov["version"] == __version__ and prov["settings_hash"] == settings.settings_hash()
    assert {"python", "numpy"} <= set(prov["libraries"]) and prov["created"].endswith("+00:00")
    sts_002 = prov["inputs"]["STS_002"]
    manifest = pd.read_csv(out.parent / "manifest.csv")
    path = Path(manifest.set_index("case_id").loc["STS_002", "ct"])
    assert sts_002["ct"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert prov["counts"]["status"]["ok"] >= 24 and prov["executor"]["workers"] == 2


def _cli_extract(image: Path, mask: Path, preset: str, tmp: Path) -> pd.Series:
    out = tmp / f"{image.stem}-{mask.stem}-{preset}.json"
    res = runner.invoke(app, ["extract", str(image), str(mask), "--preset", preset, "-o", str(out)])
    assert res.exit_code == 0, res.output
    return pd.Series(json.loads(out.read_text()), dtype=np.float64)


@pytest.mark.parametrize("cid", SUBSET)
def test_values_equal_direct_extract_calls(paper_run, sts: Path, tmp_path: Path, cid: str) -> None:
    """tumour-CT: CT + CT contour; tumour-PET: PET and PET contour resampled onto the CT grid (linear /
    nearest); BAT: the BAT rule on the CT grid without the CT contour and 10 mm around it (the default), extracted
    from the CT and the resampled PET."""
    row = paper_run.features.set_index("case_id").loc[cid]
    ct, pet = read_image(sts / cid / "ct.nii.gz"), read_image(sts / cid / "pet.nii.gz")
    pet_on_ct = write_image(resample_to_reference(pet, ct, "linear"), tmp_path / "pet_on_ct.nii.gz")
    pet_mask_on_ct = write_image(resample_to_reference(read_mask(sts / cid / "pet_mask.nii.gz"), ct),
                                 tmp_path / "pet_mask_on_ct.nii.gz")
    bat = bat_mask(ct, pet, tumour=read_mask(sts / cid / "ct_mask.nii.gz"))
    assert bat.n_voxels > 0
    bat_path = write_image(bat.mask.with_array(bat.mask.array.astype(np.uint8)), tmp_path / "bat.nii.gz")
    direct = {
        "tumour_ct": _cli_extract(sts / cid / "ct.nii.gz", sts / cid / "ct_mask.nii.gz", "paper", tmp_path),
        "tumour_pet": _cli_extract(pet_on_ct, pet_mask_on_ct, "paper", tmp_path),
        "bat_ct": _cli_extract(sts / cid / "ct.nii.gz", bat_path, "bat", tmp_path),
        "bat_pet": _cli_extract(pet_on_ct, bat_path, "bat", tmp_path),
    }
    for part, values in direct.items():
        mine = row.filter(like=f"{part}__")
        mine.index = [c.split("__", 1)[1] for c in mine.index]
        mine = mine[~mine.index.str.startswith("suv_")]  # (the suv family: tests/cohort/test_suv.py)
        assert list(mine.index) == list(values.index)
        # the CLI runs SimpleITK multi-threaded: its normalisation statistics may differ in the last bit
        np.testing.assert_allclose(mine.to_numpy(), values.to_numpy(), rtol=1e-9, atol=1e-12, err_msg=part)
    for name in ("original_shape_VoxelVolume", "original_firstorder_Mean", "wavelet-HHH_glszm_ZoneEntropy"):
        assert row[f"tumour_ct__{name}"] == pytest.approx(direct["tumour_ct"][name], rel=1e-12)
    # single-threaded, as the cohort jobs run, the values are identical to the last bit
    with single_threaded():
        exact = extract(read_image(pet_on_ct), read_mask(pet_mask_on_ct), preset="paper")
    mine = row.filter(like="tumour_pet__")
    assert np.array_equal(mine[~mine.index.str.contains("__suv_")].to_numpy(), exact.to_numpy(), equal_nan=True)


def test_tumour_pet_uses_the_pet_contour(paper_run, sts: Path) -> None:
    """STS_019: CT and PET contours are 7 mm apart; the PET features come from the PET contour."""
    row = paper_run.features.set_index("case_id").loc["STS_019"]
    ct = read_image(sts / "STS_019" / "ct.nii.gz")
    pet_mask = resample_to_reference(read_mask(sts / "STS_019" / "pet_mask.nii.gz"), ct)
    voxel_ml = float(np.prod(ct.spacing))
    assert row["tumour_pet__original_shape_VoxelVolume"] == pytest.approx(pet_mask.array.sum() * voxel_ml)
    assert row["tumour_ct__original_shape_VoxelVolume"] == pytest.approx(
        read_mask(sts / "STS_019" / "ct_mask.nii.gz").array.sum() * voxel_ml)
