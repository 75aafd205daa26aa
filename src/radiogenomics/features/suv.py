r"""PET quantification in SUV units (family ``suv``): what every PET reader reports beside radiomics.

Computed on a PET image in SUV and an ROI **on that image's own grid** (the cohort passes the native PET and
the ROI there: a PET-grid contour as drawn, or a CT-grid contour resampled with nearest neighbour), whatever
the radiomics preset does to the image (normalisation, resampling, discretisation). With :math:`X` the SUVs
of the :math:`N` ROI voxels and :math:`V` the voxel volume in ml:

=================  ====================================================================================
``SUVmax``         :math:`\max X`
``SUVmean``        :math:`\bar X`
``SUVpeak``        IBSI local intensity peak (IBSI 0F91): the mean SUV of the *whole image* (inside or
                   outside the ROI, inside the image) within the sphere of 1 cm³ (radius
                   :math:`r = (3/(4\pi))^{1/3}` cm :math:`\approx 6.20` mm, voxel centres within
                   :math:`r`) centred on the ROI's hottest voxel; when several ROI voxels hold the maximum,
                   the highest such mean (:func:`local_peak`, also the IBSI engine's ``loc_peak_loc``)
``MTV``            metabolic tumour volume :math:`N V` (ml)
``TLG``            total lesion glycolysis :math:`\bar X \cdot N V` (SUVmean × MTV, g for SUVbw)
``MTV_SUV2.5``     volume of the ROI voxels with :math:`X \ge 2.5` (ml); ``TLG_SUV2.5`` their mean × it
``MTV_41pct``      volume of the ROI voxels with :math:`X \ge 0.41 \max X` (ml); ``TLG_41pct`` likewise
``VoxelNum``       :math:`N`
=================  ====================================================================================

A threshold that no voxel reaches gives volume 0 and TLG 0.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from radiogenomics.errors import EmptyMaskError
from radiogenomics.image import Image, Mask, check_geometry

__all__ = ["FAMILY", "FEATURES", "FORMAT", "NAMES", "PEAK_RADIUS_MM", "local_means", "local_peak", "sphere_offsets",
           "suv_features"]

logger = logging.getLogger(__name__)

#: Prefix of the feature names (columns ``<roi>_pet__suv_<name>``).
FAMILY = "suv"

#: Version of the family's definitions (part of the cohort cache key of a PET result).
FORMAT = 1

#: The features, in output order.
NAMES = ("SUVmax", "SUVmean", "SUVpeak", "MTV", "TLG", "MTV_SUV2.5", "TLG_SUV2.5", "MTV_41pct", "TLG_41pct",
         "VoxelNum")

#: The feature names as returned (``suv_<name>``), in output order.
FEATURES = tuple(f"{FAMILY}_{name}" for name in NAMES)

#: Radius (mm) of the 1 cm³ sphere of the local intensity peak.
PEAK_RADIUS_MM = (3.0 / (4.0 * np.pi)) ** (1.0 / 3.0) * 10.0


def sphere_offsets(spacing: tuple[float, ...], radius_mm: float = PEAK_RADIUS_MM) -> np.ndarray:
    """Integer offsets (array order) of the voxels whose centres lie within ``radius_mm`` of a voxel centre.

    ``spacing`` is in array order (``(s_z, s_y, s_x)`` for a 3D array); returns an ``(m, ndim)`` array.
    """
    s = np.asarray(spacing, np.float64)
    ext = np.floor(radius_mm / s + 1e-9).astype(int)
    grids = np.meshgrid(*[np.arange(-e, e + 1) for e in ext], indexing="ij")
    offsets = np.stack([g.ravel() for g in grids], axis=1)
    inside = np.sqrt(((offsets * s) ** 2).sum(axis=1)) <= radius_mm * (1 + 1e-12)
    return offsets[inside]


def local_means(array: np.ndarray, spacing: tuple[float, ...], voxels: np.ndarray,
                in_image: np.ndarray | None = None, radius_mm: float = PEAK_RADIUS_MM) -> np.ndarray:
    r"""Mean of ``array`` over the sphere of ``radius_mm`` around each of ``voxels`` (``(k, ndim)`` indices).

    Only voxels inside the array (and inside ``in_image`` when given) count: :math:`\bar X(v) = \sum_{u \in S(v)}
    x_u / |S(v)|`.
    """
    offsets = sphere_offsets(spacing, radius_mm)
    shape = np.asarray(array.shape)
    out = np.empty(len(voxels), np.float64)
    for i, v in enumerate(np.asarray(voxels, dtype=np.int64)):
        idx = v + offsets
        ok = np.all((idx >= 0) & (idx < shape), axis=1)
        idx = idx[ok]
        where = tuple(idx.T)
        if in_image is not None:
            keep = in_image[where]
            where = tuple(idx[keep].T)
        values = array[where].astype(np.float64)
        out[i] = values.mean() if values.size else np.nan
    return out


def local_peak(array: np.ndarray, roi: np.ndarray, spacing: tuple[float, ...],
               in_image: np.ndarray | None = None) -> float:
    """IBSI local intensity peak: the highest :func:`local_means` among the ROI voxels holding the ROI maximum."""
    values = array[roi]
    hottest = np.argwhere(roi & (array == values.max()))
    return float(np.nanmax(local_means(array, spacing, hottest, in_image)))


def suv_features(image: Image, mask: Mask, label: int | None = None) -> pd.Series:
    """The ``suv`` family (module docstring) of ``mask`` (``label``, or every non-zero voxel) on ``image``.

    Returns a float64 Series indexed ``suv_<name>`` in :data:`NAMES` order.

    Raises
    ------
    GeometryMismatchError
        ``mask`` is not on ``image``'s grid.
    EmptyMaskError
        The ROI has no voxel.
    """
    check_geometry(image, mask)
    roi = np.asarray(mask.array) == label if label is not None else np.asarray(mask.array) > 0
    n = int(np.count_nonzero(roi))
    if n == 0:
        raise EmptyMaskError("the ROI has no voxel on the PET grid")
    array = np.asarray(image.array, np.float64)
    x = array[roi]
    ml = float(np.prod(image.spacing)) / 1000.0
    suv_max, suv_mean = float(x.max()), float(x.mean())

    def above(threshold: float) -> tuple[float, float]:
        hot = x[x >= threshold]
        volume = hot.size * ml
        return volume, (float(hot.mean()) * volume if hot.size else 0.0)

    mtv25, tlg25 = above(2.5)
    mtv41, tlg41 = above(0.41 * suv_max)
    values = (suv_max, suv_mean, local_peak(array, roi, tuple(image.spacing[::-1])), n * ml, suv_mean * n * ml,
              mtv25, tlg25, mtv41, tlg41, float(n))
    return pd.Series(values, index=list(FEATURES), dtype=np.float64)
