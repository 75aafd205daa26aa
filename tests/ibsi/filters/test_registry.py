"""Registry of IBSI-2 filters, settings validation and the Image-level API."""

from __future__ import annotations

import numpy as np
import pydantic
import pytest

from radiogenomics.errors import InvalidImageError, SettingsError, UnknownNameError
from radiogenomics.ibsi.filters import FILTERS, MeanSettings, apply_filter, filter_settings, get_filter
from radiogenomics.ibsi.filters.mean import mean_filter
from radiogenomics.image import Image


def test_names_and_aliases():
    assert set(FILTERS) == {"mean", "log", "laws", "gabor", "wavelet", "simoncelli", "riesz"}
    assert get_filter("Laplacian of Gaussian").name == "log"
    assert get_filter("separable wavelet").name == "wavelet"
    assert get_filter("Simoncelli non-separable wavelet").name == "simoncelli"
    assert get_filter("GABOR").code == "Q88H"


def test_unknown_filter_suggests():
    with pytest.raises(UnknownNameError, match="Did you mean 'gabor'"):
        get_filter("gabr")


def test_settings_are_frozen_and_strict():
    settings = filter_settings("mean", {"support": 5, "boundary": "zero"})
    assert isinstance(settings, MeanSettings) and settings.boundary == "constant"
    with pytest.raises(pydantic.ValidationError):
        settings.support = 7
    with pytest.raises(UnknownNameError, match="Did you mean 'support'"):
        filter_settings("mean", {"suport": 5})
    with pytest.raises(UnknownNameError, match="Did you mean 'mirror'"):
        filter_settings("mean", {"boundary": "miror"})
    with pytest.raises(SettingsError, match="MeanSettings"):
        filter_settings("log", MeanSettings())


def test_apply_keeps_geometry_and_float64():
    rng = np.random.default_rng(8)
    array = rng.integers(0, 100, size=(5, 6, 7)).astype(np.int16)
    image = Image(array, spacing=(1.5, 1.5, 1.5), origin=(1.0, 2.0, 3.0))
    out = apply_filter(image, "mean", {"support": 3, "boundary": "periodic"})
    assert out.array.dtype == np.float64
    assert out.spacing == image.spacing and out.origin == image.origin
    expected = mean_filter(array.astype(float), MeanSettings(support=3, boundary="periodic"))
    np.testing.assert_allclose(out.array, expected)


def test_2d_image_needs_2d_filtering():
    image = Image(np.ones((6, 6)), spacing=(1.0, 1.0))
    out = apply_filter(image, "mean", {"support": 3, "dimensions": "2D"})
    assert out.array.shape == (6, 6)
    np.testing.assert_allclose(out.array[2:4, 2:4], 1.0)
    with pytest.raises(InvalidImageError, match="2D"):
        apply_filter(image, "mean", {"support": 3})


def test_anisotropic_grid_is_refused():
    image = Image(np.ones((4, 6, 6)), spacing=(1.0, 1.0, 3.0))
    with pytest.raises(InvalidImageError, match="isotropic"):
        apply_filter(image, "log", {"sigma": 2.0})
    out = apply_filter(image, "log", {"sigma": 2.0, "dimensions": "2D"})  # in-plane isotropic is enough in 2D
    assert out.array.shape == (4, 6, 6)


def test_non_finite_voxels_are_refused():
    array = np.ones((4, 4, 4))
    array[1, 1, 1] = np.nan
    with pytest.raises(InvalidImageError, match="NaN"):
        apply_filter(Image(array), "mean", {"support": 3})


def test_axial_gabor_needs_in_plane_isotropy_only():
    image = Image(np.ones((4, 8, 8)), spacing=(1.0, 1.0, 3.0))
    settings = {"sigma": 2.0, "wavelength": 3.0}
    assert apply_filter(image, "gabor", settings).array.shape == (4, 8, 8)
    with pytest.raises(InvalidImageError, match="isotropic"):
        apply_filter(image, "gabor", {**settings, "theta_step": np.pi / 2, "orthogonal_planes": True})
