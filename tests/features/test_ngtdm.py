"""NGTDM: parity with PyRadiomics 3.0.1 (reference JSON, upstream matrices, settings variants, synthetic edge
cases), a hand-computed matrix and features on tiny volumes (speed: benchmarks/bench_kernels.py)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from radiogenomics.catalogue import FEATURES
from radiogenomics.errors import TooFewDimensionsError
from radiogenomics.features import ngtdm
from radiogenomics.features.angles import generate_angles
from radiogenomics.features.ngtdm import ngtdm_matrix, ngtdm_properties, ngtdm_trim
from radiogenomics.settings import ExtractionSettings
from tests.conftest import PYRADIOMICS_CASES
from tests.features.helpers import assert_matches, case_roi, small_roi, synthetic_roi

FAMILY = "ngtdm"
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
    assert_matches(ngtdm.compute(case_roi(pyradiomics_data, case), NAMES), reference, FAMILY)


@pytest.mark.oracle
@pytest.mark.parametrize("case", PYRADIOMICS_CASES)
def test_matrix_matches_upstream_baseline(pyradiomics_data: Path, case: str) -> None:
    # upstream P_ngtdm (binWidth 25 = the defaults): rows (n_i, s_i, i) of the grey levels present
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # file written by Python 2
        expected = np.load(pyradiomics_data / "baseline" / f"{case}_ngtdm.npy")
    roi = case_roi(pyradiomics_data, case)
    raw = ngtdm_matrix(roi.binned, roi.mask, roi.angles(bidirectional=True), roi.n_levels)
    assert raw.shape == (roi.n_levels, 3)
    p = ngtdm_trim(raw)
    np.testing.assert_array_equal(p[:, 2], roi.gray_levels)
    np.testing.assert_array_equal(p[:, 0], expected[:, 0])
    np.testing.assert_allclose(p, expected, rtol=1e-12)


@pytest.mark.oracle
@pytest.mark.parametrize("case", PYRADIOMICS_CASES)
@pytest.mark.parametrize("variant", CASE_VARIANTS)
def test_parity_settings_variants(pyradiomics_data: Path, variant: str, case: str) -> None:
    reference = json.loads((ORACLE / variant / f"{case}.json").read_text())
    settings = ExtractionSettings.validate_dict(reference["settings"])
    assert_matches(ngtdm.compute(case_roi(pyradiomics_data, case, settings), NAMES), reference["features"], FAMILY)


@pytest.mark.oracle
@pytest.mark.parametrize("variant", VARIANTS)
def test_parity_synthetic_edge_cases(variant: str) -> None:
    # flat region, checkerboard, one slice, grey-level gaps, isolated voxels (no neighbours), a line, random
    reference = json.loads((ORACLE / variant / "synthetic.json").read_text())
    settings = ExtractionSettings.validate_dict(reference["settings"])
    for name, case in reference["cases"].items():
        roi = synthetic_roi(name, settings)
        if "error" in case:
            with pytest.raises(TooFewDimensionsError):
                ngtdm.compute(roi, NAMES)
            continue
        assert_matches(ngtdm.compute(roi, NAMES), case["features"], FAMILY, abs_floor=1e-12)
        if "matrices" in case:
            matrices = case["matrices"]
            expected = np.array(matrices["ngtdm"], dtype=float).reshape(matrices["ngtdm_shape"])
            p = ngtdm_trim(ngtdm_matrix(roi.binned, roi.mask, roi.angles(bidirectional=True), roi.n_levels))
            np.testing.assert_allclose(p, expected, rtol=1e-14, atol=0, err_msg=f"{variant}/{name}")


def test_variant_references_present() -> None:
    assert {"default", "distances_1_2", "force2d_dim0", "mixed"} <= set(VARIANTS)


# --- hand-computed matrix -----------------------------------------------------------------------------------
SLAB = np.array([[[1, 1, 2],
                  [1, 2, 2],
                  [3, 3, 2]]])
# |i - mean of the 8-neighbours in the ROI| per voxel:
#   1 at (0,0): nbrs 1 1 2 -> 1/3; 1 at (0,1): 1 2 1 2 2 -> 3/5; 1 at (1,0): 1 1 2 3 3 -> 1
#   2 at (0,2): 1 2 2 -> 1/3; centre: 1 1 2 1 2 3 3 2 -> 1/8; (1,2): 1 2 2 3 2 -> 0; (2,2): 2 2 3 -> 1/3
#   3 at (2,0): 1 2 3 -> 1; 3 at (2,1): 1 2 2 3 2 -> 1
SLAB_NGTDM = np.array([[3, 1 / 3 + 3 / 5 + 1, 1], [4, 1 / 3 + 1 / 8 + 0 + 1 / 3, 2], [2, 2, 3]])


def test_slab_matrix_by_hand() -> None:
    angles = generate_angles(SLAB.shape, bidirectional=True)
    p = ngtdm_matrix(SLAB, SLAB > 0, angles, 3)
    np.testing.assert_allclose(p, SLAB_NGTDM, rtol=1e-15)
    # 2D input with 2D offsets gives the same
    np.testing.assert_array_equal(
        ngtdm_matrix(SLAB[0], SLAB[0] > 0, generate_angles(SLAB.shape[1:], bidirectional=True), 3), p)


def test_voxel_without_roi_neighbours_counts_but_adds_no_difference() -> None:
    image = np.array([[[1, 1, 5, 5, 3]]])
    mask = np.array([[[True, True, False, False, True]]])
    p = ngtdm_matrix(image, mask, np.array([[0, 0, 1], [0, 0, -1]]), 5)
    np.testing.assert_array_equal(p, [[2, 0, 1], [0, 0, 2], [1, 0, 3], [0, 0, 4], [0, 0, 5]])
    np.testing.assert_array_equal(ngtdm_trim(p), [[2, 0, 1], [1, 0, 3]])
    v = ngtdm_properties(ngtdm_trim(p), NAMES)
    assert v == {"Busyness": 0.0, "Coarseness": 1e6, "Complexity": 0.0, "Contrast": 0.0, "Strength": 0.0}
    with pytest.raises(ValueError, match="grey levels"):
        ngtdm_matrix(image, mask, np.array([[0, 0, 1]]), 2)


def _reference_features(p: np.ndarray) -> dict[str, float]:
    """Loop implementation of the documented formulas."""
    n, s, g = p[:, 0], p[:, 1], p[:, 2]
    nvp = n.sum()
    pi = n / nvp
    k = len(n)
    pairs = [(a, b) for a in range(k) for b in range(k)]
    return {
        "Coarseness": 1 / sum(pi[a] * s[a] for a in range(k)),
        "Contrast": sum(pi[a] * pi[b] * (g[a] - g[b]) ** 2 for a, b in pairs) / (k * (k - 1)) * s.sum() / nvp,
        "Busyness": sum(pi[a] * s[a] for a in range(k))
        / sum(abs(g[a] * pi[a] - g[b] * pi[b]) for a, b in pairs),
        "Complexity": sum(abs(g[a] - g[b]) * (pi[a] * s[a] + pi[b] * s[b]) / (pi[a] + pi[b])
                          for a, b in pairs) / nvp,
        "Strength": sum((pi[a] + pi[b]) * (g[a] - g[b]) ** 2 for a, b in pairs) / s.sum(),
    }


def test_features_by_hand() -> None:
    roi = small_roi(SLAB * 25)  # 25, 50, 75 -> grey levels 1, 2, 3
    values = ngtdm.compute(roi, NAMES)
    expected = _reference_features(SLAB_NGTDM)
    assert list(values) == list(NAMES)
    for name in NAMES:
        assert values[name] == pytest.approx(expected[name], rel=1e-13), name
    assert values["Coarseness"] == pytest.approx(1 / ((3 * 29 / 15 + 4 * 19 / 24 + 2 * 2) / 9))


def test_absent_levels_use_level_values() -> None:
    # levels 1 and 4; a 1x1x4 line: 1 1 4 4 -> |1 - 1| = 0, |1 - 2.5| = 1.5, |4 - 2.5| = 1.5, 0
    roi = small_roi([[[10, 10, 90, 90]]])
    p = ngtdm_trim(ngtdm_matrix(roi.binned, roi.mask, roi.angles(bidirectional=True), roi.n_levels))
    np.testing.assert_array_equal(p, [[2, 1.5, 1], [2, 1.5, 4]])
    v = ngtdm.compute(roi, NAMES)
    assert v["Contrast"] == pytest.approx((2 * 0.25 * 9) / 2 * 3 / 4)
    assert v["Strength"] == pytest.approx(2 * 9 / 3)
    assert v["Busyness"] == pytest.approx(1.5 / (2 * 1.5))


def test_flat_region() -> None:
    v = ngtdm.compute(small_roi(np.full((2, 3, 3), 40)), NAMES)
    assert v == {"Busyness": 0.0, "Coarseness": 1e6, "Complexity": 0.0, "Contrast": 0.0, "Strength": 0.0}


def test_distances_and_force2d_settings() -> None:
    rng = np.random.default_rng(13)
    image = rng.integers(0, 100, size=(3, 4, 5))
    for settings in ({"distances": (1, 2)}, {"force2d": True}, {"force2d": True, "force2d_dimension": 1}):
        roi = small_roi(image, **settings)
        p = ngtdm_trim(ngtdm_matrix(roi.binned, roi.mask, roi.angles(bidirectional=True), roi.n_levels))
        assert ngtdm.compute(roi, NAMES) == pytest.approx(ngtdm_properties(p, NAMES))
    # distances (1, 2): the neighbourhood is the 5x5x5 cube (clipped to the box), not only the shell
    assert len(generate_angles((5, 5, 5), (1, 2), bidirectional=True)) == 124


def test_features_in_requested_order_and_unknown_name() -> None:
    roi = small_roi(SLAB * 25)
    names = ["Strength", "Busyness"]
    assert list(ngtdm.compute(roi, names)) == names
    with pytest.raises(KeyError):
        ngtdm.compute(roi, ["NoSuchFeature"])


def test_roi_without_any_angle_raises() -> None:
    with pytest.raises(TooFewDimensionsError):
        ngtdm.compute(small_roi(np.full((1, 1, 1), 5)), NAMES)
    with pytest.raises(TooFewDimensionsError):
        ngtdm.compute(small_roi(np.full((4, 1, 1), 5), force2d=True, force2d_dimension=0), NAMES)
