"""IBSI feature families against closed forms and brute-force re-implementations on small volumes."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import ndimage, special, stats

from radiogenomics.features.glrlm import glrlm_matrix
from radiogenomics.ibsi import glcm, gldzm, glrlm, glszm, histogram, ivh, local_intensity, ngldm, ngtdm, statistics
from radiogenomics.ibsi.morphology import ellipsoid_area, moran_geary
from radiogenomics.ibsi.texture import offsets


@pytest.fixture(scope="module")
def levels() -> np.ndarray:
    rng = np.random.default_rng(7)
    lv = rng.integers(1, 5, size=(4, 6, 7))
    lv[rng.random(lv.shape) < 0.2] = 0  # holes: outside the mask
    return lv


def test_statistics_match_scipy() -> None:
    x = np.random.default_rng(1).gamma(2.0, 3.0, size=500)
    f = statistics.compute(x)
    assert f["stat_skew"] == pytest.approx(stats.skew(x))
    assert f["stat_kurt"] == pytest.approx(stats.kurtosis(x, fisher=True))  # excess kurtosis
    assert f["stat_var"] == pytest.approx(np.var(x))
    assert f["stat_medad"] == pytest.approx(np.mean(np.abs(x - np.median(x))))
    p10, p90 = np.percentile(x, [10, 90])
    sub = x[(x >= p10) & (x <= p90)]
    assert f["stat_rmad"] == pytest.approx(np.mean(np.abs(sub - sub.mean())))
    assert f["stat_qcod"] == pytest.approx(stats.iqr(x) / (np.percentile(x, 75) + np.percentile(x, 25)))


def test_histogram_by_hand() -> None:
    x = np.array([1, 1, 1, 2, 4, 4])  # histogram over 1..5: [3, 1, 0, 2, 0]
    f = histogram.compute(x, 5)
    assert f["ih_mode"] == 1
    assert f["ih_entropy"] == pytest.approx(-(0.5 * np.log2(0.5) + 1 / 6 * np.log2(1 / 6) + 1 / 3 * np.log2(1 / 3)))
    assert f["ih_uniformity"] == pytest.approx(0.25 + 1 / 36 + 1 / 9)
    # gradients: [1-3, (0-3)/2, (2-1)/2, (0-0)/2, 0-2] = [-2, -1.5, 0.5, 0, -2]
    assert (f["ih_max_grad"], f["ih_max_grad_g"]) == (0.5, 3)
    assert (f["ih_min_grad"], f["ih_min_grad_g"]) == (-2, 1)


def test_ivh_by_hand() -> None:
    x = np.array([1.0, 1.0, 2.0, 4.0])  # nu(1..4) = 1, .5, .25, .25; gamma = 0, 1/3, 2/3, 1
    f = ivh.compute(x)
    assert (f["ivh_v10"], f["ivh_v90"], f["ivh_i10"], f["ivh_i90"]) == (0.5, 0.25, 5.0, 2.0)
    ranged = ivh.compute(x, intensity_range=(0.0, 10.0))  # gamma = g / 10 over the levels 0..10
    assert (ranged["ivh_v10"], ranged["ivh_v90"], ranged["ivh_i90"]) == (1.0, 0.0, 2.0)
    fbn = ivh.compute(x, "fbn", bin_number=3)  # bins floor(3 (x-1)/3) + 1 = 1, 1, 2, 3
    assert (fbn["ivh_v10"], fbn["ivh_i90"]) == (0.5, 2.0)


def _pairs(lv: np.ndarray, off: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    a, b = [], []
    for z, y, x in itertools.product(*map(range, lv.shape)):
        q = (z + off[0], y + off[1], x + off[2])
        if all(0 <= c < n for c, n in zip(q, lv.shape, strict=True)) and lv[z, y, x] and lv[q]:
            a += [lv[z, y, x], lv[q]]
            b += [lv[q], lv[z, y, x]]
    return np.array(a), np.array(b)


def test_glcm_matrix_and_features_brute_force(levels: np.ndarray) -> None:
    m = glcm.glcm_matrices(levels, 4, planar=False)[0]
    assert m.shape == (1 * 13, 4, 4) or m.shape == (13, 4, 4)
    for d, off in enumerate(offsets(1, planar=False, half=True)):
        a, b = _pairs(levels, off)
        expected = np.zeros((4, 4))
        np.add.at(expected, (a - 1, b - 1), 1)
        assert np.array_equal(m[d], expected)
    a, b = _pairs(levels, (0, 1, 1))
    f = glcm.glcm_features(np.histogram2d(a, b, bins=4, range=((0.5, 4.5), (0.5, 4.5)))[0], 4)
    assert f["cm_corr"] == pytest.approx(np.corrcoef(a, b)[0, 1])
    assert f["cm_contrast"] == pytest.approx(np.mean((a - b) ** 2))
    assert f["cm_joint_avg"] == pytest.approx(a.mean())
    assert f["cm_diff_avg"] == pytest.approx(np.mean(np.abs(a - b)))
    assert f["cm_sum_avg"] == pytest.approx(np.mean(a + b))
    assert f["cm_auto_corr"] == pytest.approx(np.mean(a * b))
    # 2D per slice: in-plane directions only, one matrix set per slice
    planar = glcm.glcm_matrices(levels, 4, planar=True)
    assert planar.shape == (4, 4, 4, 4)
    assert np.array_equal(planar.sum(axis=0)[0], m[offsets(1, False, True).index((0, 0, 1))])


def _runs_brute(lv: np.ndarray, off: tuple[int, int, int], n_g: int) -> np.ndarray:
    out = np.zeros((n_g, max(lv.shape)))
    for p in itertools.product(*map(range, lv.shape)):
        g = lv[p]
        prev = tuple(c - d for c, d in zip(p, off, strict=True))
        if not g or (all(0 <= c < n for c, n in zip(prev, lv.shape, strict=True)) and lv[prev] == g):
            continue
        n, q = 0, p
        while all(0 <= c < s for c, s in zip(q, lv.shape, strict=True)) and lv[q] == g:
            n += 1
            q = tuple(c + d for c, d in zip(q, off, strict=True))
        out[g - 1, n - 1] += 1
    return out


def test_run_lengths_brute_force(levels: np.ndarray) -> None:
    for off in offsets(1, planar=False, half=True):
        assert np.array_equal(glrlm.run_length_matrix(levels, 4, off), _runs_brute(levels, off, 4))
    f = glrlm.compute(levels, 4, ("3D",), ("comb",))
    assert f["rlm_r_perc_3D_comb"] == pytest.approx(
        sum(_runs_brute(levels, o, 4).sum() for o in offsets(1, False, True)) / (13 * (levels > 0).sum())
    )


def test_zones_by_hand() -> None:
    lv = np.array([[[1, 2, 2], [2, 1, 0], [3, 3, 1]]])  # 8-connected within the slice
    z = gldzm.find_zones(lv, planar=True)
    zones = sorted(zip(z.level.tolist(), z.size.tolist(), strict=True))
    assert zones == [(1, 3), (2, 3), (3, 2)]
    stacked = np.concatenate([lv, lv])  # 3D: the two slices join; 2D: six zones
    assert len(gldzm.find_zones(stacked, planar=False).size) == 3
    assert len(gldzm.find_zones(stacked, planar=True).size) == 6
    # the GLSZM counts the same zones (default engine's kernel)
    assert np.array_equal(glszm.size_zone_matrix(lv, 3, planar=True), [[0, 0, 1], [0, 0, 1], [0, 1, 0]])
    assert glszm.size_zone_matrix(stacked, 3, planar=False).sum() == 3
    assert glszm.size_zone_matrix(stacked, 3, planar=True).sum() == 6
    f = glszm.compute(lv, 3, ("2D",))
    assert f["szm_z_perc_2D"] == pytest.approx(3 / 8)
    assert f["szm_sze_2D"] == pytest.approx((1 / 9 + 1 / 9 + 1 / 4) / 3)


def test_edge_distance_equals_repeated_erosion() -> None:
    rng = np.random.default_rng(3)
    mask = ndimage.binary_opening(rng.random((9, 12, 12)) < 0.7)
    for planar in (False, True):
        structure = ndimage.generate_binary_structure(3, 1)
        if planar:
            structure[0] = structure[2] = False
        expected = np.zeros(mask.shape, dtype=int)
        eroded = mask.copy()
        while eroded.any():
            expected += eroded
            eroded = ndimage.binary_erosion(eroded, structure=structure)
        assert np.array_equal(gldzm.edge_distance(mask, planar), expected)


def test_ngtdm_and_ngldm_brute_force(levels: np.ndarray) -> None:
    s = np.zeros(4)
    n = np.zeros(4)
    dep = np.zeros(levels.shape, dtype=int)
    neighbours = offsets(1, planar=False, half=False)
    for p in itertools.product(*map(range, levels.shape)):
        if not levels[p]:
            continue
        vals = []
        for off in neighbours:
            q = tuple(c + d for c, d in zip(p, off, strict=True))
            if all(0 <= c < k for c, k in zip(q, levels.shape, strict=True)) and levels[q]:
                vals.append(levels[q])
        dep[p] = 1 + sum(v == levels[p] for v in vals)
        if vals:
            s[levels[p] - 1] += abs(levels[p] - np.mean(vals))
            n[levels[p] - 1] += 1
    m = ngtdm.ngtdm_matrices(levels, 4, planar=False)[0]
    assert np.allclose(m[0], s) and np.array_equal(m[1], n)
    p = n / n.sum()
    assert ngtdm.ngtdm_features(m)["ngt_coarseness"] == pytest.approx(1 / np.sum(p * s))
    expected = np.zeros((4, dep.max()))
    np.add.at(expected, (levels[levels > 0] - 1, dep[levels > 0] - 1), 1)
    assert np.array_equal(ngldm.dependence_matrix(levels, 4, planar=False), expected)


def test_moran_geary_brute_force() -> None:
    rng = np.random.default_rng(5)
    values = rng.normal(size=(4, 5, 6))
    mask = rng.random(values.shape) < 0.6
    spacing = (3.0, 1.0, 1.5)
    pos = np.argwhere(mask) * spacing
    x = values[mask]
    w = 1.0 / np.sqrt(((pos[:, None] - pos[None]) ** 2).sum(-1) + np.eye(len(x)))
    np.fill_diagonal(w, 0.0)
    z = x - x.mean()
    moran = len(x) / w.sum() * (z @ w @ z) / (z @ z)
    geary = (len(x) - 1) * (w * (x[:, None] - x[None]) ** 2).sum() / (2 * w.sum() * (z @ z))
    assert moran_geary(values, mask, spacing) == pytest.approx((moran, geary), rel=1e-9)


def test_local_mean_brute_force() -> None:
    rng = np.random.default_rng(2)
    image = rng.normal(size=(5, 9, 9))
    spacing = (3.0, 2.0, 2.0)
    inside = np.ones(image.shape, dtype=bool)
    got = local_intensity.local_mean(image, inside, spacing)
    pos = np.argwhere(inside) * spacing
    for p in [(2, 4, 4), (0, 0, 0), (4, 8, 3)]:
        d = np.sqrt(((pos - np.array(p) * spacing) ** 2).sum(-1))
        assert got[p] == pytest.approx(image[inside][d <= local_intensity.RADIUS_MM].mean())


def test_ellipsoid_area_is_the_ibsi_legendre_series() -> None:
    assert ellipsoid_area(2.0, 2.0, 2.0) == pytest.approx(4 * np.pi * 4)  # sphere: exact
    a, b, c = 5.0, 3.0, 2.0
    alpha, beta = np.sqrt(1 - b**2 / a**2), np.sqrt(1 - c**2 / a**2)
    nu = np.arange(21)
    series = 4 * np.pi * a * b * np.sum(
        (alpha * beta) ** nu / (1 - 4 * nu**2) * special.eval_legendre(nu, (alpha**2 + beta**2) / (2 * alpha * beta))
    )
    assert ellipsoid_area(a, b, c) == pytest.approx(series, rel=1e-12)
    # the series is not the exact area (elliptic-integral closed form): the IBSI definition is kept
    phi = np.arccos(c / a)
    m = a**2 * (b**2 - c**2) / (b**2 * (a**2 - c**2))
    exact = 2 * np.pi * c**2 + 2 * np.pi * a * b / np.sin(phi) * (
        special.ellipeinc(phi, m) * np.sin(phi) ** 2 + special.ellipkinc(phi, m) * np.cos(phi) ** 2
    )
    assert 0.02 < 1 - ellipsoid_area(a, b, c) / exact < 0.04
    # spheroids (alpha * beta = 0 or alpha = beta) are the limits of the triaxial case
    assert ellipsoid_area(a, a, c) == pytest.approx(ellipsoid_area(a, a * (1 - 1e-9), c), rel=1e-7)
    assert ellipsoid_area(a, b, b) == pytest.approx(ellipsoid_area(a, b, b * (1 - 1e-9)), rel=1e-7)


@pytest.mark.parametrize(("distance", "planar", "half", "count"),
                         [(1, False, True, 13), (1, True, True, 4), (1, False, False, 26), (1, True, False, 8),
                          (2, False, True, 49), (2, True, True, 8), (2, False, False, 124), (2, True, False, 24)])
def test_offsets_are_the_chebyshev_neighbourhood(distance: int, planar: bool, half: bool, count: int) -> None:
    got = offsets(distance, planar, half)
    assert len(got) == len(set(got)) == count and got == sorted(got)
    for off in got:
        cheb = max(map(abs, off))
        assert (cheb == distance if half else 1 <= cheb <= distance) and not (planar and off[0])
        assert not half or off > (0, 0, 0)  # one of each mirrored pair


def test_runs_along_a_direction_without_voxel_pairs() -> None:
    """No line along x holds two mask voxels: PyRadiomics drops the direction, IBSI counts runs of 1."""
    lv = np.zeros((1, 3, 3), dtype=int)
    lv[0, 0, 0], lv[0, 1, 1], lv[0, 2, 0] = 1, 2, 2
    assert not glrlm_matrix(lv, lv > 0, np.array([[0, 0, 1]]), 2).any()  # the default engine's rule
    for off in offsets(1, planar=True, half=True):
        assert np.array_equal(glrlm.run_length_matrix(lv, 2, off), _runs_brute(lv, off, 2))
    assert glrlm.run_length_matrix(lv, 2, (0, 0, 1))[:, 0].tolist() == [1, 2]


def test_ngtdm_leaves_out_voxels_without_neighbours() -> None:
    lv = np.zeros((1, 4, 5), dtype=int)
    lv[0, 0, :2] = [1, 3]  # a pair
    lv[0, 3, 4] = 2  # alone
    m = ngtdm.ngtdm_matrices(lv, 3, planar=True)[0]
    assert m[1].tolist() == [1, 0, 1] and m[0].tolist() == [2, 0, 2]


def test_ngldm_coarseness_is_a_bound_on_integer_differences(levels: np.ndarray) -> None:
    mask = levels > 0
    for alpha in (-1.0, 0.0, 1.5, 10.0):
        dep = np.ones(levels.shape, dtype=int)
        for off in offsets(1, planar=False, half=False):
            for p in map(tuple, np.argwhere(mask)):
                q = tuple(c + d for c, d in zip(p, off, strict=True))
                if all(0 <= c < k for c, k in zip(q, levels.shape, strict=True)) and mask[q]:
                    dep[p] += abs(levels[p] - levels[q]) <= alpha
        expected = np.zeros((4, 27))
        np.add.at(expected, (levels[mask] - 1, dep[mask] - 1), 1)
        expected = expected[:, : dep.max()]
        assert np.array_equal(ngldm.dependence_matrix(levels, 4, planar=False, coarseness=alpha), expected)


def test_flat_roi_has_no_enclosing_ellipsoid_volume() -> None:
    """One slice of voxel centres: the least PCA axis is 0, so the ellipsoid's volume is 0 and its volume density
    undefined (NaN), not infinite; the other morphology features stay finite."""
    from radiogenomics.ibsi import morphology

    image = np.arange(6 * 7, dtype=np.float64).reshape(1, 6, 7) % 5 + 1
    mask = np.zeros((1, 6, 7), bool)
    mask[0, 1:5, 1:6] = True
    out = morphology.compute(image, mask, mask, (2.0, 1.0, 1.0), moran=False)
    assert np.isnan(out["morph_vol_dens_aee"]) and out["morph_pca_least_axis"] == 0.0
    assert np.isfinite([v for k, v in out.items() if k != "morph_vol_dens_aee"]).all()
