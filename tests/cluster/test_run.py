"""run_clustering end to end on a synthetic cohort: files, JSON, consistency with the library calls, figures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread

from radiogenomics.cluster import (
    ClusterError,
    ClusterOutputs,
    cluster_association,
    cluster_heatmap,
    cluster_patients,
    features_by_target,
    run_clustering,
    scores_figure,
    tsne_figure,
    tsne_map,
)
from radiogenomics.errors import UnknownNameError
from radiogenomics.plotting import save_figure

from ._synth import planted_groups, spec_table
from .conftest import SMALL_TRANSFORMER

FILES = ("embeddings.parquet", "clusters.parquet", "scores.parquet", "association.parquet", "volcano_deep.parquet",
         "volcano_radiomic.parquet", "dbi.png", "dbi.svg", "tsne.png", "tsne.svg", "heatmap.png", "heatmap.svg",
         "volcano_deep.png", "volcano_radiomic.png", "volcano_deep_target.parquet", "volcano_deep_target.png",
         "volcano_deep_target.svg", "cluster.json")


def assert_nonblank(path: Path) -> None:
    img = imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert float(img[..., :3].std()) > 0.02
    rgb = np.round(img[::3, ::3, :3] * 255).astype(np.int64)
    assert np.unique(rgb[..., 0] * 65536 + rgb[..., 1] * 256 + rgb[..., 2]).size > 10


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return spec_table(80, 1.0, 21)


@pytest.fixture(scope="module")
def run(table: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> ClusterOutputs:
    out = tmp_path_factory.mktemp("cluster")
    return run_clustering(table, out, targets=["TP53", "MMR"], clinical=["age", "grade"], annotate=["cancer_type"],
                          k_range=range(2, 7), seed=3, transformer_params=SMALL_TRANSFORMER, n_boot=5)


def test_files_and_json(run: ClusterOutputs, table: pd.DataFrame) -> None:
    for name in FILES:
        assert (run.outdir / name).is_file(), name
    info = json.loads((run.outdir / "cluster.json").read_text())
    assert info["k"] == run.result.k and info["seed"] == 3 and info["embedding"] == "transformer"
    assert info["embedding_target"] == "TP53" and info["k_range"] == [2, 3, 4, 5, 6]
    assert [r["k"] for r in info["scores"]] == [2, 3, 4, 5, 6]
    assert [r["variable"] for r in info["association"]] == ["TP53", "MMR", "age", "grade", "cancer_type"]
    assert info["settings"]["transformer_params"] == SMALL_TRANSFORMER
    clusters = pd.read_parquet(run.outdir / "clusters.parquet")
    assert list(clusters.columns) == ["case_id", "cluster"]
    assert clusters["case_id"].tolist() == table["case_id"].tolist()
    np.testing.assert_array_equal(clusters["cluster"].to_numpy(), run.result.labels)
    emb = pd.read_parquet(run.outdir / "embeddings.parquet")
    assert emb.columns[0] == "case_id" and emb.shape == (80, 1 + SMALL_TRANSFORMER["d_token"])


def test_outputs_consistent_with_library_calls(run: ClusterOutputs, table: pd.DataFrame) -> None:
    emb = pd.read_parquet(run.outdir / "embeddings.parquet").drop(columns="case_id")
    again = cluster_patients(emb.to_numpy(), range(2, 7), n_boot=5, seed=3)
    pd.testing.assert_frame_equal(again.scores, pd.read_parquet(run.outdir / "scores.parquet"))
    assoc = cluster_association(table, again.labels, ["TP53", "MMR", "age", "grade", "cancer_type"])
    pd.testing.assert_frame_equal(assoc, pd.read_parquet(run.outdir / "association.parquet"), check_dtype=False)
    deep = pd.read_parquet(run.outdir / "volcano_deep.parquet")
    assert set(deep["feature"]) == set(emb.columns) and set(deep["cluster"]) <= set(range(run.result.k))
    radiomic = pd.read_parquet(run.outdir / "volcano_radiomic.parquet")
    assert set(radiomic["feature"]) == {c for c in table.columns if "__" in c}
    target = pd.read_parquet(run.outdir / "volcano_deep_target.parquet")
    pd.testing.assert_frame_equal(target, features_by_target(emb, table[["TP53", "MMR"]], list(emb.columns)))


def test_figures_render(run: ClusterOutputs) -> None:
    assert set(run.figures) == {"dbi", "tsne", "heatmap", "volcano_deep", "volcano_radiomic", "volcano_deep_target"}
    for path in run.figures.values():
        assert_nonblank(path)


def test_figure_functions_render(tmp_path: Path) -> None:
    x, truth = planted_groups(n_per=15, p=5, seed=2)
    res = cluster_patients(x, range(2, 6), n_boot=0)
    coords = tsne_map(x, seed=0)
    assert coords.shape == (45, 2)
    np.testing.assert_array_equal(coords, tsne_map(x, seed=0))
    ann = pd.DataFrame({"truth": truth, "score": np.linspace(0, 1, 45)})
    figs = {"scores": scores_figure(res.scores, res.k), "tsne": tsne_figure(coords, res.labels, {"truth": truth}),
            "heat": cluster_heatmap(pd.DataFrame(x), res.labels, ann, tree=res.tree)}
    for name, fig in figs.items():
        assert_nonblank(save_figure(fig, tmp_path / name)[0])


def test_features_embedding_and_errors(table: pd.DataFrame, tmp_path: Path) -> None:
    out = run_clustering(table, tmp_path / "pca", targets=[], clinical=["grade"], embedding="features",
                         k_range=range(2, 5), n_boot=0)
    assert list(out.embedding.columns[:2]) == ["pc_000", "pc_001"]
    assert out.association["variable"].tolist() == ["grade"]
    with pytest.raises(ClusterError, match="target"):
        run_clustering(table, tmp_path / "x", targets=[])
    with pytest.raises(UnknownNameError, match="TP53"):
        run_clustering(table, tmp_path / "x", targets=["TP35"])
    with pytest.raises(UnknownNameError, match="features"):
        run_clustering(table, tmp_path / "x", targets=["TP53"], embedding="feature")
