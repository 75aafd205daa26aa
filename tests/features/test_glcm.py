"""GLCM: parity with PyRadiomics 3.0.1 (reference JSON, upstream matrices, settings variants, synthetic edge
cases), hand-counted co-occurrences and hand-computed features on tiny volumes (speed: benchmarks/bench_kernels.py)."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest

from radiogenomics.catalogue import FEATURES
from radiogenomics.errors import TooFewDimensionsError
from radiogenomics.features import glcm
from radiogenomics.features.angles import generate_angles
from radiogenomics.features.glcm import angle_weights, glcm_matrix, glcm_normalise, glcm_properties
from radiogenomics.settings import ExtractionSettings
from tests.conftest import PYRADIOMICS_CASES
from tests.features.helpers import assert_matches, case_roi, small_roi, synthetic_roi

FAMILY = "glcm"
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
    assert_matches(glcm.compute(case_roi(pyradiomics_data, case), NAMES), reference, FAMILY)


@pytest.mark.oracle
@pytest.mark.parametrize("case", PYRADIOMICS_CASES)
def test_matrix_matches_upstream_baseline(pyradiomics_data: Path, case: str) -> None:
    # upstream P_glcm (binWidth 25, symmetrical, no weighting = the defaults), normalised per angle
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # file written by Python 2
        expected = np.load(pyradiomics_data / "baseline" / f"{case}_glcm.npy")
    roi = case_roi(pyradiomics_data, case)
    counts = glcm_matrix(roi.binned, roi.mask, roi.angles(), roi.n_levels)
    assert counts.shape == (roi.n_levels, roi.n_levels, 13)
    p = glcm_normalise(counts, roi.gray_levels)
    assert p.shape == expected.shape
    np.testing.assert_allclose(p, expected, rtol=1e-13, atol=1e-16)


@pytest.mark.oracle
@pytest.mark.parametrize("case", PYRADIOMICS_CASES)
@pytest.mark.parametrize("variant", CASE_VARIANTS)
def test_parity_settings_variants(pyradiomics_data: Path, variant: str, case: str) -> None:
    reference = json.loads((ORACLE / variant / f"{case}.json").read_text())
    settings = ExtractionSettings.validate_dict(reference["settings"])
    assert_matches(glcm.compute(case_roi(pyradiomics_data, case, settings), NAMES), reference["features"], FAMILY)


@pytest.mark.oracle
@pytest.mark.parametrize("variant", VARIANTS)
def test_parity_synthetic_edge_cases(variant: str) -> None:
    # flat region (Ng = 1), checkerboard, one slice, grey-level gaps, isolated voxels (every angle empty:
    # NaN), a 1-voxel line (empty angles deleted), random; features and (some variants) PyRadiomics' P_glcm
    reference = json.loads((ORACLE / variant / "synthetic.json").read_text())
    settings = ExtractionSettings.validate_dict(reference["settings"])
    for name, case in reference["cases"].items():
        roi = synthetic_roi(name, settings)
        if "error" in case:
            with pytest.raises(TooFewDimensionsError):
                glcm.compute(roi, NAMES)
            continue
        assert_matches(glcm.compute(roi, NAMES), case["features"], FAMILY, abs_floor=1e-12)
        if "matrices" in case:
            expected = np.array(case["matrices"]["glcm"], dtype=float)
            expected = expected.reshape(case["matrices"]["glcm_shape"])
            weights = None
            angles = roi.angles()
            if settings.weighting_norm is not None:
                weights = angle_weights(angles, roi.spacing, settings.weighting_norm)
            counts = glcm_matrix(roi.binned, roi.mask, angles, roi.n_levels, settings.symmetrical_glcm)
            p = glcm_normalise(counts, roi.gray_levels, weights=weights)
            np.testing.assert_allclose(p, expected, rtol=1e-14, atol=0, err_msg=f"{variant}/{name}")


def test_variant_references_present() -> None:
    expected = {"default", "distances_1_2", "asymmetric", "weighting_euclidean", "weighting_manhattan",
                "weighting_infinity", "weighting_no_weighting", "force2d_dim0", "mixed"}
    assert expected <= set(VARIANTS)


# --- hand-counted co-occurrences --------------------------------------------------------------------------
SLAB = np.array([[[1, 1, 2],
                  [1, 2, 2],
                  [3, 3, 2]]])


def _pairs(counts: dict[tuple[int, int], int], n: int = 3) -> np.ndarray:
    out = np.zeros((n, n))
    for (i, j), c in counts.items():
        out[i - 1, j - 1] = c
    return out


def test_slab_cooccurrences_counted_by_hand() -> None:
    angles = np.array([[0, 0, 1], [0, 1, 0], [0, 1, 1], [0, 1, -1]])
    p = glcm_matrix(SLAB, SLAB > 0, angles, 3, symmetrical=False)
    assert p.shape == (3, 3, 4)
    # right neighbour: rows 1 1 2 / 1 2 2 / 3 3 2
    np.testing.assert_array_equal(p[:, :, 0], _pairs({(1, 1): 1, (1, 2): 2, (2, 2): 1, (3, 3): 1, (3, 2): 1}))
    # neighbour below: columns 1 1 3 / 1 2 3 / 2 2 2
    np.testing.assert_array_equal(p[:, :, 1], _pairs({(1, 1): 1, (1, 3): 1, (1, 2): 1, (2, 3): 1, (2, 2): 2}))
    # down-right: 1->2, 1->2, 1->3, 2->2
    np.testing.assert_array_equal(p[:, :, 2], _pairs({(1, 2): 2, (1, 3): 1, (2, 2): 1}))
    # down-left: 1->1, 2->2, 2->3, 2->3
    np.testing.assert_array_equal(p[:, :, 3], _pairs({(1, 1): 1, (2, 2): 1, (2, 3): 2}))
    sym = glcm_matrix(SLAB, SLAB > 0, angles, 3, symmetrical=True)
    np.testing.assert_array_equal(sym, p + p.transpose(1, 0, 2))
    # opposite offsets give the transposed matrix
    back = glcm_matrix(SLAB, SLAB > 0, -angles, 3, symmetrical=False)
    np.testing.assert_array_equal(back, p.transpose(1, 0, 2))


def test_neighbours_outside_roi_or_box_are_not_counted() -> None:
    mask = np.ones_like(SLAB, dtype=bool)
    mask[0, 1, 1] = False  # the centre voxel
    p = glcm_matrix(SLAB, mask, np.array([[0, 0, 1]]), 3, symmetrical=False)
    # right-neighbour pairs without the centre voxel: row 0 (1,1), (1,2); row 1 none; row 2 (3,3), (3,2)
    np.testing.assert_array_equal(p[:, :, 0], _pairs({(1, 1): 1, (1, 2): 1, (3, 3): 1, (3, 2): 1}))
    # an offset as large as the box finds nothing
    assert glcm_matrix(SLAB, SLAB > 0, np.array([[0, 0, 3]]), 3).sum() == 0


def test_2d_input_and_validation() -> None:
    a3 = np.array([[0, 0, 1], [0, 1, 1]])
    np.testing.assert_array_equal(glcm_matrix(SLAB[0], SLAB[0] > 0, a3[:, 1:], 3),
                                  glcm_matrix(SLAB, SLAB > 0, a3, 3))
    with pytest.raises(ValueError, match="grey levels"):
        glcm_matrix(SLAB, SLAB > 0, a3, 2)
    with pytest.raises(ValueError, match="shape"):
        glcm_matrix(SLAB, np.ones((1, 3, 2), dtype=bool), a3, 3)
    with pytest.raises(ValueError, match="angles"):
        glcm_matrix(SLAB, SLAB > 0, a3[:, 1:], 3)


def test_normalise_deletes_absent_levels_and_empty_angles() -> None:
    counts = np.zeros((4, 4, 3))
    counts[0, 0, 0] = 2
    counts[0, 3, 0] = counts[3, 0, 0] = 1
    counts[3, 3, 2] = 4
    p = glcm_normalise(counts, np.array([1, 4]))
    assert p.shape == (2, 2, 2)  # levels 2, 3 and the empty angle 1 are gone
    np.testing.assert_array_equal(p[:, :, 0], [[0.5, 0.25], [0.25, 0]])
    np.testing.assert_array_equal(p[:, :, 1], [[0, 0], [0, 1]])
    # a single empty angle is kept, as NaN
    assert np.isnan(glcm_normalise(np.zeros((2, 2, 1)), np.array([1, 2]))).all()


# --- hand-computed features -------------------------------------------------------------------------------
def _reference_features(p: np.ndarray, g: np.ndarray, ng: int) -> dict[str, float]:
    """Straightforward loop implementation of the textbook (PyRadiomics) formulas for one angle."""
    n = len(g)
    px = [sum(p[a, b] for b in range(n)) for a in range(n)]
    py = [sum(p[a, b] for a in range(n)) for b in range(n)]
    ux = sum(g[a] * p[a, b] for a in range(n) for b in range(n))
    uy = sum(g[b] * p[a, b] for a in range(n) for b in range(n))
    pairs = [(a, b) for a in range(n) for b in range(n)]
    pdiff = np.zeros(ng)
    psum = np.zeros(2 * ng + 1)
    for a, b in pairs:
        pdiff[abs(g[a] - g[b])] += p[a, b]
        psum[g[a] + g[b]] += p[a, b]
    hx = -sum(v * math.log2(v + EPS) for v in px)
    hy = -sum(v * math.log2(v + EPS) for v in py)
    hxy = -sum(p[a, b] * math.log2(p[a, b] + EPS) for a, b in pairs)
    hxy1 = -sum(p[a, b] * math.log2(px[a] * py[b] + EPS) for a, b in pairs)
    hxy2 = -sum(px[a] * py[b] * math.log2(px[a] * py[b] + EPS) for a, b in pairs)
    sx = math.sqrt(sum(p[a, b] * (g[a] - ux) ** 2 for a, b in pairs))
    sy = math.sqrt(sum(p[a, b] * (g[b] - uy) ** 2 for a, b in pairs))
    cov = sum(p[a, b] * (g[a] - ux) * (g[b] - uy) for a, b in pairs)
    q = np.array([[sum(p[a, k] * p[b, k] / (px[a] * py[k] + EPS) for k in range(n)) for b in range(n)]
                  for a in range(n)])
    lam = np.sort(np.linalg.eigvals(q).real)
    da = sum(k * pdiff[k] for k in range(ng))
    return {
        "Autocorrelation": sum(p[a, b] * g[a] * g[b] for a, b in pairs),
        "JointAverage": ux,
        "ClusterProminence": sum(p[a, b] * (g[a] + g[b] - ux - uy) ** 4 for a, b in pairs),
        "ClusterShade": sum(p[a, b] * (g[a] + g[b] - ux - uy) ** 3 for a, b in pairs),
        "ClusterTendency": sum(p[a, b] * (g[a] + g[b] - ux - uy) ** 2 for a, b in pairs),
        "Contrast": sum(p[a, b] * (g[a] - g[b]) ** 2 for a, b in pairs),
        "Correlation": cov / (sx * sy + EPS),
        "DifferenceAverage": da,
        "DifferenceEntropy": -sum(v * math.log2(v + EPS) for v in pdiff),
        "DifferenceVariance": sum((k - da) ** 2 * pdiff[k] for k in range(ng)),
        "JointEnergy": sum(p[a, b] ** 2 for a, b in pairs),
        "JointEntropy": hxy,
        "Imc1": (hxy - hxy1) / max(hx, hy),
        "Imc2": math.sqrt(1 - math.exp(-2 * (hxy2 - hxy))),
        "Id": sum(pdiff[k] / (1 + k) for k in range(ng)),
        "Idn": sum(pdiff[k] / (1 + k / ng) for k in range(ng)),
        "Idm": sum(pdiff[k] / (1 + k**2) for k in range(ng)),
        "Idmn": sum(pdiff[k] / (1 + k**2 / ng**2) for k in range(ng)),
        "InverseVariance": sum(pdiff[k] / k**2 for k in range(1, ng)),
        "MCC": math.sqrt(lam[-2]),
        "MaximumProbability": float(p.max()),
        "SumAverage": sum(k * psum[k] for k in range(2, 2 * ng + 1)),
        "SumEntropy": -sum(v * math.log2(v + EPS) for v in psum[2:]),
        "SumSquares": sum(p[a, b] * (g[a] - ux) ** 2 for a, b in pairs),
    }


def test_features_of_a_hand_counted_matrix() -> None:
    # right-neighbour GLCM of SLAB, symmetrised: 12 pairs
    counts = _pairs({(1, 1): 2, (1, 2): 2, (2, 1): 2, (2, 2): 2, (3, 3): 2, (3, 2): 1, (2, 3): 1})
    p = counts / counts.sum()
    g = np.array([1, 2, 3])
    values = glcm_properties(p[:, :, None], g, NAMES)
    expected = _reference_features(p, g, 3)
    for name in NAMES:
        assert values[name] == pytest.approx(expected[name], rel=1e-12, abs=1e-14), name
    assert values["Contrast"] == pytest.approx(6 / 12)  # 6 of the 12 pairs differ by 1
    assert values["JointAverage"] == pytest.approx((1 * 4 + 2 * 5 + 3 * 3) / 12)


def test_features_average_over_angles_and_use_level_values() -> None:
    # grey levels 1 and 4 present (2 and 3 absent): i, j and k are level values, Ng = 4
    roi = small_roi([[[10, 10, 90, 90], [10, 90, 90, 90]]])
    assert roi.gray_levels.tolist() == [1, 4]
    values = glcm.compute(roi, NAMES)
    counts = glcm_matrix(roi.binned, roi.mask, roi.angles(), roi.n_levels)
    p = glcm_normalise(counts, roi.gray_levels)
    per_angle = [_reference_features(p[:, :, a], np.array([1, 4]), 4) for a in range(p.shape[2])]
    for name in NAMES:
        expected = float(np.mean([f[name] for f in per_angle]))
        assert values[name] == pytest.approx(expected, rel=1e-12, abs=1e-14), name


def test_flat_region() -> None:
    v = glcm.compute(small_roi(np.full((2, 3, 3), 40)), NAMES)
    assert v["MCC"] == 1.0
    assert v["Correlation"] == 1.0  # sigma_x sigma_y = 0
    assert v["Imc1"] == 0.0 and v["Imc2"] == 0.0
    for name in ("JointEnergy", "MaximumProbability", "Id", "Idm", "Idn", "Idmn", "JointAverage",
                 "Autocorrelation"):
        assert v[name] == pytest.approx(1.0, rel=1e-15), name
    for name in ("Contrast", "ClusterShade", "ClusterTendency", "ClusterProminence", "DifferenceAverage",
                 "DifferenceVariance", "InverseVariance", "SumSquares"):
        assert v[name] == 0.0, name
    assert v["SumAverage"] == 2.0
    assert abs(v["JointEntropy"]) < 1e-15 and abs(v["SumEntropy"]) < 1e-15


def test_angle_weights() -> None:
    angles = np.array([[1, 1, 0], [0, 0, 1], [1, 2, 1]])
    spacing = (1.0, 2.0, 3.0)  # (x, y, z); offsets are (z, y, x)
    np.testing.assert_allclose(angle_weights(angles, spacing, "manhattan"),
                               np.exp(-np.array([5.0, 1.0, 8.0]) ** 2))
    np.testing.assert_allclose(angle_weights(angles, spacing, "euclidean"),
                               np.exp(-np.array([13.0, 1.0, 26.0])))
    np.testing.assert_allclose(angle_weights(angles, spacing, "infinity"),
                               np.exp(-np.array([9.0, 1.0, 16.0])))
    np.testing.assert_array_equal(angle_weights(angles, spacing, "no_weighting"), [1, 1, 1])
    np.testing.assert_array_equal(angle_weights(angles, spacing, None), [1, 1, 1])


def test_weighting_merges_angles_into_one() -> None:
    roi = small_roi(SLAB * 25 + 5, weighting_norm="no_weighting")
    counts = glcm_matrix(roi.binned, roi.mask, roi.angles(), roi.n_levels).sum(axis=2)
    v = glcm.compute(roi, NAMES)
    expected = glcm_properties((counts / counts.sum())[:, :, None], roi.gray_levels, NAMES)
    assert v == pytest.approx(expected, rel=1e-14)


def test_asymmetric_and_distances_settings() -> None:
    roi = small_roi(SLAB * 25 + 5, symmetrical_glcm=False, distances=(1, 2))
    angles = generate_angles(SLAB.shape, (1, 2))
    assert len(angles) == 12  # in-plane offsets up to distance 2 in a 1x3x3 box
    counts = glcm_matrix(roi.binned, roi.mask, angles, 3, symmetrical=False)
    expected = glcm_properties(glcm_normalise(counts, roi.gray_levels), roi.gray_levels, NAMES)
    assert glcm.compute(roi, NAMES) == pytest.approx(expected, rel=1e-14, nan_ok=True)


def test_force2d_uses_in_plane_offsets_only() -> None:
    rng = np.random.default_rng(7)
    image = rng.integers(0, 100, size=(3, 4, 5))
    v2d = glcm.compute(small_roi(image, force2d=True), NAMES)
    angles = generate_angles(image.shape, force2d_dimension=0)
    assert len(angles) == 4 and not angles[:, 0].any()
    roi = small_roi(image)
    counts = glcm_matrix(roi.binned, roi.mask, angles, roi.n_levels)
    expected = glcm_properties(glcm_normalise(counts, roi.gray_levels), roi.gray_levels, NAMES)
    assert v2d == pytest.approx(expected, rel=1e-14)


def test_features_in_requested_order_and_unknown_name() -> None:
    roi = small_roi(SLAB * 25)
    names = ["MCC", "Contrast", "Autocorrelation"]
    assert list(glcm.compute(roi, names)) == names
    with pytest.raises(KeyError):
        glcm.compute(roi, ["NoSuchFeature"])


def test_roi_without_any_angle_raises() -> None:
    # PyRadiomics fails with "Error getting angle count"
    with pytest.raises(TooFewDimensionsError):
        glcm.compute(small_roi(np.full((1, 1, 1), 5)), NAMES)
    with pytest.raises(TooFewDimensionsError):
        glcm.compute(small_roi(np.full((4, 1, 1), 5), force2d=True, force2d_dimension=0), NAMES)
