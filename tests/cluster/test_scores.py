"""Validity indices and the agglomerative partitions against scikit-learn (known answers)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.cluster import AgglomerativeClustering
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score, silhouette_score

from radiogenomics.cluster import ClusterError, calinski_harabasz, cluster_patients, davies_bouldin, silhouette

from ._synth import planted_groups


def _labellings(n: int, rng: np.random.Generator) -> list[np.ndarray]:
    lab = [rng.integers(0, k, n) for k in (2, 3, 5, 9)]
    single = rng.integers(0, 3, n)
    single[0] = 7  # a cluster of one point (silhouette 0 for it)
    lab.append(single)
    return lab


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_indices_equal_sklearn(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((60, 5)) * rng.uniform(0.5, 3.0, 5) + rng.uniform(-5, 5, 5)
    for lab in _labellings(60, rng):
        assert davies_bouldin(x, lab) == pytest.approx(davies_bouldin_score(x, lab), rel=1e-12, abs=1e-14)
        assert calinski_harabasz(x, lab) == pytest.approx(calinski_harabasz_score(x, lab), rel=1e-12)
        assert silhouette(x, lab) == pytest.approx(silhouette_score(x, lab), rel=1e-12, abs=1e-14)


def test_degenerate_conventions_equal_sklearn() -> None:
    x = np.repeat(np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 4.0]]), 4, axis=0)  # two clusters share one point
    lab = np.repeat([0, 1, 2], 4)
    assert davies_bouldin(x, lab) == pytest.approx(davies_bouldin_score(x, lab), abs=1e-15)
    assert calinski_harabasz(x, lab) == pytest.approx(calinski_harabasz_score(x, lab), rel=1e-12)
    assert silhouette(x, lab) == pytest.approx(silhouette_score(x, lab), abs=1e-15)
    with pytest.raises(ClusterError):
        silhouette(x, np.zeros(len(x)))


def test_cluster_patients_scores_and_partitions_equal_sklearn() -> None:
    x, _ = planted_groups(n_per=25, p=4, sep=3.0, seed=5)
    for linkage in ("ward", "average", "complete", "single"):
        res = cluster_patients(x, range(2, 8), linkage, n_boot=0)
        for _, row in res.scores.iterrows():
            k = int(row["k"])
            lab = res.labels_by_k[k]
            ref = AgglomerativeClustering(n_clusters=k, linkage=linkage).fit_predict(x)
            assert adjusted_rand_score(ref, lab) == pytest.approx(1.0, abs=1e-12), (linkage, k)
            assert row["davies_bouldin"] == pytest.approx(davies_bouldin_score(x, lab), rel=1e-12)
            assert row["silhouette"] == pytest.approx(silhouette_score(x, lab), rel=1e-12)
            assert row["calinski_harabasz"] == pytest.approx(calinski_harabasz_score(x, lab), rel=1e-12)
