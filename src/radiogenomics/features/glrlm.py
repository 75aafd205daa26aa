r"""Grey Level Run Length Matrix (GLRLM) features, PyRadiomics 3.0.1 definitions.

A *run* is a maximal sequence of consecutive ROI voxels with the same grey level along a straight line
through the ROI bounding box, in the direction of one angle :math:`\theta`. A voxel outside the ROI breaks
a run. :math:`\textbf{P}(i,j|\theta)` counts the runs of grey level :math:`i` and length :math:`j`.

Angles are the 13 (3D) or 4 (2D, ``force2D``) mono-directional unit offsets of
:func:`radiogenomics.features.angles.generate_angles` with distance 1 (the ``distances`` setting is not
used, as in PyRadiomics). As in PyRadiomics' C code, an angle along which no line holds more than one ROI
voxel (e.g. the out-of-plane angles of a single-slice ROI) gives an all-zero matrix.

Absent grey levels and run lengths that occur nowhere are removed from the matrix. Per angle, with
:math:`N_r(\theta) = \sum_{i,j} \textbf{P}(i,j|\theta)` the number of runs and
:math:`N_p(\theta) = \sum_{i,j} j\,\textbf{P}(i,j|\theta)` the number of voxels they cover:

- RunPercentage :math:`N_r / N_p`;
- the other 15 features are the grey level × size statistics of
  :class:`~radiogenomics.features.texture.GraySizeStatistics` (formulas there) of
  :math:`\textbf{P}(\cdot|\theta)` with the run lengths as sizes :math:`j` and :math:`N = N_r(\theta)`, e.g.
  ShortRunEmphasis :math:`\sum_{i,j} \textbf{P}(i,j|\theta) / j^2 / N_r(\theta)`. Their names
  (:func:`~radiogenomics.features.texture.statistic_names`) say ``ShortRun`` and ``LongRun`` for small
  and large sizes, ``RunLength`` in the size non-uniformities and ``Run`` in RunVariance, RunEntropy and
  the Low/HighGrayLevelRunEmphasis.

Without ``weightingNorm`` the value is the mean over the angles, skipping angles whose matrix is empty
(``nanmean``). With ``weightingNorm`` the per-angle matrices are first summed, weighted by the length of
the angle's offset in mm (norm ``manhattan``, ``euclidean`` or ``infinity`` of :math:`|a| \cdot s` with
spacing :math:`s`; ``no_weighting``: weight 1), and the features are computed on that single matrix.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numba
import numpy as np

from radiogenomics.features.base import RoiData
from radiogenomics.features.texture import GraySizeStatistics, matrix_inputs, statistic_names, texture_angles

__all__ = ["angle_weights", "compute", "glrlm_matrix"]

logger = logging.getLogger(__name__)

_STATISTICS = statistic_names("glrlm", small="ShortRun", large="LongRun", size="RunLength", unit="Run", gray="Run")


@numba.njit(cache=True)
def _glrlm_kernel(binned: np.ndarray, mask: np.ndarray, angles: np.ndarray, out: np.ndarray) -> None:
    """Count runs into ``out[(level - 1), (length - 1), angle]`` (3D arrays, offsets in array order)."""
    nz, ny, nx = binned.shape
    for a in range(angles.shape[0]):
        dz = angles[a, 0]
        dy = angles[a, 1]
        dx = angles[a, 2]
        multi = False
        for z in range(nz):
            pz = z - dz
            z_first = pz < 0 or pz >= nz
            for y in range(ny):
                py = y - dy
                y_first = py < 0 or py >= ny
                for x in range(nx):
                    px = x - dx
                    # a line starts at a voxel whose predecessor lies outside the bounding box
                    if not (z_first or y_first or px < 0 or px >= nx):
                        continue
                    cz = z
                    cy = y
                    cx = x
                    level = 0
                    length = 0
                    n_roi = 0
                    while 0 <= cz < nz and 0 <= cy < ny and 0 <= cx < nx:
                        if mask[cz, cy, cx]:
                            n_roi += 1
                            g = binned[cz, cy, cx]
                            if g == level:
                                length += 1
                            else:
                                if level > 0:
                                    out[level - 1, length - 1, a] += 1.0
                                level = g
                                length = 1
                        elif level > 0:
                            out[level - 1, length - 1, a] += 1.0
                            level = 0
                            length = 0
                        cz += dz
                        cy += dy
                        cx += dx
                    if level > 0:
                        out[level - 1, length - 1, a] += 1.0
                    if n_roi > 1:
                        multi = True
        if not multi:
            # no line of this angle holds two ROI voxels: PyRadiomics discards the angle
            out[:, :, a] = 0.0


def glrlm_matrix(binned: np.ndarray, mask: np.ndarray, angles: np.ndarray, n_levels: int) -> np.ndarray:
    r"""Grey level run length matrices, one per angle.

    Parameters
    ----------
    binned, mask, angles, n_levels
        See :func:`~radiogenomics.features.texture.matrix_inputs`; runs follow each offset :math:`a` (the
        direction of a line does not change its runs).

    Returns
    -------
    numpy.ndarray
        ``P`` of shape ``(n_levels, max(binned.shape), n_angles)``, float64: ``P[i - 1, j - 1, k]`` is
        the number of runs of grey level :math:`i` and length :math:`j` along ``angles[k]``. Lines run
        through the whole bounding box (the array); a voxel outside ``mask`` ends a run. An angle along
        which no line contains more than one ROI voxel is all zero (PyRadiomics' ``multiElement`` rule).

    Examples
    --------
    >>> import numpy as np
    >>> img = np.array([[1, 1, 2, 2]])
    >>> glrlm_matrix(img, img > 0, np.array([[0, 1]]), 2)[:, :, 0]
    array([[0., 1., 0., 0.],
           [0., 1., 0., 0.]])
    """
    b3, m3, a3 = matrix_inputs(binned, mask, angles, int(n_levels))
    out = np.zeros((int(n_levels), max(b3.shape), a3.shape[0]), dtype=np.float64)
    if a3.shape[0] and m3.any():
        _glrlm_kernel(b3, m3, a3, out)
    return out


def angle_weights(angles: np.ndarray, spacing: Sequence[float], norm: str) -> np.ndarray:
    r"""Distance weight of each angle for ``weightingNorm`` (PyRadiomics semantics).

    With :math:`d = |a| \cdot s` (offset times spacing, array order): ``infinity`` :math:`\max_k d_k`,
    ``euclidean`` :math:`\sqrt{\sum_k d_k^2}`, ``manhattan`` :math:`\sum_k d_k`, anything else 1 (an
    unknown norm is logged as a warning, as PyRadiomics does).

    Parameters
    ----------
    angles
        Offsets ``(n_angles, ndim)`` in array order ``(z, y, x)``.
    spacing
        Voxel spacing in SimpleITK order ``(x, y, z)``.
    norm
        ``manhattan``, ``euclidean``, ``infinity`` or ``no_weighting``.
    """
    angles = np.asarray(angles)
    s = np.asarray(spacing, dtype=np.float64)[::-1]
    d = np.abs(angles) * s[None, :]
    if norm == "infinity":
        return np.max(d, axis=1)
    if norm == "euclidean":
        return np.sqrt(np.sum(d**2, axis=1))
    if norm == "manhattan":
        return np.sum(d, axis=1)
    if norm != "no_weighting":
        logger.warning('weighting norm "%s" is unknown, weighting factor is set to 1', norm)
    return np.ones(angles.shape[0], dtype=np.float64)


def _nanmean(values: np.ndarray) -> float:
    """Mean over the angles, ignoring NaN (NaN when no angle has a value)."""
    ok = ~np.isnan(values)
    if not ok.any():
        return float("nan")
    return float(np.sum(np.where(ok, values, 0.0)) / np.count_nonzero(ok))


def _reduced_matrix(roi: RoiData) -> np.ndarray:
    """The GLRLM as PyRadiomics' features see it: ``(Ng present, Nr, angles)``, weighted, empty angles
    and absent grey levels removed (run lengths are removed later, in :func:`compute`)."""
    angles = texture_angles(roi, bidirectional=False, distances=(1,))
    p = glrlm_matrix(roi.binned, roi.mask, angles, roi.n_levels)
    p = p[roi.gray_levels - 1]
    norm = roi.settings.weighting_norm
    if norm is not None:
        w = angle_weights(angles, roi.spacing, norm)
        p = np.sum(p * w[None, None, :], axis=2, keepdims=True)
    if p.shape[2] > 1:
        keep = np.sum(p, axis=(0, 1)) != 0
        if not keep.all():
            logger.debug("GLRLM: removing %d empty angle(s)", int(np.count_nonzero(~keep)))
            p = p[:, :, keep]
    return p


def compute(roi: RoiData, features: Sequence[str]) -> dict[str, float]:
    """GLRLM features of ``roi`` (names from :data:`radiogenomics.catalogue.FEATURES`), in the given order.

    See the module docstring for the definitions. Angles whose matrix is empty are ignored; a feature is
    NaN when no angle has any run (as in PyRadiomics).

    Raises
    ------
    TooFewDimensionsError
        When the ROI's bounding box admits no angle at all (a single voxel, or a line along the
        ``force2D`` dimension), where PyRadiomics fails with "Error getting angle count".
    KeyError
        For an unknown feature name.
    """
    p = _reduced_matrix(roi)
    n_runs = np.sum(p, axis=(0, 1))                       # (A,)
    n_runs = np.where(n_runs == 0, np.nan, n_runs)
    pr = np.sum(p, axis=0)                                 # (R, A)
    pg = np.sum(p, axis=1)                                 # (G, A)
    j = np.arange(1, p.shape[1] + 1, dtype=np.float64)
    present = np.sum(pr, axis=1) != 0
    stats = GraySizeStatistics(p[:, present, :], pg, pr[present], roi.gray_levels, j[present], n_runs)
    values: dict[str, float] = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        for name in features:
            if name == "RunPercentage":
                per_angle = n_runs / np.sum(stats.ps * stats.j, axis=0)
            elif name in _STATISTICS:
                per_angle = stats.value(_STATISTICS[name])
            else:
                raise KeyError(f"unknown GLRLM feature {name!r}")
            values[name] = _nanmean(np.asarray(per_angle, dtype=np.float64))
    return values
