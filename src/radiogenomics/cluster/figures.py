r"""Figures of a clustering: validity indices against k, a t-SNE map, and a heatmap of the embedding by cluster.

All figures are :class:`matplotlib.figure.Figure` objects on the Agg canvas (no pyplot, no global state) made by
:func:`radiogenomics.plotting.new_figure`; save them with :func:`radiogenomics.plotting.save_figure` (PNG + SVG).

- :func:`scores_figure` — Davies–Bouldin, silhouette, Calinski–Harabasz and bootstrap stability against k,
  the chosen k marked.
- :func:`tsne_map` — 2-D t-SNE coordinates (``sklearn.manifold.TSNE``, PCA initialisation, ``random_state=seed``,
  perplexity :math:`\min(30, (n - 1)/3)` unless given); :func:`tsne_figure` draws them coloured by cluster and by
  each of a few other variables.
- :func:`cluster_heatmap` — the embedding with patients as columns, ordered by cluster (within a cluster by the
  leaf order of the clustering tree when given), features as rows ordered by average-linkage clustering of their
  correlations (:func:`radiogenomics.stats.cluster_order`); each feature is z-scored across patients and the
  colour scale clipped at ±3. Annotation bars above show the cluster and any other variables (targets, cancer
  type); a categorical bar gets a legend, a continuous one (numeric with more than 10 distinct values) a
  viridis scale.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from numpy.typing import ArrayLike, NDArray
from scipy.cluster import hierarchy
from sklearn.manifold import TSNE

from radiogenomics.cluster.association import is_continuous
from radiogenomics.cluster.errors import ClusterError
from radiogenomics.plotting import DPI, new_figure
from radiogenomics.stats import cluster_order

__all__ = ["cluster_colors", "cluster_heatmap", "scores_figure", "tsne_figure", "tsne_map"]

logger = logging.getLogger(__name__)

_CLUSTER_CMAP = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
                 "#17becf")
_LEVEL_CMAP = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c", "#ccb974",
               "#64b5cd", "#a6cee3", "#b2df8a")


def cluster_colors(k: int) -> list[str]:
    """Colour of clusters ``0 .. k-1`` (tab10, repeating beyond 10)."""
    return [_CLUSTER_CMAP[i % len(_CLUSTER_CMAP)] for i in range(k)]


def scores_figure(scores: pd.DataFrame, k: int, *, size: tuple[float, float] = (7.5, 5.5), dpi: int = DPI) -> Figure:
    """Four panels of validity indices against k (Davies–Bouldin, silhouette, Calinski–Harabasz, stability)."""
    need = ("k", "davies_bouldin", "silhouette", "calinski_harabasz", "stability_ari")
    missing = [c for c in need if c not in scores.columns]
    if missing:
        raise ClusterError(f"scores table lacks columns {missing}")
    fig = new_figure(size, dpi)
    axes = fig.subplots(2, 2, squeeze=False).ravel()
    ks = scores["k"].to_numpy()
    panels = (("davies_bouldin", "Davies–Bouldin (lower = better)"), ("silhouette", "silhouette (higher = better)"),
              ("calinski_harabasz", "Calinski–Harabasz (higher = better)"),
              ("stability_ari", "bootstrap stability (ARI)"))
    for ax, (col, title) in zip(axes, panels, strict=True):
        y = scores[col].to_numpy(dtype=np.float64)
        ax.set_title(title, fontsize=9, loc="left")
        ax.set_xlabel("k", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_xticks(ks)
        if np.isnan(y).all():
            ax.text(0.5, 0.5, "not computed", transform=ax.transAxes, ha="center", va="center", fontsize=8)
            continue
        ax.plot(ks, y, "o-", color="0.25", lw=1.2, ms=4)
        sel = ks == k
        ax.plot(ks[sel], y[sel], "o", color="#d62728", ms=8, zorder=3, label=f"chosen k = {k}")
        ax.axvline(k, color="#d62728", lw=0.6, ls="--", zorder=0)
    axes[0].legend(fontsize=7, frameon=False)
    return fig


def tsne_map(X: ArrayLike, *, seed: int = 0, perplexity: float | None = None) -> NDArray[np.float64]:
    """2-D t-SNE coordinates of the rows of ``X`` (settings in the module docstring)."""
    x = np.asarray(X, dtype=np.float64)
    n = x.shape[0]
    if n < 4:
        raise ClusterError(f"t-SNE needs at least 4 rows, got {n}")
    perp = min(30.0, (n - 1) / 3.0) if perplexity is None else float(perplexity)
    tsne = TSNE(n_components=2, perplexity=perp, init="pca", random_state=seed, method="exact" if n < 200
                else "barnes_hut")
    return np.asarray(tsne.fit_transform(x), dtype=np.float64)


def _levels(values: pd.Series) -> list:
    uniq = list(pd.unique(values.dropna()))
    try:
        return sorted(uniq)
    except TypeError:
        return sorted(uniq, key=str)


def tsne_figure(
    coords: ArrayLike,
    labels: ArrayLike,
    colour_by: Mapping[str, pd.Series | ArrayLike] | None = None,
    *,
    panel_size: tuple[float, float] = (4.2, 3.8),
    dpi: int = DPI,
) -> Figure:
    """t-SNE map coloured by cluster, plus one panel per entry of ``colour_by`` (name → values per row)."""
    xy = np.asarray(coords, dtype=np.float64)
    lab = np.asarray(labels)
    panels: list[tuple[str, pd.Series]] = [("cluster", pd.Series(lab))]
    for name, values in (colour_by or {}).items():
        panels.append((name, pd.Series(np.asarray(values))))
    fig = new_figure((panel_size[0] * len(panels), panel_size[1]), dpi)
    axes = fig.subplots(1, len(panels), squeeze=False).ravel()
    for ax, (name, values) in zip(axes, panels, strict=True):
        ax.set_title(name, fontsize=9, loc="left")
        ax.set_xlabel("t-SNE 1", fontsize=8)
        ax.set_ylabel("t-SNE 2", fontsize=8)
        ax.tick_params(labelsize=7)
        if is_continuous(values):
            v = values.to_numpy(dtype=np.float64)
            sc = ax.scatter(xy[:, 0], xy[:, 1], c=v, cmap="viridis", s=14, linewidths=0)
            fig.colorbar(sc, ax=ax, shrink=0.8)
            continue
        levels = _levels(values)
        colours = cluster_colors(len(levels)) if name == "cluster" else \
            [_LEVEL_CMAP[i % len(_LEVEL_CMAP)] for i in range(len(levels))]
        miss = values.isna().to_numpy()
        if miss.any():
            ax.scatter(xy[miss, 0], xy[miss, 1], c="#dddddd", s=14, linewidths=0, label="missing")
        for lv, col in zip(levels, colours, strict=True):
            sel = (values == lv).to_numpy()
            ax.scatter(xy[sel, 0], xy[sel, 1], c=col, s=14, linewidths=0, label=str(lv))
        ax.legend(fontsize=6.5, frameon=False, markerscale=1.2, loc="best")
    return fig


def _feature_order(z: NDArray[np.float64]) -> NDArray[np.intp]:
    """Rows (features) of ``z`` ordered by clustering of their correlations; constant rows last."""
    p = z.shape[0]
    varying = np.flatnonzero(z.std(axis=1) > 0)
    if varying.size < 3:
        return np.arange(p)
    corr = pd.DataFrame(np.corrcoef(z[varying]))
    order, _ = cluster_order(corr, "average", "1-r")
    rest = np.setdiff1d(np.arange(p), varying)
    return np.concatenate([varying[order], rest]).astype(np.intp)


def cluster_heatmap(
    embedding: pd.DataFrame,
    labels: ArrayLike,
    annotations: pd.DataFrame | None = None,
    *,
    tree: NDArray[np.float64] | None = None,
    max_labels: int = 40,
    size: tuple[float, float] | None = None,
    dpi: int = DPI,
) -> Figure:
    """Heatmap of the embedding ordered by cluster, with annotation bars (module docstring).

    Parameters
    ----------
    embedding : pandas.DataFrame
        Patients × features (rows in the order of ``labels``).
    labels : array_like
        Cluster of each row.
    annotations : pandas.DataFrame, optional
        One column per annotation bar (e.g. TP53, cancer_type), rows in the order of ``labels``.
    tree : ndarray, optional
        SciPy linkage matrix of the rows (``ClusterResult.tree``): orders patients within clusters.
    max_labels : int
        Feature names are shown when there are at most this many features.
    """
    x = embedding.to_numpy(dtype=np.float64)
    lab = np.asarray(labels)
    n, p = x.shape
    if lab.shape != (n,):
        raise ClusterError(f"labels must have one entry per embedding row ({n}), got shape {lab.shape}")
    ann = annotations if annotations is not None else pd.DataFrame(index=range(n))
    if len(ann) != n:
        raise ClusterError(f"annotations must have one row per embedding row ({n}), got {len(ann)}")
    ann = ann.reset_index(drop=True)
    leaf_pos = np.arange(n)
    if tree is not None and len(tree) == n - 1:
        leaf_pos = np.empty(n, dtype=np.int64)
        leaf_pos[hierarchy.leaves_list(tree)] = np.arange(n)
    cols = np.lexsort((leaf_pos, lab))
    mu, sd = x.mean(axis=0), x.std(axis=0)
    z = np.clip((x - mu) / np.where(sd > 0, sd, 1.0), -3.0, 3.0).T  # features × patients
    rows = _feature_order(z)
    z = z[np.ix_(rows, cols)]
    names = [str(embedding.columns[i]) for i in rows]

    bars: list[tuple[str, pd.Series]] = [("cluster", pd.Series(lab[cols]))]
    bars += [(str(c), ann[c].iloc[cols].reset_index(drop=True)) for c in ann.columns]
    n_bars = len(bars)
    if size is None:
        size = (9.0, min(11.0, 3.0 + 0.12 * p + 0.25 * n_bars))
    fig = new_figure(size, dpi)
    gs = fig.add_gridspec(2, 2, height_ratios=(0.22 * n_bars + 0.05, max(1.0, 0.12 * p)), width_ratios=(30, 1),
                          hspace=0.02)
    ax_a = fig.add_subplot(gs[0, 0])
    ax = fig.add_subplot(gs[1, 0], sharex=ax_a)
    cax = fig.add_subplot(gs[1, 1])
    handles: list[Patch] = []
    for i, (name, values) in enumerate(bars):
        if name != "cluster" and is_continuous(values):
            v = values.to_numpy(dtype=np.float64)
            norm = Normalize(np.nanmin(v), np.nanmax(v))
            ax_a.imshow(v[None, :], cmap="viridis", norm=norm, aspect="auto", interpolation="nearest",
                        extent=(-0.5, n - 0.5, i + 0.5, i - 0.5))
            handles.append(Patch(color="none", label=f"{name}: {np.nanmin(v):.3g}–{np.nanmax(v):.3g} (viridis)"))
            continue
        levels = _levels(values)
        colours = cluster_colors(len(levels)) if name == "cluster" else \
            [_LEVEL_CMAP[j % len(_LEVEL_CMAP)] for j in range(len(levels))]
        codes = np.full(n, np.nan)
        for j, lv in enumerate(levels):
            codes[(values == lv).to_numpy()] = j
        cmap = ListedColormap(colours).with_extremes(bad="#eeeeee")
        ax_a.imshow(np.ma.masked_invalid(codes)[None, :], cmap=cmap, vmin=-0.5, vmax=len(levels) - 0.5, aspect="auto",
                    interpolation="nearest", extent=(-0.5, n - 0.5, i + 0.5, i - 0.5))
        handles += [Patch(facecolor=c, label=f"{name}: {lv}") for lv, c in zip(levels, colours, strict=True)]
    ax_a.set_ylim(n_bars - 0.5, -0.5)
    ax_a.set_yticks(np.arange(n_bars), [b[0] for b in bars], fontsize=7)
    ax_a.tick_params(axis="x", bottom=False, labelbottom=False)
    for spine in ax_a.spines.values():
        spine.set_visible(False)
    im = ax.imshow(z, cmap="RdBu_r", vmin=-3.0, vmax=3.0, aspect="auto", interpolation="nearest")
    fig.colorbar(im, cax=cax, label="z-score")
    bounds = np.flatnonzero(np.diff(lab[cols])) + 0.5
    for b in bounds:
        ax.axvline(b, color="k", lw=0.8)
        ax_a.axvline(b, color="k", lw=0.8)
    ax.set_xlabel(f"{n} patients, ordered by cluster", fontsize=8)
    ax.set_xticks([])
    if p <= max_labels:
        ax.set_yticks(np.arange(p), names, fontsize=max(4.0, min(7.0, 300.0 / p)))
    else:
        ax.set_yticks([])
        ax.set_ylabel(f"{p} features (clustered)", fontsize=8)
    fig.legend(handles=handles[:60], loc="outside right upper", fontsize=6, frameon=False)
    if len(handles) > 60:
        logger.info("heatmap legend: %d entries, first 60 shown", len(handles))
    return fig
