r"""Grey Level Size Zone Matrix (GLSZM) features, PyRadiomics 3.0.1 definitions.

A *zone* is a connected set of ROI voxels sharing one grey level; voxels are connected through the
bidirectional distance-1 offsets of :func:`radiogenomics.features.angles.generate_angles` (26-connectivity
in 3D; 8-connectivity within the slice when ``force2D`` is on; the ``distances`` setting is not used, as in
PyRadiomics). :math:`\textbf{P}(i,j)` counts the zones of grey level :math:`i` and size :math:`j` voxels.

Absent grey levels and zone sizes that occur nowhere are removed from the matrix. With
:math:`N_z = \sum_{i,j} \textbf{P}(i,j)` the number of zones and :math:`N_p = \sum_{i,j} j\,\textbf{P}(i,j)`
the number of voxels (each replaced by 1 when 0):

- ZonePercentage :math:`N_z / N_p`;
- the other 15 features are the grey level × size statistics of
  :class:`~radiogenomics.features.texture.GraySizeStatistics` (formulas there) with the zone sizes as
  sizes :math:`j` and :math:`N = N_z`, e.g. LargeAreaHighGrayLevelEmphasis
  :math:`\sum_{i,j} \textbf{P}(i,j)\,i^2 j^2 / N_z`. Their names
  (:func:`~radiogenomics.features.texture.statistic_names`) say ``SmallArea`` and ``LargeArea`` for small
  and large sizes, ``SizeZone`` in the size non-uniformities and ``Zone`` in ZoneVariance, ZoneEntropy
  and the Low/HighGrayLevelZoneEmphasis.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from radiogenomics.features.base import RoiData
from radiogenomics.features.neighbourhood import zone_levels_sizes
from radiogenomics.features.texture import GraySizeStatistics, matrix_inputs, statistic_names, texture_angles

__all__ = ["compute", "glszm_matrix", "zones"]

logger = logging.getLogger(__name__)

_STATISTICS = statistic_names("glszm", small="SmallArea", large="LargeArea", size="SizeZone", unit="Zone", gray="Zone")


def zones(binned: np.ndarray, mask: np.ndarray, angles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grey level and size (voxels) of every zone of the ROI.

    Parameters
    ----------
    binned
        Discretised image, array order, 1D to 3D.
    mask
        Boolean ROI mask of the same shape.
    angles
        Neighbour offsets ``(n_angles, ndim)`` that connect voxels; pass both ``a`` and ``-a``
        (bidirectional) for a symmetric connectivity.

    Returns
    -------
    levels, sizes
        ``int64`` arrays with one entry per zone, zones ordered by their first voxel in C order.
    """
    mask = np.asarray(mask, dtype=bool)
    top = int(np.max(binned[mask])) if mask.any() else 1
    b3, m3, a3 = matrix_inputs(binned, mask, angles, max(top, 1))
    return zone_levels_sizes(b3, m3, a3)


def glszm_matrix(binned: np.ndarray, mask: np.ndarray, angles: np.ndarray, n_levels: int) -> np.ndarray:
    r"""Grey level size zone matrix.

    Parameters
    ----------
    binned, mask, angles, n_levels
        See :func:`~radiogenomics.features.texture.matrix_inputs`; ``angles`` define the connectivity
        (PyRadiomics: bidirectional, distance 1, i.e. 26-connectivity in 3D).

    Returns
    -------
    numpy.ndarray
        ``P`` of shape ``(n_levels, max(1, largest zone size))``, float64: ``P[i - 1, j - 1]`` is the
        number of zones of grey level :math:`i` and size :math:`j`.

    Examples
    --------
    >>> import numpy as np
    >>> img = np.array([[1, 0, 1, 1]])
    >>> glszm_matrix(img, img > 0, np.array([[0, 1], [0, -1]]), 1)
    array([[1., 1.]])
    """
    n_levels = int(n_levels)
    b3, m3, a3 = matrix_inputs(binned, mask, angles, n_levels)
    levels, sizes = zone_levels_sizes(b3, m3, a3)
    n_sizes = max(1, int(sizes.max())) if sizes.size else 1
    flat = np.bincount((levels - 1) * n_sizes + (sizes - 1), minlength=n_levels * n_sizes)
    return flat.reshape(n_levels, n_sizes).astype(np.float64)


def compute(roi: RoiData, features: Sequence[str]) -> dict[str, float]:
    """GLSZM features of ``roi`` (names from :data:`radiogenomics.catalogue.FEATURES`), in the given order.

    See the module docstring for the definitions.

    Raises
    ------
    TooFewDimensionsError
        When the ROI's bounding box admits no neighbour offset at all (see :mod:`.glrlm`).
    KeyError
        For an unknown feature name.
    """
    angles = texture_angles(roi, bidirectional=True, distances=(1,))
    p = glszm_matrix(roi.binned, roi.mask, angles, roi.n_levels)[roi.gray_levels - 1]
    ps = np.sum(p, axis=0)                                 # (S,)
    pg = np.sum(p, axis=1)                                 # (G,)
    j = np.arange(1, p.shape[1] + 1, dtype=np.float64)
    n_zones = float(np.sum(p)) or 1.0
    n_vox = float(np.sum(ps * j)) or 1.0
    present = ps != 0
    stats = GraySizeStatistics(p[:, present], pg, ps[present], roi.gray_levels, j[present], n_zones)
    values: dict[str, float] = {}
    for name in features:
        if name == "ZonePercentage":
            values[name] = n_zones / n_vox
        elif name in _STATISTICS:
            values[name] = float(stats.value(_STATISTICS[name]))
        else:
            raise KeyError(f"unknown GLSZM feature {name!r}")
    return values
