"""compare_groups against SciPy / statsmodels / pingouin on fixed data (statistic and p to 1e-10)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pingouin as pg
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from radiogenomics.errors import UnknownNameError
from radiogenomics.stats import (
    NonFiniteValueError,
    NonNumericColumnError,
    NotEnoughGroupsError,
    StatsError,
    TooFewObservationsError,
    compare_groups,
    compare_groups_by,
    mannwhitney_exact_sf,
    split_feature_name,
)

TOL = 1e-10


def fixed_table(seed: int = 7, n: int = 90, p: int = 60, k: int = 3, missing: float = 0.08) -> pd.DataFrame:
    """Fixed random data: normal, skewed, tied (integer) and shifted features with missing values."""
    rng = np.random.default_rng(seed)
    g2 = np.array(["wt", "mut"])[(rng.random(n) < 0.45).astype(int)]
    g3 = np.array(["x", "y", "z"][:k])[rng.integers(0, k, n)]
    cols = {}
    for j in range(p):
        kind = j % 4
        if kind == 0:
            v = rng.normal(10, 3, n)
        elif kind == 1:
            v = rng.lognormal(0, 1, n)
        elif kind == 2:
            v = rng.integers(0, 6, n).astype(float)  # many ties
        else:
            v = rng.normal(0, 1, n) + 0.8 * (g2 == "mut")
        v[rng.random(n) < missing] = np.nan
        cols[f"f{j:02d}"] = v
    df = pd.DataFrame(cols)
    df["g2"], df["g3"] = g2, g3
    return df


def groups_of(df: pd.DataFrame, feature: str, group: str, levels: list) -> list[np.ndarray]:
    sub = df[[feature, group]].dropna()
    return [sub.loc[sub[group] == lv, feature].to_numpy() for lv in levels]


def reference(test: str, gs: list[np.ndarray]) -> Any:
    a, b = gs[0], gs[1] if len(gs) > 1 else None
    if test == "t":
        return stats.ttest_ind(b, a)
    if test == "welch":
        return stats.ttest_ind(b, a, equal_var=False)
    if test == "mannwhitney":
        return stats.mannwhitneyu(b, a)
    if test == "anova":
        return stats.f_oneway(*gs)
    return stats.kruskal(*gs)


def max_diffs(res: pd.DataFrame, df: pd.DataFrame, group: str) -> tuple[float, float, int]:
    levels = res.attrs["levels"]
    ds = dp = 0.0
    count = 0
    for row in res.itertuples():
        if row.status != "tested":
            continue
        ref = reference(row.test, groups_of(df, row.feature, group, levels))
        ds = max(ds, abs(float(ref.statistic) - row.statistic))
        dp = max(dp, abs(float(ref.pvalue) - row.p))
        count += 1
    return ds, dp, count


@pytest.mark.parametrize(
    ("test", "group"),
    [("t", "g2"), ("welch", "g2"), ("mannwhitney", "g2"), ("anova", "g2"), ("anova", "g3"),
     ("kruskal", "g2"), ("kruskal", "g3"), ("auto", "g2"), ("auto", "g3")],
)
def test_statistic_and_p_match_scipy(test: str, group: str) -> None:
    df = fixed_table()
    res = compare_groups(df, [c for c in df.columns if c.startswith("f")], group, test)
    ds, dp, count = max_diffs(res, df, group)
    assert count == 60
    assert ds <= TOL and dp <= TOL, (ds, dp)


def test_auto_rule_matches_shapiro() -> None:
    df = fixed_table()
    feats = [c for c in df.columns if c.startswith("f")]
    for group, (par, nonpar) in {"g2": ("welch", "mannwhitney"), "g3": ("anova", "kruskal")}.items():
        res = compare_groups(df, feats, group, "auto")
        levels = res.attrs["levels"]
        for row in res.itertuples():
            ps = [stats.shapiro(g).pvalue for g in groups_of(df, row.feature, group, levels)]
            assert abs(min(ps) - row.normality_p) <= TOL
            assert row.test == (par if min(ps) >= 0.05 else nonpar)
        assert set(res["test"]) == {par, nonpar}  # the fixed data exercises both branches


def test_student_t_dof_and_welch_dof() -> None:
    df = fixed_table()
    res = compare_groups(df, ["f03"], "g2", "welch").iloc[0]
    a, b = groups_of(df, "f03", "g2", ["mut", "wt"])
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert abs(res["dof"] - ref.df) <= TOL
    res_t = compare_groups(df, ["f03"], "g2", "t").iloc[0]
    assert res_t["dof"] == len(a) + len(b) - 2


@pytest.mark.parametrize("method", ["exact", "asymptotic", "auto"])
def test_mannwhitney_methods_small_samples(method: str) -> None:
    rng = np.random.default_rng(3)
    rows = []
    for rep in range(30):  # sizes 3..10 against 4..20, no ties
        na, nb = 3 + rep % 8, 4 + (rep * 7) % 17
        a, b = rng.normal(size=na), rng.normal(0.7, size=nb)
        rows.append((a, b))
    for i, (a, b) in enumerate(rows):
        sub = pd.DataFrame({"v": np.r_[a, b], "g": ["a"] * len(a) + ["b"] * len(b)})
        res = compare_groups(sub, ["v"], "g", "mannwhitney", mw_method=method).iloc[0]
        ref = stats.mannwhitneyu(b, a, method=method)
        assert abs(res["statistic"] - ref.statistic) <= TOL, i
        assert abs(res["p"] - ref.pvalue) <= TOL, (i, res["p"], ref.pvalue)


def test_mannwhitney_exact_vectorised_over_features_with_missing() -> None:
    rng = np.random.default_rng(11)
    n = 14
    x = rng.normal(size=(n, 40))
    x[rng.random(x.shape) < 0.15] = np.nan
    df = pd.DataFrame(x, columns=[f"f{i}" for i in range(40)])
    df["g"] = ["a"] * 6 + ["b"] * 8
    res = compare_groups(df, None, "g", "mannwhitney", min_group_size=3)
    ds, dp, count = max_diffs(res, df, "g")
    assert count == (res["status"] == "tested").sum() > 30
    assert ds <= TOL and dp <= TOL


def test_exact_null_distribution_by_enumeration() -> None:
    """P(U >= u) of the recursion equals brute-force enumeration of all C(10, 4) = 210 rankings."""
    from itertools import combinations

    m, n = 4, 6
    us = []
    for xs in combinations(range(m + n), m):  # ranks of the x sample
        us.append(sum(xs) - m * (m - 1) / 2)  # U_x = R_x - m(m+1)/2 with 0-based ranks
    us = np.array(us)
    for u in range(m * n + 1):
        assert mannwhitney_exact_sf(np.array([u]), m, n)[0] == pytest.approx(np.mean(us >= u), abs=1e-15)
        assert mannwhitney_exact_sf(np.array([u]), n, m)[0] == pytest.approx(np.mean(us >= u), abs=1e-15)


def test_effect_sizes_match_pingouin() -> None:
    df = fixed_table()
    feats = [c for c in df.columns if c.startswith("f")]
    t = compare_groups(df, feats, "g2", "t")
    m = compare_groups(df, feats, "g2", "mannwhitney")
    a3 = compare_groups(df, feats, "g3", "anova")
    k3 = compare_groups(df, feats, "g3", "kruskal")
    for f in feats[:20]:
        a, b = groups_of(df, f, "g2", ["mut", "wt"])
        assert abs(t.set_index("feature").at[f, "effect_size"] - pg.compute_effsize(b, a, eftype="cohen")) <= TOL
        ref_t = pg.ttest(b, a, correction=False)
        assert abs(t.set_index("feature").at[f, "statistic"] - ref_t["T"].iloc[0]) <= TOL
        ref_m = pg.mwu(b, a)
        assert abs(m.set_index("feature").at[f, "effect_size"] - ref_m["RBC"].iloc[0]) <= TOL
        assert abs(m.set_index("feature").at[f, "p"] - ref_m["p_val"].iloc[0]) <= TOL
        long = df[[f, "g3"]].dropna()
        ref_a = pg.anova(long, dv=f, between="g3", detailed=True)
        assert abs(a3.set_index("feature").at[f, "effect_size"] - ref_a["np2"].iloc[0]) <= TOL
        assert abs(a3.set_index("feature").at[f, "statistic"] - ref_a["F"].iloc[0]) <= TOL
        ref_k = pg.kruskal(long, dv=f, between="g3")
        h = ref_k["H"].iloc[0]
        n = len(long)
        assert abs(k3.set_index("feature").at[f, "statistic"] - h) <= TOL
        assert abs(k3.set_index("feature").at[f, "effect_size"] - (h - 3 + 1) / (n - 3)) <= TOL


def test_fdr_matches_statsmodels_and_excludes_untested() -> None:
    df = fixed_table()
    df["const"] = 4.2
    feats = [c for c in df.columns if c.startswith("f")] + ["const"]
    res = compare_groups(df, feats, "g2", "auto")
    tested = res["status"] == "tested"
    ref_bh = multipletests(res.loc[tested, "p"], method="fdr_bh")[1]
    ref_bf = multipletests(res.loc[tested, "p"], method="bonferroni")[1]
    assert np.max(np.abs(res.loc[tested, "p_fdr"] - ref_bh)) <= 1e-12
    assert np.max(np.abs(res.loc[tested, "p_bonf"] - ref_bf)) <= 1e-12
    assert (res["significant"] == (res["p_fdr"] < 0.05)).all()


def test_columns_fixed_and_descriptives() -> None:
    df = fixed_table()
    res = compare_groups(df, ["f00", "f01"], "g2", "welch")
    assert list(res.columns) == [
        "feature", "test", "status", "n", "n_mut", "n_wt", "mean_mut", "mean_wt", "sd_mut", "sd_wt",
        "median_mut", "median_wt", "log2fc", "smd", "positive", "effect_size", "effect_type", "statistic", "dof",
        "p", "p_fdr", "p_bonf", "significant", "normality_p",
    ]
    row = res.iloc[0]
    a, b = groups_of(df, "f00", "g2", ["mut", "wt"])
    assert row["n_mut"] == len(a) and row["n_wt"] == len(b) and row["n"] == len(a) + len(b)
    assert row["mean_mut"] == pytest.approx(np.mean(a), abs=1e-12)
    assert row["sd_wt"] == pytest.approx(np.std(b, ddof=1), abs=1e-12)
    assert row["median_wt"] == pytest.approx(np.median(b), abs=1e-12)
    assert row["effect_type"] == "cohen_d" and np.isnan(row["normality_p"])
    pooled = ((len(a) - 1) * np.var(a, ddof=1) + (len(b) - 1) * np.var(b, ddof=1)) / (len(a) + len(b) - 2)
    assert row["smd"] == pytest.approx((np.mean(b) - np.mean(a)) / np.sqrt(pooled), rel=1e-12)
    assert bool(row["positive"]) == bool(min(np.min(a), np.min(b)) > 0)


def test_log2_fold_change_definitions() -> None:
    df = pd.DataFrame({"pos": [1.0, 2, 3, 4, 5, 6, 7, 8], "neg": [-8.0, -7, -6, -5, -4, -3, -2, -1],
                       "g": ["a"] * 4 + ["b"] * 4})
    mm = compare_groups(df, ["pos", "neg"], "g", "t").set_index("feature")
    raw = compare_groups(df, ["pos", "neg"], "g", "t", fold_change="raw").set_index("feature")
    # minmax: log2((mean_b - min) / (mean_a - min)) = log2(5.5 / 1.5) for both (offset-invariant)
    assert mm.at["pos", "log2fc"] == pytest.approx(np.log2(5.5 / 1.5))
    assert mm.at["neg", "log2fc"] == pytest.approx(np.log2(5.5 / 1.5))
    assert raw.at["pos", "log2fc"] == pytest.approx(np.log2(6.5 / 2.5))
    assert np.isnan(raw.at["neg", "log2fc"])
    # direction: second level over the first; levels= reverses it
    rev = compare_groups(df, ["pos"], "g", "t", levels=["b", "a"]).iloc[0]
    assert rev["statistic"] == pytest.approx(-mm.at["pos", "statistic"])
    assert rev["effect_size"] == pytest.approx(-mm.at["pos", "effect_size"])
    three = compare_groups(df.assign(g=["a", "a", "a", "b", "b", "b", "c", "c"]), ["pos"], "g", "anova",
                           min_group_size=2)
    assert np.isnan(three["log2fc"].iloc[0])


def test_constant_features_reported_not_silent(caplog: pytest.LogCaptureFixture) -> None:
    df = fixed_table()
    df["const"] = 1.0
    df["const_nan"] = np.where(np.arange(len(df)) % 3 == 0, np.nan, -2.5)
    with caplog.at_level(logging.WARNING, logger="radiogenomics.stats"):
        res = compare_groups(df, ["f00", "const", "const_nan"], "g2").set_index("feature")
    assert res.at["const", "status"] == "constant" and res.at["const_nan", "status"] == "constant"
    assert pd.isna(res.at["const", "test"]) and np.isnan(res.at["const", "p"])
    assert not res.at["const", "significant"]
    assert "2 constant feature(s) excluded" in caplog.text
    # excluded features do not count in the FDR
    alone = compare_groups(df, ["f00"], "g2")
    assert res.at["f00", "p_fdr"] == pytest.approx(alone["p_fdr"].iloc[0])


def test_missing_values_complete_case_per_feature() -> None:
    df = fixed_table(missing=0.3)
    df.loc[df.index[:5], "g2"] = None  # rows without a group are left out
    res = compare_groups(df, ["f00", "f03"], "g2", "t")
    for row in res.itertuples():
        sub = df[[row.feature, "g2"]].dropna()
        assert row.n == len(sub)
        assert row.n_mut == (sub["g2"] == "mut").sum()
    ds, dp, _ = max_diffs(res, df.dropna(subset=["g2"]), "g2")
    assert ds <= TOL and dp <= TOL


def test_too_few_per_feature_is_a_status() -> None:
    df = fixed_table()
    df["sparse"] = np.nan
    df.loc[df.index[df["g2"] == "mut"][:2], "sparse"] = [1.0, 2.0]
    df.loc[df.index[df["g2"] == "wt"][:5], "sparse"] = [1.0, 2.0, 3.0, 4.0, 5.0]
    res = compare_groups(df, ["sparse", "f00"], "g2").set_index("feature")
    assert res.at["sparse", "status"] == "too_few" and np.isnan(res.at["sparse", "p"])


def test_small_group_is_a_clear_error() -> None:
    df = pd.DataFrame({"f": [1.0, 2, 3, 4, 5, 6], "g": ["a", "a", "b", "b", "b", "b"]})
    with pytest.raises(TooFewObservationsError, match=r"fewer than 3 rows \('a': 2, 'b': 4\)"):
        compare_groups(df, ["f"], "g")


def test_group_errors() -> None:
    df = fixed_table()
    with pytest.raises(NotEnoughGroupsError, match="use test='anova'"):
        compare_groups(df, ["f00"], "g3", "t")
    with pytest.raises(NotEnoughGroupsError, match="at least 2"):
        compare_groups(df.assign(g="x"), ["f00"], "g")
    with pytest.raises(UnknownNameError, match="Did you mean 'mannwhitney'"):
        compare_groups(df, ["f00"], "g2", "manwhitney")
    with pytest.raises(UnknownNameError, match="Did you mean 'g2'"):
        compare_groups(df, ["f00"], "g_2")
    with pytest.raises(UnknownNameError, match="feature column"):
        compare_groups(df, ["nope"], "g2")
    with pytest.raises(NonNumericColumnError, match="g3"):
        compare_groups(df, ["f00", "g3"], "g2")
    with pytest.raises(NonFiniteValueError, match="f00"):
        compare_groups(df.assign(f00=np.inf), ["f00"], "g2")
    with pytest.raises(StatsError):
        compare_groups(df, ["f00", "f00"], "g2")
    assert issubclass(TooFewObservationsError, StatsError)


def test_aliases_and_default_features() -> None:
    df = fixed_table()
    a = compare_groups(df.drop(columns="g3"), None, "g2", "ttest")
    assert (a["test"] == "t").all() and len(a) == 60
    assert set(compare_groups(df, ["f00"], "g2", "MWU")["test"]) == {"mannwhitney"}


def test_no_per_feature_scipy_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test paths are vectorised: SciPy's per-sample test functions are never called."""
    def boom(*args: object, **kwargs: object) -> None:
        raise AssertionError("per-feature SciPy test call")

    for name in ("ttest_ind", "mannwhitneyu", "f_oneway", "kruskal"):
        monkeypatch.setattr(stats, name, boom)
    df = fixed_table()
    for test, group in (("t", "g2"), ("welch", "g2"), ("mannwhitney", "g2"), ("anova", "g3"), ("kruskal", "g3")):
        compare_groups(df, None, group, test)


def test_wide_table_300_by_7124() -> None:
    """The paper's table size (its speed: benchmarks/bench_stats.py)."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(300, 7124)), columns=[f"f{i}" for i in range(7124)])
    df["g"] = rng.integers(0, 2, 300)
    res = compare_groups(df, None, "g", "auto")
    assert len(res) == 7124 and res["p_fdr"].notna().all()


def test_split_feature_name() -> None:
    assert split_feature_name("tumour_pet__original_glcm_Contrast") == ("tumour", "pet", "original_glcm_Contrast")
    assert split_feature_name("lymph_node_ct__wavelet-LLH_firstorder_Mean") == (
        "lymph_node", "ct", "wavelet-LLH_firstorder_Mean")
    assert split_feature_name("original_glcm_Contrast") == ("", "", "original_glcm_Contrast")


def test_compare_groups_by_panels_and_fdr() -> None:
    rng = np.random.default_rng(5)
    n = 120
    cols = {f"{s}__original_firstorder_F{i}": rng.normal(size=n) for s in ("tumour_ct", "bat_pet") for i in range(30)}
    df = pd.DataFrame(cols)
    df["TP53"] = rng.integers(0, 2, n)
    df["cancer_type"] = rng.choice(["ovarian", "cervical"], n)
    res = compare_groups_by(df, None, "TP53", by="cancer_type", test="welch")
    assert list(res.columns[:4]) == ["subset", "roi", "modality", "radiomic_feature"]
    assert list(pd.unique(res["subset"])) == ["cervical", "ovarian", "all"]
    assert len(res) == 3 * 60
    panel = res[(res["subset"] == "ovarian") & (res["roi"] == "bat")]
    sub = df[df["cancer_type"] == "ovarian"]
    direct = compare_groups(sub, [c for c in cols if c.startswith("bat_pet")], "TP53", "welch")
    assert np.allclose(panel["p_fdr"].to_numpy(), direct["p_fdr"].to_numpy(), atol=1e-15)
    # a subset with a too small group: raise by default, skip on request
    df.loc[(df["cancer_type"] == "cervical"), "TP53"] = 0
    df.loc[df.index[df["cancer_type"] == "cervical"][:2], "TP53"] = 1
    with pytest.raises(StatsError, match="subset 'cervical'"):
        compare_groups_by(df, None, "TP53", by="cancer_type")
    res = compare_groups_by(df, None, "TP53", by="cancer_type", on_error="skip")
    assert "cervical" in res.attrs["skipped"] and "cervical" not in set(res["subset"])


def test_results_write_to_parquet(tmp_path: Path) -> None:
    """attrs hold plain Python values, so results (integer group levels too) round-trip through Parquet."""
    df = fixed_table()
    df["g_int"] = (df["g2"] == "mut").astype(np.int64)
    res = compare_groups(df, ["f00", "f01"], "g_int")
    assert res.attrs["levels"] == [0, 1] and type(res.attrs["levels"][0]) is int
    res.to_parquet(tmp_path / "r.parquet")
    back = pd.read_parquet(tmp_path / "r.parquet")
    assert list(back.columns) == list(res.columns) and np.allclose(back["p"], res["p"])
    by = compare_groups_by(df.assign(sub=np.where(df.index % 2, "a", "b")), ["f00"], "g_int", by="sub")
    by.to_parquet(tmp_path / "b.parquet")
