r"""Internal cluster-validity indices, computed from the data and the labels (Euclidean geometry).

For :math:`n` points :math:`x_i`, clusters :math:`C_1..C_k` of sizes :math:`n_j`, centroids :math:`c_j` and
overall mean :math:`\bar x`:

- **Davies–Bouldin** (lower is better): scatter :math:`s_j = \frac1{n_j}\sum_{i\in C_j} \lVert x_i - c_j\rVert`,
  :math:`R_{jl} = (s_j + s_l) / \lVert c_j - c_l \rVert`,
  :math:`DB = \frac1k \sum_j \max_{l \ne j} R_{jl}`. Coincident centroids give :math:`R_{jl} = 0` (their distance
  is taken as infinite); when all scatters or all centroid distances are 0, :math:`DB = 0`.
- **Silhouette** (higher is better): :math:`a_i` = mean distance of :math:`x_i` to the other members of its
  cluster, :math:`b_i` = smallest mean distance to the members of another cluster,
  :math:`s_i = (b_i - a_i) / \max(a_i, b_i)`, with :math:`s_i = 0` for a point alone in its cluster (and for
  :math:`a_i = b_i = 0`); the index is :math:`\frac1n \sum_i s_i`.
- **Calinski–Harabasz** (higher is better): :math:`CH = \frac{B / (k - 1)}{W / (n - k)}` with
  :math:`B = \sum_j n_j \lVert c_j - \bar x \rVert^2` and :math:`W = \sum_j \sum_{i \in C_j} \lVert x_i - c_j\rVert^2`;
  :math:`CH = 1` when :math:`W = 0`.

The conventions for the degenerate cases are scikit-learn's (``davies_bouldin_score``, ``silhouette_score``,
``calinski_harabasz_score``), which the tests compare against to 1e-12. Distances are computed from coordinate
differences (``scipy.spatial.distance.cdist``), not from the dot-product expansion. Each index needs
:math:`2 \le k \le n - 1`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.spatial.distance import cdist

from radiogenomics.cluster.errors import ClusterError

__all__ = ["calinski_harabasz", "cluster_scores", "davies_bouldin", "silhouette"]

Arr = NDArray[np.float64]


def _check(X: ArrayLike, labels: ArrayLike) -> tuple[Arr, NDArray[np.intp], int]:
    x = np.asarray(X, dtype=np.float64)
    if x.ndim != 2:
        raise ClusterError(f"X must be 2-D (patients × features), got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ClusterError("X holds NaN or infinite values; impute or drop them before clustering")
    lab = np.asarray(labels)
    if lab.shape != (x.shape[0],):
        raise ClusterError(f"labels must have one entry per row of X ({x.shape[0]}), got shape {lab.shape}")
    _, codes = np.unique(lab, return_inverse=True)
    k = int(codes.max()) + 1 if codes.size else 0
    if not 2 <= k <= x.shape[0] - 1:
        raise ClusterError(f"the indices need 2 <= number of clusters <= n - 1; got {k} clusters for {x.shape[0]} rows")
    return x, codes.astype(np.intp), k


def _centroids(x: Arr, codes: NDArray[np.intp], k: int) -> tuple[Arr, Arr]:
    sizes = np.bincount(codes, minlength=k).astype(np.float64)
    sums = np.zeros((k, x.shape[1]))
    np.add.at(sums, codes, x)
    return sums / sizes[:, None], sizes


def davies_bouldin(X: ArrayLike, labels: ArrayLike) -> float:
    """Davies–Bouldin index (module docstring); lower is better."""
    x, codes, k = _check(X, labels)
    cent, sizes = _centroids(x, codes, k)
    dist = np.linalg.norm(x - cent[codes], axis=1)
    scatter = np.bincount(codes, weights=dist, minlength=k) / sizes
    between = cdist(cent, cent)
    if np.allclose(scatter, 0.0) or np.allclose(between, 0.0):
        return 0.0
    between[between == 0] = np.inf
    ratio = (scatter[:, None] + scatter[None, :]) / between
    return float(np.mean(np.max(ratio, axis=1)))


def calinski_harabasz(X: ArrayLike, labels: ArrayLike) -> float:
    """Calinski–Harabasz index (module docstring); higher is better."""
    x, codes, k = _check(X, labels)
    n = x.shape[0]
    cent, sizes = _centroids(x, codes, k)
    mean = x.mean(axis=0)
    between = float(np.sum(sizes * np.sum((cent - mean) ** 2, axis=1)))
    within = float(np.sum((x - cent[codes]) ** 2))
    if within == 0.0:
        return 1.0
    return between * (n - k) / (within * (k - 1.0))


def _silhouette_from_distances(d: Arr, codes: NDArray[np.integer], k: int) -> float:
    """Mean silhouette from an n × n distance matrix and labels ``0 .. k-1``."""
    n = d.shape[0]
    onehot = np.zeros((n, k))
    onehot[np.arange(n), codes] = 1.0
    sums = d @ onehot  # n × k: summed distance of each point to each cluster
    sizes = onehot.sum(axis=0)
    own = sizes[codes]
    rows = np.arange(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = sums[rows, codes] / (own - 1.0)
        mean_other = sums / sizes[None, :]
        mean_other[rows, codes] = np.inf
        b = mean_other.min(axis=1)
        s = (b - a) / np.maximum(a, b)
    s = np.where(own > 1, s, 0.0)
    s = np.nan_to_num(s, nan=0.0)
    return float(np.mean(s))


def silhouette(X: ArrayLike, labels: ArrayLike) -> float:
    """Mean silhouette width (module docstring); higher is better. Needs an n × n distance matrix."""
    x, codes, k = _check(X, labels)
    return _silhouette_from_distances(cdist(x, x), codes, k)


def cluster_scores(X: ArrayLike, labels: ArrayLike) -> dict[str, float]:
    """``{"davies_bouldin", "silhouette", "calinski_harabasz"}`` of one labelling."""
    return {"davies_bouldin": davies_bouldin(X, labels), "silhouette": silhouette(X, labels),
            "calinski_harabasz": calinski_harabasz(X, labels)}
