"""LoG: parity with PyRadiomics 3.0.1 (paper preset, 5 cases), bit-for-bit equality with SimpleITK's
LaplacianRecursiveGaussianImageFilter, cropped (box + margin) equal to whole-image filtering in the middle and
at every border, known answers, PyRadiomics' names and checks (raised, not skipped). Speed:
benchmarks/bench_kernels.py."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import SimpleITK as sitk

from radiogenomics import extract
from radiogenomics.errors import InvalidImageError, SettingsError
from radiogenomics.filters import log
from radiogenomics.filters.registry import FILTERS
from radiogenomics.image import Image, Mask
from radiogenomics.preprocess.roi import BoundingBox
from radiogenomics.presets import load_preset
from radiogenomics.settings import ExtractionSettings
from tests.conftest import PYRADIOMICS_CASES
from tests.parity import mismatches


def _sitk_log(array: np.ndarray, spacing: tuple[float, ...], sigma: float) -> np.ndarray:
    img = sitk.GetImageFromArray(array)
    img.SetSpacing(spacing)
    f = sitk.LaplacianRecursiveGaussianImageFilter()
    f.SetNormalizeAcrossScale(True)
    f.SetSigma(sigma)
    out = f.Execute(img)
    assert out.GetPixelID() == sitk.sitkFloat32
    return sitk.GetArrayFromImage(out)


def _apply(image: Image, bbox: BoundingBox, sigmas: tuple[float, ...]) -> list[tuple[str, np.ndarray]]:
    roi = Mask(np.zeros(image.array.shape, dtype=bool), image.spacing, image.origin, image.direction)
    settings = ExtractionSettings(sigma=sigmas)
    return [(name, out.array) for name, out in FILTERS["LoG"].apply(image, roi, bbox, settings)]


def _sl(bbox: BoundingBox) -> tuple[slice, ...]:
    return tuple(slice(a, b + 1) for a, b in zip(bbox.lower, bbox.upper, strict=True))


# --- parity with the oracle -------------------------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("case", PYRADIOMICS_CASES)
def test_paper_features_match_pyradiomics(pyradiomics_data: Path, case: str) -> None:
    paper = load_preset("paper")
    settings = paper.replace(image_types={"LoG": paper.image_types["LoG"]})
    ours = extract(pyradiomics_data / f"{case}_image.nrrd", pyradiomics_data / f"{case}_label.nrrd", settings=settings)
    ref = json.loads((pyradiomics_data / "reference" / "paper" / f"{case}.json").read_text())
    prefixes = ("log-sigma-1-0-mm-3D_", "log-sigma-3-0-mm-3D_", "original_shape_")
    expected = {k: v for k, v in ref.items() if k.startswith(prefixes)}
    assert len(expected) == 14 + 2 * 93
    assert list(ours.index) == list(expected), "feature names or order differ from PyRadiomics"
    problems = mismatches(ours.to_dict(), expected)
    assert not problems, "\n".join(problems)


# --- the same numbers as SimpleITK ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dtype", "spacing", "sigma"),
    [
        (np.float64, (0.7, 0.8, 2.5), 1.0),
        (np.float64, (1.0, 1.0, 1.0), 3.0),
        (np.int16, (0.57, 0.57, 5.0), 3.0),
        (np.float32, (2.0, 0.5, 1.0), 0.4),
    ],
)
def test_whole_image_equals_simpleitk_bit_for_bit(dtype: type, spacing: tuple, sigma: float) -> None:
    rng = np.random.default_rng(11)
    arr = (rng.normal(0, 300, size=(9, 23, 31)) + 40).astype(dtype)
    ours = log.laplacian_of_gaussian(arr, spacing, sigma)
    assert ours.dtype == np.float32
    np.testing.assert_array_equal(ours, _sitk_log(arr, spacing, sigma))


def test_sub_box_of_the_computation_equals_whole_result() -> None:
    rng = np.random.default_rng(5)
    arr = rng.normal(size=(10, 12, 14))
    whole = log.laplacian_of_gaussian(arr, (1.0, 1.2, 2.0), 1.5)
    part = log.laplacian_of_gaussian(arr, (1.0, 1.2, 2.0), 1.5, (2, 0, 5), (9, 3, 13))
    np.testing.assert_array_equal(part, whole[2:10, 0:4, 5:14])


# --- cropped = whole image --------------------------------------------------------------------------------
SHAPE = (40, 90, 90)
SPACING = (1.0, 1.0, 2.0)  # (x, y, z); margins of 24 (x, y) and 12 (z) voxels at sigma 1
BOXES = {
    "middle": BoundingBox((15, 40, 40), (24, 49, 49)),
    "z=0": BoundingBox((0, 40, 40), (2, 49, 49)),
    "z=max": BoundingBox((37, 40, 40), (39, 49, 49)),
    "y=0": BoundingBox((15, 0, 40), (24, 5, 49)),
    "y=max": BoundingBox((15, 84, 40), (24, 89, 49)),
    "x=0": BoundingBox((15, 40, 0), (24, 49, 7)),
    "x=max": BoundingBox((15, 40, 85), (24, 49, 89)),
    "corner": BoundingBox((0, 0, 82), (3, 6, 89)),
}


@pytest.fixture(scope="module")
def synthetic() -> Image:
    """High-contrast structure (bright spheres on noise), so far-away voxels differ a lot from near ones."""
    rng = np.random.default_rng(2024)
    z, y, x = np.indices(SHAPE)
    arr = rng.normal(0, 20, size=SHAPE)
    for cz, cy, cx, r in ((5, 10, 10, 8), (30, 70, 20, 12), (20, 45, 80, 10)):
        arr[(2 * (z - cz)) ** 2 + (y - cy) ** 2 + (x - cx) ** 2 < r * r] += 2000.0
    return Image(arr, SPACING)


@pytest.mark.parametrize("where", list(BOXES))
@pytest.mark.parametrize("sigma", [1.0, 2.5])
def test_cropped_equals_whole_image(synthetic: Image, where: str, sigma: float) -> None:
    bbox = BOXES[where]
    ((_, out),) = _apply(synthetic, bbox, (sigma,))
    whole = log.laplacian_of_gaussian(synthetic.array, SPACING, sigma)[_sl(bbox)]
    # within float32 rounding (in practice identical: the truncation error is ~1e-15 of the contrast)
    tol = 2 * float(np.spacing(np.float32(np.abs(whole).max())))
    np.testing.assert_allclose(out, whole, rtol=0, atol=tol)
    assert np.count_nonzero(out != whole) <= 0.001 * out.size


def test_the_margin_really_crops(synthetic: Image) -> None:
    # the crop used for the middle box at sigma 1 is smaller than the image, so truncation is exercised
    m = [log._axis_margin(1.0, h) for h in SPACING[::-1]]
    assert m == [12, 24, 24]
    bbox = BOXES["middle"]
    assert all(a - mm > 0 and b + mm < s - 1 for a, b, mm, s in zip(bbox.lower, bbox.upper, m, SHAPE, strict=True))


def test_margin_is_the_widest_axis_margin() -> None:
    s = ExtractionSettings(sigma=(1.0, 3.0))
    assert log.margin(s, (0.5703125, 0.5703125, 5.0)) == math.ceil(log.SIGMA_MARGIN * 3.0 / 0.5703125)
    assert log.margin(ExtractionSettings(sigma=(0.1,)), (5.0, 5.0, 5.0)) == 4  # at least 4 samples per line


# --- known answers ----------------------------------------------------------------------------------------
def test_log_of_a_constant_is_zero() -> None:
    arr = np.full((12, 20, 20), 1234.5)
    for sigma in (0.5, 1.0, 3.0):
        out = log.laplacian_of_gaussian(arr, (0.8, 0.9, 2.0), sigma)
        np.testing.assert_allclose(out, 0.0, atol=1e-9 * 1234.5)


@pytest.mark.parametrize("sigma", [1.0, 1.5])
def test_log_of_a_quadratic_is_six_sigma_squared(sigma: float) -> None:
    # f = x^2 + y^2 + z^2 (mm): the Gaussian-smoothed Laplacian is 6 everywhere, times sigma^2 (normalisation
    # across scale). Checked far from the border, where the border extension has decayed.
    spacing = (0.7, 0.8, 2.0)
    shape = (40, 110, 120)
    z, y, x = np.indices(shape).astype(np.float64)
    centre = [(s - 1) / 2 for s in shape]
    arr = sum(((c - m) * h) ** 2 for c, m, h in zip((x, y, z), centre[::-1], spacing, strict=True))
    lower, upper = (17, 50, 55), (22, 59, 64)
    out = log.laplacian_of_gaussian(arr, spacing, sigma, lower, upper)
    np.testing.assert_allclose(out, 6 * sigma**2, rtol=1e-5)


def test_log_of_a_gaussian_blob_is_negative_at_its_centre() -> None:
    # LoG of a Gaussian of width s at its centre: sigma^2 * (-3 / t^2) * (s / t)^3 with t^2 = s^2 + sigma^2
    s, sigma = 3.0, 2.0
    shape = (81, 81, 81)
    z, y, x = (np.indices(shape) - 40).astype(np.float64) * 0.5
    arr = np.exp(-(x**2 + y**2 + z**2) / (2 * s * s))
    out = log.laplacian_of_gaussian(arr, (0.5, 0.5, 0.5), sigma, (40, 40, 40), (40, 40, 40))
    t2 = s * s + sigma * sigma
    expected = sigma**2 * (-3 / t2) * (s * s / t2) ** 1.5
    # Deriche's 4th-order recursive approximation of the Gaussian derivatives is accurate to about 1% here
    assert out[0, 0, 0] == pytest.approx(expected, rel=2e-2)


# --- names and the PyRadiomics checks ---------------------------------------------------------------------
def test_names_follow_pyradiomics() -> None:
    assert log.image_type_name(1.0) == "log-sigma-1-0-mm-3D"
    assert log.image_type_name(3.0) == "log-sigma-3-0-mm-3D"
    assert log.image_type_name(0.5) == "log-sigma-0-5-mm-3D"
    assert log.image_type_name(1) == "log-sigma-1-mm-3D"
    image = Image(np.random.default_rng(0).normal(size=(8, 10, 10)))
    names = [n for n, _ in _apply(image, BoundingBox((2, 2, 2), (5, 6, 6)), (3.0, 1.0, 0.5))]
    assert names == ["log-sigma-3-0-mm-3D", "log-sigma-1-0-mm-3D", "log-sigma-0-5-mm-3D"]


def test_output_is_float32_for_float64_and_int16_input() -> None:
    rng = np.random.default_rng(1)
    for dtype in (np.float64, np.int16):
        image = Image(rng.integers(-1000, 1000, size=(8, 10, 10)).astype(dtype))
        ((_, out),) = _apply(image, BoundingBox((2, 2, 2), (5, 6, 6)), (1.0,))
        assert out.dtype == np.float32


@pytest.mark.parametrize("sigma", [0.0, -1.0, float("nan"), float("inf")])
def test_sigma_must_be_positive(sigma: float) -> None:
    image = Image(np.ones((8, 8, 8)))
    with pytest.raises(SettingsError, match="greater than 0"):
        _apply(image, BoundingBox((2, 2, 2), (4, 4, 4)), (1.0, sigma))
    with pytest.raises(SettingsError, match="greater than 0"):
        log.margin(ExtractionSettings(sigma=(sigma,)), (1.0, 1.0, 1.0))


def test_no_sigma_is_a_settings_error() -> None:
    with pytest.raises(SettingsError, match="sigma"):
        _apply(Image(np.ones((8, 8, 8))), BoundingBox((2, 2, 2), (4, 4, 4)), ())
    with pytest.raises(SettingsError, match="sigma"):
        ExtractionSettings.validate_dict({"imageType": {"LoG": {}}})


def test_image_with_fewer_than_4_voxels_along_an_axis_is_an_error() -> None:
    image = Image(np.ones((3, 20, 20)))
    with pytest.raises(InvalidImageError, match="at least 4 voxels"):
        _apply(image, BoundingBox((0, 2, 2), (2, 4, 4)), (1.0,))


def test_sigma_too_large_for_the_image_is_an_error() -> None:
    # PyRadiomics needs size >= ceil(sigma / spacing) + 1 along every axis: 5 slices of 2 mm allow sigma <= 8
    image = Image(np.ones((5, 30, 30)), (1.0, 1.0, 2.0))
    _apply(image, BoundingBox((1, 2, 2), (3, 4, 4)), (8.0,))
    with pytest.raises(InvalidImageError, match="too large"):
        _apply(image, BoundingBox((1, 2, 2), (3, 4, 4)), (1.0, 8.5))


def test_extract_raises_instead_of_skipping(tmp_path: Path) -> None:
    image = np.random.default_rng(0).normal(size=(3, 12, 12))
    mask = np.zeros((3, 12, 12), dtype=np.uint8)
    mask[1, 3:8, 3:8] = 1
    settings = ExtractionSettings(image_types={"LoG": {"sigma": [1.0]}}, feature_classes={"firstorder": None})
    with pytest.raises(InvalidImageError, match="LoG"):
        extract(image, mask, settings=settings)
    bad = ExtractionSettings(image_types={"LoG": {"sigma": [0.0]}}, feature_classes={"firstorder": None})
    with pytest.raises(SettingsError, match="sigma"):
        extract(np.ones((6, 12, 12)), np.pad(mask, ((1, 2), (0, 0), (0, 0))), settings=bad)


def test_2d_image_is_an_error() -> None:
    image = Image(np.ones((20, 20)))
    with pytest.raises(InvalidImageError, match="3D"):
        _apply(image, BoundingBox((2, 2), (4, 4)), (1.0,))
