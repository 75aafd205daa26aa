r"""First-order (intensity histogram) features, PyRadiomics definitions.

With :math:`X` the :math:`N_p` ROI intensities, :math:`c` = ``voxelArrayShift``, :math:`V` the voxel
volume, :math:`p(i)` the fraction of voxels in bin :math:`i` (discretised with the binning settings) and
:math:`\epsilon` the machine epsilon:

- Energy :math:`\sum (X + c)^2`; TotalEnergy :math:`V \sum (X + c)^2`
- Entropy :math:`-\sum_i p(i) \log_2(p(i) + \epsilon)`; Uniformity :math:`\sum_i p(i)^2`
- Minimum, Maximum, Range, Mean :math:`\bar X`, Median, 10Percentile, 90Percentile,
  InterquartileRange :math:`P_{75} - P_{25}` (linear interpolation of percentiles)
- MeanAbsoluteDeviation :math:`\frac{1}{N_p}\sum |X - \bar X|`
- RobustMeanAbsoluteDeviation: the same over the voxels with :math:`P_{10} \le X \le P_{90}` (NaN when
  no voxel lies in that range, as in PyRadiomics: possible only in ROIs of a few voxels)
- RootMeanSquared :math:`\sqrt{\frac{1}{N_p}\sum (X + c)^2}`
- Variance :math:`\frac{1}{N_p}\sum (X - \bar X)^2` (population variance)
- Skewness :math:`\mu_3 / \mu_2^{3/2}`, Kurtosis :math:`\mu_4 / \mu_2^2` (not excess; 0 for a flat
  region), with central moments :math:`\mu_k = \frac{1}{N_p}\sum (X - \bar X)^k`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from radiogenomics.features.base import RoiData

__all__ = ["compute"]


def compute(roi: RoiData, features: Sequence[str]) -> dict[str, float]:
    """First-order features of ``roi`` (names from :data:`radiogenomics.catalogue.FEATURES`)."""
    x = roi.voxels
    shift = roi.settings.voxel_array_shift
    _, counts = np.unique(roi.binned_voxels, return_counts=True)
    p = counts / float(counts.sum())
    values: dict[str, float] = {}
    cache: dict[str, float] = {}

    def mean() -> float:
        if "mean" not in cache:
            cache["mean"] = float(np.mean(x))
        return cache["mean"]

    def moment(k: int) -> float:
        return float(np.mean(np.power(x - mean(), k)))

    def percentile(q: float) -> float:
        key = f"p{q}"
        if key not in cache:
            cache[key] = float(np.percentile(x, q))
        return cache[key]

    def energy() -> float:
        return float(np.sum((x + shift) ** 2))

    for name in features:
        if name == "Energy":
            v = energy()
        elif name == "TotalEnergy":
            v = energy() * float(np.multiply.reduce(np.asarray(roi.spacing, dtype=np.float64)))
        elif name == "Entropy":
            v = float(-np.sum(p * np.log2(p + np.spacing(1))))
        elif name == "Minimum":
            v = float(x.min())
        elif name == "Maximum":
            v = float(x.max())
        elif name == "Range":
            v = float(x.max() - x.min())
        elif name == "10Percentile":
            v = percentile(10)
        elif name == "90Percentile":
            v = percentile(90)
        elif name == "InterquartileRange":
            v = percentile(75) - percentile(25)
        elif name == "Mean":
            v = mean()
        elif name == "Median":
            v = float(np.median(x))
        elif name == "MeanAbsoluteDeviation":
            v = float(np.mean(np.abs(x - mean())))
        elif name == "RobustMeanAbsoluteDeviation":
            kept = x[(x >= percentile(10)) & (x <= percentile(90))]
            # a tiny ROI (e.g. 2 voxels) can have no value between its interpolated 10th and 90th
            # percentiles: the mean of nothing, NaN, as in PyRadiomics (without numpy's warning)
            v = float(np.mean(np.abs(kept - np.mean(kept)))) if kept.size else float("nan")
        elif name == "RootMeanSquared":
            v = float(np.sqrt(np.sum((x + shift) ** 2) / x.size))
        elif name == "Variance":
            v = float(np.std(x) ** 2)
        elif name == "Skewness":
            m2 = moment(2)
            v = 0.0 if m2 == 0 else moment(3) / m2**1.5
        elif name == "Kurtosis":
            m2 = moment(2)
            v = 0.0 if m2 == 0 else moment(4) / m2**2.0
        elif name == "Uniformity":
            v = float(np.sum(p**2))
        else:  # pragma: no cover - names are validated by the settings
            raise KeyError(name)
        values[name] = v
    return values
