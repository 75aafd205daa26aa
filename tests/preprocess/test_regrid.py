"""resample_to_reference: known answers on analytic volumes (PET onto the CT grid)."""

from __future__ import annotations

import numpy as np
import pytest

from radiogenomics.errors import UnknownNameError
from radiogenomics.image import Geometry, Image, Mask
from radiogenomics.preprocess.regrid import resample_to_reference


def _ramp(shape: tuple[int, int, int], spacing: tuple[float, float, float], origin: tuple[float, float, float],
          dtype: type = np.float32) -> Image:
    """f(x, y, z) = 2x - 3y + 0.5z + 7 sampled at the voxel centres (physical mm)."""
    nz, ny, nx = shape
    z = origin[2] + spacing[2] * np.arange(nz)
    y = origin[1] + spacing[1] * np.arange(ny)
    x = origin[0] + spacing[0] * np.arange(nx)
    values = 2 * x[None, None, :] - 3 * y[None, :, None] + 0.5 * z[:, None, None] + 7
    return Image(values.astype(dtype), spacing, origin)


def test_linear_is_exact_for_a_linear_function_on_a_finer_grid() -> None:
    pet = _ramp((10, 12, 12), (4.0, 4.0, 3.0), (0.0, 0.0, 0.0), np.float64)
    # CT-like grid strictly inside the PET extent, finer and shifted
    ref = Image(np.zeros((20, 30, 30), np.int16), (1.3, 1.3, 1.2), (1.1, 2.2, 0.5))
    out = resample_to_reference(pet, ref)
    expect = _ramp((20, 30, 30), (1.3, 1.3, 1.2), (1.1, 2.2, 0.5), np.float64)
    assert out.geometry == ref.geometry
    assert out.array.dtype == np.float64
    np.testing.assert_allclose(out.array, expect.array, rtol=0, atol=1e-9)


def test_float32_stays_float32_and_int_becomes_float64() -> None:
    ref = Image(np.zeros((4, 4, 4), np.float32), (2.0, 2.0, 2.0))
    f32 = resample_to_reference(Image(np.ones((3, 3, 3), np.float32), (3.0, 3.0, 3.0)), ref)
    i16 = resample_to_reference(Image(np.ones((3, 3, 3), np.int16), (3.0, 3.0, 3.0)), ref)
    assert f32.array.dtype == np.float32 and i16.array.dtype == np.float64
    nearest = resample_to_reference(Image(np.ones((3, 3, 3), np.int16), (3.0, 3.0, 3.0)), ref, "nearest")
    assert nearest.array.dtype == np.int16


def test_outside_gets_default_value() -> None:
    img = Image(np.full((2, 2, 2), 5.0), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0))
    ref = Geometry((2, 1, 1), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), tuple(np.eye(3).ravel()))
    far = Geometry((2, 1, 1), (1.0, 1.0, 1.0), (100.0, 0.0, 0.0), tuple(np.eye(3).ravel()))
    assert np.all(resample_to_reference(img, ref, default_value=-1).array == 5.0)
    assert np.all(resample_to_reference(img, far, default_value=-1).array == -1.0)


def test_direction_is_honoured() -> None:
    """A grid flipped in x samples the same physical points in reverse array order."""
    img = _ramp((3, 4, 5), (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), np.float64)
    flip = (-1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)
    ref = Geometry((5, 4, 3), (1.0, 1.0, 1.0), (4.0, 0.0, 0.0), flip)
    out = resample_to_reference(img, ref)
    np.testing.assert_allclose(out.array, img.array[:, :, ::-1], atol=1e-12)
    assert out.direction == flip


def test_masks_use_nearest_neighbour_whatever_is_asked() -> None:
    arr = np.zeros((6, 6, 6), bool)
    arr[2:4, 2:4, 2:4] = True
    mask = Mask(arr, (2.0, 2.0, 2.0))
    ref = Image(np.zeros((12, 12, 12), np.float32), (1.0, 1.0, 1.0), (-0.5, -0.5, -0.5))
    for kind in ("linear", "bspline", "nearest"):
        out = resample_to_reference(mask, ref, kind)
        assert isinstance(out, Mask) and out.array.dtype == bool
        assert int(out.array.sum()) == 8 * int(arr.sum())  # each 2 mm voxel becomes 2x2x2 1 mm voxels
    labels = Mask(arr.astype(np.uint8) * 3, (2.0, 2.0, 2.0))
    assert set(np.unique(resample_to_reference(labels, ref, "linear").array)) == {0, 3}


def test_same_grid_returns_input_and_bad_name_suggests() -> None:
    img = Image(np.arange(8, dtype=np.float32).reshape(2, 2, 2))
    assert resample_to_reference(img, img) is img
    with pytest.raises(UnknownNameError, match="Did you mean 'linear'"):
        resample_to_reference(img, Image(np.zeros((3, 3, 3))), "lienar")
