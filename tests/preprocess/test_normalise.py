"""Normalisation is bit-identical to SimpleITK's Normalize (what PyRadiomics runs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from radiogenomics.image import Image
from radiogenomics.io import read_image
from radiogenomics.preprocess import normalise
from tests.conftest import PYRADIOMICS_CASES


def _reference(image: Image, scale: float, outliers: float | None) -> np.ndarray:
    img = sitk.Normalize(image.to_sitk())
    if outliers is not None:
        arr = sitk.GetArrayFromImage(img)
        arr[arr > outliers] = outliers
        arr[arr < -outliers] = -outliers
        clipped = sitk.GetImageFromArray(arr)
        clipped.CopyInformation(img)
        img = clipped
    return sitk.GetArrayFromImage(img * scale)


@pytest.mark.parametrize("case", PYRADIOMICS_CASES)
def test_equals_simpleitk_on_real_images(pyradiomics_data: Path, case: str) -> None:
    image = read_image(pyradiomics_data / f"{case}_image.nrrd")
    np.testing.assert_array_equal(normalise(image, 100.0).array, _reference(image, 100.0, None))
    np.testing.assert_array_equal(normalise(image, 1.0, 3.0).array, _reference(image, 1.0, 3.0))


def test_zero_mean_unit_sample_sd() -> None:
    rng = np.random.default_rng(0)
    image = Image(rng.normal(40, 7, (6, 8, 9)).astype(np.float32))
    out = normalise(image).array
    assert out.dtype == np.float64
    assert abs(out.mean()) < 1e-12 and abs(out.std(ddof=1) - 1) < 1e-12
