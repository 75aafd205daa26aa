"""Correlation heatmap with hierarchical clustering."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

from radiogenomics.plotting import save_figure
from radiogenomics.stats import (
    StatsError,
    cluster_order,
    correlation_heatmap,
    correlation_matrix,
)


def blocks(seed: int = 0, n: int = 80) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    f1, f2 = rng.normal(size=n), rng.normal(size=n)
    cols = {}
    for i in range(12):
        base = f1 if i % 2 == 0 else f2
        cols[f"feat{i}"] = base + 0.4 * rng.normal(size=n)
    return pd.DataFrame(cols)


def test_cluster_order_matches_scipy_and_groups_blocks() -> None:
    corr = correlation_matrix(blocks(), method="pearson")
    order, z = cluster_order(corr)
    d = 1 - corr.to_numpy()
    np.fill_diagonal(d, 0)
    ref = hierarchy.linkage(squareform(d, checks=False), method="average")
    assert np.allclose(z, ref)
    first_block = {corr.columns[i] for i in order[:6]}
    assert first_block in ({f"feat{i}" for i in range(0, 12, 2)}, {f"feat{i}" for i in range(1, 12, 2)})


def test_heatmap_renders(tmp_path: Path) -> None:
    df = blocks()
    df["const"] = 1.0
    fig = correlation_heatmap(df, method="spearman", title="blocks")
    paths = save_figure(fig, tmp_path / "hm")
    img = imread(paths[0])
    assert img.shape[:2] == (1125, 1200)
    assert img[..., :3].std() > 0.1
    assert len(fig.axes[1].get_xticklabels()) == 12  # const left out
    unclustered = correlation_heatmap(df.drop(columns="const"), cluster=False)
    unclustered.canvas.draw()


def test_heatmap_errors() -> None:
    with pytest.raises(StatsError):
        correlation_heatmap(pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [1.0, 1, 1, 1]}))
