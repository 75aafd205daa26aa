"""PET threshold baselines on known SUV volumes: SUV >= 2.5, 41 % of SUVmax, PERCIST liver, seed regions,
component rules, grids, saved/loaded like a model, and beside a model in ``segment evaluate``."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from radiogenomics.errors import SettingsError, UnknownNameError
from radiogenomics.image import Image, Mask
from radiogenomics.io import read_mask, write_image
from radiogenomics.segment.errors import SegmentationError
from radiogenomics.segment.registry import (
    baseline_settings,
    evaluate_baselines,
    load_segmenter,
    predict_manifest,
    train_segmenter,
)
from radiogenomics.segment.settings import ThresholdSettings
from radiogenomics.segment.threshold import ThresholdSegmenter, threshold_mask


def _pet(spacing=(4.0, 4.0, 4.0)) -> Image:
    """Background SUV 1; a lesion: a 6^3 cube of SUV 10 with a 2^3 core of SUV 20 and a 2-voxel rim of SUV 3;
    a second, smaller hot spot of SUV 6 (4^3) elsewhere."""
    a = np.ones((30, 30, 30), np.float32)
    a[8:18, 8:18, 8:18] = 3.0
    a[10:16, 10:16, 10:16] = 10.0
    a[12:14, 12:14, 12:14] = 20.0
    a[22:26, 22:26, 22:26] = 6.0
    return Image(a, spacing, (0.0, 0.0, 0.0))


def test_threshold_rules_give_their_closed_form_regions() -> None:
    pet = _pet()
    seg = ThresholdSegmenter(ThresholdSettings(rule="suv", suv=2.5, keep="all"))
    m = seg.segment(pet).array
    assert m.sum() == 10**3 + 4**3  # rim + lesion + second spot
    # 41 % of SUVmax 20 = 8.2: the SUV-10 cube (incl. its core), hottest component only
    m41 = ThresholdSegmenter(ThresholdSettings(rule="suvmax_fraction", fraction=0.41)).segment(pet).array
    assert m41.sum() == 6**3 and m41[10:16, 10:16, 10:16].all()
    # SUV >= 2.5 with the hottest component: the 10^3 lesion incl. rim, not the second spot
    hottest = ThresholdSegmenter(ThresholdSettings(rule="suv")).segment(pet).array
    assert hottest.sum() == 10**3
    largest = threshold_mask(pet.array, 5.0, keep="largest")
    assert largest.sum() == 6**3


def test_seed_region_limits_the_search_and_sets_suvmax() -> None:
    pet = _pet()
    seed = np.zeros(pet.array.shape, np.uint8)
    seed[23, 23, 23] = 1  # one voxel in the second spot, dilated by 8 mm
    within = Mask(seed, pet.spacing, pet.origin)
    s = ThresholdSettings(rule="suvmax_fraction", fraction=0.41, margin_mm=8.0)
    m = ThresholdSegmenter(s).segment(pet, within=within).array
    # SUVmax in the region = 6, threshold 2.46; the region (radius 2 voxels) holds 3^3.. voxels of the spot
    region = np.zeros_like(seed, bool)
    zz, yy, xx = np.indices(seed.shape)
    region = ((zz - 23) ** 2 + (yy - 23) ** 2 + (xx - 23) ** 2) * 16.0 <= 64.0
    expected = region & (pet.array >= 0.41 * 6.0)
    assert m.sum() == expected.sum() > 0 and not m[10:16, 10:16, 10:16].any()


def test_percist_threshold_from_the_liver() -> None:
    pet = _pet()
    liver_values = np.array([1.5, 2.5] * 32, np.float32)
    a = pet.array.copy()
    a[0:4, 0:4, 0:4] = liver_values.reshape(4, 4, 4)
    pet = pet.with_array(a)
    liver = np.zeros(a.shape, np.uint8)
    liver[0:4, 0:4, 0:4] = 1
    seg = ThresholdSegmenter(ThresholdSettings(rule="percist", liver_column="liver_mask", keep="all",
                                               fill_holes=False))
    t = seg.threshold_for(pet, None, Mask(liver, pet.spacing, pet.origin))
    assert t == pytest.approx(1.5 * 2.0 + 2.0 * 0.5)  # mean 2, SD 0.5 (ddof 0)
    m = seg.segment(pet, liver=Mask(liver, pet.spacing, pet.origin)).array
    assert m.sum() == 6**3 + 4**3  # SUV >= 4: the lesion's SUV-10 cube and the SUV-6 spot
    with pytest.raises(SettingsError, match="liver_column"):
        ThresholdSettings.validate_dict({"rule": "percist"})
    with pytest.raises(SegmentationError, match="liver ROI holds no voxel"):
        seg.threshold_for(pet, None, Mask(np.zeros_like(liver), pet.spacing, pet.origin))


def test_holes_filled_and_empty_when_nothing_reaches_the_threshold() -> None:
    a = np.ones((20, 20, 20), np.float32)
    a[5:15, 5:15, 5:15] = 8.0
    a[8:12, 8:12, 8:12] = 1.0  # a cold necrotic core
    pet = Image(a, (4.0, 4.0, 4.0), (0.0, 0.0, 0.0))
    assert ThresholdSegmenter(ThresholdSettings(rule="suv")).segment(pet).array.sum() == 1000
    assert ThresholdSegmenter(ThresholdSettings(rule="suv", fill_holes=False)).segment(pet).array.sum() == 1000 - 64
    assert ThresholdSegmenter(ThresholdSettings(rule="suv", suv=9.0)).segment(pet).array.sum() == 0


def test_mask_written_on_a_finer_grid() -> None:
    pet = _pet()
    ct = Image(np.zeros((60, 60, 60), np.float32), (2.0, 2.0, 2.0), (-1.0, -1.0, -1.0))  # same box, 2 mm voxels
    m = ThresholdSegmenter(ThresholdSettings(rule="suvmax_fraction")).segment(pet, grid=ct)
    assert m.geometry == ct.geometry
    assert m.array.sum() * 8.0 == pytest.approx(6**3 * 64.0, rel=0.15)  # the same volume within interpolation


def test_settings_names_and_errors() -> None:
    assert baseline_settings("suv2.5").label == "SUV >= 2.5"
    assert baseline_settings("suvmax41").label == "41% SUVmax"
    with pytest.raises(UnknownNameError, match="suvmax41"):
        baseline_settings("suvmax42")
    with pytest.raises(UnknownNameError, match="Did you mean"):
        ThresholdSettings.validate_dict({"rule": "suvmax_fractoin"})
    with pytest.raises(SettingsError, match="one PET channel"):
        ThresholdSettings.validate_dict({"channels": ["pet", "ct"]})


def _cases(tmp_path):
    rows = []
    for i in range(3):
        pet = _pet()
        ct = Image(np.zeros((60, 60, 60), np.float32), (2.0, 2.0, 2.0), (-1.0, -1.0, -1.0))
        ref = np.zeros((60, 60, 60), np.uint8)
        ref[20 + i: 32, 20:32, 20:32] = 1
        folder = tmp_path / f"c{i}"
        folder.mkdir()
        write_image(pet, folder / "pet.nii.gz")
        write_image(ct, folder / "ct.nii.gz")
        write_image(Mask(ref, ct.spacing, ct.origin), folder / "mask.nii.gz")
        rows.append({"case_id": f"c{i}", "ct": folder / "ct.nii.gz", "pet": folder / "pet.nii.gz",
                     "tumour_mask": folder / "mask.nii.gz"})
    path = tmp_path / "manifest.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_threshold_model_folder_predicts_like_any_model(tmp_path) -> None:
    manifest = _cases(tmp_path)
    train_segmenter(manifest, "threshold", tmp_path / "model", {"rule": "suv", "suv": 2.5})
    meta = json.loads((tmp_path / "model" / "model.json").read_text())
    assert meta["method"] == "threshold" and meta["rule"] == "SUV >= 2.5"
    seg = load_segmenter(tmp_path / "model")
    assert isinstance(seg, ThresholdSegmenter)
    result = predict_manifest(tmp_path / "model", manifest, tmp_path / "masks")
    assert (result.status["status"] == "predicted").all()
    mask = read_mask(tmp_path / "masks" / "c0.nii.gz")
    assert mask.array.shape == (60, 60, 60)  # on the CT grid


def test_baselines_table_has_one_row_per_rule(tmp_path) -> None:
    manifest = _cases(tmp_path)
    table, evaluations = evaluate_baselines(manifest, tmp_path / "base", ("suv2.5", "suvmax41", "percist"))
    assert table["method"].tolist() == ["SUV >= 2.5", "41% SUVmax"]  # no liver_mask column: percist left out
    assert (table["n_cases"] == 3).all()
    for name, row in zip(("suv2.5", "suvmax41"), table.itertuples(), strict=True):
        assert row.dice_mean == pytest.approx(evaluations[name].cases["dice"].mean())
    # the reference is about the 24-mm SUV-10 cube: 41 % SUVmax finds it, SUV >= 2.5 adds the 40-mm rim
    assert 0.0 < table["dice_mean"].iloc[0] < table["dice_mean"].iloc[1] <= 1.0


def test_suvmax41_on_the_real_sts_patients(tmp_path) -> None:
    """The shared STS README: in 11 of the 12 patients the PET maximum of the cropped image lies inside the PET
    mask, in STS_012 it does not. 41 % of SUVmax keeps the component of the hottest voxel, so it overlaps the
    GTV in exactly those 11 and misses STS_012 (one false-positive component, Dice 0)."""
    from tests.cohort.conftest import STS_IDS, write_sts_manifest
    from tests.conftest import require_data

    manifest = write_sts_manifest(require_data("sts_petct"), tmp_path / "m", STS_IDS, pet_mask=False)
    table, evaluations = evaluate_baselines(manifest, tmp_path / "base", ("suvmax41",))
    cases = evaluations["suvmax41"].cases.set_index("case_id")
    assert len(cases) == 12 and table["n_cases"].iloc[0] == 12
    assert cases.loc["STS_012", "dice"] == 0.0 and cases.loc["STS_012", "n_false_positive"] == 1
    others = cases.drop(index="STS_012")
    assert (others["dice"] > 0.2).all() and (others["n_false_positive"] == 0).all()
