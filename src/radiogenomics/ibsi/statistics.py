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

__all__ = ["NAMES", "compute", "moments"]

NAMES = {
    "stat_mean": "Mean intensity",
    "stat_var": "Intensity variance",
    "stat_skew": "Intensity skewness",
    "stat_kurt": "(Excess) intensity kurtosis",
    "stat_median": "Median intensity",
    "stat_min": "Minimum intensity",
    "stat_p10": "10th intensity percentile",
    "stat_p90": "90th intensity percentile",
    "stat_max": "Maximum intensity",
    "stat_iqr": "Intensity interquartile range",
    "stat_range": "Intensity range",
    "stat_mad": "Intensity-based mean absolute deviation",
    "stat_rmad": "Intensity-based robust mean absolute deviation",
    "stat_medad": "Intensity-based median absolute deviation",
    "stat_cov": "Intensity-based coefficient of variation",
    "stat_qcod": "Intensity-based quartile coefficient of dispersion",
    "stat_energy": "Intensity-based energy",
    "stat_rms": "Root mean square intensity",
}


def moments(x: np.ndarray, prefix: str) -> dict[str, float]:
    """The statistics shared by ``stat_*`` and ``ih_*`` (all of :data:`NAMES` except energy and rms)."""
    x = np.asarray(x, dtype=np.float64)
    mu = x.mean()
    dev = x - mu
    var = np.mean(dev**2)
    skew = np.mean(dev**3) / var**1.5 if var > 0 else 0.0
    kurt = np.mean(dev**4) / var**2 - 3.0 if var > 0 else 0.0
    p10, p25, p50, p75, p90 = np.percentile(x, [10, 25, 50, 75, 90])
    robust = x[(x >= p10) & (x <= p90)]
    return {
        f"{prefix}_mean": mu,
        f"{prefix}_var": var,
        f"{prefix}_skew": skew,
        f"{prefix}_kurt": kurt,
        f"{prefix}_median": p50,
        f"{prefix}_min": x.min(),
        f"{prefix}_p10": p10,
        f"{prefix}_p90": p90,
        f"{prefix}_max": x.max(),
        f"{prefix}_iqr": p75 - p25,
        f"{prefix}_range": x.max() - x.min(),
        f"{prefix}_mad": np.mean(np.abs(dev)),
        f"{prefix}_rmad": np.mean(np.abs(robust - robust.mean())),
        f"{prefix}_medad": np.mean(np.abs(x - p50)),
        f"{prefix}_cov": np.sqrt(var) / mu,
        f"{prefix}_qcod": (p75 - p25) / (p75 + p25),
    }


def compute(intensities: np.ndarray) -> dict[str, float]:
    """All ``stat_*`` features of the intensity-mask intensities."""
    x = np.asarray(intensities, dtype=np.float64)
    out = moments(x, "stat")
    out["stat_energy"] = float(np.sum(x**2))
    out["stat_rms"] = float(np.sqrt(np.mean(x**2)))
    return {k: float(out[k]) for k in NAMES}
