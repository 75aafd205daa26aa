r"""IBSI intensity-volume histogram features (family ``intensity_volume_histogram``, tags ``ivh_*``).

The intensities :math:`X_k` of the intensity mask are mapped to levels :math:`g`:

- ``none`` (calibrated, discrete intensities): :math:`g = X_k`; the levels run in steps of 1 from
  :math:`g_{min}` to :math:`g_{max}`, the re-segmentation bounds where set, else the ROI extremes;
- ``fbs`` (width :math:`w`): bins :math:`1 \dots \lceil (X_{hi} - X_{lo})/w \rceil + 1` from the
  re-segmentation bound :math:`X_{lo}` (else the ROI minimum), each represented by its centre
  :math:`X_{lo} + (b - \tfrac12) w`; :math:`g_{min}`, :math:`g_{max}` are the first and last centres;
- ``fbn`` (:math:`N` bins, arbitrary units): the FBN bin numbers, :math:`g_{min} = 1`, :math:`g_{max} = N`.

The bins are those of :func:`radiogenomics.ibsi.discretise.discretise`.

With the volume fraction :math:`\nu(g) = \frac1{N_v} |\{k: g_k \ge g\}|` and the intensity fraction
:math:`\gamma(g) = (g - g_{min}) / (g_{max} - g_{min})`:

- ``ivh_v10``, ``ivh_v90``: :math:`V_x = \max\{\nu(g) : \gamma(g) \ge x\}`
- ``ivh_i10``, ``ivh_i90``: :math:`I_x = \min\{g : \nu(g) \le x\}` (the level after :math:`g_{max}` if none)
- ``ivh_diff_v10_v90`` :math:`V_{10} - V_{90}`; ``ivh_diff_i10_i90`` :math:`I_{10} - I_{90}`
"""

from __future__ import annotations

import math

import numpy as np

from radiogenomics.ibsi.discretise import discretise
from radiogenomics.ibsi.settings import Discretisation

__all__ = ["NAMES", "compute"]

NAMES = {
    "ivh_v10": "Volume at intensity fraction V10 (volume fraction at 10% intensity)",
    "ivh_v90": "Volume at intensity fraction V90 (volume fraction at 90% intensity)",
    "ivh_i10": "Intensity at volume fraction I10 (intensity at 10% volume)",
    "ivh_i90": "Intensity at volume fraction I90 (intensity at 90% volume)",
    "ivh_diff_v10_v90": "Volume fraction difference between intensity fractions V10-V90",
    "ivh_diff_i10_i90": "Intensity fraction difference between volume fractions I10-I90",
}


def _levels(
    x: np.ndarray, method: Discretisation, bin_number: int | None, bin_width: float | None,
    intensity_range: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray, float, float, float]:
    """Voxel levels, all histogram levels (ascending), g_min, g_max and the level after g_max."""
    lo = float(x.min()) if not np.isfinite(intensity_range[0]) else float(intensity_range[0])
    hi = float(x.max()) if not np.isfinite(intensity_range[1]) else float(intensity_range[1])
    if method == Discretisation.none:
        grid = np.union1d(np.arange(lo, hi + 1.0), np.unique(x))
        return x, grid, lo, hi, hi + 1.0
    bins, n = discretise(x, np.ones(x.shape, dtype=bool), method, bin_number=bin_number, bin_width=bin_width,
                         lower_bound=lo)
    if method == Discretisation.fbs:
        w = float(bin_width)
        centres = lo + (np.arange(1, math.ceil((hi - lo) / w) + 2) - 0.5) * w
        return lo + (bins - 0.5) * w, centres, float(centres[0]), float(centres[-1]), float(centres[-1] + w)
    return bins.astype(np.float64), np.arange(1.0, n + 1.0), 1.0, float(n), float(n + 1)


def compute(
    intensities: np.ndarray,
    method: Discretisation | str = Discretisation.none,
    *,
    bin_number: int | None = None,
    bin_width: float | None = None,
    intensity_range: tuple[float, float] = (np.nan, np.nan),
) -> dict[str, float]:
    """All ``ivh_*`` features of the intensity-mask intensities (see the module docstring)."""
    x = np.asarray(intensities, dtype=np.float64)
    g, grid, g_min, g_max, after = _levels(x, Discretisation(method), bin_number, bin_width, intensity_range)
    g_sorted = np.sort(g)
    nu = 1.0 - np.searchsorted(g_sorted, grid, side="left") / g.size  # fraction of voxels with g_k >= level
    gamma = (grid - g_min) / (g_max - g_min) if g_max > g_min else np.zeros(grid.shape)

    def v(frac: float) -> float:
        sel = nu[gamma >= frac - 1e-12]
        return float(sel.max()) if sel.size else 0.0

    def i(frac: float) -> float:
        sel = grid[nu <= frac]
        return float(sel.min()) if sel.size else after

    out = {"ivh_v10": v(0.10), "ivh_v90": v(0.90), "ivh_i10": i(0.10), "ivh_i90": i(0.90)}
    out["ivh_diff_v10_v90"] = out["ivh_v10"] - out["ivh_v90"]
    out["ivh_diff_i10_i90"] = out["ivh_i10"] - out["ivh_i90"]
    return out
