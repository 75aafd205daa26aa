"""Image/mask reading and writing: the fast path equals SimpleITK, geometry is kept, bad files fail clearly."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from radiogenomics.errors import ImageReadError
from radiogenomics.image import Image, Mask
from radiogenomics.io import read_image, read_mask, write_image
from radiogenomics.io.fastread import fast_read
from tests.conftest import PYRADIOMICS_CASES


@pytest.mark.parametrize("case", PYRADIOMICS_CASES)
@pytest.mark.parametrize("kind", ["image", "label"])
def test_fast_nrrd_reader_equals_simpleitk(pyradiomics_data: Path, case: str, kind: str) -> None:
    path = pyradiomics_data / f"{case}_{kind}.nrrd"
    fast = fast_read(path)
    assert fast is not None, "the fast path should handle these gzip NRRD files"
    arr, spacing, origin, direction, first = fast
    assert first == 0
    ref = sitk.ReadImage(str(path))
    np.testing.assert_array_equal(arr, sitk.GetArrayViewFromImage(ref))
    assert arr.dtype == sitk.GetArrayViewFromImage(ref).dtype
    assert spacing == ref.GetSpacing() and origin == ref.GetOrigin() and direction == ref.GetDirection()


@pytest.mark.parametrize("case", ["brain2", "lung2"])
def test_slab_read_equals_region_of_full_read(pyradiomics_data: Path, case: str) -> None:
    path = pyradiomics_data / f"{case}_image.nrrd"
    full = read_image(path)
    nz = full.array.shape[0]
    for first, last in [(3, 7), (-4, 2), (nz - 3, nz + 5), (0, nz - 1)]:
        part = read_image(path, (first, last))
        lo, hi = max(first, 0), min(last, nz - 1)
        expected = full.region((lo, 0, 0), (hi, *(s - 1 for s in full.array.shape[1:])))
        np.testing.assert_array_equal(part.array, expected.array)
        assert part.geometry == expected.geometry


def test_slab_read_through_simpleitk_fallback(tmp_path: Path) -> None:
    img = Image(np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6), (1.0, 2.0, 3.0), (5.0, 6.0, 7.0))
    path = write_image(img, tmp_path / "v.mha")
    part = read_image(path, (1, 2))
    np.testing.assert_array_equal(part.array, img.array[1:3])
    np.testing.assert_allclose(part.origin, (5.0, 6.0, 10.0))


@pytest.mark.parametrize("suffix", [".nii.gz", ".nii", ".nrrd", ".mha"])
@pytest.mark.parametrize("dtype", [np.int16, np.float32, np.uint8])
def test_round_trip_keeps_voxels_and_geometry(tmp_path: Path, suffix: str, dtype: type) -> None:
    rng = np.random.default_rng(0)
    arr = (rng.normal(0, 50, size=(5, 7, 9))).astype(dtype)
    direction = (0.0, 1.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0)
    img = Image(arr, (0.7, 0.8, 2.5), (-10.0, 20.5, 3.25), direction)
    path = write_image(img, tmp_path / f"vol{suffix}")
    back = read_image(path)
    ref = sitk.ReadImage(str(path))
    np.testing.assert_array_equal(back.array, arr)
    assert back.array.dtype == arr.dtype
    assert back.spacing == ref.GetSpacing() and back.origin == ref.GetOrigin()
    assert back.direction == ref.GetDirection()
    np.testing.assert_allclose(back.spacing, img.spacing, rtol=1e-6)
    np.testing.assert_allclose(back.direction, direction, atol=1e-6)


def test_nifti_with_intensity_scaling_falls_back_to_simpleitk(tmp_path: Path) -> None:
    img = sitk.GetImageFromArray(np.arange(24, dtype=np.int16).reshape(2, 3, 4))
    path = tmp_path / "scaled.nii"
    sitk.WriteImage(img, str(path))
    raw = bytearray(path.read_bytes())
    raw[112:116] = np.float32(2.0).tobytes()  # scl_slope = 2
    path.write_bytes(bytes(raw))
    assert fast_read(path) is None
    np.testing.assert_array_equal(read_image(path).array, np.arange(24).reshape(2, 3, 4) * 2)


def test_missing_and_corrupt_files(tmp_path: Path) -> None:
    with pytest.raises(ImageReadError, match="not found"):
        read_image(tmp_path / "nope.nii.gz")
    bad = tmp_path / "bad.nii.gz"
    bad.write_bytes(gzip.compress(b"not an image at all" * 10))
    with pytest.raises(ImageReadError, match="cannot read"):
        read_image(bad)
    good = write_image(Image(np.zeros((4, 4, 4), np.int16)), tmp_path / "trunc.nrrd")
    data = good.read_bytes()
    good.write_bytes(data[: len(data) - 20])
    with pytest.raises(ImageReadError, match="cannot read"):
        read_image(good)
    with pytest.raises(ImageReadError, match="folder"):
        read_image(tmp_path)


def test_read_mask_vector_channel(tmp_path: Path) -> None:
    a = np.zeros((3, 4, 5), np.uint8)
    b = np.ones((3, 4, 5), np.uint8)
    vec = sitk.Compose(sitk.GetImageFromArray(a), sitk.GetImageFromArray(b))
    path = tmp_path / "seg.nrrd"
    sitk.WriteImage(vec, str(path))
    assert read_mask(path, label_channel=1).array.sum() == 60
    with pytest.raises(Exception, match="channel"):
        read_mask(path, label_channel=2)


def test_mask_labels() -> None:
    m = Mask(np.array([[[0, 2], [3, 2]]], dtype=np.uint16))
    assert m.labels() == [2, 3]
