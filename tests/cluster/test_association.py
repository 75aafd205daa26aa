"""Cluster association (chi-square / Fisher / Kruskal–Wallis) and cluster-vs-rest tests against SciPy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from radiogenomics.cluster import ASSOCIATION_COLUMNS, ClusterError, cluster_association, cluster_vs_rest
from radiogenomics.stats import fdr_bh


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(3)
    n = 90
    labels = rng.integers(0, 3, n)
    df = pd.DataFrame({
        "TP53": (rng.random(n) < 0.3 + 0.25 * labels).astype(int),
        "grade": rng.integers(1, 4, n),
        "cancer_type": rng.choice(["endometrial", "ovarian", "cervical"], n),
        "age": rng.normal(55, 10, n).round(1) + 3 * labels,
        "one_level": "x",
        "f1": rng.normal(size=n) + labels,
        "f2": rng.lognormal(size=n),
    })
    df.loc[5, "grade"] = np.nan
    return df, labels


def test_association_equals_scipy(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, lab = data
    res = cluster_association(df, lab, ["TP53", "grade", "cancer_type", "age", "one_level"])
    assert list(res.columns) == list(ASSOCIATION_COLUMNS)
    assert res["variable"].tolist() == ["TP53", "grade", "cancer_type", "age"]
    assert "one_level" in res.attrs["skipped"]
    r = res.set_index("variable")
    for var in ("TP53", "grade", "cancer_type"):
        keep = df[var].notna().to_numpy()
        table = pd.crosstab(df.loc[keep, var], lab[keep])
        chi2, p, dof, _ = stats.chi2_contingency(table.to_numpy(), correction=False)
        assert r.loc[var, "kind"] == "categorical" and r.loc[var, "test"] == "chi2"
        assert r.loc[var, "statistic"] == pytest.approx(chi2, rel=1e-12)
        assert r.loc[var, "p"] == pytest.approx(p, rel=1e-10)
        assert r.loc[var, "dof"] == dof and r.loc[var, "n"] == keep.sum()
        v = np.sqrt(chi2 / (keep.sum() * (min(table.shape) - 1)))
        assert r.loc[var, "effect_size"] == pytest.approx(v, rel=1e-12)
    h, p = stats.kruskal(*[df["age"][lab == c] for c in range(3)])
    assert r.loc["age", "kind"] == "continuous" and r.loc["age", "test"] == "kruskal"
    assert r.loc["age", "statistic"] == pytest.approx(h, rel=1e-10)
    assert r.loc["age", "p"] == pytest.approx(p, rel=1e-9)
    np.testing.assert_allclose(res["p_fdr"], fdr_bh(res["p"].to_numpy()), rtol=1e-12)


def test_two_by_two_with_small_counts_uses_fisher() -> None:
    lab = np.array([0] * 10 + [1] * 4)
    y = np.array([0] * 8 + [1] * 2 + [1] * 3 + [0])
    res = cluster_association(pd.DataFrame({"TP53": y}), lab, ["TP53"])
    table = pd.crosstab(y, lab).to_numpy()
    assert res["test"].iat[0] == "fisher"
    assert res["p"].iat[0] == pytest.approx(stats.fisher_exact(table).pvalue, rel=1e-12)


def test_cluster_vs_rest_equals_welch(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, lab = data
    res = cluster_vs_rest(df, lab, ["f1", "f2"], test="welch")
    assert res["comparison"].unique().tolist() == [f"cluster {c} vs rest" for c in range(3)]
    for c in range(3):
        for f in ("f1", "f2"):
            row = res[(res["cluster"] == c) & (res["feature"] == f)].iloc[0]
            ref = stats.ttest_ind(df[f][lab == c], df[f][lab != c], equal_var=False)
            assert row["statistic"] == pytest.approx(ref.statistic, rel=1e-10)
            assert row["p"] == pytest.approx(ref.pvalue, rel=1e-9)
            assert row["n_in"] == (lab == c).sum() and row["n_rest"] == (lab != c).sum()
    f1 = res[res["feature"] == "f1"].set_index("cluster")["log2fc"]
    assert f1[2] > 0 > f1[0]  # the planted shift: cluster 2 highest


def test_cluster_vs_rest_skips_tiny_clusters(data: tuple[pd.DataFrame, np.ndarray]) -> None:
    df, lab = data
    lab2 = lab.copy()
    lab2[:2] = 7
    res = cluster_vs_rest(df, lab2, ["f1"])
    assert "cluster 7 vs rest" in res.attrs["skipped"] and 7 not in set(res["cluster"])
    with pytest.raises(ClusterError, match="no cluster"):
        cluster_vs_rest(df.iloc[:4], np.array([0, 0, 1, 1]), ["f1"])
