r"""IBSI-2 Riesz-transformed filters (IBSI code AYRS): Riesz transform of a LoG or Simoncelli response.

The Riesz transform of order :math:`\mathbf l = (l_x, l_y, l_z)`, :math:`L = \sum_d l_d`, is the all-pass
higher-order derivative with transfer function

.. math::

    \hat R^{\mathbf l}(\boldsymbol\omega) = (-i)^{L} \sqrt{\frac{L!}{\prod_d l_d!}}\;
        \frac{\prod_d \omega_d^{\,l_d}}{\lVert\boldsymbol\omega\rVert^{L}}, \qquad \hat R^{\mathbf l}(\mathbf 0) = 0

(first order: a normalised gradient component; second order: a normalised Hessian component). The filter
response is :math:`\mathrm{Re}\,\mathcal F^{-1}\{\hat R^{\mathbf l}\,\widehat{(h * I)}\}` with :math:`h` the
LoG (:mod:`radiogenomics.ibsi.filters.log`, computed in space) or the Simoncelli wavelet
(:mod:`radiogenomics.ibsi.filters.simoncelli`, multiplied in frequency). The image is extended by half its
size with the boundary condition (unless periodic) and both steps run on the extended grid, which is cropped
at the end (:mod:`radiogenomics.ibsi.filters.fourier`).

The order is given in ``(x, y, z)`` order (``(x, y)`` for 2D). Structure-tensor-aligned ("steered") Riesz
filters are not provided: IBSI-2 published no consensus map for them (9.b.2, 10.a, 10.b.2).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from radiogenomics.ibsi.filters.base import FilterSettings, as_array, in_plane_spacing, response_image
from radiogenomics.ibsi.filters.fourier import FrequencyGrid, apply_transfer, extend
from radiogenomics.ibsi.filters.log import LogSettings, log_filter
from radiogenomics.ibsi.filters.simoncelli import simoncelli_transfer
from radiogenomics.image import Image

__all__ = ["RieszSettings", "apply", "riesz_filter", "riesz_transfer"]


class RieszSettings(FilterSettings):
    """``base``: ``log`` (needs ``sigma`` in mm, ``truncate``) or ``simoncelli`` (``level``); ``order``:
    Riesz order per axis in ``(x, y[, z])`` order (total >= 1); ``grid``: frequency grid."""

    base: Literal["log", "simoncelli"]
    order: tuple[int, ...]
    sigma: float | None = Field(default=None, gt=0)
    truncate: float = Field(default=4.0, gt=0)
    level: int = Field(default=1, ge=1)
    grid: FrequencyGrid = "consensus"

    @model_validator(mode="after")
    def _check(self) -> RieszSettings:
        need = 2 if self.dimensions == "2D" else 3
        if len(self.order) != need or any(o < 0 for o in self.order) or sum(self.order) < 1:
            raise ValueError(f"order needs {need} non-negative integers with a positive sum, got {self.order}")
        if self.base == "log" and self.sigma is None:
            raise ValueError("a Riesz-transformed LoG needs sigma (mm)")
        return self


def riesz_transfer(omega: list[np.ndarray], order: tuple[int, ...]) -> np.ndarray:
    """:math:`\\hat R^{\\mathbf l}` on the frequency grid ``omega`` (``order`` in the grid's axis order)."""
    total = sum(order)
    rho = np.sqrt(sum(w**2 for w in omega))
    numerator = np.ones_like(rho)
    for w, o in zip(omega, order, strict=True):
        numerator = numerator * w**o
    scale = (-1j) ** total * math.sqrt(math.factorial(total) / math.prod(math.factorial(o) for o in order))
    out = np.zeros(rho.shape, dtype=np.complex128)
    nonzero = rho > 0
    out[nonzero] = scale * numerator[nonzero] / rho[nonzero] ** total
    return out


def riesz_filter(array: np.ndarray, settings: RieszSettings, spacing: float) -> np.ndarray:
    """Riesz-transformed LoG/Simoncelli response of a ``[z, y, x]`` float array (``spacing`` in mm)."""
    axes = (1, 2) if settings.dimensions == "2D" else (0, 1, 2)
    order = tuple(reversed(settings.order))  # (x, y, z) -> array order (z, y, x)
    extended, crop = extend(np.asarray(array, dtype=np.float64), settings.boundary, axes)
    if settings.base == "log":
        assert settings.sigma is not None
        log = LogSettings(sigma=settings.sigma, truncate=settings.truncate, boundary=settings.boundary,
                          dimensions=settings.dimensions)
        out = apply_transfer(log_filter(extended, log, spacing), lambda w: riesz_transfer(w, order), axes,
                             settings.grid)
    else:
        out = apply_transfer(extended, lambda w: simoncelli_transfer(w, settings.level) * riesz_transfer(w, order),
                             axes, settings.grid)
    return out[crop].real


def apply(image: Image, settings: RieszSettings) -> Image:
    """Riesz-transformed response map of ``image`` (float64, same grid)."""
    return response_image(image, riesz_filter(as_array(image, settings), settings, in_plane_spacing(image, settings)))
