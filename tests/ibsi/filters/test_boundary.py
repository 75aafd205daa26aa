"""Boundary conditions on 1-D examples, name handling, and the two convolution paths against SciPy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi

from radiogenomics.errors import UnknownNameError
from radiogenomics.ibsi.filters.boundary import (
    BoundaryCondition,
    boundary_condition,
    convolve,
    convolve_1d,
    convolve_separable,
    pad,
)

SIGNAL = np.array([1.0, 2.0, 3.0, 4.0])  # a b c d


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("constant", [0, 0, 0, 1, 2, 3, 4, 0, 0, 0]),
        ("nearest", [1, 1, 1, 1, 2, 3, 4, 4, 4, 4]),
        ("periodic", [2, 3, 4, 1, 2, 3, 4, 1, 2, 3]),
        ("mirror", [3, 2, 1, 1, 2, 3, 4, 4, 3, 2]),  # symmetric: the border voxel is repeated
    ],
)
def test_pad_1d(name, expected):
    assert pad(SIGNAL, [(3, 3)], BoundaryCondition(name)).tolist() == expected


@pytest.mark.parametrize("name", ["constant", "nearest", "periodic", "mirror"])
def test_scipy_mode_extends_like_numpy_mode(name):
    """Each condition's scipy.ndimage mode extends the signal exactly like its numpy.pad mode: a shift by 3
    (a convolution with a unit impulse off centre) reads the extension."""
    bc = BoundaryCondition(name)
    padded = pad(SIGNAL, [(3, 3)], bc)
    for shift in range(-3, 4):
        kernel = np.zeros(7)
        kernel[3 + shift] = 1.0  # y_k = x_{k - shift}
        expected = padded[3 - shift: 3 - shift + 4]
        assert np.array_equal(ndi.convolve1d(SIGNAL, kernel, mode=bc.scipy_mode, cval=0.0), expected)


def test_ibsi_mirror_is_not_scipy_mirror():
    assert BoundaryCondition.mirror.scipy_mode == "reflect"
    assert BoundaryCondition.mirror.numpy_mode == "symmetric"
    assert ndi.correlate1d(SIGNAL, [1.0, 0.0, 0.0], mode="mirror")[0] == 2.0  # scipy 'mirror' skips the edge
    assert convolve_1d(SIGNAL, np.array([0.0, 0.0, 1.0]), 0, BoundaryCondition.mirror)[0] == 1.0


def test_names_and_aliases():
    assert boundary_condition("zero") is BoundaryCondition.constant
    assert boundary_condition("Mirror") is BoundaryCondition.mirror
    assert boundary_condition("wrap") is BoundaryCondition.periodic
    assert boundary_condition("symmetric") is BoundaryCondition.mirror
    with pytest.raises(UnknownNameError, match="Did you mean 'periodic'"):
        boundary_condition("periodik")


def test_convolve_1d_even_kernel_gets_trailing_zero():
    """Haar-like [a, b] becomes [a, b, 0], centred on b: y_k = a x_{k+1} + b x_k."""
    out = convolve_1d(SIGNAL, np.array([10.0, 1.0]), 0, BoundaryCondition.periodic)
    assert out.tolist() == [1 + 20, 2 + 30, 3 + 40, 4 + 10]


@pytest.mark.parametrize("name", ["constant", "nearest", "periodic", "mirror"])
def test_fft_convolve_equals_direct_convolution(name):
    rng = np.random.default_rng(7)
    array = rng.normal(size=(9, 10, 11))
    kernel = rng.normal(size=(5, 3, 7))
    bc = BoundaryCondition(name)
    expected = ndi.convolve(array, kernel, mode=bc.scipy_mode, cval=0.0)
    np.testing.assert_allclose(convolve(array, kernel, bc), expected, atol=1e-12)


def test_fft_convolve_in_plane_only():
    rng = np.random.default_rng(3)
    array = rng.normal(size=(4, 12, 9))
    kernel = rng.normal(size=(5, 3))
    out = convolve(array, kernel, BoundaryCondition.mirror, axes=(1, 2))
    for z in range(4):
        np.testing.assert_allclose(out[z], ndi.convolve(array[z], kernel, mode="reflect"), atol=1e-12)


def test_separable_order_is_x_y_z():
    """Factor 0 acts along x (last axis), factor 1 along y, factor 2 along z."""
    array = np.zeros((7, 7, 7))
    array[3, 3, 3] = 1.0
    fx, fy, fz = np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 5.0]), np.array([7.0, 1.0, 0.0])
    out = convolve_separable(array, [fx, fy, fz], BoundaryCondition.constant)
    expected = np.einsum("i,j,k->ijk", fz, fy, fx)  # the impulse response is the kernel itself
    np.testing.assert_allclose(out[2:5, 2:5, 2:5], expected)
    assert out.sum() == pytest.approx(expected.sum())
