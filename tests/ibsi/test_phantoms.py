"""IBSI-1 compliance on the IBSI phantoms: every value is compared with the IBSI reference table
(``ibsi/reference/ibsi1_reference.csv`` of the shared data; no reference value is copied here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from radiogenomics.ibsi.compute import TABLE_COLUMNS, ibsi_table
from radiogenomics.ibsi.reference import load_reference


@pytest.fixture(scope="module")
def ibsi_dir(test_data: Path) -> Path:
    path = test_data / "ibsi"
    assert (path / "reference" / "ibsi1_reference.csv").exists()
    return path


def _referenced(ref: pd.DataFrame, phantom: str, config: str) -> pd.DataFrame:
    sel = ref[(ref["phantom"] == phantom) & (ref["config"] == config) & (ref["family"] != "diagnostics")]
    assert len(sel) > 0
    return sel


def test_digital_phantom_every_feature_matches(ibsi_dir: Path) -> None:
    table = ibsi_table("digital", None, ibsi_dir)
    assert list(table.columns) == TABLE_COLUMNS
    ref = _referenced(load_reference(ibsi_dir), "digital", "-")
    merged = ref.merge(table, on="feature_tag", how="left", suffixes=("_ref", ""))
    assert merged["value"].notna().all(), "referenced features not computed"
    assert np.array_equal(merged["reference"].to_numpy(), merged["value_ref"].to_numpy())
    failed = merged.loc[~merged["pass"], ["feature_tag", "value", "value_ref", "tolerance_ref"]]
    assert failed.empty, failed.to_string()
    assert len(merged) == len(ref)


@pytest.mark.parametrize("config", ["A", "B", "C", "D", "E"])
def test_ct_configuration_compliance(ibsi_dir: Path, config: str) -> None:
    table = ibsi_table("ct", config, ibsi_dir)
    ref = _referenced(load_reference(ibsi_dir), "ct", config)
    merged = ref.merge(table, on="feature_tag", how="left", suffixes=("_ref", ""))
    assert merged["value"].notna().all(), "referenced features not computed"
    rate = merged["pass"].mean()
    misses = merged.loc[~merged["pass"], ["feature_tag", "value", "value_ref", "tolerance_ref"]]
    assert rate >= 0.95, f"{config}: {rate:.3f}\n{misses.to_string()}"
    # the IBSI ROI volume (voxel counting) is a processing check independent of the matching rule
    vol = merged.set_index("feature_tag").loc["morph_vol_approx"]
    assert abs(vol["value"] - vol["value_ref"]) <= vol["tolerance_ref"]


def test_unknown_phantom_and_configuration(ibsi_dir: Path) -> None:
    from radiogenomics.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="Did you mean 'ct'"):
        ibsi_table("cd", None, ibsi_dir)
    with pytest.raises(UnknownNameError, match="CT configuration"):
        ibsi_table("ct", "F", ibsi_dir)


def test_feature_subset_and_paths(ibsi_dir: Path) -> None:
    from radiogenomics.ibsi import compute_ibsi, ibsi_preset

    folder = ibsi_dir / "digital_phantom"
    full = ibsi_table("digital", None, ibsi_dir).set_index("feature_tag")
    part = compute_ibsi(folder / "image.nii.gz", folder / "mask.nii.gz",
                        ibsi_preset("digital").replace(families=("ngtdm", "intensity_volume_histogram"),
                                                       texture_dimensions=("3D",)))
    assert list(part.columns) == ["feature_tag", "feature_name", "value"]
    assert set(part["feature_tag"]) == {t for t in full.index if t.startswith("ivh_") or
                                        (t.startswith("ngt_") and t.endswith("_3D"))}
    assert np.array_equal(part.set_index("feature_tag")["value"], full.loc[part["feature_tag"], "value"])


def test_single_voxel_roi_has_no_texture() -> None:
    from radiogenomics.errors import TooSmallMaskError
    from radiogenomics.ibsi import compute_ibsi, ibsi_preset
    from radiogenomics.image import Image, Mask

    image = Image(np.arange(27, dtype=np.float64).reshape(3, 3, 3) % 4 + 1)
    mask = np.zeros((3, 3, 3), dtype=np.uint8)
    mask[1, 1, 1] = 1
    with pytest.raises(TooSmallMaskError):
        compute_ibsi(image, Mask(mask), ibsi_preset("digital").replace(families=("glcm",)))
    stats = compute_ibsi(image, Mask(mask), ibsi_preset("digital").replace(families=("intensity_statistics",)))
    assert stats.set_index("feature_tag").loc["stat_mean", "value"] == image.array[1, 1, 1]
