r"""Agglomerative clustering of patients over a range of k, with the number of clusters chosen by Davies–Bouldin.

:func:`cluster_patients` builds one hierarchical tree (``scipy.cluster.hierarchy.linkage``; Ward's minimum
variance method by default, which merges the pair of clusters whose union least increases the within-cluster sum
of squares :math:`\sum_j \sum_{i \in C_j} \lVert x_i - c_j \rVert^2`) and cuts it into :math:`k` clusters for every
:math:`k` of ``k_range`` (``scipy.cluster.hierarchy.cut_tree``; the same partitions as scikit-learn's
``AgglomerativeClustering``). Each partition is scored with the Davies–Bouldin index, the silhouette and the
Calinski–Harabasz index (:mod:`radiogenomics.cluster.scores`).

**Chosen k** = the :math:`k` with the smallest Davies–Bouldin index; ties (within :math:`10^{-12}` relative) go to
the smallest such :math:`k` (the simpler partition).

**Stability** of each :math:`k`, by bootstrap: ``n_boot`` times, draw :math:`n` rows with replacement
(``numpy.random.default_rng(seed)``), cluster the resample with the same method into :math:`k` clusters, and compute
the adjusted Rand index between the resample's labels and the full-data labels of the distinct patients drawn;
``stability_ari`` is the mean over the resamples (1 = the same partition every time, about 0 = chance agreement;
NaN when ``n_boot = 0``, i.e. not computed).

**Labels** are ``0 .. k-1``, numbered by decreasing cluster size (ties by first appearance in row order), so that
the same partition always gets the same numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy.cluster import hierarchy
from scipy.spatial.distance import cdist
from sklearn.metrics import adjusted_rand_score

from radiogenomics.cluster.errors import ClusterError
from radiogenomics.cluster.scores import _silhouette_from_distances, calinski_harabasz, davies_bouldin
from radiogenomics.errors import UnknownNameError

__all__ = ["LINKAGES", "SCORE_COLUMNS", "ClusterResult", "choose_k", "cluster_patients", "relabel_by_size"]

logger = logging.getLogger(__name__)

LINKAGES = ("ward", "average", "complete", "single")
SCORE_COLUMNS = ("k", "davies_bouldin", "silhouette", "calinski_harabasz", "stability_ari")
_TIE_RTOL = 1e-12


@dataclass
class ClusterResult:
    """Result of :func:`cluster_patients`.

    Attributes
    ----------
    scores : pandas.DataFrame
        One row per k, columns :data:`SCORE_COLUMNS` (``k`` int64, the rest float64).
    k : int
        The chosen number of clusters (smallest Davies–Bouldin index, ties → smallest k).
    labels : numpy.ndarray
        Cluster of each row at the chosen k, int64 in ``0 .. k-1`` (largest cluster first).
    labels_by_k : dict of int to numpy.ndarray
        The labels at every k of the range.
    linkage : str
        The linkage method.
    tree : numpy.ndarray
        The SciPy linkage matrix of the full data (for dendrogram leaf orders).
    index : pandas.Index or None
        Row labels of ``X`` when it was a DataFrame.
    """

    scores: pd.DataFrame
    k: int
    labels: NDArray[np.int64]
    labels_by_k: dict[int, NDArray[np.int64]]
    linkage: str = "ward"
    tree: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 4)))
    index: pd.Index | None = None


def relabel_by_size(labels: NDArray[np.integer]) -> NDArray[np.int64]:
    """Renumber cluster labels ``0 .. k-1`` by decreasing size, ties by first appearance."""
    lab = np.asarray(labels)
    uniq, first, counts = np.unique(lab, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))
    new = np.empty(uniq.size, dtype=np.int64)
    new[order] = np.arange(uniq.size)
    return new[np.searchsorted(uniq, lab)]


def choose_k(scores: pd.DataFrame) -> int:
    """The k with the smallest ``davies_bouldin``; ties (within 1e-12 relative) go to the smallest k."""
    dbi = scores["davies_bouldin"].to_numpy(dtype=np.float64)
    ks = scores["k"].to_numpy()
    if not np.isfinite(dbi).any():
        raise ClusterError("no finite Davies-Bouldin index to choose k from")
    best = float(np.nanmin(dbi))
    tied = np.isfinite(dbi) & (dbi <= best + _TIE_RTOL * max(1.0, abs(best)))
    return int(ks[tied].min())


def _cut(tree: NDArray[np.float64], ks: list[int]) -> dict[int, NDArray[np.int64]]:
    cuts = hierarchy.cut_tree(tree, n_clusters=ks)
    return {k: relabel_by_size(cuts[:, i]) for i, k in enumerate(ks)}


def _tree(x: NDArray[np.float64], linkage: str) -> NDArray[np.float64]:
    return hierarchy.linkage(x, method=linkage, metric="euclidean")


def cluster_patients(
    X: NDArray[np.floating] | pd.DataFrame,
    k_range: Iterable[int] = range(2, 10),
    linkage: str = "ward",
    *,
    n_boot: int = 50,
    seed: int = 0,
) -> ClusterResult:
    """Cluster the rows of ``X`` for every k of ``k_range`` and choose k (rules in the module docstring).

    Parameters
    ----------
    X : array or DataFrame, shape (n_patients, n_features)
        The embedding, finite values; clustered as given (scale it first if its columns are not comparable).
    k_range : iterable of int
        Numbers of clusters to try, each ``2 <= k <= n - 1``.
    linkage : {"ward", "average", "complete", "single"}
        Agglomeration method (Euclidean distances).
    n_boot : int
        Bootstrap resamples for the stability column (0: not computed, NaN).
    seed : int
        Seed of the bootstrap.

    Returns
    -------
    ClusterResult

    Raises
    ------
    UnknownNameError
        Unknown linkage.
    ClusterError
        Non-finite values, an empty or invalid k range, or fewer rows than the k range needs.
    """
    if linkage not in LINKAGES:
        raise UnknownNameError("linkage", linkage, LINKAGES)
    index = X.index if isinstance(X, pd.DataFrame) else None
    x = np.asarray(X, dtype=np.float64)
    if x.ndim != 2 or x.shape[1] < 1:
        raise ClusterError(f"X must be 2-D (patients × features) with at least one column, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ClusterError("X holds NaN or infinite values; impute or drop them before clustering")
    ks = sorted({int(k) for k in k_range})
    n = x.shape[0]
    if not ks:
        raise ClusterError("k_range is empty")
    if ks[0] < 2 or ks[-1] > n - 1:
        raise ClusterError(f"every k must satisfy 2 <= k <= n - 1 = {n - 1}; got k from {ks[0]} to {ks[-1]}")
    if n_boot < 0:
        raise ClusterError(f"n_boot must be >= 0, got {n_boot}")

    tree = _tree(x, linkage)
    labels_by_k = _cut(tree, ks)
    dist = cdist(x, x)
    rows = []
    for k in ks:
        lab = labels_by_k[k]
        n_found = int(lab.max()) + 1
        if n_found != k:  # cut_tree always gives k groups; guard against a SciPy change
            raise ClusterError(f"cutting the tree gave {n_found} clusters instead of {k}")
        rows.append({"k": k, "davies_bouldin": davies_bouldin(x, lab),
                     "silhouette": _silhouette_from_distances(dist, lab, k),
                     "calinski_harabasz": calinski_harabasz(x, lab), "stability_ari": np.nan})
    scores = pd.DataFrame(rows, columns=list(SCORE_COLUMNS))

    if n_boot:
        rng = np.random.default_rng(seed)
        ari = np.zeros((n_boot, len(ks)))
        for b in range(n_boot):
            idx = rng.integers(0, n, n)
            uniq, first = np.unique(idx, return_index=True)
            if uniq.size <= ks[-1]:
                raise ClusterError(f"a bootstrap resample has only {uniq.size} distinct rows for k = {ks[-1]}")
            boot = _cut(_tree(x[idx], linkage), ks)
            for j, k in enumerate(ks):
                ari[b, j] = adjusted_rand_score(labels_by_k[k][uniq], boot[k][first])
        scores["stability_ari"] = ari.mean(axis=0)
    scores["k"] = scores["k"].astype(np.int64)

    k_best = choose_k(scores)
    logger.info("clustering %d rows (%s): chosen k = %d", n, linkage, k_best)
    return ClusterResult(scores=scores, k=k_best, labels=labels_by_k[k_best], labels_by_k=labels_by_k,
                         linkage=linkage, tree=tree, index=index)
