r"""IBSI-2 separable wavelets, undecimated (stationary, *à trous*): Haar, Daubechies, Coiflet (IBSI code 25BO).

The 1-D decomposition filters are PyWavelets' ``dec_lo`` (low-pass, L) and ``dec_hi`` (high-pass, H) of the
wavelet (``haar``, ``db2``, ``db3``, ``coif1``, ...). Even-length filters get a trailing zero so that their
centre is well defined (:mod:`radiogenomics.ibsi.filters.boundary`). A sub-band name gives one letter per
axis in ``(x, y[, z])`` order: ``LHL`` is :math:`L(x)\,H(y)\,L(z)`.

Level :math:`j` of the undecimated transform (:math:`j \ge 1`):

.. math::

    A_0 = I,\qquad A_{j} = (L^{\uparrow 2^{j-1}})^{\otimes D} * A_{j-1},\qquad
    f_j = (g_1^{\uparrow 2^{j-1}} \otimes \dots \otimes g_D^{\uparrow 2^{j-1}}) * A_{j-1},

where :math:`g^{\uparrow m}` inserts :math:`m - 1` zeros between the taps of :math:`g` (à trous), the
:math:`g_a \in \{L, H\}` are the sub-band letters and every convolution uses the boundary condition. The
response of level :math:`j` is :math:`f_j`.

Rotation invariance: the whole filter chain (low-pass pre-filters and sub-band filter) is rotated to the 24
(3D) or 4 (2D) right-angle orientations (:mod:`radiogenomics.ibsi.filters.rotation`) and the responses
pooled by ``pooling`` (IBSI-2 uses the average).

Decimated (down-sampled) transforms change the grid and are not provided here: IBSI-2 phase 1 and 2 use
the undecimated transform only.
"""

from __future__ import annotations

import numpy as np
import pywt
from pydantic import Field, field_validator, model_validator

from radiogenomics.errors import UnknownNameError
from radiogenomics.ibsi.filters.base import FilterSettings, Pooling, as_array, response_image
from radiogenomics.ibsi.filters.rotation import separable_filter
from radiogenomics.image import Image

__all__ = ["WaveletSettings", "a_trous", "apply", "wavelet_filter"]


class WaveletSettings(FilterSettings):
    """``wavelet``: PyWavelets name of an orthogonal/biorthogonal wavelet (``haar``, ``db2``, ``coif1``...);
    ``subband``: ``L``/``H`` per axis in ``(x, y[, z])`` order; ``level`` >= 1; ``rotation_invariant`` and
    ``pooling``."""

    wavelet: str
    subband: str
    level: int = Field(default=1, ge=1)
    rotation_invariant: bool = False
    pooling: Pooling = "average"

    @field_validator("wavelet")
    @classmethod
    def _wavelet(cls, value: str) -> str:
        names = pywt.wavelist(kind="discrete")
        if value.lower() not in names:
            raise UnknownNameError("wavelet", value, names)
        return value.lower()

    @field_validator("subband")
    @classmethod
    def _subband(cls, value: str) -> str:
        value = value.upper()
        if not value or set(value) - {"L", "H"}:
            raise ValueError(f"subband must be a string of L and H, got {value!r}")
        return value

    @model_validator(mode="after")
    def _dims(self) -> WaveletSettings:
        need = 2 if self.dimensions == "2D" else 3
        if len(self.subband) != need:
            raise ValueError(f"subband {self.subband!r} needs {need} letters for {self.dimensions} filtering")
        return self


def a_trous(kernel: np.ndarray, level: int) -> np.ndarray:
    """``kernel`` (made odd by a trailing zero) with :math:`2^{j-1} - 1` zeros inserted between taps."""
    kernel = np.asarray(kernel, dtype=np.float64)
    if kernel.size % 2 == 0:
        kernel = np.append(kernel, 0.0)
    step = 2 ** (level - 1)
    out = np.zeros((kernel.size - 1) * step + 1)
    out[::step] = kernel
    return out


def wavelet_filter(array: np.ndarray, settings: WaveletSettings) -> np.ndarray:
    r"""Undecimated separable-wavelet response of a ``[z, y, x]`` float array: the chain of the low-pass
    pre-filters :math:`L^{\uparrow 2^{k-1}}`, :math:`k = 1 \dots j - 1`, and the sub-band filter of level
    :math:`j` (module docstring), rotated and pooled by
    :func:`~radiogenomics.ibsi.filters.rotation.separable_filter`."""
    w = pywt.Wavelet(settings.wavelet)
    lo, hi = np.array(w.dec_lo), np.array(w.dec_hi)
    band = [lo if c == "L" else hi for c in settings.subband]
    chain = [[a_trous(lo, j)] * len(band) for j in range(1, settings.level)]
    chain.append([a_trous(g, settings.level) for g in band])
    return separable_filter(array, chain, settings.boundary, settings.rotation_invariant, settings.pooling)


def apply(image: Image, settings: WaveletSettings) -> Image:
    """Separable-wavelet response map of ``image`` (float64, same grid)."""
    return response_image(image, wavelet_filter(as_array(image, settings), settings))
