"""What the texture-matrix families (GLCM, GLRLM, GLSZM, GLDM, NGTDM) share.

- :func:`matrix_inputs`: the validated 3D inputs of the matrix kernels
  (:mod:`radiogenomics.features.neighbourhood`, the GLRLM's run kernel);
- :func:`texture_angles`: the ROI's neighbour offsets, with PyRadiomics' error when there are none;
- :class:`GraySizeStatistics` and :func:`statistic_names`: the features computed alike from a grey level ×
  size matrix (GLRLM, GLSZM, GLDM), and their names in each family.
"""

from __future__ import annotations

import numpy as np

from radiogenomics.catalogue import FEATURES
from radiogenomics.errors import TooFewDimensionsError
from radiogenomics.features.base import RoiData

__all__ = ["GraySizeStatistics", "matrix_inputs", "statistic_names", "texture_angles"]

_EPS = float(np.spacing(1))


def matrix_inputs(
    binned: np.ndarray, mask: np.ndarray, angles: np.ndarray, n_levels: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a discretised image, its ROI mask and offsets; return them as 3D C-contiguous arrays.

    1D and 2D inputs get leading singleton dimensions (offsets a leading 0). Grey levels inside the ROI
    must lie in ``1..n_levels``.

    Parameters
    ----------
    binned
        Discretised image (1D to 3D integer array), grey levels ``1..n_levels`` inside the ROI.
    mask
        Boolean ROI mask, same shape as ``binned``.
    angles
        Integer neighbour offsets ``(n_angles, ndim)`` in array order, e.g. from
        :meth:`~radiogenomics.features.base.RoiData.angles`.
    n_levels
        Number of grey levels :math:`N_g`.

    Raises
    ------
    ValueError, TypeError
        Mismatched shapes, wrong dimensionality, non-integer grey levels, levels out of range.
    """
    binned = np.asarray(binned)
    mask = np.asarray(mask, dtype=bool)
    angles = np.asarray(angles, dtype=np.int64)
    if binned.shape != mask.shape:
        raise ValueError(f"image shape {binned.shape} and mask shape {mask.shape} differ")
    nd = binned.ndim
    if not 1 <= nd <= 3:
        raise ValueError(f"expected a 1D, 2D or 3D image, got {nd} dimensions")
    if not np.issubdtype(binned.dtype, np.integer):
        raise TypeError(f"the discretised image must hold integers, got {binned.dtype}")
    if n_levels < 1:
        raise ValueError(f"n_levels must be >= 1, got {n_levels}")
    if angles.size == 0:
        angles = np.zeros((0, nd), dtype=np.int64)
    elif angles.ndim != 2 or angles.shape[1] != nd:
        raise ValueError(f"angles must have shape (n_angles, {nd}), got {angles.shape}")
    inside = binned[mask]
    if inside.size and (inside.min() < 1 or inside.max() > n_levels):
        raise ValueError(f"grey levels inside the ROI must lie in 1..{n_levels}, got {inside.min()}..{inside.max()}")
    if nd < 3:
        shape = (1,) * (3 - nd) + binned.shape
        binned, mask = binned.reshape(shape), mask.reshape(shape)
        angles = np.concatenate([np.zeros((angles.shape[0], 3 - nd), dtype=np.int64), angles], axis=1)
    return (np.ascontiguousarray(binned, dtype=np.int64), np.ascontiguousarray(mask),
            np.ascontiguousarray(angles))


def texture_angles(roi: RoiData, *, bidirectional: bool, distances: tuple[int, ...] | None = None) -> np.ndarray:
    """The ROI's neighbour offsets (``distances`` defaults to the ``distances`` setting).

    Raises
    ------
    TooFewDimensionsError
        When the bounding box admits no offset (PyRadiomics fails with "Error getting angle count").
    """
    angles = roi.angles(distances, bidirectional=bidirectional)
    if angles.shape[0] == 0:
        used = list(roi.settings.distances if distances is None else distances)
        raise TooFewDimensionsError(
            f"no neighbour offsets at distances {used} for an ROI bounding box of size {roi.mask.shape} "
            f"(force2D={roi.settings.force2d}): the ROI does not extend in any usable direction"
        )
    return angles


def statistic_names(family: str, *, small: str, large: str, size: str, unit: str, gray: str) -> dict[str, str]:
    """The ``family``'s feature names of the :class:`GraySizeStatistics` methods: ``{name: method}``.

    PyRadiomics names them by one pattern, filled with the family's words (GLRLM: ``ShortRun``, ``LongRun``,
    ``RunLength``, ``Run``, ``Run``; GLSZM: ``SmallArea``, ``LargeArea``, ``SizeZone``, ``Zone``, ``Zone``;
    GLDM: ``SmallDependence``, ``LargeDependence``, ``Dependence``, ``Dependence`` and no word):
    ``{small}Emphasis``, ``{large}Emphasis``, ``LowGrayLevel{gray}Emphasis``, ``HighGrayLevel{gray}Emphasis``,
    ``{small}LowGrayLevelEmphasis``, ``{small}HighGrayLevelEmphasis``, ``{large}LowGrayLevelEmphasis``,
    ``{large}HighGrayLevelEmphasis``, ``GrayLevelNonUniformity[Normalized]``,
    ``{size}NonUniformity[Normalized]``, ``GrayLevelVariance``, ``{unit}Variance``, ``{unit}Entropy``.
    Names that are not features of ``family`` (:data:`radiogenomics.catalogue.FEATURES`) are left out.
    """
    names = {
        f"{small}Emphasis": "small_emphasis",
        f"{large}Emphasis": "large_emphasis",
        f"LowGrayLevel{gray}Emphasis": "low_gray_emphasis",
        f"HighGrayLevel{gray}Emphasis": "high_gray_emphasis",
        f"{small}LowGrayLevelEmphasis": "small_low_gray_emphasis",
        f"{small}HighGrayLevelEmphasis": "small_high_gray_emphasis",
        f"{large}LowGrayLevelEmphasis": "large_low_gray_emphasis",
        f"{large}HighGrayLevelEmphasis": "large_high_gray_emphasis",
        "GrayLevelNonUniformity": "gray_nonuniformity",
        "GrayLevelNonUniformityNormalized": "gray_nonuniformity_normalized",
        f"{size}NonUniformity": "size_nonuniformity",
        f"{size}NonUniformityNormalized": "size_nonuniformity_normalized",
        "GrayLevelVariance": "gray_variance",
        f"{unit}Variance": "size_variance",
        f"{unit}Entropy": "entropy",
    }
    valid = FEATURES[family]
    return {name: method for name, method in names.items() if name in valid}


class GraySizeStatistics:
    r"""The features shared by the grey level × size matrices: GLRLM (runs), GLSZM (zones), GLDM (dependences).

    With :math:`\mathbf P(i, j)` the matrix (rows: grey levels :math:`i`, columns: sizes :math:`j`, i.e. run
    lengths, zone sizes or dependences), :math:`N` the normaliser (number of runs or zones, voxels of the
    GLDM), :math:`p(i, j) = \mathbf P(i, j) / N`, the marginals :math:`\mathbf P_g(i) = \sum_j \mathbf P(i, j)`,
    :math:`\mathbf P_s(j) = \sum_i \mathbf P(i, j)`, :math:`\mu_i = \sum_i i\,\mathbf P_g(i) / N`,
    :math:`\mu_j = \sum_j j\,\mathbf P_s(j) / N` and :math:`\epsilon` the machine epsilon:

    ==================================  ===============================================================
    method                              value
    ==================================  ===============================================================
    ``small_emphasis``                  :math:`\sum_j \mathbf P_s(j) / j^2 / N`
    ``large_emphasis``                  :math:`\sum_j \mathbf P_s(j)\,j^2 / N`
    ``low_gray_emphasis``               :math:`\sum_i \mathbf P_g(i) / i^2 / N`
    ``high_gray_emphasis``              :math:`\sum_i \mathbf P_g(i)\,i^2 / N`
    ``small_low_gray_emphasis``         :math:`\sum_{i,j} \mathbf P(i, j) / (i^2 j^2) / N`
    ``small_high_gray_emphasis``        :math:`\sum_{i,j} \mathbf P(i, j)\,i^2 / j^2 / N`
    ``large_low_gray_emphasis``         :math:`\sum_{i,j} \mathbf P(i, j)\,j^2 / i^2 / N`
    ``large_high_gray_emphasis``        :math:`\sum_{i,j} \mathbf P(i, j)\,i^2 j^2 / N`
    ``gray_nonuniformity``              :math:`\sum_i \mathbf P_g(i)^2 / N`
    ``gray_nonuniformity_normalized``   :math:`\sum_i \mathbf P_g(i)^2 / N^2`
    ``size_nonuniformity``              :math:`\sum_j \mathbf P_s(j)^2 / N`
    ``size_nonuniformity_normalized``   :math:`\sum_j \mathbf P_s(j)^2 / N^2`
    ``gray_variance``                   :math:`\sum_i \frac{\mathbf P_g(i)}{N} (i - \mu_i)^2`
    ``size_variance``                   :math:`\sum_j \frac{\mathbf P_s(j)}{N} (j - \mu_j)^2`
    ``entropy``                         :math:`-\sum_{i,j} p(i, j) \log_2(p(i, j) + \epsilon)`
    ==================================  ===============================================================

    A trailing angle axis is carried through: with ``p`` of shape ``(Ng, Ns, Na)`` and ``n`` of shape
    ``(Na,)`` every method returns one value per angle (GLRLM), with ``p`` of shape ``(Ng, Ns)`` and a
    scalar ``n`` a scalar (GLSZM, GLDM). The marginals are passed in, so that each family keeps its own
    summation order (the values agree with PyRadiomics to the bit).

    Parameters
    ----------
    p
        The matrix :math:`\mathbf P` ``(Ng, Ns[, Na])``.
    pg, ps
        Its marginals :math:`\mathbf P_g` ``(Ng[, Na])`` and :math:`\mathbf P_s` ``(Ns[, Na])`` (computed by
        the family, which decides their summation order).
    gray_levels, sizes
        The values :math:`i` of the rows and :math:`j` of the columns (1D).
    n
        The normaliser :math:`N`.
    """

    def __init__(self, p: np.ndarray, pg: np.ndarray, ps: np.ndarray, gray_levels: np.ndarray,
                 sizes: np.ndarray, n: float | np.ndarray) -> None:
        angle_axes = (1,) * (p.ndim - 2)
        self.p, self.pg, self.ps, self.n = p, pg, ps, n
        self.i = np.asarray(gray_levels, dtype=np.float64).reshape(-1, *angle_axes)   # (Ng[, 1])
        self.j = np.asarray(sizes, dtype=np.float64).reshape(-1, *angle_axes)         # (Ns[, 1])
        self.i2, self.j2 = self.i**2, self.j**2
        self._i2 = self.i2.reshape(-1, 1, *angle_axes)                                # (Ng, 1[, 1])
        self._j2 = self.j2.reshape(1, -1, *angle_axes)                                # (1, Ns[, 1])

    def value(self, statistic: str) -> np.ndarray:
        """The statistic named by its method name (see the table above)."""
        return getattr(self, statistic)()

    def small_emphasis(self) -> np.ndarray:
        return np.sum(self.ps / self.j2, axis=0) / self.n

    def large_emphasis(self) -> np.ndarray:
        return np.sum(self.ps * self.j2, axis=0) / self.n

    def low_gray_emphasis(self) -> np.ndarray:
        return np.sum(self.pg / self.i2, axis=0) / self.n

    def high_gray_emphasis(self) -> np.ndarray:
        return np.sum(self.pg * self.i2, axis=0) / self.n

    def small_low_gray_emphasis(self) -> np.ndarray:
        return np.sum(self.p / (self._i2 * self._j2), axis=(0, 1)) / self.n

    def small_high_gray_emphasis(self) -> np.ndarray:
        return np.sum(self.p * self._i2 / self._j2, axis=(0, 1)) / self.n

    def large_low_gray_emphasis(self) -> np.ndarray:
        return np.sum(self.p * self._j2 / self._i2, axis=(0, 1)) / self.n

    def large_high_gray_emphasis(self) -> np.ndarray:
        return np.sum(self.p * (self._i2 * self._j2), axis=(0, 1)) / self.n

    def gray_nonuniformity(self) -> np.ndarray:
        return np.sum(self.pg**2, axis=0) / self.n

    def gray_nonuniformity_normalized(self) -> np.ndarray:
        return np.sum(self.pg**2, axis=0) / self.n**2

    def size_nonuniformity(self) -> np.ndarray:
        return np.sum(self.ps**2, axis=0) / self.n

    def size_nonuniformity_normalized(self) -> np.ndarray:
        return np.sum(self.ps**2, axis=0) / self.n**2

    def gray_variance(self) -> np.ndarray:
        return self._variance(self.pg, self.i)

    def size_variance(self) -> np.ndarray:
        return self._variance(self.ps, self.j)

    def entropy(self) -> np.ndarray:
        q = self.p / self.n
        return -np.sum(q * np.log2(q + _EPS), axis=(0, 1))

    def _variance(self, marginal: np.ndarray, values: np.ndarray) -> np.ndarray:
        q = marginal / self.n
        mu = np.sum(q * values, axis=0, keepdims=True)
        return np.sum(q * (values - mu) ** 2, axis=0)
