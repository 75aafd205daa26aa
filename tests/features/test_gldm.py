"""GLDM: parity with PyRadiomics 3.0.1 (reference JSON, upstream matrices, settings variants, synthetic edge
cases), hand-counted dependences and hand-computed features on tiny volumes (speed: benchmarks/bench_kernels.py)."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from radiogenomics.catalogue import FEATURES
from radiogenomics.errors import TooFewDimensionsError
from radiogenomics.features import gldm
from radiogenomics.features.angles import generate_angles
from radiogenomics.features.gldm import gldm_matrix, gldm_properties, gldm_trim
from radiogenomics.settings import ExtractionSettings
from tests.conftest import PYRADIOMICS_CASES
from tests.features.helpers import assert_matches, case_roi, small_roi, synthetic_roi

FAMILY = "gldm"
NAMES = FEATURES[FAMILY]
ORACLE = Path(__file__).resolve().parents[1] / "data" / "oracle" / "texture"
VARIANTS = sorted(p.name for p in ORACLE.iterdir() if p.is_dir()) if ORACLE.is_dir() else []
CASE_VARIANTS = [v for v in VARIANTS if v != "default"]  # default of the 5 cases: reference/default
EPS = np.spacing(1)


# --- PyRadiomics parity -----------------------------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("case", PYRADIOMICS_CASES)
def test_parity_default(pyradiomics_data: Path, case: str) -> None:
    reference = json.loads((pyradiomics_data / "reference" / "default" / f"{case}.json").read_text())
    assert_matches(gldm.compute(case_roi(pyradiomics_data, case), NAMES), reference, FAMILY)


@pytest.mark.oracle
@pytest.mark.parametrize("case", PYRADIOMICS_CASES)
def test_matrix_matches_upstream_baseline(pyradiomics_data: Path, case: str) -> None:
    # upstream P_gldm (binWidth 25, gldm_a 0 = the defaults) without absent grey levels / dependences
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # file written by Python 2
        expected = np.load(pyradiomics_data / "baseline" / f"{case}_gldm.npy")
    roi = case_roi(pyradiomics_data, case)
    angles = roi.angles(bidirectional=True)
    counts = gldm_matrix(roi.binned, roi.mask, angles, roi.n_levels)
    assert counts.shape == (roi.n_levels, 27)
    assert counts.sum() == roi.n_voxels
    p, jvector = gldm_trim(counts, roi.gray_levels)
    np.testing.assert_array_equal(p, expected)
    assert jvector[0] >= 1 and np.all(np.diff(jvector) > 0)


@pytest.mark.oracle
@pytest.mark.parametrize("case", PYRADIOMICS_CASES)
@pytest.mark.parametrize("variant", CASE_VARIANTS)
def test_parity_settings_variants(pyradiomics_data: Path, variant: str, case: str) -> None:
    reference = json.loads((ORACLE / variant / f"{case}.json").read_text())
    settings = ExtractionSettings.validate_dict(reference["settings"])
    assert_matches(gldm.compute(case_roi(pyradiomics_data, case, settings), NAMES), reference["features"], FAMILY)


@pytest.mark.oracle
@pytest.mark.parametrize("variant", VARIANTS)
def test_parity_synthetic_edge_cases(variant: str) -> None:
    # flat region, checkerboard, one slice, grey-level gaps, isolated voxels, a 1-voxel line, random
    reference = json.loads((ORACLE / variant / "synthetic.json").read_text())
    settings = ExtractionSettings.validate_dict(reference["settings"])
    for name, case in reference["cases"].items():
        roi = synthetic_roi(name, settings)
        if "error" in case:
            with pytest.raises(TooFewDimensionsError):
                gldm.compute(roi, NAMES)
            continue
        assert_matches(gldm.compute(roi, NAMES), case["features"], FAMILY, abs_floor=1e-12)
        if "matrices" in case:
            expected = np.array(case["matrices"]["gldm"], dtype=float).reshape(case["matrices"]["gldm_shape"])
            counts = gldm_matrix(roi.binned, roi.mask, roi.angles(bidirectional=True), roi.n_levels,
                                 alpha=settings.gldm_a)
            p, jvector = gldm_trim(counts, roi.gray_levels)
            np.testing.assert_array_equal(p, expected, err_msg=f"{variant}/{name}")
            np.testing.assert_array_equal(jvector, case["matrices"]["gldm_jvector"])


def test_variant_references_present() -> None:
    assert {"default", "gldm_a_1", "gldm_a_3", "distances_1_2", "force2d_dim0", "mixed"} <= set(VARIANTS)


# --- hand-counted dependences -----------------------------------------------------------------------------
SLAB = np.array([[[1, 1, 2],
                  [1, 2, 2],
                  [3, 3, 2]]])


def test_slab_dependences_counted_by_hand() -> None:
    angles = generate_angles(SLAB.shape, bidirectional=True)  # the 8 in-plane neighbours
    assert len(angles) == 8
    counts = gldm_matrix(SLAB, SLAB > 0, angles, 3, alpha=0)
    assert counts.shape == (3, 9)
    expected = np.zeros((3, 9))
    expected[0, 2] = 3  # all three 1s have two equal neighbours
    expected[1, 2] = 2  # 2s at the right corners: two equal neighbours ...
    expected[1, 3] = 2  # ... at the centre and right edge: three
    expected[2, 1] = 2  # the two 3s neighbour each other only
    np.testing.assert_array_equal(counts, expected)
    p, jvector = gldm_trim(counts, np.array([1, 2, 3]))
    np.testing.assert_array_equal(p, [[0, 3, 0], [0, 2, 2], [2, 0, 0]])
    np.testing.assert_array_equal(jvector, [2, 3, 4])  # dependence counts the voxel itself


def test_alpha_widens_dependence() -> None:
    angles = generate_angles(SLAB.shape, bidirectional=True)
    counts = gldm_matrix(SLAB, SLAB > 0, angles, 3, alpha=1)
    expected = np.zeros((3, 9))
    expected[0, 3], expected[0, 5] = 2, 1
    expected[1, 3], expected[1, 5], expected[1, 8] = 2, 1, 1  # the centre depends on all 8
    expected[2, 2], expected[2, 4] = 1, 1
    np.testing.assert_array_equal(counts, expected)
    # alpha >= Ng - 1: every ROI neighbour is dependent
    full = gldm_matrix(SLAB, SLAB > 0, angles, 3, alpha=2)
    n_neighbours = np.array([[3, 5, 3], [5, 8, 5], [3, 5, 3]])
    for level in (1, 2, 3):
        np.testing.assert_array_equal(
            full[level - 1], np.bincount(n_neighbours[SLAB[0] == level], minlength=9))


def test_mask_limits_neighbours_and_validation() -> None:
    mask = np.ones_like(SLAB, dtype=bool)
    mask[0, 1, 1] = False
    counts = gldm_matrix(SLAB, mask, generate_angles(SLAB.shape, bidirectional=True), 3)
    assert counts.sum() == 8
    # without the centre, the 2s at (0, 2) and (2, 2) keep one equal neighbour, the one at (1, 2) two
    assert counts[1].tolist() == [0, 2, 1, 0, 0, 0, 0, 0, 0]
    with pytest.raises(ValueError, match="alpha"):
        gldm_matrix(SLAB, SLAB > 0, generate_angles(SLAB.shape, bidirectional=True), 3, alpha=-1)
    with pytest.raises(ValueError, match="grey levels"):
        gldm_matrix(SLAB, SLAB > 0, generate_angles(SLAB.shape, bidirectional=True), 2)
    np.testing.assert_array_equal(
        gldm_matrix(SLAB[0], SLAB[0] > 0, generate_angles(SLAB.shape[1:], bidirectional=True), 3),
        gldm_matrix(SLAB, SLAB > 0, generate_angles(SLAB.shape, bidirectional=True), 3))


def _reference_features(p: np.ndarray, ivec: np.ndarray, jvec: np.ndarray) -> dict[str, float]:
    """Loop implementation of the documented formulas."""
    ni, nj = p.shape
    nz = p.sum()
    pg = [sum(p[a, b] for b in range(nj)) for a in range(ni)]
    pd = [sum(p[a, b] for a in range(ni)) for b in range(nj)]
    cells = [(a, b) for a in range(ni) for b in range(nj)]
    mu_i = sum(pg[a] / nz * ivec[a] for a in range(ni))
    mu_j = sum(pd[b] / nz * jvec[b] for b in range(nj))
    return {
        "SmallDependenceEmphasis": sum(pd[b] / jvec[b] ** 2 for b in range(nj)) / nz,
        "LargeDependenceEmphasis": sum(pd[b] * jvec[b] ** 2 for b in range(nj)) / nz,
        "GrayLevelNonUniformity": sum(v**2 for v in pg) / nz,
        "DependenceNonUniformity": sum(v**2 for v in pd) / nz,
        "DependenceNonUniformityNormalized": sum(v**2 for v in pd) / nz**2,
        "GrayLevelVariance": sum(pg[a] / nz * (ivec[a] - mu_i) ** 2 for a in range(ni)),
        "DependenceVariance": sum(pd[b] / nz * (jvec[b] - mu_j) ** 2 for b in range(nj)),
        "DependenceEntropy": -sum(p[a, b] / nz * math.log2(p[a, b] / nz + EPS) for a, b in cells),
        "LowGrayLevelEmphasis": sum(pg[a] / ivec[a] ** 2 for a in range(ni)) / nz,
        "HighGrayLevelEmphasis": sum(pg[a] * ivec[a] ** 2 for a in range(ni)) / nz,
        "SmallDependenceLowGrayLevelEmphasis":
            sum(p[a, b] / (ivec[a] ** 2 * jvec[b] ** 2) for a, b in cells) / nz,
        "SmallDependenceHighGrayLevelEmphasis":
            sum(p[a, b] * ivec[a] ** 2 / jvec[b] ** 2 for a, b in cells) / nz,
        "LargeDependenceLowGrayLevelEmphasis":
            sum(p[a, b] * jvec[b] ** 2 / ivec[a] ** 2 for a, b in cells) / nz,
        "LargeDependenceHighGrayLevelEmphasis":
            sum(p[a, b] * ivec[a] ** 2 * jvec[b] ** 2 for a, b in cells) / nz,
    }


@pytest.mark.parametrize("alpha", [0, 1])
def test_features_by_hand(alpha: int) -> None:
    roi = small_roi(SLAB * 25, gldm_a=alpha)  # 25, 50, 75 -> grey levels 1, 2, 3
    assert roi.gray_levels.tolist() == [1, 2, 3]
    if alpha == 0:
        p, jvec = np.array([[0, 3, 0], [0, 2, 2], [2, 0, 0]], float), np.array([2.0, 3.0, 4.0])
    else:
        p = np.array([[0, 2, 0, 1, 0], [0, 2, 0, 1, 1], [1, 0, 1, 0, 0]], float)
        jvec = np.array([3.0, 4.0, 5.0, 6.0, 9.0])
    expected = _reference_features(p, np.array([1.0, 2.0, 3.0]), jvec)
    values = gldm.compute(roi, NAMES)
    assert list(values) == list(NAMES)
    for name in NAMES:
        assert values[name] == pytest.approx(expected[name], rel=1e-13), name
    # and through the public pieces
    assert gldm_properties(p, [1, 2, 3], jvec, NAMES) == pytest.approx(expected, rel=1e-13)


def test_flat_region_and_absent_levels() -> None:
    v = gldm.compute(small_roi(np.full((2, 2, 2), 40)), NAMES)  # every voxel depends on its 7 neighbours
    assert v["DependenceNonUniformityNormalized"] == 1.0
    assert v["SmallDependenceEmphasis"] == pytest.approx(1 / 64)
    assert v["LargeDependenceEmphasis"] == pytest.approx(64.0)
    assert v["GrayLevelVariance"] == 0.0 and v["DependenceVariance"] == 0.0
    assert v["GrayLevelNonUniformity"] == 8.0
    # grey levels 1 and 4: the row values are the levels, not their rank
    roi = small_roi([[[10, 10, 90, 90]]])
    p, jvec = gldm_trim(gldm_matrix(roi.binned, roi.mask, roi.angles(bidirectional=True), 4),
                        roi.gray_levels)
    np.testing.assert_array_equal(p, [[2], [2]])  # every voxel has exactly one equal neighbour
    np.testing.assert_array_equal(jvec, [2])
    assert gldm.compute(roi, ["HighGrayLevelEmphasis"])["HighGrayLevelEmphasis"] == pytest.approx(8.5)


def test_distances_and_force2d_settings() -> None:
    rng = np.random.default_rng(11)
    image = rng.integers(0, 100, size=(3, 4, 5))
    for settings in ({"distances": (1, 2)}, {"force2d": True}, {"force2d": True, "force2d_dimension": 2}):
        roi = small_roi(image, **settings)
        angles = roi.angles(bidirectional=True)
        p, jvec = gldm_trim(gldm_matrix(roi.binned, roi.mask, angles, roi.n_levels), roi.gray_levels)
        assert gldm.compute(roi, NAMES) == pytest.approx(gldm_properties(p, roi.gray_levels, jvec, NAMES))
    assert len(small_roi(image, force2d=True).angles(bidirectional=True)) == 8


def test_features_in_requested_order_and_unknown_name() -> None:
    roi = small_roi(SLAB * 25)
    names = ["LowGrayLevelEmphasis", "DependenceEntropy"]
    assert list(gldm.compute(roi, names)) == names
    with pytest.raises(KeyError):
        gldm.compute(roi, ["NoSuchFeature"])


def test_roi_without_any_angle_raises() -> None:
    with pytest.raises(TooFewDimensionsError):
        gldm.compute(small_roi(np.full((1, 1, 1), 5)), NAMES)
    with pytest.raises(TooFewDimensionsError):
        gldm.compute(small_roi(np.full((4, 1, 1), 5), force2d=True, force2d_dimension=0), NAMES)
