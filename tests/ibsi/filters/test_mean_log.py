"""Mean and Laplacian-of-Gaussian filters: known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.ndimage as ndi

from radiogenomics.errors import SettingsError
from radiogenomics.ibsi.filters import LogSettings, MeanSettings, apply_filter
from radiogenomics.ibsi.filters.log import log_filter, log_kernel
from radiogenomics.ibsi.filters.mean import mean_filter
from radiogenomics.image import Image


@pytest.mark.parametrize("bc", ["nearest", "periodic", "mirror"])
def test_mean_of_constant_is_constant(bc):
    array = np.full((6, 7, 8), 3.25)
    np.testing.assert_allclose(mean_filter(array, MeanSettings(support=5, boundary=bc)), 3.25, rtol=1e-14)


def test_mean_zero_padding_corner():
    """With zero padding the corner voxel of a constant image sees (r + 1)^3 of (2r + 1)^3 voxels."""
    out = mean_filter(np.ones((9, 9, 9)), MeanSettings(support=5, boundary="constant"))
    assert out[0, 0, 0] == pytest.approx(27 / 125)
    assert out[4, 4, 4] == pytest.approx(1.0)


@pytest.mark.parametrize("bc", ["constant", "nearest", "periodic", "mirror"])
def test_mean_equals_scipy_uniform_filter(bc):
    rng = np.random.default_rng(0)
    array = rng.normal(size=(8, 9, 10))
    settings = MeanSettings(support=3, boundary=bc)
    expected = ndi.uniform_filter(array, size=3, mode=settings.boundary.scipy_mode, cval=0.0)
    np.testing.assert_allclose(mean_filter(array, settings), expected, atol=1e-12)


def test_mean_2d_leaves_slices_apart():
    array = np.zeros((3, 5, 5))
    array[1] = 9.0
    out = mean_filter(array, MeanSettings(support=3, boundary="nearest", dimensions="2D"))
    np.testing.assert_allclose(out[1], 9.0)
    np.testing.assert_allclose(out[[0, 2]], 0.0)


def test_mean_support_must_be_odd():
    with pytest.raises(SettingsError, match="odd"):
        MeanSettings.validate_dict({"support": 4})


@pytest.mark.parametrize("ndim", [2, 3])
def test_log_kernel_closed_form(ndim):
    sigma = 1.7
    k = log_kernel(sigma, 4.0, ndim)
    radius = math.floor(4.0 * sigma + 0.5)
    assert k.shape == (2 * radius + 1,) * ndim
    centre = k[(radius,) * ndim]
    assert centre == pytest.approx(-ndim / sigma**2 * (2 * math.pi * sigma**2) ** (-ndim / 2))
    # the Laplacian of a normalised Gaussian integrates to 0: the sampled kernel sums to ~0, up to the mass
    # cut off at 4 sigma (about 1 % of the centre value), and closer with a wider support
    assert abs(k.sum()) < 0.02 * abs(centre)
    assert abs(log_kernel(sigma, 6.0, ndim).sum()) < 1e-5 * abs(centre)
    # zero crossing at |x| = sigma * sqrt(D) (the sign of D - r^2 / sigma^2)
    assert np.all(k[(radius,) * (ndim - 1) + (slice(radius, radius + 2),)] < 0)


def test_log_of_quadratic_is_two():
    """G_sigma * x^2 = x^2 + sigma^2, whose Laplacian is 2 (interior voxels, away from the border)."""
    x = np.broadcast_to(np.arange(34.0), (34, 34, 34))
    array = (x - 17.0) ** 2
    out = log_filter(array, LogSettings(sigma=2.0, truncate=6.0, boundary="nearest"), spacing=1.0)
    inner = out[13:21, 13:21, 13:21]  # the kernel radius is 12 voxels
    np.testing.assert_allclose(inner, 2.0, rtol=1e-4)


def test_log_impulse_response_is_the_kernel_and_sigma_in_mm():
    array = np.zeros((21, 21, 21))
    array[10, 10, 10] = 1.0
    image = Image(array, spacing=(2.0, 2.0, 2.0))
    out = apply_filter(image, "Laplacian of Gaussian", {"sigma": 3.0, "boundary": "zero"}).array
    kernel = log_kernel(1.5, 4.0, 3)  # 3 mm at 2 mm voxels
    r = kernel.shape[0] // 2
    np.testing.assert_allclose(out[10 - r:11 + r, 10 - r:11 + r, 10 - r:11 + r], kernel, atol=1e-15)
