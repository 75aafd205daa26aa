"""SUV quantification in cohort extraction: ``<roi>_pet__suv_*`` columns computed on the native PET grid of the
real STS patients equal an independent computation on the native PET and PET-grid contour, and do not depend
on ``pet_grid``; how the PET became SUV is in status.csv and provenance."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import SimpleITK as sitk

from radiogenomics.cohort import run_cohort

from .conftest import STS_IDS, small_settings, write_sts_manifest

pytestmark = pytest.mark.slow  # 12 real PET/CT patients, twice

FIRSTORDER = {"tumour": small_settings().extraction["tumour"].replace(feature_classes={"firstorder": ["Mean"]})}


def _independent(pet_path: Path, mask_path: Path) -> dict[str, float]:
    """SUVmax, SUVmean, SUVpeak (physical distances of voxel centres from SimpleITK's index-to-point map), MTV,
    TLG and the thresholds, written without the package's code."""
    pet, mask = sitk.ReadImage(str(pet_path), sitk.sitkFloat64), sitk.ReadImage(str(mask_path))
    x, m = sitk.GetArrayFromImage(pet), sitk.GetArrayFromImage(mask) > 0
    values = x[m]
    ml = float(np.prod(pet.GetSpacing())) / 1000.0
    radius = (3.0 / (4.0 * np.pi)) ** (1.0 / 3.0) * 10.0
    peaks = []
    for k, j, i in np.argwhere(m & (x == values.max())):
        centre = np.array(pet.TransformIndexToPhysicalPoint((int(i), int(j), int(k))))
        lo = [max(0, c - 8) for c in (k, j, i)]
        hi = [min(s, c + 9) for c, s in zip((k, j, i), x.shape, strict=True)]
        box = np.argwhere(np.ones([h - low for low, h in zip(lo, hi, strict=True)], bool)) + lo
        points = np.array([pet.TransformIndexToPhysicalPoint((int(c), int(b), int(a))) for a, b, c in box])
        near = np.linalg.norm(points - centre, axis=1) <= radius
        peaks.append(x[tuple(box[near].T)].mean())
    out = {"SUVmax": values.max(), "SUVmean": values.mean(), "SUVpeak": max(peaks), "MTV": values.size * ml,
           "TLG": values.mean() * values.size * ml, "VoxelNum": values.size}
    for name, threshold in (("SUV2.5", 2.5), ("41pct", 0.41 * values.max())):
        hot = values[values >= threshold]
        out[f"MTV_{name}"] = hot.size * ml
        out[f"TLG_{name}"] = hot.mean() * hot.size * ml if hot.size else 0.0
    return out


@pytest.fixture(scope="module")
def runs(sts: Path, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("suv")
    manifest = write_sts_manifest(sts, folder / "manifest")
    return {grid: run_cohort(manifest, folder / grid, small_settings(rois=["tumour"], extraction=FIRSTORDER,
                                                                     pet_grid=grid), workers=2)
            for grid in ("ct", "native")}


def test_suv_columns_equal_an_independent_computation(runs, sts: Path) -> None:
    f = runs["ct"].features.set_index("case_id")
    for cid in STS_IDS:
        want = _independent(sts / cid / "pet.nii.gz", sts / cid / "pet_mask.nii.gz")
        for name, value in want.items():
            assert f.loc[cid, f"tumour_pet__suv_{name}"] == pytest.approx(value, rel=1e-9, abs=1e-12), (cid, name)
    assert f.loc["STS_002", "tumour_pet__suv_SUVmax"] == pytest.approx(21.68, abs=0.01)  # the SUVmax


def test_suv_columns_do_not_depend_on_the_pet_grid(runs) -> None:
    ct, native = (runs[g].features.set_index("case_id").filter(like="__suv_") for g in ("ct", "native"))
    assert ct.shape == (12, 10)
    pd.testing.assert_frame_equal(ct, native, check_exact=True)
    # the radiomics PET features do depend on it (resampled onto the CT grid or not)
    a, b = (runs[g].features.set_index("case_id")["tumour_pet__original_firstorder_Mean"] for g in ("ct", "native"))
    assert not np.allclose(a, b, rtol=1e-6)


def test_suv_provenance(runs) -> None:
    status = runs["ct"].status
    pet = status[status.modality == "pet"]
    assert set(pet.suv_method) == {"file"} and pet.suv_factor.isna().all()
    assert status[status.modality == "ct"].suv_method.isna().all()
    record = json.loads((runs["ct"].outdir / "provenance.json").read_text())
    assert set(record["suv"]) == set(STS_IDS) and record["suv"]["STS_002"]["method"] == "file"


def test_ibsi_mode_on_the_ct_phantom(test_data: Path, tmp_path: Path) -> None:
    """Cohort extraction in IBSI mode (configuration A) on the IBSI CT phantom: the IBSI engine's values, IBSI-named
    columns, matching the IBSI reference within tolerance as the compliance test requires (>= 95%)."""
    from radiogenomics.cohort import CohortSettings
    from radiogenomics.ibsi.compute import ibsi_table

    folder = test_data / "ibsi"
    manifest = tmp_path / "m.csv"
    pd.DataFrame([{"case_id": "phantom", "ct": folder / "ct_phantom" / "image.nii.gz",
                   "tumour_mask": folder / "ct_phantom" / "mask.nii.gz"}]).to_csv(manifest, index=False)
    settings = CohortSettings.validate_dict({"rois": ["tumour"], "modalities": ["ct"], "mode": "ibsi",
                                             "ibsi": {"tumour": "A"}})
    result = run_cohort(manifest, tmp_path / "out", settings, workers=1)
    assert result.failures.empty
    row = result.features.set_index("case_id").loc["phantom"]
    table = ibsi_table("ct", "A", folder).set_index("feature_tag")
    assert [c for c in row.index if c.startswith("tumour_ct__")] == [f"tumour_ct__{t}" for t in table.index]
    got = row[[f"tumour_ct__{t}" for t in table.index]].to_numpy(np.float64)
    np.testing.assert_array_equal(got, table["value"].to_numpy())
    referenced = table[table["reference"].notna()]
    assert referenced["pass"].mean() >= 0.95
    assert abs(row["tumour_ct__loc_peak_loc"] - (-277)) <= 10
    # the mode and the IBSI settings are part of the cache key: pyradiomics mode recomputes
    again = run_cohort(manifest, tmp_path / "out", settings.model_copy(update={"mode": "pyradiomics"}), workers=1)
    assert "tumour_ct__original_firstorder_Mean" in again.features and not again.cache_hits
