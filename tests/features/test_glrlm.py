"""GLRLM: parity with PyRadiomics 3.0.1 (reference JSON, upstream matrices, settings variants), hand-counted
runs on tiny volumes (speed: benchmarks/bench_kernels.py)."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from radiogenomics.catalogue import FEATURES
from radiogenomics.errors import TooFewDimensionsError
from radiogenomics.features import glrlm
from radiogenomics.features.glrlm import angle_weights, glrlm_matrix
from radiogenomics.settings import ExtractionSettings
from tests.conftest import PYRADIOMICS_CASES
from tests.features.helpers import assert_matches, case_roi, small_roi

NAMES = FEATURES["glrlm"]
VARIANTS_DIR = Path(__file__).resolve().parents[1] / "data" / "oracle" / "runzone"
VARIANTS = sorted(p.name for p in VARIANTS_DIR.iterdir() if p.is_dir()) if VARIANTS_DIR.is_dir() else []
EPS = np.spacing(1)


# --- PyRadiomics parity ---------------------------------------------------------------------------------
@pytest.mark.oracle
@pytest.mark.parametrize("case", PYRADIOMICS_CASES)
def test_parity_default(pyradiomics_data: Path, case: str) -> None:
    reference = json.loads((pyradiomics_data / "reference" / "default" / f"{case}.json").read_text())
    values = glrlm.compute(case_roi(pyradiomics_data, case), NAMES)
    assert_matches(values, reference, "glrlm")


@pytest.mark.oracle
@pytest.mark.parametrize("case", PYRADIOMICS_CASES)
def test_matrix_matches_upstream_baseline(pyradiomics_data: Path, case: str) -> None:
    # upstream baseline matrices: binWidth 25, no weighting = the default settings; they hold PyRadiomics'
    # P_glrlm after removal of absent grey levels, empty angles and run lengths that do not occur
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # file written by Python 2
        expected = np.load(pyradiomics_data / "baseline" / f"{case}_glrlm.npy")
    roi = case_roi(pyradiomics_data, case)
    p = glrlm_matrix(roi.binned, roi.mask, roi.angles((1,)), roi.n_levels)
    assert p.shape == (roi.n_levels, max(roi.mask.shape), roi.angles((1,)).shape[0])
    p = p[roi.gray_levels - 1]
    p = p[:, :, p.sum(axis=(0, 1)) > 0]
    p = p[:, p.sum(axis=(0, 2)) > 0, :]
    np.testing.assert_array_equal(p, expected)


@pytest.mark.oracle
@pytest.mark.parametrize("case", PYRADIOMICS_CASES)
@pytest.mark.parametrize("variant", VARIANTS)
def test_parity_settings_variants(pyradiomics_data: Path, variant: str, case: str) -> None:
    reference = json.loads((VARIANTS_DIR / variant / f"{case}.json").read_text())
    settings = ExtractionSettings.validate_dict(reference["settings"])
    values = glrlm.compute(case_roi(pyradiomics_data, case, settings), NAMES)
    assert_matches(values, reference["features"], "glrlm")


def test_variant_references_present() -> None:
    expected = {"weighting_euclidean", "weighting_manhattan", "weighting_infinity", "force2d_dim0"}
    assert expected <= set(VARIANTS)


# --- hand-counted runs ----------------------------------------------------------------------------------
SLAB = np.array([[[1, 1, 2, 2],
                  [1, 1, 1, 1],
                  [2, 1, 2, 1],
                  [2, 2, 2, 1]]])


def _runs(levels_lengths: dict[tuple[int, int], int], n_levels: int = 2, n_runs: int = 4) -> np.ndarray:
    out = np.zeros((n_levels, n_runs))
    for (level, length), count in levels_lengths.items():
        out[level - 1, length - 1] = count
    return out


def test_slab_runs_counted_by_hand() -> None:
    angles = np.array([[0, 0, 1], [0, 1, 0], [0, 1, 1], [0, 1, -1]])
    p = glrlm_matrix(SLAB, SLAB > 0, angles, 2)
    assert p.shape == (2, 4, 4)
    # rows: 1 1|2 2, 1 1 1 1, 2|1|2|1, 2 2 2|1
    np.testing.assert_array_equal(p[:, :, 0], _runs({(1, 1): 3, (1, 2): 1, (1, 4): 1,
                                                     (2, 1): 2, (2, 2): 1, (2, 3): 1}))
    # columns: 1 1|2 2, 1 1 1|2, 2|1|2 2, 2|1 1 1
    np.testing.assert_array_equal(p[:, :, 1], _runs({(1, 1): 1, (1, 2): 1, (1, 3): 2, (2, 1): 3, (2, 2): 2}))
    # diagonals (down-right): 1 1|2|1, 1 1 1, 2|1, 2, 1 1|2, 2 2, 2
    np.testing.assert_array_equal(p[:, :, 2], _runs({(1, 1): 2, (1, 2): 2, (1, 3): 1, (2, 1): 5, (2, 2): 1}))
    # anti-diagonals (down-left): 2|1 1|2, 2|1|2, 1 1, 1, 1|2 2, 1|2, 1
    np.testing.assert_array_equal(p[:, :, 3], _runs({(1, 1): 5, (1, 2): 2, (2, 1): 5, (2, 2): 1}))
    # every ROI voxel is in exactly one run per angle
    for a in range(4):
        assert (p[:, :, a] * np.arange(1, 5)).sum() == 16


def test_direction_of_an_angle_does_not_matter() -> None:
    angles = np.array([[0, 1, 1], [0, -1, -1], [0, 1, -1], [0, -1, 1]])
    p = glrlm_matrix(SLAB, SLAB > 0, angles, 2)
    np.testing.assert_array_equal(p[:, :, 0], p[:, :, 1])
    np.testing.assert_array_equal(p[:, :, 2], p[:, :, 3])


def test_voxel_outside_roi_breaks_a_run() -> None:
    image = np.array([[[1, 1, 1, 1, 1]]])
    mask = np.array([[[True, True, False, True, True]]])
    p = glrlm_matrix(image, mask, np.array([[0, 0, 1]]), 1)
    np.testing.assert_array_equal(p[:, :, 0], [[0, 2, 0, 0, 0]])  # two runs of 2, not one of 5 (or 4)


def test_angle_without_two_roi_voxels_on_a_line_is_discarded() -> None:
    # PyRadiomics' C code zeroes an angle when no line along it holds more than one ROI voxel
    image = np.ones((2, 2, 2), dtype=np.int64)
    mask = np.zeros((2, 2, 2), dtype=bool)
    mask[0] = True  # one slice of the (2, 2, 2) box
    p = glrlm_matrix(image, mask, np.array([[1, 0, 0], [0, 0, 1]]), 1)
    assert p[:, :, 0].sum() == 0  # would otherwise be 4 runs of length 1
    np.testing.assert_array_equal(p[:, :, 1], [[0, 2]])
    # two ROI voxels on one line, separated by a gap: the angle is kept (two runs of length 1)
    image = np.ones((3, 1, 1), dtype=np.int64)
    mask = np.array([True, False, True]).reshape(3, 1, 1)
    np.testing.assert_array_equal(glrlm_matrix(image, mask, np.array([[1, 0, 0]]), 1)[:, :, 0], [[2, 0, 0]])


def test_2d_input_and_level_validation() -> None:
    p2 = glrlm_matrix(SLAB[0], SLAB[0] > 0, np.array([[0, 1], [1, 0]]), 2)
    p3 = glrlm_matrix(SLAB, SLAB > 0, np.array([[0, 0, 1], [0, 1, 0]]), 2)
    np.testing.assert_array_equal(p2, p3)
    with pytest.raises(ValueError, match="grey levels"):
        glrlm_matrix(SLAB, SLAB > 0, np.array([[0, 0, 1]]), 1)
    with pytest.raises(ValueError, match="shape"):
        glrlm_matrix(SLAB, np.ones((1, 4, 3), dtype=bool), np.array([[0, 0, 1]]), 2)


def test_uniform_slab_features_by_hand() -> None:
    # one grey level on a 1x4x4 slab; angles: diagonal, column, anti-diagonal, row.
    # rows/columns: 4 runs of length 4; each diagonal direction: runs of length 1, 2, 3, 4, 3, 2, 1
    roi = small_roi(np.full((1, 4, 4), 10))
    v = glrlm.compute(roi, NAMES)
    diag = np.array([1, 2, 3, 4, 3, 2, 1], dtype=float)
    straight = np.array([4, 4, 4, 4], dtype=float)
    per_angle = [diag, straight, diag, straight]

    def mean(f) -> float:
        return float(np.mean([f(r) for r in per_angle]))

    assert v["ShortRunEmphasis"] == pytest.approx(mean(lambda r: np.mean(1 / r**2)), rel=1e-12)
    assert v["LongRunEmphasis"] == pytest.approx(mean(lambda r: np.mean(r**2)), rel=1e-12)
    assert v["RunPercentage"] == pytest.approx((7 + 4 + 7 + 4) / 64, rel=1e-12)
    assert v["GrayLevelNonUniformity"] == pytest.approx((7 + 4 + 7 + 4) / 4, rel=1e-12)
    assert v["GrayLevelNonUniformityNormalized"] == pytest.approx(1.0, rel=1e-12)
    assert v["GrayLevelVariance"] == pytest.approx(0.0, abs=1e-12)
    assert v["LowGrayLevelRunEmphasis"] == pytest.approx(1.0, rel=1e-12)
    assert v["HighGrayLevelRunEmphasis"] == pytest.approx(1.0, rel=1e-12)
    # run lengths of a diagonal: 1 (x2), 2 (x2), 3 (x2), 4 (x1) over 7 runs
    rln_diag = (4 + 4 + 4 + 1) / 7
    assert v["RunLengthNonUniformity"] == pytest.approx((2 * rln_diag + 2 * 4) / 4, rel=1e-12)
    assert v["RunLengthNonUniformityNormalized"] == pytest.approx((2 * 13 / 49 + 2 * 1) / 4, rel=1e-12)
    mu = 16 / 7
    rv_diag = float(np.mean((diag - mu) ** 2))
    assert v["RunVariance"] == pytest.approx(rv_diag / 2, rel=1e-12)
    q = np.array([2, 2, 2, 1]) / 7
    re_diag = -float(np.sum(q * np.log2(q + EPS)))
    re_straight = -math.log2(1 + EPS)
    assert v["RunEntropy"] == pytest.approx((re_diag + re_straight) / 2, rel=1e-12)
    for name in ("ShortRunLowGrayLevelEmphasis", "ShortRunHighGrayLevelEmphasis"):
        assert v[name] == pytest.approx(v["ShortRunEmphasis"], rel=1e-12)
    for name in ("LongRunLowGrayLevelEmphasis", "LongRunHighGrayLevelEmphasis"):
        assert v[name] == pytest.approx(v["LongRunEmphasis"], rel=1e-12)


def test_features_in_requested_order_and_unknown_name() -> None:
    roi = small_roi(SLAB * 25)
    names = ["RunEntropy", "ShortRunEmphasis", "GrayLevelVariance"]
    assert list(glrlm.compute(roi, names)) == names
    with pytest.raises(KeyError):
        glrlm.compute(roi, ["NoSuchFeature"])


def test_angle_weights() -> None:
    angles = np.array([[1, 1, 0], [0, 0, 1]])
    spacing = (1.0, 2.0, 3.0)  # (x, y, z); offsets are (z, y, x)
    np.testing.assert_allclose(angle_weights(angles, spacing, "manhattan"), [5.0, 1.0])
    np.testing.assert_allclose(angle_weights(angles, spacing, "euclidean"), [math.sqrt(13), 1.0])
    np.testing.assert_allclose(angle_weights(angles, spacing, "infinity"), [3.0, 1.0])
    np.testing.assert_allclose(angle_weights(angles, spacing, "no_weighting"), [1.0, 1.0])


def test_weighting_merges_angles() -> None:
    # with weighting, one matrix: sum_a w_a P_a; no_weighting = plain sum of the per-angle matrices
    roi = small_roi(SLAB * 25, weighting_norm="no_weighting")
    p = glrlm_matrix(roi.binned, roi.mask, roi.angles((1,)), roi.n_levels).sum(axis=2)
    n_runs = p.sum()
    j = np.arange(1, p.shape[1] + 1)
    v = glrlm.compute(roi, ["ShortRunEmphasis", "RunPercentage"])
    assert v["ShortRunEmphasis"] == pytest.approx((p / j**2).sum() / n_runs, rel=1e-12)
    assert v["RunPercentage"] == pytest.approx(n_runs / (p * j).sum(), rel=1e-12)


def test_roi_without_any_angle_raises() -> None:
    # PyRadiomics fails with "Error getting angle count"
    with pytest.raises(TooFewDimensionsError):
        glrlm.compute(small_roi(np.full((1, 1, 1), 5)), NAMES)
    with pytest.raises(TooFewDimensionsError):
        glrlm.compute(small_roi(np.full((4, 1, 1), 5), force2d=True, force2d_dimension=0), NAMES)
