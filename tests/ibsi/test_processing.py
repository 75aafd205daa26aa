"""IBSI processing: grid alignment, interpolation, re-segmentation, discretisation (closed forms)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from radiogenomics.errors import EmptyMaskError, GeometryMismatchError, InvalidImageError
from radiogenomics.ibsi.discretise import discretise
from radiogenomics.ibsi.processing import interpolation_grid, prepare
from radiogenomics.ibsi.settings import IbsiSettings
from radiogenomics.image import Image, Mask


def test_interpolation_grid_is_centred_and_rounded_up() -> None:
    n_new, pos = interpolation_grid(204, 0.977, 2.0)
    assert n_new == math.ceil(204 * 0.977 / 2.0) == 100
    assert np.allclose(np.diff(pos), 2.0 / 0.977)
    assert pos.mean() == pytest.approx((204 - 1) / 2)  # centres coincide
    n_same, same = interpolation_grid(5, 2.0, 2.0)
    assert n_same == 5 and np.allclose(same, np.arange(5))


def _volume(shape: tuple[int, int, int], spacing: tuple[float, float, float]) -> tuple[np.ndarray, Image]:
    z, y, x = np.meshgrid(*[np.arange(n, dtype=np.float64) for n in shape], indexing="ij")
    ramp = 3.0 * x + 2.0 * y - 5.0 * z + 100.0
    return ramp, Image(ramp, spacing)


def test_linear_interpolation_reproduces_a_linear_ramp() -> None:
    shape, spacing = (10, 12, 14), (1.0, 1.0, 2.0)  # (x, y, z) spacing
    _, image = _volume(shape, spacing)
    mask = Mask(np.zeros(shape, dtype=np.uint8), spacing)
    mask.array[3:7, 3:9, 3:11] = 1
    s = IbsiSettings(voxel_size=(2.0, 2.0, 2.0), interpolator="linear", families=("intensity_statistics",))
    roi = prepare(image, mask, s, margin=0)
    assert roi.spacing == (2.0, 2.0, 2.0)
    # new voxel j along axis with old spacing s, n voxels: old index k = (n-1)/2 - (n'-1)/2 * 2/s + j * 2/s
    _, kz = interpolation_grid(10, 2.0, 2.0)
    _, ky = interpolation_grid(12, 1.0, 2.0)
    _, kx = interpolation_grid(14, 1.0, 2.0)
    idx = np.argwhere(roi.morph_mask)
    # the crop moved the origin; the ramp differences between voxels still follow the new spacing
    vals = roi.image[roi.morph_mask]
    slope = np.linalg.lstsq(np.c_[idx, np.ones(len(idx))], vals, rcond=None)[0]
    assert np.allclose(slope[:3], [-5.0 * 2.0 / 2.0, 2.0 * 2.0 / 1.0, 3.0 * 2.0 / 1.0])
    assert np.allclose(vals, np.c_[idx, np.ones(len(idx))] @ slope)
    assert len(kz) == 10 and len(ky) == 6 and len(kx) == 7
    # mask: trilinear interpolation of a box is the product of 1D interpolations of its indicator
    frac = [
        np.interp(k, np.arange(n), ((np.arange(n) >= 3) & (np.arange(n) < hi)).astype(float))
        for k, n, hi in zip((kz, ky, kx), shape, (7, 9, 11), strict=True)
    ]
    expected = np.einsum("i,j,k->ijk", *frac) >= 0.5
    assert roi.morph_mask.sum() == expected.sum() > 0


def test_in_plane_interpolation_keeps_slices() -> None:
    ramp, image = _volume((6, 10, 10), (1.0, 1.0, 3.0))
    mask = Mask(np.ones(ramp.shape, dtype=np.uint8), image.spacing)
    roi = prepare(image, mask, IbsiSettings(voxel_size=(2.0, 2.0)), margin=0)
    assert roi.spacing == (3.0, 2.0, 2.0) and roi.image.shape == (6, 5, 5)


def test_resegmentation_range_and_outliers() -> None:
    rng = np.random.default_rng(0)
    arr = rng.normal(0.0, 10.0, size=(8, 8, 8))
    arr[0, 0, 0] = 500.0
    image, mask = Image(arr), Mask(np.ones(arr.shape, dtype=np.uint8))
    roi = prepare(image, mask, IbsiSettings(resegmentation_range=(-5.0, None)), margin=0)
    assert np.array_equal(roi.int_mask, arr >= -5.0) and roi.morph_mask.all()
    assert np.isnan(roi.intensity_range[1]) and roi.intensity_range[0] == -5.0
    roi = prepare(image, mask, IbsiSettings(outlier_sigma=3.0), margin=0)
    mu, sd = arr.mean(), arr.std()
    assert np.array_equal(roi.int_mask, (arr >= mu - 3 * sd) & (arr <= mu + 3 * sd)) and not roi.int_mask[0, 0, 0]
    both = prepare(image, mask, IbsiSettings(resegmentation_range=(-1000.0, 5.0), outlier_sigma=3.0), margin=0)
    assert np.array_equal(both.int_mask, roi.int_mask & (arr <= 5.0))


def test_processing_errors() -> None:
    arr = np.zeros((4, 4, 4))
    with pytest.raises(EmptyMaskError):
        prepare(Image(arr), Mask(np.zeros((4, 4, 4), dtype=np.uint8)), IbsiSettings())
    with pytest.raises(EmptyMaskError):
        prepare(Image(arr), Mask(np.ones((4, 4, 4), dtype=np.uint8)), IbsiSettings(resegmentation_range=(1, 2)))
    with pytest.raises(GeometryMismatchError):
        prepare(Image(arr), Mask(np.ones((4, 4, 5), dtype=np.uint8)), IbsiSettings())
    with pytest.raises(InvalidImageError):
        prepare(Image(np.zeros((4, 4))), Mask(np.ones((4, 4), dtype=np.uint8)), IbsiSettings())


def test_discretisation_closed_forms() -> None:
    x = np.array([-500.0, -476.0, -475.0, 0.0, 399.0, 400.0])[None, None, :]
    m = np.ones(x.shape, dtype=bool)
    fbs, n_g = discretise(x, m, "fbs", bin_width=25.0, lower_bound=-500.0)
    assert fbs.ravel().tolist() == [1, 1, 2, 21, 36, 37] and n_g == 37
    fbs_min, _ = discretise(x + 10, m, "fbs", bin_width=25.0)  # no bound: the ROI minimum
    assert fbs_min.ravel().tolist() == [1, 1, 2, 21, 36, 37]
    fbn, n_g = discretise(x, m, "fbn", bin_number=4)
    # floor(4 (x - min) / 900) + 1, the maximum in the last bin
    assert fbn.ravel().tolist() == [1, 1, 1, 3, 4, 4] and n_g == 4
    flat, _ = discretise(np.full((1, 1, 3), 7.0), np.ones((1, 1, 3), bool), "fbn", bin_number=5)
    assert flat.ravel().tolist() == [3, 3, 3]
    with pytest.raises(InvalidImageError):
        discretise(x, m, "none")
