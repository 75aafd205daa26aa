"""Tables and figures that say what the data say: binary and coded variables as n (%) in Table 1, a standardised
mean difference on the volcano's x axis for features that are not strictly positive, a heatmap only of
significant features, sized to stay legible."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.image import imread

from radiogenomics.stats import compare_groups, table1, volcano
from radiogenomics.stats.analysis import run_stats
from radiogenomics.stats.effect import cohens_d
from radiogenomics.stats.volcano import effect_axis


def _cohort(n: int = 80, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    return pd.DataFrame({
        "TP53": y,
        "LN": rng.integers(0, 2, n),  # binary 0/1
        "grade": rng.integers(1, 4, n),  # coded 1..3
        "age": rng.normal(60, 9, n).round(1),  # continuous
        "tumour_ct__original_firstorder_Mean": rng.normal(0, 10, n) + 12 * y,  # HU: crosses zero
        "tumour_pet__original_firstorder_Mean": rng.lognormal(1, 0.3, n) * (1 + 0.5 * y),  # SUV: positive
    })


def test_binary_and_coded_variables_are_counts() -> None:
    df = _cohort()
    t1 = table1(df, "TP53", ["LN", "grade", "age"])
    ln = t1[t1.variable == "LN"]
    assert set(ln["summary"]) == {"n (%)"} and set(ln["level"]) >= {"0", "1"}
    one = ln[ln.level == "1"].iloc[0]
    count = int((df[df.TP53 == 0].LN == 1).sum())
    assert one["0"] == f"{count} ({100 * count / 40:.1f}%)"
    assert set(t1[t1.variable == "grade"]["level"]) >= {"1", "2", "3"}
    assert t1[t1.variable == "age"]["summary"].iloc[0] in ("mean ± SD", "median [Q1, Q3]")


def test_volcano_axis_is_the_standardised_difference_when_a_feature_is_not_positive() -> None:
    df = _cohort()
    res = compare_groups(df, ["tumour_ct__original_firstorder_Mean", "tumour_pet__original_firstorder_Mean"], "TP53")
    ct, pet = res.set_index("feature").loc[["tumour_ct__original_firstorder_Mean",
                                            "tumour_pet__original_firstorder_Mean"]].itertuples()
    assert not ct.positive and pet.positive
    a, b = (df[df.TP53 == g]["tumour_ct__original_firstorder_Mean"] for g in (0, 1))
    assert np.isclose(ct.smd, cohens_d(a.mean(), b.mean(), a.var(), b.var(), len(a), len(b)))
    assert effect_axis(res) == ("smd", "standardised mean difference (Cohen's d)")
    assert effect_axis(res[res.positive]) == ("log2fc", "log$_2$ fold change")
    ax = volcano(res).axes[0]
    assert "standardised mean difference" in ax.get_xlabel()
    assert max(abs(v) for v in ax.get_xlim()) < 5  # not the ±40 of a log ratio of near-zero means


def test_heatmap_only_of_significant_features_and_sized_to_them(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 60
    y = np.repeat([0, 1], n // 2)
    noise = {f"tumour_pet__original_firstorder_N{j}": rng.lognormal(1, 0.3, n) for j in range(20)}
    signal = {f"tumour_pet__original_glcm_S{j}": rng.lognormal(1, 0.2, n) * (1 + 0.8 * y) for j in range(6)}
    df = pd.DataFrame({"TP53": y, **noise, **signal})
    out = run_stats(df, "TP53", tmp_path / "a", heatmap_top=30)
    assert "correlation_heatmap" in out.figures
    h, w = imread(out.figures["correlation_heatmap"]).shape[:2]
    assert w < 1200 and h < 1100  # six features: a small figure, not the 50-feature default
    flat = pd.DataFrame({"TP53": y, **noise})
    out = run_stats(flat, "TP53", tmp_path / "b", heatmap_top=30)
    assert "correlation_heatmap" not in out.figures
    assert any("correlation heatmap not drawn" in w for w in out.warnings)
