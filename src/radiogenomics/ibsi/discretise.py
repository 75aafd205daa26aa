r"""IBSI grey-level discretisation.

- Fixed bin number (FBN, :math:`N_g` bins): :math:`X_d = \lfloor N_g (X - X_{min}) / (X_{max} - X_{min})
  \rfloor + 1`, clipped to :math:`[1, N_g]`, with :math:`X_{min}`, :math:`X_{max}` over the intensity mask
  (all voxels in bin :math:`\lceil N_g/2 \rceil` when the ROI is flat).
- Fixed bin size (FBS, width :math:`w_b`): :math:`X_d = \lfloor (X - X_{min}) / w_b \rfloor + 1`, where
  :math:`X_{min}` is the lower bound of the re-segmentation range (IBSI) or, without one, the ROI
  minimum; :math:`N_g` is the highest level in the ROI. The default (PyRadiomics) mode instead starts the
  first bin at :math:`X_{min} - (X_{min} \bmod w_b)`.
- ``none``: the intensities are used as levels (they must be integers >= 1); :math:`N_g` is the highest.
"""

from __future__ import annotations

import math

import numpy as np

from radiogenomics.errors import InvalidImageError
from radiogenomics.ibsi.settings import Discretisation

__all__ = ["discretise"]


def discretise(
    image: np.ndarray,
    mask: np.ndarray,
    method: Discretisation | str,
    *,
    bin_number: int | None = None,
    bin_width: float | None = None,
    lower_bound: float | None = None,
) -> tuple[np.ndarray, int]:
    """Discretise ``image``; returns the ``int64`` levels (0 outside ``mask``) and :math:`N_g`.

    Raises
    ------
    InvalidImageError
        ``method='none'`` but the ROI intensities are not integers >= 1.
    """
    method = Discretisation(method)
    values = image[mask]
    if method == Discretisation.none:
        if not (np.all(values == np.round(values)) and values.min() >= 1):
            raise InvalidImageError("discretisation 'none' needs integer intensities >= 1 in the ROI")
        levels = np.round(image).astype(np.int64)
        n_g = int(values.max())
    elif method == Discretisation.fbn:
        lo, hi = float(values.min()), float(values.max())
        n_g = int(bin_number)
        if hi > lo:
            levels = np.floor(n_g * (image - lo) / (hi - lo)).astype(np.int64) + 1
        else:
            levels = np.full(image.shape, math.ceil(n_g / 2), dtype=np.int64)
        levels = np.clip(levels, 1, n_g)
    else:
        lo = float(values.min()) if lower_bound is None or not np.isfinite(lower_bound) else float(lower_bound)
        levels = np.floor((image - lo) / float(bin_width)).astype(np.int64) + 1
        levels = np.maximum(levels, 1)
        n_g = int(levels[mask].max())
        levels = np.minimum(levels, n_g)
    return np.where(mask, levels, 0), n_g
