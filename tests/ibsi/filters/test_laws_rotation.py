"""Laws kernels and right-angle rotations: known answers and rotation invariance."""

from __future__ import annotations

import numpy as np
import pytest

from radiogenomics.errors import SettingsError, UnknownNameError
from radiogenomics.ibsi.filters import LawsSettings
from radiogenomics.ibsi.filters.base import pool
from radiogenomics.ibsi.filters.laws import laws_factors, laws_filter
from radiogenomics.ibsi.filters.rotation import orientations, rotate_factors, rotated_chains, separable_filter


def _matrix(o):
    perm, flips = o
    m = np.zeros((len(perm), len(perm)))
    m[np.arange(len(perm)), perm] = [-1.0 if f else 1.0 for f in flips]
    return m


@pytest.mark.parametrize(("ndim", "count"), [(2, 4), (3, 24)])
def test_orientations_are_the_proper_rotations(ndim, count):
    mats = [_matrix(o) for o in orientations(ndim)]
    assert len({m.tobytes() for m in mats}) == count
    assert all(round(np.linalg.det(m)) == 1 for m in mats)
    assert np.array_equal(mats[0], np.eye(ndim))
    # closed under composition: a group
    keys = {m.tobytes() for m in mats}
    assert all((a @ b).tobytes() in keys for a in mats for b in mats)


def test_rotated_factors_are_the_rotated_kernel():
    rng = np.random.default_rng(1)
    factors = [rng.normal(size=3), rng.normal(size=5), rng.normal(size=7)]
    kernel = np.einsum("i,j,k->ijk", *factors)  # axes (x, y, z)
    for o in orientations(3):
        perm, flips = o
        rotated = np.einsum("i,j,k->ijk", *rotate_factors(factors, o))
        expected = np.transpose(kernel, perm)
        for a, f in enumerate(flips):
            if f:
                expected = np.flip(expected, axis=a)
        np.testing.assert_allclose(rotated, expected, rtol=1e-14, atol=1e-16)


def test_laws_factors_unit_norm_and_names():
    for g in laws_factors("E5L5S5") + laws_factors("E3W5R5"):
        assert np.sum(g**2) == pytest.approx(1.0)
    assert laws_factors("L5")[0] == pytest.approx(np.array([1, 4, 6, 4, 1]) / np.sqrt(70))
    with pytest.raises(UnknownNameError, match="Laws kernel"):
        LawsSettings.validate_dict({"kernel": "E5L5X5"})
    with pytest.raises(SettingsError, match="parts"):
        LawsSettings.validate_dict({"kernel": "E5L5", "dimensions": "3D"})


def test_laws_constant_image():
    """On a constant image a zero-sum kernel (E5, S5) responds 0 and L5L5L5 responds c (sum L5)^3 / 70^1.5."""
    array = np.full((9, 9, 9), 2.0)
    zero = laws_filter(array, LawsSettings(kernel="E5L5S5", boundary="periodic"))
    np.testing.assert_allclose(zero, 0.0, atol=1e-12)
    low = laws_filter(array, LawsSettings(kernel="L5L5L5", boundary="mirror"))
    np.testing.assert_allclose(low, 2.0 * 16**3 / 70**1.5)


def test_laws_energy_of_constant_response():
    """Energy = mean of |response| over (2 delta + 1)^3: a constant response keeps its absolute value."""
    array = np.full((10, 10, 10), -3.0)
    settings = LawsSettings(kernel="L3L3L3", boundary="nearest", energy_delta=2)
    np.testing.assert_allclose(laws_filter(array, settings), 3.0 * 4**3 / 6**1.5)


@pytest.mark.parametrize("pooling", ["max", "average"])
def test_rotation_invariant_laws_commutes_with_rotation(pooling):
    rng = np.random.default_rng(5)
    array = rng.normal(size=(12, 12, 12))
    settings = LawsSettings(kernel="E5W5S5", boundary="periodic", rotation_invariant=True, pooling=pooling)
    direct = laws_filter(array, settings)
    for axes in [(0, 1), (1, 2), (0, 2)]:
        rotated = laws_filter(np.rot90(array, 1, axes), settings)
        np.testing.assert_allclose(rotated, np.rot90(direct, 1, axes), atol=1e-12)
    plain = laws_filter(array, settings.model_copy(update={"rotation_invariant": False}))
    assert not np.allclose(np.rot90(laws_filter(np.rot90(array, 1, (1, 2)), settings.model_copy(
        update={"rotation_invariant": False})), -1, (1, 2)), plain)


def test_pool_average_and_max():
    maps = [np.array([1.0, 5.0]), np.array([3.0, -1.0]), np.array([2.0, 2.0])]
    assert pool(iter(maps), "average").tolist() == [2.0, 2.0]
    assert pool(maps, "max").tolist() == [3.0, 5.0]
    assert maps[0].tolist() == [1.0, 5.0]  # the inputs are not modified
    with pytest.raises(ValueError, match="no response"):
        pool([], "max")


@pytest.mark.parametrize("pooling", ["max", "average"])
def test_separable_filter_pools_over_every_orientation(pooling):
    """Pooling over the distinct rotated chains equals pooling over all 24 orientations."""
    rng = np.random.default_rng(2)
    array = rng.normal(size=(9, 9, 9))
    chain = [[rng.normal(size=3)] * 3, laws_factors("E5L5S5")]
    every = [
        separable_filter(array, [rotate_factors(f, o) for f in chain], "periodic") for o in orientations(3)
    ]
    expected = np.mean(every, axis=0) if pooling == "average" else np.max(every, axis=0)
    got = separable_filter(array, chain, "periodic", rotation_invariant=True, pooling=pooling)
    np.testing.assert_allclose(got, expected, atol=1e-12)
    assert len(rotated_chains([laws_factors("L5L5L5")], rotation_invariant=True)) == 1  # symmetric: one kernel
