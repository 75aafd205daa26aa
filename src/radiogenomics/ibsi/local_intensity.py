r"""IBSI local intensity features (family ``local_intensity``, tags ``loc_*``).

The local mean :math:`\bar X(\mathbf v)` of voxel :math:`\mathbf v` is the mean intensity of the image
voxels (inside or outside the ROI, but inside the image) whose centres lie within the sphere of volume
1 cm³ (radius :math:`r = (3/(4\pi))^{1/3}` cm :math:`\approx 6.20` mm) centred on :math:`\mathbf v`.

- ``loc_peak_loc`` local intensity peak: the largest :math:`\bar X` among the intensity-mask voxels
  holding the maximum intensity (:func:`radiogenomics.features.suv.local_peak`, the code of ``SUVpeak``);
- ``loc_peak_glob`` global intensity peak: the largest :math:`\bar X` over all intensity-mask voxels.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from radiogenomics.features.suv import PEAK_RADIUS_MM, local_peak, sphere_offsets

__all__ = ["NAMES", "RADIUS_MM", "compute", "local_mean"]

NAMES = {"loc_peak_loc": "Local intensity peak", "loc_peak_glob": "Global intensity peak"}

RADIUS_MM = PEAK_RADIUS_MM


def _sphere(spacing: tuple[float, float, float]) -> np.ndarray:
    """The 1 cm³ sphere as a 0/1 convolution kernel: the voxels of
    :func:`~radiogenomics.features.suv.sphere_offsets`, as for the local peak."""
    offsets = sphere_offsets(spacing)
    ext = np.abs(offsets).max(axis=0)
    kernel = np.zeros(tuple(2 * ext + 1), np.float64)
    kernel[tuple((offsets + ext).T)] = 1.0
    return kernel


def local_mean(image: np.ndarray, in_image: np.ndarray, spacing: tuple[float, float, float]) -> np.ndarray:
    """:math:`\\bar X` at every voxel: sums of ``image`` and counts of ``in_image`` voxels in the sphere."""
    kernel = _sphere(spacing)
    weights = in_image.astype(np.float64)
    total = signal.fftconvolve(np.where(in_image, image, 0.0), kernel, mode="same")
    count = signal.fftconvolve(weights, kernel, mode="same")
    count = np.round(count)
    out = np.full(image.shape, np.nan)
    np.divide(total, count, out=out, where=count > 0)
    return out


def compute(
    image: np.ndarray, int_mask: np.ndarray, in_image: np.ndarray, spacing: tuple[float, float, float]
) -> dict[str, float]:
    """``loc_peak_loc`` and ``loc_peak_glob`` (see the module docstring)."""
    mean = local_mean(image, in_image, spacing)[int_mask]
    return {"loc_peak_loc": local_peak(image, int_mask, spacing, in_image), "loc_peak_glob": float(mean.max())}
