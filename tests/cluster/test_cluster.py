"""cluster_patients: planted groups are found, k chosen by Davies–Bouldin, labels and bootstrap stability."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from radiogenomics.cluster import SCORE_COLUMNS, ClusterError, cluster_patients
from radiogenomics.cluster.cluster import choose_k, relabel_by_size
from radiogenomics.errors import UnknownNameError

from ._synth import planted_groups


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_three_planted_groups_give_k3_and_ari_at_least_0_9(seed: int) -> None:
    x, truth = planted_groups(n_per=40, p=6, sep=8.0, seed=seed)
    res = cluster_patients(x, range(2, 10), n_boot=20, seed=seed)
    dbi = res.scores.set_index("k")["davies_bouldin"]
    assert int(dbi.idxmin()) == 3 and res.k == 3
    assert adjusted_rand_score(truth, res.labels) >= 0.9
    assert res.scores.set_index("k").loc[3, "stability_ari"] >= 0.95
    assert list(res.scores.columns) == list(SCORE_COLUMNS)
    assert res.scores["k"].tolist() == list(range(2, 10))


def test_labels_numbered_by_size_and_dataframe_index_kept() -> None:
    assert relabel_by_size(np.array([5, 5, 2, 9, 9, 9, 2])).tolist() == [1, 1, 2, 0, 0, 0, 2]
    x, _ = planted_groups(n_per=20, seed=3)
    df = pd.DataFrame(x, index=[f"P{i}" for i in range(len(x))])
    res = cluster_patients(df, range(2, 5), n_boot=0)
    for lab in res.labels_by_k.values():
        sizes = np.bincount(lab)
        assert (np.diff(sizes) <= 0).all()
    assert res.scores["stability_ari"].isna().all()
    assert list(res.index) == list(df.index)


def test_choose_k_minimum_dbi_ties_to_smallest_k() -> None:
    scores = pd.DataFrame({"k": [2, 3, 4, 5], "davies_bouldin": [0.9, 0.7, 0.8, 0.7]})
    assert choose_k(scores) == 3
    scores = pd.DataFrame({"k": [5, 4, 3, 2], "davies_bouldin": [0.5, 0.5 * (1 + 1e-13), 0.6, 0.5]})
    assert choose_k(scores) == 2  # ties within 1e-12 relative, in any row order
    scores = pd.DataFrame({"k": [2, 3], "davies_bouldin": [0.5 * (1 + 1e-9), 0.5]})
    assert choose_k(scores) == 3  # 1e-9 apart is not a tie


def test_bootstrap_is_seeded() -> None:
    x, _ = planted_groups(n_per=15, sep=2.5, seed=6)
    a = cluster_patients(x, range(2, 6), n_boot=10, seed=1).scores
    b = cluster_patients(x, range(2, 6), n_boot=10, seed=1).scores
    c = cluster_patients(x, range(2, 6), n_boot=10, seed=2).scores
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["stability_ari"], c["stability_ari"])
    assert ((a["stability_ari"] > -0.5) & (a["stability_ari"] <= 1.0)).all()


def test_errors() -> None:
    x, _ = planted_groups(n_per=3, seed=0)
    with pytest.raises(ClusterError, match="n - 1"):
        cluster_patients(x, range(2, 10))
    with pytest.raises(UnknownNameError, match="ward"):
        cluster_patients(x, range(2, 4), linkage="wrad")
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ClusterError, match="NaN"):
        cluster_patients(bad, range(2, 4))
    with pytest.raises(ClusterError, match="empty"):
        cluster_patients(x, [])
