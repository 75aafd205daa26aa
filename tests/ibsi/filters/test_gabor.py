"""Gabor filter: kernel formula, impulse response, constant image and rotation invariance."""

from __future__ import annotations

import math

import numpy as np
import pytest

from radiogenomics.errors import SettingsError
from radiogenomics.ibsi.filters import GaborSettings
from radiogenomics.ibsi.filters.gabor import gabor_filter, gabor_kernel


def test_kernel_formula():
    k = gabor_kernel(sigma=2.0, wavelength=3.0, gamma=0.5, theta=math.pi / 6, radius=4)
    assert k.shape == (9, 9)
    assert k[4, 4] == 1.0
    # voxel (y, x) = (1, 2) from the centre: rotated coordinates by theta from +x towards +y (row index)
    x, y, t = 2.0, 1.0, math.pi / 6
    xr, yr = x * math.cos(t) + y * math.sin(t), -x * math.sin(t) + y * math.cos(t)
    expected = math.exp(-(xr**2 + 0.25 * yr**2) / 8.0) * complex(math.cos(2 * math.pi * xr / 3), math.sin(
        2 * math.pi * xr / 3))
    assert k[5, 6] == pytest.approx(expected)


def test_impulse_response_modulus_is_kernel_modulus():
    array = np.zeros((3, 21, 21))
    array[1, 10, 10] = 2.0
    settings = GaborSettings(sigma=4.0, wavelength=6.0, gamma=1.5, theta=0.3, boundary="constant")
    out = gabor_filter(array, settings, spacing=2.0)
    kernel = gabor_kernel(2.0, 3.0, 1.5, 0.3, radius=10)
    np.testing.assert_allclose(out[1], 2.0 * np.abs(kernel[::-1, ::-1]), atol=1e-12)
    np.testing.assert_allclose(out[[0, 2]], 0.0, atol=1e-12)


def test_constant_image_periodic():
    """With periodic extension every voxel of a constant image sees the whole kernel: |c sum(h)|."""
    array = np.full((2, 16, 16), 5.0)
    settings = GaborSettings(sigma=3.0, wavelength=8.0, gamma=1.0, theta=0.0, boundary="periodic")
    out = gabor_filter(array, settings, spacing=1.0)
    # the kernel spans 17 x 17 on a 16 x 16 image: sum it folded onto the periodic grid
    kernel = gabor_kernel(3.0, 8.0, 1.0, 0.0, radius=8)
    assert out == pytest.approx(np.full_like(out, abs(5.0 * kernel.sum())))


def test_rotation_invariant_commutes_with_quarter_turns():
    rng = np.random.default_rng(2)
    array = rng.normal(size=(10, 10, 10))
    settings = GaborSettings(sigma=3.0, wavelength=4.0, gamma=0.7, theta_step=math.pi / 4, orthogonal_planes=True,
                             boundary="mirror")
    direct = gabor_filter(array, settings, 1.0)
    for axes in [(1, 2), (0, 1), (0, 2)]:
        np.testing.assert_allclose(gabor_filter(np.rot90(array, 1, axes), settings, 1.0), np.rot90(direct, 1, axes),
                                   atol=1e-10)


def test_theta_step_must_divide_the_circle():
    with pytest.raises(SettingsError, match="divide"):
        GaborSettings.validate_dict({"sigma": 1.0, "wavelength": 2.0, "theta_step": 1.0})
