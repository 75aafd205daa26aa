"""Deep features vs binary targets (Fig 9e): known answers from SciPy, small targets left out with a warning.

The files and the figure of a full run are checked on the shared run of ``test_run.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from radiogenomics.cluster import ClusterError, analysis, features_by_target, run_clustering

from ._synth import spec_table

LEADING = ["target", "comparison", "feature", "test", "status", "n", "n_neg", "n_pos", "mean_neg", "mean_pos"]


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, pd.DataFrame]:
    """An embedding with a planted TP53 difference (normal and skewed columns) and two 0/1 targets, some missing."""
    rng = np.random.default_rng(11)
    n = 70
    tp53 = (rng.random(n) < 0.4).astype(float)
    mmr = (rng.random(n) < 0.5).astype(float)
    tp53[[3, 17, 40]] = np.nan
    y = np.nan_to_num(tp53)
    emb = pd.DataFrame({
        "deep_000": rng.normal(size=n) + 1.2 * y,  # normal: Welch
        "deep_001": rng.exponential(size=n) * (1.0 + 1.5 * y),  # skewed: Mann–Whitney
        "deep_002": rng.normal(size=n),  # noise
    })
    return emb, pd.DataFrame({"TP53": tp53, "MMR": pd.array(mmr.astype(int), dtype="Int64")})


def test_features_by_target_equals_scipy(planted: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    emb, targets = planted
    res = features_by_target(emb, targets, list(emb.columns))
    assert list(res.columns[: len(LEADING)]) == LEADING
    assert res["comparison"].unique().tolist() == ["TP53: 1 vs 0", "MMR: 1 vs 0"]
    assert res.attrs["skipped"] == {}
    for target in ("TP53", "MMR"):
        y = targets[target].to_numpy(dtype=np.float64, na_value=np.nan)
        block = res[res["target"] == target].set_index("feature")
        assert block.index.tolist() == list(emb.columns)
        for f in emb.columns:
            r = block.loc[f]
            pos, neg = emb[f].to_numpy()[y == 1], emb[f].to_numpy()[y == 0]
            assert (r["n_pos"], r["n_neg"], r["n"]) == (pos.size, neg.size, pos.size + neg.size)
            assert r["mean_pos"] == pytest.approx(pos.mean(), rel=1e-12)
            normal_p = min(stats.shapiro(pos).pvalue, stats.shapiro(neg).pvalue)
            assert r["normality_p"] == pytest.approx(normal_p, rel=1e-9)
            sd = np.sqrt(((pos.size - 1) * pos.var(ddof=1) + (neg.size - 1) * neg.var(ddof=1))
                         / (pos.size + neg.size - 2))
            assert r["smd"] == pytest.approx((pos.mean() - neg.mean()) / sd, rel=1e-10)
            if normal_p >= 0.05:
                ref = stats.ttest_ind(pos, neg, equal_var=False)
                assert r["test"] == "welch" and r["effect_type"] == "cohen_d"
                assert r["effect_size"] == pytest.approx(r["smd"], rel=1e-12)
            else:
                ref = stats.mannwhitneyu(pos, neg, method="asymptotic")
                assert r["test"] == "mannwhitney" and r["effect_type"] == "rank_biserial"
                assert r["effect_size"] == pytest.approx(2 * ref.statistic / (pos.size * neg.size) - 1, rel=1e-12)
            assert r["statistic"] == pytest.approx(ref.statistic, rel=1e-10)
            assert r["p"] == pytest.approx(ref.pvalue, rel=1e-9)
        np.testing.assert_allclose(block["p_fdr"], stats.false_discovery_control(block["p"]), rtol=1e-12)
    tp53 = res[res["target"] == "TP53"].set_index("feature")
    assert tp53.loc["deep_000", "test"] == "welch" and tp53.loc["deep_001", "test"] == "mannwhitney"
    assert tp53.loc[["deep_000", "deep_001"], "effect_size"].gt(0).all()  # planted: higher when TP53 = 1
    assert tp53.loc[["deep_000", "deep_001"], "p_fdr"].lt(0.05).all() and tp53.loc["deep_002", "p_fdr"] > 0.05


def test_target_with_too_few_cases_is_skipped(planted: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    emb, targets = planted
    rare = np.zeros(len(emb))
    rare[:2] = 1.0
    more = targets.assign(rare=rare, grade=np.arange(len(emb)) % 3 + 1)
    res = features_by_target(emb, more, list(emb.columns))
    assert set(res["target"]) == {"TP53", "MMR"}
    assert "2 patient(s) with rare = 1" in res.attrs["skipped"]["rare"]
    assert "not a 0/1 target" in res.attrs["skipped"]["grade"]
    with pytest.raises(ClusterError, match=r"no target could be compared.*rare"):
        features_by_target(emb, more[["rare"]], list(emb.columns))
    with pytest.raises(ClusterError, match="one row per row"):
        features_by_target(emb, more.iloc[:5], list(emb.columns))


@pytest.fixture
def no_figures(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Skip t-SNE and the drawing in run_clustering (the figures are checked on the shared run of test_run.py);
    returns the names of the figures it would have saved."""
    saved: list[str] = []

    def save(fig: object, path: Path) -> list[Path]:
        saved.append(Path(path).name)
        return [Path(path).with_suffix(".png")]

    monkeypatch.setattr(analysis, "save_figure", save)
    monkeypatch.setattr(analysis, "tsne_map", lambda x, seed: np.zeros((len(x), 2)))
    for name in ("scores_figure", "tsne_figure", "cluster_heatmap", "volcano_grid"):
        monkeypatch.setattr(analysis, name, lambda *a, **k: None)
    return saved


def test_run_skips_small_targets_with_warning(tmp_path: Path, no_figures: list[str]) -> None:
    table = spec_table(40, 1.0, 7)
    table["rare"] = (np.arange(len(table)) < 2).astype(int)
    out = run_clustering(table, tmp_path / "two", targets=["TP53", "rare"], embedding="features",
                         k_range=range(2, 4), n_boot=0)
    written = pd.read_parquet(tmp_path / "two" / "volcano_deep_target.parquet")
    emb = pd.read_parquet(tmp_path / "two" / "embeddings.parquet").drop(columns="case_id")
    again = features_by_target(emb, table[["TP53", "rare"]], list(emb.columns))
    pd.testing.assert_frame_equal(written, again)
    pd.testing.assert_frame_equal(out.volcano_deep_target, again)
    assert list(written.columns[: len(LEADING)]) == LEADING and set(written["target"]) == {"TP53"}
    assert "volcano_deep_target" in no_figures and "volcano_deep_target" in out.figures
    assert [w for w in out.warnings if "volcano_deep_target" in w] == [
        "volcano_deep_target: rare not compared: 2 patient(s) with rare = 1 and 38 with rare = 0; at least 3 of "
        "each are needed"]
    no_figures.clear()
    only_rare = run_clustering(table, tmp_path / "rare", targets=["rare"], embedding="features",
                               k_range=range(2, 4), n_boot=0)
    assert only_rare.volcano_deep_target is None and "volcano_deep_target" not in only_rare.figures
    assert "volcano_deep_target" not in no_figures
    assert not (tmp_path / "rare" / "volcano_deep_target.parquet").exists()
    assert any(w.startswith("volcano_deep_target not computed: no target could be compared") and "rare" in w
               for w in only_rare.warnings)
