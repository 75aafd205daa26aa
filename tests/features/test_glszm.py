"""GLSZM: parity with PyRadiomics 3.0.1 (reference JSON, upstream matrices, settings variants), hand-counted
zones on tiny volumes (speed: benchmarks/bench_kernels.py)."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from radiogenomics.catalogue import FEATURES
from radiogenomics.errors import TooFewDimensionsError
from radiogenomics.features import glszm
from radiogenomics.features.base import RoiData
from radiogenomics.features.glszm import glszm_matrix, zones
from radiogenomics.settings import ExtractionSettings
from tests.conftest import PYRADIOMICS_CASES
from tests.features.helpers import assert_matches, case_roi, small_roi

NAMES = FEATURES["glszm"]
VARIANTS_DIR = Path(__file__).resolve().parents[1] / "data" / "oracle" / "runzone"
VARIANTS = sorted(p.name for p in VARIANTS_DIR.iterdir() if p.is_dir()) if VARIANTS_DIR.is_dir() else []
EPS = np.spacing(1)


def neighbours(ndim: int = 3) -> np.ndarray:
    """All offsets with infinity norm 1 (26-connectivity in 3D)."""
    grid = np.stack(np.meshgrid(*([[-1, 0, 1]] * ndim), indexing="ij"), axis=-1).reshape(-1, ndim)
    return grid[np.any(grid != 0, axis=1)]


# --- PyRadiomics parity ---------------------------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("case", PYRADIOMICS_CASES)
def test_parity_default(pyradiomics_data: Path, case: str) -> None:
    reference = json.loads((pyradiomics_data / "reference" / "default" / f"{case}.json").read_text())
    values = glszm.compute(case_roi(pyradiomics_data, case), NAMES)
    assert_matches(values, reference, "glszm")


@pytest.mark.oracle
@pytest.mark.parametrize("case", PYRADIOMICS_CASES)
def test_matrix_matches_upstream_baseline(pyradiomics_data: Path, case: str) -> None:
    # upstream baseline matrices: binWidth 25 = the default settings; they hold PyRadiomics' P_glszm after
    # removal of absent grey levels and of zone sizes that do not occur
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # file written by Python 2
        expected = np.load(pyradiomics_data / "baseline" / f"{case}_glszm.npy")
    roi = case_roi(pyradiomics_data, case)
    p = glszm_matrix(roi.binned, roi.mask, roi.angles((1,), bidirectional=True), roi.n_levels)
    _, sizes = zones(roi.binned, roi.mask, roi.angles((1,), bidirectional=True))
    assert p.shape == (roi.n_levels, sizes.max())
    assert sizes.sum() == roi.mask.sum()
    p = p[roi.gray_levels - 1]
    p = p[:, p.sum(axis=0) > 0]
    np.testing.assert_array_equal(p, expected)


@pytest.mark.oracle
@pytest.mark.parametrize("case", PYRADIOMICS_CASES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_parity_settings_variants(pyradiomics_data: Path, variant: str, case: str) -> None:
    reference = json.loads((VARIANTS_DIR / variant / f"{case}.json").read_text())
    settings = ExtractionSettings.validate_dict(reference["settings"])
    values = glszm.compute(case_roi(pyradiomics_data, case, settings), NAMES)
    assert_matches(values, reference["features"], "glszm")


def test_connectivity_is_pyradiomics_26():
    angles = RoiData(image=np.zeros((3, 3, 3)), mask=np.ones((3, 3, 3), dtype=bool), spacing=(1, 1, 1),
                     settings=ExtractionSettings()).angles((1,), bidirectional=True)
    assert sorted(map(tuple, angles.tolist())) == sorted(map(tuple, neighbours(3).tolist()))


# --- hand-counted zones ---------------------------------------------------------------------------------
def test_two_separate_zones_of_one_grey_level() -> None:
    image = np.array([[[1, 1, 2, 1, 1]]])
    p = glszm_matrix(image, image > 0, neighbours(), 2)
    np.testing.assert_array_equal(p, [[0, 2], [1, 0]])  # level 1: two zones of 2; level 2: one zone of 1


def test_voxel_outside_roi_separates_zones() -> None:
    image = np.ones((1, 1, 5), dtype=np.int64)
    mask = np.array([[[True, True, False, True, True]]])
    np.testing.assert_array_equal(glszm_matrix(image, mask, neighbours(), 1), [[0, 2]])


def test_diagonal_neighbours_are_connected() -> None:
    checker = np.array([[[1, 2], [2, 1]]])
    np.testing.assert_array_equal(glszm_matrix(checker, checker > 0, neighbours(), 2), [[0, 1], [0, 1]])
    # corner-to-corner in 3D: (0,0,0) and (1,1,1) form one zone; the six other voxels another
    cube = np.full((2, 2, 2), 2)
    cube[0, 0, 0] = cube[1, 1, 1] = 1
    p = glszm_matrix(cube, cube > 0, neighbours(), 2)
    np.testing.assert_array_equal(p, [[0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1]])
    # with face-connectivity only, the corners are separate zones
    faces = np.array([[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]])
    np.testing.assert_array_equal(glszm_matrix(cube, cube > 0, faces, 2), [[2, 0, 0, 0, 0, 0],
                                                                          [0, 0, 0, 0, 0, 1]])


def test_force2d_splits_zones_by_slice() -> None:
    cube = np.full((2, 2, 2), 50)
    cube[0, 0, 0] = cube[1, 1, 1] = 25
    roi3 = small_roi(cube)
    roi2 = small_roi(cube, force2d=True, force2d_dimension=0)
    p3 = glszm_matrix(roi3.binned, roi3.mask, roi3.angles((1,), bidirectional=True), roi3.n_levels)
    p2 = glszm_matrix(roi2.binned, roi2.mask, roi2.angles((1,), bidirectional=True), roi2.n_levels)
    np.testing.assert_array_equal(p3, [[0, 1, 0, 0, 0, 0], [0, 0, 0, 0, 0, 1]])
    np.testing.assert_array_equal(p2, [[2, 0, 0], [0, 0, 2]])  # per slice: a single 25, three 50s
    v = glszm.compute(roi2, ["ZonePercentage", "SmallAreaEmphasis"])
    assert v["ZonePercentage"] == pytest.approx(4 / 8, rel=1e-12)
    assert v["SmallAreaEmphasis"] == pytest.approx((2 / 1 + 2 / 9) / 4, rel=1e-12)


def test_zones_listing() -> None:
    image = np.array([[[1, 1, 2, 1, 1]]])
    levels, sizes = zones(image, image > 0, neighbours())
    np.testing.assert_array_equal(levels, [1, 2, 1])
    np.testing.assert_array_equal(sizes, [2, 1, 2])


def test_2d_input_and_level_validation() -> None:
    checker = np.array([[1, 2], [2, 1]])
    np.testing.assert_array_equal(glszm_matrix(checker, checker > 0, neighbours(2), 2), [[0, 1], [0, 1]])
    with pytest.raises(ValueError, match="grey levels"):
        glszm_matrix(checker, checker > 0, neighbours(2), 1)


def test_uniform_roi_features_by_hand() -> None:
    n = 12  # one zone of 12 voxels
    v = glszm.compute(small_roi(np.full((1, 3, 4), 10)), NAMES)
    expected = {
        "SmallAreaEmphasis": 1 / n**2, "LargeAreaEmphasis": n**2, "GrayLevelNonUniformity": 1.0,
        "GrayLevelNonUniformityNormalized": 1.0, "SizeZoneNonUniformity": 1.0,
        "SizeZoneNonUniformityNormalized": 1.0, "ZonePercentage": 1 / n, "LowGrayLevelZoneEmphasis": 1.0,
        "HighGrayLevelZoneEmphasis": 1.0, "SmallAreaLowGrayLevelEmphasis": 1 / n**2,
        "SmallAreaHighGrayLevelEmphasis": 1 / n**2, "LargeAreaLowGrayLevelEmphasis": n**2,
        "LargeAreaHighGrayLevelEmphasis": n**2, "ZoneEntropy": -math.log2(1 + EPS),
    }
    for name, value in expected.items():
        assert v[name] == pytest.approx(value, rel=1e-12), name
    assert v["GrayLevelVariance"] == 0.0
    assert v["ZoneVariance"] == 0.0


def test_checkerboard_features_by_hand() -> None:
    # 1x2x3 checkerboard of levels 1 and 2: with 8-connectivity in the slice each level is one zone of 3
    image = np.array([[[25, 50, 25], [50, 25, 50]]])
    v = glszm.compute(small_roi(image), NAMES)
    assert v["GrayLevelNonUniformityNormalized"] == pytest.approx(0.5, rel=1e-12)
    assert v["GrayLevelVariance"] == pytest.approx(0.25, rel=1e-12)
    assert v["LowGrayLevelZoneEmphasis"] == pytest.approx((1 + 1 / 4) / 2, rel=1e-12)
    assert v["HighGrayLevelZoneEmphasis"] == pytest.approx((1 + 4) / 2, rel=1e-12)
    assert v["LargeAreaHighGrayLevelEmphasis"] == pytest.approx((9 + 36) / 2, rel=1e-12)
    assert v["ZoneEntropy"] == pytest.approx(-math.log2(0.5 + EPS), rel=1e-12)
    assert v["ZonePercentage"] == pytest.approx(2 / 6, rel=1e-12)


def test_features_in_requested_order_and_unknown_name() -> None:
    roi = small_roi(np.array([[[25, 50, 25], [50, 25, 50]]]))
    names = ["ZoneEntropy", "SmallAreaEmphasis", "GrayLevelVariance"]
    assert list(glszm.compute(roi, names)) == names
    with pytest.raises(KeyError):
        glszm.compute(roi, ["NoSuchFeature"])


def test_roi_without_any_angle_raises() -> None:
    with pytest.raises(TooFewDimensionsError):
        glszm.compute(small_roi(np.full((1, 1, 1), 5)), NAMES)
