"""The ``suv`` family (SUVmax, SUVmean, SUVpeak, MTV, TLG and threshold variants): closed forms, a brute-force
local peak, the IBSI phantoms' local intensity peak through the same function, and the shared DICOM PET + SEG."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from radiogenomics.errors import EmptyMaskError, GeometryMismatchError
from radiogenomics.features import suv
from radiogenomics.features.suv import NAMES, local_means, local_peak, sphere_offsets, suv_features
from radiogenomics.image import Image, Mask


def _brute_local_mean(array: np.ndarray, spacing_zyx: tuple[float, ...], voxel: tuple[int, ...]) -> float:
    """Mean of every voxel whose centre lies within 6.2035 mm (1 cm³ sphere) of ``voxel``'s centre."""
    grid = np.indices(array.shape).reshape(3, -1).T
    d = np.sqrt((((grid - np.asarray(voxel)) * np.asarray(spacing_zyx)) ** 2).sum(axis=1))
    radius = (3 / (4 * np.pi)) ** (1 / 3) * 10
    return float(array.reshape(-1)[d <= radius].mean())


def test_sphere_is_1_cm3() -> None:
    # at 0.1 mm voxels the sphere's voxel count approaches 1 cm³ = 1e6 voxels of 1e-3 mm³
    n = len(sphere_offsets((0.1, 0.1, 0.1)))
    assert abs(n * 1e-3 - 1000.0) / 1000.0 < 0.01
    assert len(sphere_offsets((1.0, 1.0, 1.0))) == len(sphere_offsets((1.0, 1.0, 1.0), 6.2035))


def test_local_means_equal_brute_force_at_the_border() -> None:
    rng = np.random.default_rng(0)
    array = rng.gamma(2.0, 1.5, (9, 14, 12))
    spacing = (3.27, 2.0, 2.6)  # anisotropic (z, y, x)
    voxels = np.array([[0, 0, 0], [4, 7, 6], [8, 13, 11], [2, 0, 11]])
    got = local_means(array, spacing, voxels)
    want = [_brute_local_mean(array, spacing, tuple(v)) for v in voxels]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_closed_forms_on_a_known_roi() -> None:
    array = np.full((10, 10, 10), 1.0)
    roi = np.zeros(array.shape, bool)
    roi[3:7, 3:7, 3:7] = True  # 64 voxels of 2 × 2 × 2 mm = 0.512 ml
    array[roi] = 3.0
    array[5, 5, 5] = 12.0  # the hottest voxel
    image = Image(array, (2.0, 2.0, 2.0))
    f = suv_features(image, Mask(roi.astype(np.uint8), (2.0, 2.0, 2.0)))
    assert list(f.index) == [f"suv_{n}" for n in NAMES]
    x = array[roi]
    assert f["suv_SUVmax"] == 12.0 and f["suv_SUVmean"] == pytest.approx(x.mean())
    assert f["suv_MTV"] == pytest.approx(0.512) and f["suv_VoxelNum"] == 64
    assert f["suv_TLG"] == pytest.approx(x.mean() * 0.512)
    assert f["suv_SUVpeak"] == pytest.approx(_brute_local_mean(array, (2.0, 2.0, 2.0), (5, 5, 5)))
    assert f["suv_MTV_SUV2.5"] == pytest.approx(0.512)  # every ROI voxel is >= 3
    assert f["suv_MTV_41pct"] == pytest.approx(0.008) and f["suv_TLG_41pct"] == pytest.approx(12 * 0.008)
    cold = suv_features(image.with_array(np.where(roi, 2.0, 1.0)), Mask(roi.astype(np.uint8), (2.0, 2.0, 2.0)))
    assert cold["suv_MTV_SUV2.5"] == 0.0 and cold["suv_TLG_SUV2.5"] == 0.0


def test_ties_take_the_highest_local_mean() -> None:
    array = np.zeros((12, 12, 12))
    roi = np.zeros(array.shape, bool)
    roi[2:10, 2:10, 2:10] = True
    array[3, 3, 3] = array[8, 8, 8] = 5.0  # two maxima; the second sits in a warm neighbourhood
    array[7:10, 7:10, 7:10] += 1.0
    array[8, 8, 8] = 5.0
    peak = local_peak(array, roi, (2.0, 2.0, 2.0))
    assert peak == pytest.approx(_brute_local_mean(array, (2.0, 2.0, 2.0), (8, 8, 8)))
    assert peak > _brute_local_mean(array, (2.0, 2.0, 2.0), (3, 3, 3))


def test_bad_rois() -> None:
    image = Image(np.ones((4, 4, 4)), (2.0, 2.0, 2.0))
    with pytest.raises(EmptyMaskError):
        suv_features(image, Mask(np.zeros((4, 4, 4), np.uint8), (2.0, 2.0, 2.0)))
    with pytest.raises(GeometryMismatchError):
        suv_features(image, Mask(np.ones((4, 4, 4), np.uint8), (3.0, 2.0, 2.0)))


def test_ibsi_local_intensity_peak_is_the_suvpeak_code(test_data: Path) -> None:
    """IBSI-1 local intensity peak: 2.6 on the digital phantom and −277 ± 10 on the CT phantom (configuration
    A), computed by the IBSI engine through :func:`radiogenomics.features.suv.local_peak`; ``SUVpeak`` of the
    digital phantom's ROI is the same value."""
    from radiogenomics.ibsi import local_intensity
    from radiogenomics.ibsi.compute import ibsi_table
    from radiogenomics.io import read_image, read_mask

    assert local_intensity.local_peak is suv.local_peak
    folder = test_data / "ibsi"
    digital = ibsi_table("digital", None, folder).set_index("feature_tag").loc["loc_peak_loc", "value"]
    ct_a = ibsi_table("ct", "A", folder).set_index("feature_tag").loc["loc_peak_loc", "value"]
    assert digital == pytest.approx(2.6, abs=0.05) and abs(ct_a - (-277)) <= 10
    phantom = folder / "digital_phantom"
    f = suv_features(read_image(phantom / "image.nii.gz"), read_mask(phantom / "mask.nii.gz"))
    assert f["suv_SUVpeak"] == pytest.approx(digital, rel=1e-12)


def test_dicom_pet_and_seg_reference_values(test_data: Path) -> None:
    """All 11 lesions of the shared DICOM PET + SEG: SUVmax, SUVmean (to the reference's 4 decimals), voxel
    count and volume equal ``reference_values.json``."""
    from radiogenomics.io.dicom import read_dicom_series
    from radiogenomics.io.seg import read_seg
    from radiogenomics.io.suv import pet_to_suv

    folder = test_data / "dicom_pet_seg"
    ref = json.loads((folder / "reference_values.json").read_text())["seg"]["segments"]
    volume = read_dicom_series(folder / "pet")
    pet = pet_to_suv(volume)
    segments = read_seg(folder / "seg.dcm", volume)
    assert len(segments) == len(ref) == 11
    for segment in segments:
        want = ref[str(segment.number)]
        f = suv_features(pet, segment.mask)
        assert f["suv_VoxelNum"] == want["voxels"], segment.number
        assert f["suv_SUVmax"] == pytest.approx(want["suv_max"], abs=5e-5)
        assert f["suv_SUVmean"] == pytest.approx(want["suv_mean"], abs=5e-5)
        assert f["suv_MTV"] == pytest.approx(want["volume_ml"], abs=5e-5)
        assert f["suv_SUVpeak"] > 0  # (it may exceed SUVmax: the sphere reaches voxels outside the lesion)
