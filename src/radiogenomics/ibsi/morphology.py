r"""IBSI morphological features (family ``morphology``, tags ``morph_*``), always in 3D.

The mesh is the marching-cubes surface (iso-level 0.5) of the *morphological* mask padded with one empty
layer; its vertices lie at the midpoints of grid edges joining ROI and background voxels (the mesh
code of the default mode, :func:`radiogenomics.features.shape.mesh_area_volume`, is reused). With mesh
volume :math:`V`, mesh area :math:`A`, :math:`N_v` morphological-mask voxels of volume :math:`v`:

- ``morph_volume`` :math:`V`; ``morph_vol_approx`` :math:`N_v v`; ``morph_area_mesh`` :math:`A`;
  ``morph_av`` :math:`A/V`
- ``morph_comp_1`` :math:`\frac{V}{\pi^{1/2} A^{3/2}}`; ``morph_comp_2`` :math:`36\pi V^2 / A^3`;
  ``morph_sph_dispr`` :math:`A / (36\pi V^2)^{1/3}`; ``morph_sphericity`` :math:`(36\pi V^2)^{1/3}/A`;
  ``morph_asphericity`` :math:`(A^3 / (36\pi V^2))^{1/3} - 1`
- ``morph_com`` :math:`\lVert \bar{\mathbf p}_{morph} - \sum_k X_k \mathbf p_k / \sum_k X_k \rVert`, the
  geometric centre of the morphological mask minus the intensity-weighted centre of the intensity mask
- ``morph_diam`` the largest distance between two mesh (convex-hull) vertices
- PCA of the physical voxel positions of the morphological mask (sample covariance, eigenvalues
  :math:`\lambda_{major} \ge \lambda_{minor} \ge \lambda_{least}`): ``morph_pca_maj_axis``
  :math:`4\sqrt{\lambda_{major}}`, ``..._min_axis``, ``..._least_axis``; ``morph_pca_elongation``
  :math:`\sqrt{\lambda_{minor}/\lambda_{major}}`; ``morph_pca_flatness`` :math:`\sqrt{\lambda_{least}/\lambda_{major}}`
- densities :math:`V/V_X` and :math:`A/A_X` for the axis-aligned bounding box of the vertices (``aabb``),
  the approximate enclosing ellipsoid with semi-axes :math:`a, b, c = 2\sqrt{\lambda}` (``aee``;
  :math:`V_{aee} = \tfrac43\pi abc`, :math:`A_{aee} = 4\pi ab \sum_{\nu=0}^{20}
  \frac{(\alpha\beta)^\nu}{1 - 4\nu^2} P_\nu\!\left(\frac{\alpha^2 + \beta^2}{2\alpha\beta}\right)`,
  :math:`\alpha = \sqrt{1 - b^2/a^2}`, :math:`\beta = \sqrt{1 - c^2/a^2}`; the volume density is NaN for a
  flat ROI, :math:`c = 0`) and the convex hull (``conv_hull``)
- ``morph_integ_int`` :math:`V \mu` with :math:`\mu` the mean intensity of the intensity mask
- ``morph_moran_i`` :math:`\frac{N}{\sum_{i \ne j} w_{ij}} \frac{\sum_{i \ne j} w_{ij} (X_i - \mu)(X_j - \mu)}
  {\sum_i (X_i - \mu)^2}` and ``morph_geary_c`` :math:`\frac{N - 1}{2\sum_{i \ne j} w_{ij}}
  \frac{\sum_{i \ne j} w_{ij} (X_i - X_j)^2}{\sum_i (X_i - \mu)^2}` over the :math:`N` intensity-mask
  voxels with :math:`w_{ij} = 1 / \lVert \mathbf p_i - \mathbf p_j \rVert`; computed exactly (every pair),
  as FFT convolutions with the kernel :math:`w`.

The oriented minimum bounding box and minimum-volume enclosing ellipsoid densities (no IBSI reference
value) are not computed.
"""

from __future__ import annotations

import numpy as np
from numpy.polynomial import legendre
from scipy import fft as sp_fft
from scipy.spatial import ConvexHull
from scipy.spatial.distance import pdist

from radiogenomics.features.shape import edge_vertices, mesh_area_volume

__all__ = ["NAMES", "compute", "ellipsoid_area", "moran_geary"]

NAMES = {
    "morph_volume": "Volume (mesh)",
    "morph_vol_approx": "Volume (voxel counting)",
    "morph_area_mesh": "Surface area (mesh)",
    "morph_av": "Surface to volume ratio",
    "morph_comp_1": "Compactness 1",
    "morph_comp_2": "Compactness 2",
    "morph_sph_dispr": "Spherical disproportion",
    "morph_sphericity": "Sphericity",
    "morph_asphericity": "Asphericity",
    "morph_com": "Centre of mass shift",
    "morph_diam": "Maximum 3D diameter",
    "morph_pca_maj_axis": "Major axis length",
    "morph_pca_min_axis": "Minor axis length",
    "morph_pca_least_axis": "Least axis length",
    "morph_pca_elongation": "Elongation",
    "morph_pca_flatness": "Flatness",
    "morph_vol_dens_aabb": "Volume density (axis-aligned bounding box)",
    "morph_area_dens_aabb": "Area density (axis-aligned bounding box)",
    "morph_vol_dens_aee": "Volume density (approximate enclosing ellipsoid)",
    "morph_area_dens_aee": "Area density (approximate enclosing ellipsoid)",
    "morph_vol_dens_conv_hull": "Volume density (convex hull)",
    "morph_area_dens_conv_hull": "Area density (convex hull)",
    "morph_integ_int": "Integrated intensity",
    "morph_moran_i": "Moran's I index",
    "morph_geary_c": "Geary's C measure",
}


def ellipsoid_area(a: float, b: float, c: float, terms: int = 20) -> float:
    """Surface area of the ellipsoid with semi-axes :math:`a \\ge b \\ge c` as IBSI defines it: the
    Legendre series :math:`4\\pi ab \\sum_{\\nu=0}^{20} \\frac{(\\alpha\\beta)^\\nu}{1 - 4\\nu^2}
    P_\\nu\\!\\left(\\frac{\\alpha^2 + \\beta^2}{2\\alpha\\beta}\\right)`.

    Each term is evaluated as the polynomial :math:`\\sum_k q_{\\nu k} (\\alpha\\beta)^{\\nu-k} s^k` with
    :math:`P_\\nu(x) = \\sum_k q_{\\nu k} x^k` and :math:`s = (\\alpha^2 + \\beta^2)/2`, which stays finite for
    spheres and spheroids (:math:`\\alpha\\beta = 0`). Note that the series is the IBSI definition, not
    the exact ellipsoid area: for semi-axes (5, 3, 2) it gives 130.78 against the exact 134.78.
    """
    alpha, beta = np.sqrt(max(0.0, 1.0 - b**2 / a**2)), np.sqrt(max(0.0, 1.0 - c**2 / a**2))
    ab, s = alpha * beta, (alpha**2 + beta**2) / 2.0
    total = 0.0
    for nu in range(terms + 1):
        q = legendre.leg2poly(np.eye(nu + 1)[nu])  # power-series coefficients of P_nu
        k = np.arange(nu + 1)
        total += float(np.sum(q * ab ** (nu - k) * s**k)) / (1.0 - 4.0 * nu**2)
    return float(4.0 * np.pi * a * b * total)


def moran_geary(values: np.ndarray, mask: np.ndarray, spacing: tuple[float, float, float]) -> tuple[float, float]:
    """Moran's I and Geary's C of ``values`` over ``mask`` (see the module docstring), exact over all pairs."""
    idx = np.argwhere(mask)
    box = tuple(slice(a, b + 1) for a, b in zip(idx.min(axis=0), idx.max(axis=0), strict=True))
    values, mask = values[box], mask[box]
    x = values[mask]
    n = x.size
    z = np.where(mask, values - x.mean(), 0.0)
    m = mask.astype(np.float64)
    # circular convolution on a grid of >= 2n - 1 voxels per axis has no wrap-around inside the box
    shape = [sp_fft.next_fast_len(2 * k - 1, real=True) for k in mask.shape]
    disp = []
    for k, length, sp in zip(mask.shape, shape, spacing, strict=True):
        j = np.arange(length)
        d = np.where(j < k, j, j - length).astype(np.float64)
        d[(j >= k) & (j <= length - k)] = np.nan  # displacements that never occur
        disp.append(d * sp)
    grids = np.meshgrid(*disp, indexing="ij")
    dist = np.sqrt(sum(g**2 for g in grids))
    w = np.zeros(dist.shape)
    np.divide(1.0, dist, out=w, where=np.isfinite(dist) & (dist > 0))
    fw = sp_fft.rfftn(w, shape)
    crop = tuple(slice(0, k) for k in mask.shape)
    wz = sp_fft.irfftn(sp_fft.rfftn(z, shape) * fw, shape)[crop]
    wm = sp_fft.irfftn(sp_fft.rfftn(m, shape) * fw, shape)[crop]
    sum_w = float(np.sum(m * wm))
    cross = float(np.sum(z * wz))
    ss = float(np.sum(z**2))
    if ss == 0.0:  # a single intensity: ideal spatial correlation (IBSI convention)
        return 1.0, 1.0
    moran = n / sum_w * cross / ss
    sq = 2.0 * float(np.sum(z**2 * wm)) - 2.0 * cross  # sum_{i != j} w_ij (z_i - z_j)^2
    geary = (n - 1.0) * sq / (2.0 * sum_w * ss)
    return moran, geary


def compute(
    image: np.ndarray, morph_mask: np.ndarray, int_mask: np.ndarray, spacing: tuple[float, float, float],
    *, moran: bool = True,
) -> dict[str, float]:
    """All ``morph_*`` features (see the module docstring); arrays ``[z, y, x]``, ``spacing`` in that order."""
    sp = np.asarray(spacing, dtype=np.float64)
    padded = np.pad(morph_mask, 1)
    area, volume = mesh_area_volume(padded.astype(np.uint8), sp)
    volume = abs(volume)
    verts = edge_vertices(padded) / 2.0 * sp
    hull = ConvexHull(verts)
    hull_pts = verts[hull.vertices]
    diam = float(np.max(pdist(hull_pts))) if len(hull_pts) > 1 else 0.0
    dims = verts.max(axis=0) - verts.min(axis=0)
    aabb_v = float(np.prod(dims))
    aabb_a = float(2.0 * (dims[0] * dims[1] + dims[0] * dims[2] + dims[1] * dims[2]))
    pos = np.argwhere(morph_mask) * sp
    eig = np.sort(np.linalg.eigvalsh(np.cov(pos, rowvar=False)))[::-1]  # major, minor, least
    eig = np.maximum(eig, 0.0)
    a, b, c = 2.0 * np.sqrt(eig)
    ellipsoid_v = 4.0 / 3.0 * np.pi * a * b * c
    ipos = np.argwhere(int_mask) * sp
    x = image[int_mask]
    com = np.linalg.norm(pos.mean(axis=0) - (x[:, None] * ipos).sum(axis=0) / x.sum())
    sph = (36.0 * np.pi * volume**2) ** (1.0 / 3.0)
    out = {
        "morph_volume": volume,
        "morph_vol_approx": float(morph_mask.sum() * np.prod(sp)),
        "morph_area_mesh": area,
        "morph_av": area / volume,
        "morph_comp_1": volume / (np.sqrt(np.pi) * area**1.5),
        "morph_comp_2": 36.0 * np.pi * volume**2 / area**3,
        "morph_sph_dispr": area / sph,
        "morph_sphericity": sph / area,
        "morph_asphericity": (area**3 / (36.0 * np.pi * volume**2)) ** (1.0 / 3.0) - 1.0,
        "morph_com": float(com),
        "morph_diam": diam,
        "morph_pca_maj_axis": 4.0 * np.sqrt(eig[0]),
        "morph_pca_min_axis": 4.0 * np.sqrt(eig[1]),
        "morph_pca_least_axis": 4.0 * np.sqrt(eig[2]),
        "morph_pca_elongation": np.sqrt(eig[1] / eig[0]),
        "morph_pca_flatness": np.sqrt(eig[2] / eig[0]),
        "morph_vol_dens_aabb": volume / aabb_v,
        "morph_area_dens_aabb": area / aabb_a,
        # a flat ROI (one slice of voxel centres) has c = 0: no enclosing ellipsoid volume, the density is undefined
        "morph_vol_dens_aee": volume / ellipsoid_v if ellipsoid_v > 0 else float("nan"),
        "morph_area_dens_aee": area / ellipsoid_area(a, b, c),
        "morph_vol_dens_conv_hull": volume / hull.volume,
        "morph_area_dens_conv_hull": area / hull.area,
        "morph_integ_int": volume * float(x.mean()),
    }
    if moran:
        out["morph_moran_i"], out["morph_geary_c"] = moran_geary(image, int_mask, spacing)
    return {k: float(v) for k, v in out.items()}
