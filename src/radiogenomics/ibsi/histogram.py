r"""IBSI intensity histogram features (family ``intensity_histogram``, tags ``ih_*``).

Computed on the discretised intensities :math:`X_{d,k} \in \{1 \dots N_g\}` of the intensity mask: the
statistics of :mod:`radiogenomics.ibsi.statistics` (mean, variance, skewness, excess kurtosis, median,
percentiles, ..., without energy and RMS), plus, with the histogram :math:`n_i` over *all* levels
:math:`i = 1 \dots N_g` (empty ones included) and :math:`p_i = n_i / N_v`:

- ``ih_mode`` the level with the largest :math:`n_i` (ties: the one closest to the mean)
- ``ih_entropy`` :math:`-\sum_i p_i \log_2 p_i`; ``ih_uniformity`` :math:`\sum_i p_i^2`
- ``ih_max_grad`` / ``ih_min_grad`` the largest / smallest histogram gradient :math:`H'_i` (central
  difference :math:`(n_{i+1} - n_{i-1})/2` inside, one-sided :math:`n_2 - n_1` and
  :math:`n_{N_g} - n_{N_g-1}` at the ends), ``ih_max_grad_g`` / ``ih_min_grad_g`` their (first) levels.
"""

from __future__ import annotations

import numpy as np

from radiogenomics.ibsi.statistics import moment_names, moments

__all__ = ["NAMES", "compute"]

NAMES = {
    **moment_names("ih", stop="max"),
    "ih_mode": "Intensity histogram mode",  # IBSI lists the mode after the maximum
    **moment_names("ih", start="iqr"),
    "ih_entropy": "Discretised intensity entropy",
    "ih_uniformity": "Discretised intensity uniformity",
    "ih_max_grad": "Maximum histogram gradient",
    "ih_max_grad_g": "Maximum histogram gradient intensity",
    "ih_min_grad": "Minimum histogram gradient",
    "ih_min_grad_g": "Minimum histogram gradient intensity",
}


def compute(levels: np.ndarray, n_g: int) -> dict[str, float]:
    """All ``ih_*`` features of the discretised intensities ``levels`` (1-D, values in ``1..n_g``)."""
    levels = np.asarray(levels, dtype=np.int64)
    out = moments(levels, "ih")
    counts = np.bincount(levels, minlength=n_g + 1)[1:].astype(np.float64)
    g = np.arange(1, n_g + 1)
    top = g[counts == counts.max()]
    out["ih_mode"] = float(top[np.argmin(np.abs(top - out["ih_mean"]))])
    p = counts / counts.sum()
    nz = p[p > 0]
    out["ih_entropy"] = float(-np.sum(nz * np.log2(nz)))
    out["ih_uniformity"] = float(np.sum(p**2))
    grad = np.gradient(counts) if n_g > 1 else np.zeros(1)
    out["ih_max_grad"] = float(grad.max())
    out["ih_max_grad_g"] = float(g[np.argmax(grad)])
    out["ih_min_grad"] = float(grad.min())
    out["ih_min_grad_g"] = float(g[np.argmin(grad)])
    return {k: out[k] for k in NAMES}
