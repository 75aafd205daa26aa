r"""IBSI-2 Simoncelli wavelet, a non-separable isotropic wavelet (IBSI code LODD), undecimated.

Band-pass transfer function of decomposition level :math:`j \ge 1` (:math:`\rho = \lVert\boldsymbol
\omega\rVert`, radians per voxel):

.. math::

    \hat\psi_j(\boldsymbol\omega) =
    \begin{cases}
        \cos\!\left(\dfrac{\pi}{2}\log_2\dfrac{2^{j}\rho}{\pi}\right) & \dfrac{\pi}{2^{j+1}} < \rho \le
            \dfrac{\pi}{2^{j-1}} \\
        0 & \text{otherwise,}
    \end{cases}

i.e. the level-1 wavelet dilated by :math:`2^{j-1}`: it peaks (=1) at :math:`\rho = \pi/2^j` and spans one
octave either side. The response is the real part of :math:`\mathcal F^{-1}\{\hat\psi_j\,\hat I\}` on the
frequency grid ``grid`` (:mod:`radiogenomics.ibsi.filters.fourier`; default: the IBSI-2 consensus grid).
Periodic boundaries use the image as it is; other boundary conditions extend it by half its size first.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from radiogenomics.ibsi.filters.base import FilterSettings, as_array, response_image
from radiogenomics.ibsi.filters.fourier import FrequencyGrid, fourier_filter
from radiogenomics.image import Image

__all__ = ["SimoncelliSettings", "apply", "simoncelli_filter", "simoncelli_transfer"]


class SimoncelliSettings(FilterSettings):
    """``level``: decomposition level :math:`j` (>= 1); ``grid``: frequency grid (``consensus`` or ``dft``)."""

    level: int = Field(default=1, ge=1)
    grid: FrequencyGrid = "consensus"


def simoncelli_transfer(omega: list[np.ndarray], level: int) -> np.ndarray:
    """:math:`\\hat\\psi_j` on the frequency grid ``omega`` (see the module docstring)."""
    rho = np.sqrt(sum(w**2 for w in omega))
    scaled = rho * 2.0 ** (level - 1)
    out = np.zeros(np.broadcast_shapes(*[w.shape for w in omega]))
    band = (scaled > np.pi / 4.0) & (scaled <= np.pi)
    out[band] = np.cos(np.pi / 2.0 * np.log2(2.0 * scaled[band] / np.pi))
    return out


def simoncelli_filter(array: np.ndarray, settings: SimoncelliSettings) -> np.ndarray:
    """Simoncelli response of a ``[z, y, x]`` float array."""
    axes = (1, 2) if settings.dimensions == "2D" else (0, 1, 2)
    return fourier_filter(array, lambda w: simoncelli_transfer(w, settings.level), settings.boundary, axes,
                          settings.grid)


def apply(image: Image, settings: SimoncelliSettings) -> Image:
    """Simoncelli response map of ``image`` (float64, same grid)."""
    return response_image(image, simoncelli_filter(as_array(image, settings), settings))
