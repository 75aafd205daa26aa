"""Brown adipose tissue rule (:mod:`radiogenomics.bat`): known answers on hand-made volumes, settings."""

from __future__ import annotations

import numpy as np
import pytest

from radiogenomics.bat import BatSettings, BatStatus, bat_mask, body_mask
from radiogenomics.errors import SettingsError, UnknownNameError
from radiogenomics.image import Image, Mask


def _volumes(hu: np.ndarray, suv: np.ndarray, spacing: tuple[float, float, float] = (1.0, 1.0, 1.0)):
    return Image(hu.astype(np.int16), spacing), Image(suv.astype(np.float32), spacing)


def test_rule_thresholds_are_strict_for_suv_and_inclusive_for_hu() -> None:
    hu = np.array([[[-191, -190, -100, -10, -9, -100]]])
    suv = np.array([[[3.0, 3.0, 1.5, 3.0, 3.0, 1.5001]]])
    ct, pet = _volumes(hu, suv)
    res = bat_mask(ct, pet)
    assert res.mask.array.tolist() == [[[False, True, False, True, False, True]]]
    assert res.n_voxels == 3 and res.status is BatStatus.found and not res.empty
    assert res.volume_ml == pytest.approx(3e-3)


def test_patient_without_bat_is_a_status_not_an_error() -> None:
    ct, pet = _volumes(np.full((4, 4, 4), -100), np.full((4, 4, 4), 0.4))
    res = bat_mask(ct, pet)
    assert res.empty and res.status is BatStatus.empty and res.n_voxels == 0 and res.volume_ml == 0.0
    assert res.mask.array.dtype == bool and res.mask.geometry == ct.geometry


def test_pet_on_a_coarser_grid_is_resampled_onto_the_ct() -> None:
    ct = Image(np.full((8, 8, 8), -100, np.int16), (1.0, 1.0, 1.0))
    pet_arr = np.full((4, 4, 4), 0.5, np.float32)
    pet_arr[:2] = 3.0  # hot lower half (z < 4 mm in physical space)
    pet = Image(pet_arr, (2.0, 2.0, 2.0), (0.5, 0.5, 0.5))  # voxel centres at 0.5, 2.5, ... mm
    res = bat_mask(ct, pet, BatSettings(interpolation="nearest"))
    expect = np.zeros((8, 8, 8), bool)
    expect[:4] = True
    np.testing.assert_array_equal(res.mask.array, expect)


def test_minimum_component_size_and_connectivity() -> None:
    hu = np.full((5, 10, 10), -100)
    suv = np.zeros((5, 10, 10))
    suv[2, 2:5, 2:5] = 3.0  # 9-voxel blob
    suv[2, 8, 8] = 3.0  # isolated voxel
    suv[2, 7, 7] = 3.0  # diagonal neighbour of the isolated voxel
    ct, pet = _volumes(hu, suv, (2.0, 2.0, 2.0))  # 8 µL voxels
    assert bat_mask(ct, pet).n_components == 2  # 26-connectivity joins the diagonal pair
    assert bat_mask(ct, pet, BatSettings(connectivity=6)).n_components == 3
    res = bat_mask(ct, pet, BatSettings(min_component_voxels=3))
    assert res.n_voxels == 9 and res.removed_small_voxels == 2 and res.n_components == 1
    by_ml = bat_mask(ct, pet, BatSettings(min_component_ml=0.072))  # 9 voxels × 0.008 ml
    assert by_ml.n_voxels == 9
    assert bat_mask(ct, pet, BatSettings(min_component_ml=0.073)).empty


def test_tumour_exclusion_with_a_margin_in_millimetres() -> None:
    hu = np.full((1, 1, 21), -100)
    suv = np.full((1, 1, 21), 5.0)
    ct, pet = _volumes(hu, suv, (2.0, 2.0, 2.0))
    tumour = np.zeros((1, 1, 21), np.uint8)
    tumour[0, 0, 10] = 1
    t = Mask(tumour, (2.0, 2.0, 2.0))
    assert bat_mask(ct, pet, BatSettings(tumour_margin_mm=0.0), tumour=t).n_voxels == 20  # the tumour voxel only
    assert bat_mask(ct, pet, tumour=t).n_voxels == 21 - 11  # default margin 10 mm: ±5 voxels of 2 mm
    out = bat_mask(ct, pet, BatSettings(tumour_margin_mm=4.0), tumour=t).mask.array[0, 0]
    assert out.tolist() == [True] * 8 + [False] * 5 + [True] * 8  # ±2 voxels of 2 mm


def test_body_restriction() -> None:
    hu = np.full((3, 20, 20), -1000)
    hu[:, 4:16, 4:16] = 40
    hu[:, 8:12, 8:12] = -100  # fat inside the body
    hu[:, 0:2, 0:2] = -100  # fat-like voxels outside the body (a blanket)
    suv = np.full(hu.shape, 3.0)
    ct, pet = _volumes(hu, suv)
    assert bat_mask(ct, pet).n_voxels == 3 * (16 + 4)
    assert bat_mask(ct, pet, BatSettings(restrict_to_body=True)).n_voxels == 3 * 16
    body = body_mask(ct)
    assert body.array[:, 10, 10].all() and not body.array[:, 1, 1].any()


def test_settings_are_validated_and_frozen() -> None:
    s = BatSettings()
    assert s.suv_threshold == 1.5 and s.hu_range == (-190.0, -10.0)
    with pytest.raises(Exception, match="frozen"):
        s.suv_threshold = 2.0  # type: ignore[misc]
    with pytest.raises(UnknownNameError, match="Did you mean 'suv_threshold'"):
        BatSettings.validate_dict({"suv_treshold": 2.0})
    with pytest.raises(SettingsError, match="low <= high"):
        BatSettings.validate_dict({"hu_range": (-10.0, -190.0)})
    with pytest.raises(SettingsError, match="connectivity"):
        BatSettings.validate_dict({"connectivity": 8})
    assert BatSettings.validate_dict({"min_component_ml": 0.5}).min_component_ml == 0.5
