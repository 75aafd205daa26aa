"""Separable (Haar, Daubechies, Coiflet) and Simoncelli wavelets, Riesz transform: known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import pywt

from radiogenomics.errors import SettingsError, UnknownNameError
from radiogenomics.ibsi.filters import RieszSettings, SimoncelliSettings, WaveletSettings
from radiogenomics.ibsi.filters.boundary import BoundaryCondition, convolve_1d
from radiogenomics.ibsi.filters.fourier import apply_transfer, frequency_grid
from radiogenomics.ibsi.filters.riesz import riesz_filter, riesz_transfer
from radiogenomics.ibsi.filters.simoncelli import simoncelli_filter, simoncelli_transfer
from radiogenomics.ibsi.filters.wavelet import a_trous, wavelet_filter


@pytest.mark.parametrize("level", [1, 2, 3])
def test_haar_low_pass_of_constant(level):
    """Haar dec_lo sums to sqrt(2): each level multiplies a constant by sqrt(2)^3 in 3D."""
    array = np.full((8, 8, 8), 1.5)
    out = wavelet_filter(array, WaveletSettings(wavelet="haar", subband="LLL", level=level, boundary="mirror"))
    np.testing.assert_allclose(out, 1.5 * 2 ** (1.5 * level))


@pytest.mark.parametrize("band", ["HLL", "LHL", "HHH", "LLH"])
def test_high_pass_of_constant_is_zero(band):
    array = np.full((8, 8, 8), 4.0)
    out = wavelet_filter(array, WaveletSettings(wavelet="db3", subband=band, level=2, boundary="nearest"))
    np.testing.assert_allclose(out, 0.0, atol=1e-12)


def test_a_trous():
    assert a_trous(np.array([1.0, 2.0]), 1).tolist() == [1.0, 2.0, 0.0]
    assert a_trous(np.array([1.0, 2.0]), 2).tolist() == [1.0, 0.0, 2.0, 0.0, 0.0]
    assert a_trous(np.array([1.0, 2.0, 3.0]), 3).tolist() == [1, 0, 0, 0, 2, 0, 0, 0, 3]


@pytest.mark.parametrize("name", ["haar", "db2", "coif1"])
def test_level_one_equals_pywavelets_swt_up_to_a_shift(name):
    """1-D periodic undecimated level 1 = PyWavelets' stationary transform (same taps), circularly shifted."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=32)
    w = pywt.Wavelet(name)
    (approx, detail), = pywt.swt(x, w, level=1)
    ours_lo = convolve_1d(x, np.array(w.dec_lo), 0, BoundaryCondition.periodic)
    ours_hi = convolve_1d(x, np.array(w.dec_hi), 0, BoundaryCondition.periodic)
    shifts = [s for s in range(32) if np.allclose(np.roll(ours_lo, s), approx)]
    assert len(shifts) == 1
    np.testing.assert_allclose(np.roll(ours_hi, shifts[0]), detail, atol=1e-12)


def test_rotation_invariant_wavelet_commutes_with_rotation():
    rng = np.random.default_rng(6)
    array = rng.normal(size=(10, 10, 10))
    settings = WaveletSettings(wavelet="db2", subband="LHL", level=2, rotation_invariant=True, boundary="periodic")
    direct = wavelet_filter(array, settings)
    for axes in [(0, 1), (1, 2)]:
        np.testing.assert_allclose(wavelet_filter(np.rot90(array, 1, axes), settings), np.rot90(direct, 1, axes),
                                   atol=1e-12)


def test_wavelet_settings_errors():
    with pytest.raises(UnknownNameError, match="Did you mean 'coif1'"):
        WaveletSettings.validate_dict({"wavelet": "coiff1", "subband": "LLL"})
    with pytest.raises(SettingsError, match="letters"):
        WaveletSettings.validate_dict({"wavelet": "haar", "subband": "LL"})


def test_simoncelli_transfer_shape():
    rho = np.array([0.0, np.pi / 8, np.pi / 4, np.pi / 2, 3 * np.pi / 4, np.pi, 1.2 * np.pi])
    h1 = simoncelli_transfer([rho], level=1)
    assert h1[3] == pytest.approx(1.0)  # peak at pi / 2
    assert h1[[0, 1, 6]].tolist() == [0.0, 0.0, 0.0]
    assert h1[2] == pytest.approx(0.0, abs=1e-15) and h1[5] == pytest.approx(0.0, abs=1e-15)
    assert h1[4] == pytest.approx(math.cos(math.pi / 2 * math.log2(1.5)))
    np.testing.assert_allclose(simoncelli_transfer([rho / 2], level=2), h1)  # dilation by 2 per level


def test_simoncelli_passes_its_peak_frequency():
    """On the exact DFT grid a cosine at the peak frequency pi / 2^j passes unchanged; a constant vanishes."""
    x = np.arange(32.0)
    for level in (1, 2):
        wave = np.broadcast_to(np.cos(np.pi / 2**level * x), (8, 8, 32)).copy()
        out = simoncelli_filter(wave, SimoncelliSettings(level=level, boundary="periodic", grid="dft"))
        np.testing.assert_allclose(out, wave, atol=1e-12)
    flat = simoncelli_filter(np.full((8, 8, 8), 3.0), SimoncelliSettings(boundary="periodic", grid="dft"))
    np.testing.assert_allclose(flat, 0.0, atol=1e-12)


def test_consensus_grid():
    (w,) = frequency_grid([4], "consensus")
    assert sorted(w.tolist()) == pytest.approx([-np.pi, -np.pi / 3, np.pi / 3, np.pi])
    (w,) = frequency_grid([5], "consensus")
    assert sorted(w.tolist()) == pytest.approx([-np.pi, -np.pi / 2, 0.0, np.pi / 2, np.pi])
    (w,) = frequency_grid([4], "dft")
    assert w.tolist() == pytest.approx([0.0, np.pi / 2, -np.pi, -np.pi / 2])


def test_riesz_of_cosine():
    """First-order Riesz along x turns cos(w x) into sin(w x); second order into -cos(w x)."""
    x = np.arange(16.0)
    wave = np.broadcast_to(np.cos(np.pi / 4 * x), (4, 4, 16)).copy()
    first = apply_transfer(wave, lambda w: riesz_transfer(w, (0, 0, 1)), (0, 1, 2), "dft")
    np.testing.assert_allclose(first.real, np.broadcast_to(np.sin(np.pi / 4 * x), wave.shape), atol=1e-12)
    second = apply_transfer(wave, lambda w: riesz_transfer(w, (0, 0, 2)), (0, 1, 2), "dft")
    np.testing.assert_allclose(second.real, -wave, atol=1e-12)
    # a component along an axis the wave does not vary on is 0
    across = apply_transfer(wave, lambda w: riesz_transfer(w, (1, 0, 0)), (0, 1, 2), "dft")
    np.testing.assert_allclose(across.real, 0.0, atol=1e-12)


def test_riesz_simoncelli_of_cosine_at_peak():
    x = np.arange(32.0)
    wave = np.broadcast_to(np.cos(np.pi / 2 * x), (8, 8, 32)).copy()
    settings = RieszSettings(base="simoncelli", level=1, order=(1, 0, 0), boundary="periodic", grid="dft")
    out = riesz_filter(wave, settings, spacing=1.0)
    np.testing.assert_allclose(out, np.broadcast_to(np.sin(np.pi / 2 * x), wave.shape), atol=1e-12)


def test_riesz_settings_errors():
    with pytest.raises(SettingsError, match="sigma"):
        RieszSettings.validate_dict({"base": "log", "order": (1, 0, 0)})
    with pytest.raises(SettingsError, match="order"):
        RieszSettings.validate_dict({"base": "simoncelli", "order": (0, 0, 0)})
