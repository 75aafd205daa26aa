r"""IBSI intensity statistics (family ``intensity_statistics``, tags ``stat_*``), 3D over the intensity mask.

With the :math:`N_v` intensities :math:`X_k`, mean :math:`\mu`, population variance
:math:`\sigma^2 = \frac1{N_v}\sum (X_k - \mu)^2` and percentiles :math:`P_q` (linear interpolation
between order statistics, ``numpy.percentile``):

- ``stat_mean`` :math:`\mu`; ``stat_var`` :math:`\sigma^2`;
  ``stat_skew`` :math:`\frac{\frac1{N_v}\sum (X_k-\mu)^3}{\sigma^3}` (0 if :math:`\sigma = 0`);
  ``stat_kurt`` :math:`\frac{\frac1{N_v}\sum (X_k-\mu)^4}{\sigma^4} - 3` (*excess* kurtosis, 0 if
  :math:`\sigma = 0`; PyRadiomics' Kurtosis is this plus 3)
- ``stat_median`` :math:`P_{50}`, ``stat_min``, ``stat_p10`` :math:`P_{10}`, ``stat_p90`` :math:`P_{90}`,
  ``stat_max``, ``stat_iqr`` :math:`P_{75} - P_{25}`, ``stat_range`` max - min
- ``stat_mad`` :math:`\frac1{N_v}\sum |X_k - \mu|`; ``stat_rmad`` the same over the voxels with
  :math:`P_{10} \le X_k \le P_{90}` (and their mean); ``stat_medad`` :math:`\frac1{N_v}\sum |X_k - P_{50}|`
- ``stat_cov`` :math:`\sigma / \mu`; ``stat_qcod`` :math:`\frac{P_{75} - P_{25}}{P_{75} + P_{25}}`
- ``stat_energy`` :math:`\sum X_k^2`; ``stat_rms`` :math:`\sqrt{\frac1{N_v}\sum X_k^2}`
"""

from __future__ import annotations

import numpy as np

__all__ = ["MOMENTS", "NAMES", "compute", "moment_names", "moments"]

MOMENTS: dict[str, tuple[str, str]] = {
    "mean": ("Mean intensity", "Mean discretised intensity"),
    "var": ("Intensity variance", "Discretised intensity variance"),
    "skew": ("Intensity skewness", "Discretised intensity skewness"),
    "kurt": ("(Excess) intensity kurtosis", "(Excess) discretised intensity kurtosis"),
    "median": ("Median intensity", "Median discretised intensity"),
    "min": ("Minimum intensity", "Minimum discretised intensity"),
    "p10": ("10th intensity percentile", "10th discretised intensity percentile"),
    "p90": ("90th intensity percentile", "90th discretised intensity percentile"),
    "max": ("Maximum intensity", "Maximum discretised intensity"),
    "iqr": ("Intensity interquartile range", "Discretised intensity interquartile range"),
    "range": ("Intensity range", "Discretised intensity range"),
    "mad": ("Intensity-based mean absolute deviation", "Intensity histogram mean absolute deviation"),
    "rmad": ("Intensity-based robust mean absolute deviation", "Intensity histogram robust mean absolute deviation"),
    "medad": ("Intensity-based median absolute deviation", "Intensity histogram median absolute deviation"),
    "cov": ("Intensity-based coefficient of variation", "Intensity histogram coefficient of variation"),
    "qcod": ("Intensity-based quartile coefficient of dispersion",
             "Intensity histogram quartile coefficient of dispersion"),
}
"""The statistics shared by ``stat_*`` and ``ih_*`` (:func:`moments`): key -> (``stat_`` name, ``ih_`` name)."""

_PREFIXES = ("stat", "ih")


def moment_names(prefix: str, start: str | None = None, stop: str | None = None) -> dict[str, str]:
    """``{tag: name}`` of the shared statistics with ``prefix`` (``stat`` or ``ih``), in :data:`MOMENTS`
    order, optionally only from key ``start`` to key ``stop`` (both included)."""
    keys = list(MOMENTS)
    first = 0 if start is None else keys.index(start)
    last = len(keys) if stop is None else keys.index(stop) + 1
    column = _PREFIXES.index(prefix)
    return {f"{prefix}_{k}": MOMENTS[k][column] for k in keys[first:last]}


NAMES = {
    **moment_names("stat"),
    "stat_energy": "Intensity-based energy",
    "stat_rms": "Root mean square intensity",
}


def moments(x: np.ndarray, prefix: str) -> dict[str, float]:
    """The statistics of :data:`MOMENTS` (see the module docstring), tags with ``prefix``."""
    x = np.asarray(x, dtype=np.float64)
    mu = x.mean()
    dev = x - mu
    var = np.mean(dev**2)
    p10, p25, p50, p75, p90 = np.percentile(x, [10, 25, 50, 75, 90])
    robust = x[(x >= p10) & (x <= p90)]
    values = {
        "mean": mu,
        "var": var,
        "skew": np.mean(dev**3) / var**1.5 if var > 0 else 0.0,
        "kurt": np.mean(dev**4) / var**2 - 3.0 if var > 0 else 0.0,
        "median": p50,
        "min": x.min(),
        "p10": p10,
        "p90": p90,
        "max": x.max(),
        "iqr": p75 - p25,
        "range": x.max() - x.min(),
        "mad": np.mean(np.abs(dev)),
        "rmad": np.mean(np.abs(robust - robust.mean())),
        "medad": np.mean(np.abs(x - p50)),
        "cov": np.sqrt(var) / mu,
        "qcod": (p75 - p25) / (p75 + p25),
    }
    return {f"{prefix}_{k}": float(values[k]) for k in MOMENTS}


def compute(intensities: np.ndarray) -> dict[str, float]:
    """All ``stat_*`` features of the intensity-mask intensities."""
    x = np.asarray(intensities, dtype=np.float64)
    return {**moments(x, "stat"), "stat_energy": float(np.sum(x**2)), "stat_rms": float(np.sqrt(np.mean(x**2)))}
