r"""Laplacian of Gaussian (PyRadiomics image type ``LoG``, prefix ``log-sigma-<sigma>-mm-3D``).

One output per ``sigma`` (mm):

.. math::

    f_\sigma(\mathbf x) = \sigma^2 \, \nabla^2 (G_\sigma * I)(\mathbf x)
        = \sigma^2 \sum_{d} \frac{\partial^2 (G_\sigma * I)}{\partial x_d^2},
    \qquad G_\sigma(\mathbf x) = \frac{1}{(\sigma\sqrt{2\pi})^3} e^{-\lVert\mathbf x\rVert^2 / 2\sigma^2}

(positions in mm; the factor :math:`\sigma^2` is the normalisation across scale). PyRadiomics 3.0.1
(``getLoGImage``) computes it with SimpleITK's ``LaplacianRecursiveGaussianImageFilter``
(``NormalizeAcrossScale`` on) on the whole image: for every axis :math:`d` the second derivative along
:math:`d` and Gaussian smoothing along the other axes, each a 1-D recursive (IIR) filter — Deriche's
4th-order approximation as in ITK's ``RecursiveGaussianImageFilter``, with the data extended by its
border value beyond the image — and the three terms, divided by the squared spacing, summed. Internal
images and the output are float32 whatever the input type (int16 CT or the float64 of a normalised image).

This module reproduces that computation operation for operation (double-precision recursions in the
same order, float32 rounding at the same places; identical to the SimpleITK filter bit for bit when run
on the same input) but only where the ROI box needs it:

- the image is cropped to the box plus :data:`SIGMA_MARGIN` :math:`\cdot\,\sigma/h_d` voxels (at least 4)
  along every axis :math:`d` (spacing :math:`h_d`), clipped at the true image border, where the crop
  keeps ITK's border extension. Beyond the crop the recursions see the crop's border value instead of
  the real voxels; that difference reaches the box damped by the filters' poles,
  :math:`|z| = e^{-1.3732\,h_d/\sigma}` per voxel, i.e. by :math:`e^{-1.3732 \cdot 24} \approx 5\cdot
  10^{-15}` of the data's contrast at :data:`SIGMA_MARGIN` = 24 — far below the float32 rounding of the
  output (:math:`6\cdot 10^{-8}`), so the values inside the box equal whole-image filtering (checked on
  the 5 PyRadiomics cases and 3 border ROIs, raw and normalised, sigma 1, 3, 5 mm: every voxel equal
  from a factor of 22 on; at 20, 11 of 695k voxels differ by one float32 ulp);
- each 1-D pass computes only the lines the following passes need, and each recursion stops at the
  box (causal part up to its upper edge, anti-causal part down to its lower edge).

Validity checks follow PyRadiomics, but raise instead of skipping silently: an image with fewer than 4
voxels along an axis (:class:`~radiogenomics.errors.InvalidImageError`), a sigma not above 0
(:class:`~radiogenomics.errors.SettingsError`) and an image smaller than
:math:`\lceil \sigma / h_d \rceil + 1` voxels along an axis (:class:`InvalidImageError`).
"""

from __future__ import annotations

import functools
import logging
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numba
import numpy as np

from radiogenomics.errors import InvalidImageError, SettingsError
from radiogenomics.image import Image, Mask
from radiogenomics.preprocess.roi import BoundingBox, crop
from radiogenomics.settings import ExtractionSettings

__all__ = ["SIGMA_MARGIN", "apply", "image_type_name", "laplacian_of_gaussian", "margin"]

logger = logging.getLogger(__name__)

SIGMA_MARGIN = 24.0
"""Context around the ROI box along each axis, in units of sigma/spacing (voxels)."""

_MIN_MARGIN = 4  # the recursions need at least 4 samples per line

# Deriche's exponential-series parameters of the Gaussian (index 0), its first (1) and second (2)
# derivative, as used by ITK's RecursiveGaussianImageFilter.
_A1 = (1.3530, -0.6724, -1.3563)
_B1 = (1.8151, -3.4327, 5.2318)
_A2 = (-0.3531, 0.6724, 0.3446)
_B2 = (0.0902, 0.6100, -2.2355)
_W1, _L1, _W2, _L2 = 0.6681, -1.3932, 2.0787, -1.3732

_CHUNK = 128  # lines filtered together (the vectorised inner loops run across them)


# --------------------------------------------------------------------------------------------------
# names and checks


def image_type_name(sigma: float) -> str:
    """PyRadiomics' name of the LoG image for ``sigma``: ``log-sigma-<str(sigma) with '.' -> '-'>-mm-3D``.

    ``1.0`` gives ``log-sigma-1-0-mm-3D``, ``0.5`` ``log-sigma-0-5-mm-3D`` (an integer ``1`` would give
    ``log-sigma-1-mm-3D``, as in PyRadiomics).
    """
    return "log-sigma-%s-mm-3D" % str(sigma).replace(".", "-")  # noqa: UP031 - PyRadiomics' formatting


def _sigmas(settings: ExtractionSettings) -> tuple[float, ...]:
    sigmas = tuple(settings.sigma)
    if not sigmas:
        raise SettingsError("image type 'LoG' needs at least one sigma (e.g. sigma: [1.0, 3.0])")
    for sigma in sigmas:
        if not (isinstance(sigma, int | float) and math.isfinite(sigma) and sigma > 0):
            raise SettingsError(f"LoG sigma must be a finite number greater than 0 (mm), got {sigma!r}")
    return sigmas


def _axis_margin(sigma: float, spacing: float) -> int:
    return max(_MIN_MARGIN, math.ceil(SIGMA_MARGIN * sigma / spacing))


def _check_image(image: Image, sigmas: Sequence[float]) -> None:
    size = image.array.shape[::-1]  # (x, y, z) as PyRadiomics reports it
    if image.ndim != 3:
        raise InvalidImageError(f"LoG is a 3D filter; got a {image.ndim}D image of size {size}")
    if min(size) < 4:
        raise InvalidImageError(
            f"LoG needs an image of at least 4 voxels along every axis; the image size is {size} "
            "(PyRadiomics skips the LoG image types silently here)"
        )
    for sigma in sigmas:
        needed = [math.ceil(sigma / h) + 1 for h in image.spacing]
        if any(n > s for n, s in zip(needed, size, strict=True)):
            raise InvalidImageError(
                f"LoG sigma {sigma} mm is too large for the image: it needs at least ceil(sigma/spacing) + 1 = "
                f"{tuple(needed)} voxels along (x, y, z), the image has {size} with spacing {image.spacing} "
                "(PyRadiomics skips this sigma silently); use a smaller sigma"
            )


# --------------------------------------------------------------------------------------------------
# ITK's recursive Gaussian coefficients


def _d_coefficients(sd: float) -> tuple[tuple[float, float, float, float], float, float, float]:
    cos1, cos2 = math.cos(_W1 / sd), math.cos(_W2 / sd)
    exp1, exp2 = math.exp(_L1 / sd), math.exp(_L2 / sd)
    d4 = exp1 * exp1 * exp2 * exp2
    d3 = -2 * cos1 * exp1 * exp2 * exp2
    d3 += -2 * cos2 * exp2 * exp1 * exp1
    d2 = 4 * cos2 * cos1 * exp1 * exp2
    d2 += exp1 * exp1 + exp2 * exp2
    d1 = -2 * (exp2 * cos2 + exp1 * cos1)
    s_d = 1.0 + d1 + d2 + d3 + d4
    d_d = d1 + 2 * d2 + 3 * d3 + 4 * d4
    e_d = d1 + 4 * d2 + 9 * d3 + 16 * d4
    return (d1, d2, d3, d4), s_d, d_d, e_d


def _n_coefficients(sd: float, order: int) -> tuple[list[float], float, float, float]:
    a1, b1, a2, b2 = _A1[order], _B1[order], _A2[order], _B2[order]
    sin1, sin2 = math.sin(_W1 / sd), math.sin(_W2 / sd)
    cos1, cos2 = math.cos(_W1 / sd), math.cos(_W2 / sd)
    exp1, exp2 = math.exp(_L1 / sd), math.exp(_L2 / sd)
    n0 = a1 + a2
    n1 = exp2 * (b2 * sin2 - (a2 + 2 * a1) * cos2)
    n1 += exp1 * (b1 * sin1 - (a1 + 2 * a2) * cos1)
    n2 = (a1 + a2) * cos2 * cos1
    n2 -= b1 * cos2 * sin1 + b2 * cos1 * sin2
    n2 *= 2 * exp1 * exp2
    n2 += a2 * exp1 * exp1 + a1 * exp2 * exp2
    n3 = exp2 * exp1 * exp1 * (b2 * sin2 - a2 * cos2)
    n3 += exp1 * exp2 * exp2 * (b1 * sin1 - a1 * cos1)
    return [n0, n1, n2, n3], n0 + n1 + n2 + n3, n1 + 2 * n2 + 3 * n3, n1 + 4 * n2 + 9 * n3


def _coefficients(sigma: float, spacing: float, second_derivative: bool) -> np.ndarray:
    """The 20 recursion coefficients ``(N0..N3, D1..D4, M1..M4, BN1..BN4, BM1..BM4)`` of the smoothing
    (order 0) or the scale-normalised second-derivative filter along an axis of spacing ``spacing``."""
    sd = sigma / spacing
    d, s_d, d_d, e_d = _d_coefficients(sd)
    if not second_derivative:
        n, s_n, _, _ = _n_coefficients(sd, 0)
        alpha0 = 2 * s_n / s_d - n[0]
        n = [v * (1.0 / alpha0) for v in n]
    else:
        n0, s_n0, d_n0, e_n0 = _n_coefficients(sd, 0)
        n2, s_n2, d_n2, e_n2 = _n_coefficients(sd, 2)
        beta = -(2 * s_n2 - s_d * n2[0]) / (2 * s_n0 - s_d * n0[0])
        n = [n2[i] + beta * n0[i] for i in range(4)]
        s_n = s_n2 + beta * s_n0
        d_n = d_n2 + beta * d_n0
        e_n = e_n2 + beta * e_n0
        alpha2 = e_n * s_d * s_d - e_d * s_n * s_d - 2 * d_n * d_d * s_d + 2 * d_d * d_d * s_n
        alpha2 /= s_d * s_d * s_d
        scale = (sigma * sigma) / alpha2  # normalisation across scale: sigma^2
        n = [v * scale for v in n]
    # symmetric kernels (orders 0 and 2)
    m = [n[1] - d[0] * n[0], n[2] - d[1] * n[0], n[3] - d[2] * n[0], -d[3] * n[0]]
    sum_n = n[0] + n[1] + n[2] + n[3]
    sum_m = m[0] + m[1] + m[2] + m[3]
    sum_d = 1.0 + d[0] + d[1] + d[2] + d[3]
    bn = [v * sum_n / sum_d for v in d]
    bm = [v * sum_m / sum_d for v in d]
    return np.array([*n, *d, *m, *bn, *bm], dtype=np.float64)


# --------------------------------------------------------------------------------------------------
# the 1-D recursion


@numba.njit(inline="always")
def _recursion_start(b_row: np.ndarray, s1: np.ndarray, s2: np.ndarray, s3: np.ndarray,
                     c: tuple[float, float, float, float], bc: tuple[float, float, float, float],
                     d: tuple[float, float, float, float], r0: np.ndarray, r1: np.ndarray, r2: np.ndarray,
                     r3: np.ndarray, nq: int) -> None:
    """The first 4 outputs ``r0..r3`` of a recursion whose border value ``b_row`` extends to infinity behind
    the line: inputs ``b, s1, s2, s3`` (the anti-causal part passes ``s1 = b_row``), feed-forward
    coefficients ``c``, border coefficients ``bc`` (ITK's ``BN``/``BM``), feedback coefficients ``d``."""
    c0, c1, c2, c3 = c
    b1, b2, b3, b4 = bc
    d1, d2, d3, _ = d
    for j in range(nq):
        b = b_row[j]
        t0 = b * c0 + b * c1 + b * c2 + b * c3
        t1 = s1[j] * c0 + b * c1 + b * c2 + b * c3
        t2 = s2[j] * c0 + s1[j] * c1 + b * c2 + b * c3
        t3 = s3[j] * c0 + s2[j] * c1 + s1[j] * c2 + b * c3
        t0 = t0 - (b * b1 + b * b2 + b * b3 + b * b4)
        t1 = t1 - (t0 * d1 + b * b2 + b * b3 + b * b4)
        t2 = t2 - (t1 * d1 + t0 * d2 + b * b3 + b * b4)
        t3 = t3 - (t2 * d1 + t1 * d2 + t0 * d3 + b * b4)
        r0[j] = t0
        r1[j] = t1
        r2[j] = t2
        r3[j] = t3


@numba.njit(inline="always")
def _recursion_step(s0: np.ndarray, s1: np.ndarray, s2: np.ndarray, s3: np.ndarray, r: np.ndarray,
                    r1: np.ndarray, r2: np.ndarray, r3: np.ndarray, c: tuple[float, float, float, float],
                    d: tuple[float, float, float, float], nq: int) -> None:
    """One output sample ``r = s0 c0 + s1 c1 + s2 c2 + s3 c3 - (r1 d1 + r2 d2 + r3 d3 + r d4)`` of the
    inputs ``s0..s3`` (newest first) and the previous outputs ``r1..r3``; ``r`` holds the output 4 samples
    back until overwritten."""
    c0, c1, c2, c3 = c
    d1, d2, d3, d4 = d
    for j in range(nq):
        t = s0[j] * c0 + s1[j] * c1 + s2[j] * c2 + s3[j] * c3
        r[j] = t - (r1[j] * d1 + r2[j] * d2 + r3[j] * d3 + r[j] * d4)


@numba.njit(inline="always")
def _store_sum(o: np.ndarray, kept: np.ndarray, r: np.ndarray, nq: int) -> None:
    """``o = float32(kept + r)``: a causal plus an anti-causal sample, rounded as ITK's output is."""
    for j in range(nq):
        o[j] = np.float32(kept[j] + r[j])


@numba.njit(cache=True)
def _recurse(x: np.ndarray, out: np.ndarray, k: np.ndarray, lo: int, hi: int, ring: np.ndarray,
             causal: np.ndarray) -> None:
    """Filter the lines ``x[:, j]`` (float64, length >= 4) with the causal + anti-causal recursion of
    coefficients ``k``; write samples ``lo..hi-1`` of each result, rounded to float32, to ``out[:, j]``.

    Same operations in the same order as ITK's ``RecursiveSeparableImageFilter::FilterDataArray``
    (the border value extended to infinity on both sides). The inner loops run across lines (and
    vectorise); the recursions keep their last 4 samples in ``ring`` (sample ``i`` in row ``i & 3``), the
    causal part runs up to ``hi - 1`` only (samples ``lo..hi-1`` kept in ``causal``) and the anti-causal
    part down to ``lo`` only.
    """
    n = (k[0], k[1], k[2], k[3])
    d = (k[4], k[5], k[6], k[7])
    m = (k[8], k[9], k[10], k[11])
    bn = (k[12], k[13], k[14], k[15])
    bm = (k[16], k[17], k[18], k[19])
    e = x.shape[0] - 1
    nq = x.shape[1]
    # causal part: the border value x[0] extends to -infinity
    _recursion_start(x[0], x[1], x[2], x[3], n, bn, d, ring[0], ring[1], ring[2], ring[3], nq)
    for i in range(lo, min(hi, 4)):
        causal[i - lo, :nq] = ring[i, :nq]
    for i in range(4, hi):
        r = ring[i & 3]
        _recursion_step(x[i], x[i - 1], x[i - 2], x[i - 3], r, ring[(i - 1) & 3], ring[(i - 2) & 3],
                        ring[(i - 3) & 3], n, d, nq)
        if i >= lo:
            causal[i - lo, :nq] = r[:nq]
    # anti-causal part: the border value x[e] extends to +infinity
    _recursion_start(x[e], x[e], x[e - 1], x[e - 2], m, bm, d, ring[e & 3], ring[(e - 1) & 3],
                     ring[(e - 2) & 3], ring[(e - 3) & 3], nq)
    for i in range(max(e - 3, lo), min(e + 1, hi)):
        _store_sum(out[i - lo], causal[i - lo], ring[i & 3], nq)
    for i in range(e - 3, lo, -1):
        r = ring[(i - 1) & 3]
        _recursion_step(x[i], x[i + 1], x[i + 2], x[i + 3], r, ring[i & 3], ring[(i + 1) & 3],
                        ring[(i + 2) & 3], m, d, nq)
        if i - 1 < hi:
            _store_sum(out[i - 1 - lo], causal[i - 1 - lo], r, nq)


@numba.njit(inline="always")
def _work_arrays(n_l: int, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The float64 work arrays of :func:`_recurse` for :data:`_CHUNK` lines of length ``n_l``: the lines,
    the ring of the last 4 recursion samples and the causal samples ``lo..hi-1``."""
    return np.empty((n_l, _CHUNK)), np.empty((4, _CHUNK)), np.empty((hi - lo, _CHUNK))


@numba.njit(cache=True)
def _filter_middle(src: np.ndarray, dst: np.ndarray, k: np.ndarray, lo: int, hi: int) -> None:
    """Recursive filter along the lines ``src[p, :, q]`` (any real dtype and strides); samples ``lo..hi-1``
    of every line to ``dst[p, :, q]`` (float32)."""
    n_p, n_l, n_q = src.shape
    buf, ring, causal = _work_arrays(n_l, lo, hi)
    for p in range(n_p):
        for q0 in range(0, n_q, _CHUNK):
            nq = min(_CHUNK, n_q - q0)
            for i in range(n_l):
                row, data = buf[i], src[p, i]
                for j in range(nq):
                    row[j] = data[q0 + j]
            if nq == _CHUNK:  # contiguous buffer: the faster specialisation
                _recurse(buf, dst[p, :, q0:q0 + nq], k, lo, hi, ring, causal)
            else:
                _recurse(buf[:, :nq], dst[p, :, q0:q0 + nq], k, lo, hi, ring, causal)


@numba.njit(cache=True)
def _filter_last(src: np.ndarray, dst: np.ndarray, k: np.ndarray, lo: int, hi: int) -> None:
    """Recursive filter along the lines ``src[p, q, :]`` (any real dtype and strides); samples ``lo..hi-1``
    of every line to ``dst[p, q, :]`` (float32). Blocks of lines are transposed through a buffer."""
    n_p, n_q, n_l = src.shape
    buf, ring, causal = _work_arrays(n_l, lo, hi)
    res = np.empty((hi - lo, _CHUNK), dtype=np.float32)
    for p in range(n_p):
        for q0 in range(0, n_q, _CHUNK):
            nq = min(_CHUNK, n_q - q0)
            for j in range(nq):
                data = src[p, q0 + j]
                for i in range(n_l):
                    buf[i, j] = data[i]
            if nq == _CHUNK:
                _recurse(buf, res, k, lo, hi, ring, causal)
            else:
                _recurse(buf[:, :nq], res[:, :nq], k, lo, hi, ring, causal)
            for j in range(nq):
                o = dst[p, q0 + j]
                for i in range(hi - lo):
                    o[i] = res[i, j]


@functools.cache
def _kernels() -> tuple[Any, Any]:
    """The two kernels, compiled (or loaded from numba's cache) on first use for float64 (input image) and
    float32 (intermediate) voxels with any strides only: one compilation serves every layout."""
    for kernel in (_filter_middle, _filter_last):
        for src in ("float64", "float32"):
            kernel.compile(f"void({src}[:, :, :], float32[:, :, :], float64[::1], int64, int64)")
        kernel.disable_compile()
    return _filter_middle, _filter_last


def _filter_axis(arr: np.ndarray, axis: int, coeffs: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Filter the 3D float64/float32 array along ``axis``; float32 result restricted to ``lo:hi`` along that
    axis."""
    filter_middle, filter_last = _kernels()
    nz, ny, nx = arr.shape
    if axis == 2:
        dst = np.empty((nz, ny, hi - lo), dtype=np.float32)
        filter_last(arr, dst, coeffs, lo, hi)
    elif axis == 1:
        dst = np.empty((nz, hi - lo, nx), dtype=np.float32)
        filter_middle(arr, dst, coeffs, lo, hi)
    else:
        dst = np.empty((hi - lo, ny, nx), dtype=np.float32)
        filter_middle(arr.transpose(1, 0, 2), dst.transpose(1, 0, 2), coeffs, lo, hi)
    return dst


def laplacian_of_gaussian(
    array: np.ndarray,
    spacing: Sequence[float],
    sigma: float,
    lower: Sequence[int] | None = None,
    upper: Sequence[int] | None = None,
) -> np.ndarray:
    r"""Scale-normalised LoG :math:`\sigma^2\nabla^2(G_\sigma * I)` of a 3D array, as SimpleITK's
    ``LaplacianRecursiveGaussianImageFilter`` (``NormalizeAcrossScale`` on) computes it on ``array``.

    Parameters
    ----------
    array
        3D voxels in ``(z, y, x)`` order, any real dtype, at least 4 voxels along every axis.
    spacing
        Voxel spacing ``(x, y, z)`` in mm.
    sigma
        Gaussian width in mm (> 0).
    lower, upper
        Inclusive voxel bounds ``(z, y, x)`` of the part of the result to return (default: everything).
        The result is that of filtering the whole ``array``.

    Returns
    -------
    numpy.ndarray
        float32 array of shape ``upper - lower + 1``.
    """
    array = np.asarray(array)
    if array.ndim != 3 or min(array.shape) < 4:
        raise InvalidImageError(f"LoG needs a 3D array with at least 4 voxels per axis, got shape {array.shape}")
    if not (np.issubdtype(array.dtype, np.number) and not np.iscomplexobj(array)):
        raise InvalidImageError(f"LoG needs real-valued voxels, got dtype {array.dtype}")
    if not (math.isfinite(sigma) and sigma > 0):
        raise SettingsError(f"LoG sigma must be a finite number greater than 0 (mm), got {sigma!r}")
    lower = tuple(int(v) for v in lower) if lower is not None else (0, 0, 0)
    upper = tuple(int(v) for v in upper) if upper is not None else tuple(s - 1 for s in array.shape)
    if not all(0 <= a <= b < s for a, b, s in zip(lower, upper, array.shape, strict=True)):
        raise ValueError(f"bounds {lower}..{upper} are not inside the array of shape {array.shape}")
    if array.dtype != np.float64 and array.dtype != np.float32:
        array = array.astype(np.float64)  # as ITK reads voxels (exact for the integer pixel types of images)
    h = tuple(float(v) for v in spacing)[::-1]  # array order
    smooth = [_coefficients(sigma, h[ax], False) for ax in range(3)]
    total = np.zeros(tuple(b - a + 1 for a, b in zip(lower, upper, strict=True)), dtype=np.float32)
    # ITK order: for dim x, y, z (array axes 2, 1, 0): second derivative along dim, then smoothing along
    # the other dims in increasing ITK order; accumulate term / spacing^2 in float32.
    for axis in (2, 1, 0):
        term = _filter_axis(array, axis, _coefficients(sigma, h[axis], True), lower[axis], upper[axis] + 1)
        for other in (2, 1, 0):
            if other != axis:
                term = _filter_axis(term, other, smooth[other], lower[other], upper[other] + 1)
        inv_spacing2 = 1.0 / (h[axis] * h[axis])
        total = (total.astype(np.float64) + term.astype(np.float64) * inv_spacing2).astype(np.float32)
    return total


# --------------------------------------------------------------------------------------------------
# filter contract


def margin(settings: ExtractionSettings, spacing: tuple[float, ...]) -> int:
    """Voxels of context: ``ceil(SIGMA_MARGIN * sigma / spacing)`` for the largest sigma and the finest
    spacing (the widest of the per-axis margins :func:`apply` uses).

    Raises
    ------
    SettingsError
        No sigma, or a sigma that is not a number above 0.
    """
    sigmas = _sigmas(settings)
    return max(_axis_margin(s, h) for s in sigmas for h in spacing)


def apply(image: Image, roi: Mask, bbox: BoundingBox, settings: ExtractionSettings) -> Iterator[tuple[str, Image]]:
    """Yield ``(image_type_name(sigma), LoG image cropped to bbox)`` (float32) for every sigma, in order.

    Parameters
    ----------
    image
        The whole preprocessed 3D image (the size checks apply to it).
    roi
        Unused.
    bbox
        The ROI bounding box.
    settings
        ``sigma``: Gaussian widths in mm.

    Raises
    ------
    SettingsError
        No sigma, or a sigma not above 0.
    InvalidImageError
        The image is not 3D, has fewer than 4 voxels along an axis, or is smaller than
        ``ceil(sigma / spacing) + 1`` voxels along an axis for some sigma.
    """
    sigmas = _sigmas(settings)
    _check_image(image, sigmas)
    shape = image.array.shape
    h = image.spacing[::-1]  # array order
    box = crop(image, bbox)
    for sigma in sigmas:
        m = [_axis_margin(sigma, h[ax]) for ax in range(3)]
        lo = [max(a - mm, 0) for a, mm in zip(bbox.lower, m, strict=True)]
        hi = [min(b + mm, s - 1) for b, mm, s in zip(bbox.upper, m, shape, strict=True)]
        region = image.array[tuple(slice(a, b + 1) for a, b in zip(lo, hi, strict=True))]
        out = laplacian_of_gaussian(
            region, image.spacing, sigma,
            [a - o for a, o in zip(bbox.lower, lo, strict=True)],
            [b - o for b, o in zip(bbox.upper, lo, strict=True)],
        )
        name = image_type_name(sigma)
        logger.debug("%s: filtered region %s..%s (margins %s voxels)", name, lo, hi, m)
        yield name, box.with_array(out)
