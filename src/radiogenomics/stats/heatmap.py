r"""Correlation heatmap with hierarchical clustering (matplotlib Agg, no pyplot).

Features are ordered by agglomerative clustering (``scipy.cluster.hierarchy.linkage``, default
average linkage) of the correlation distance :math:`d_{ij} = 1 - r_{ij}` (or :math:`1 - |r_{ij}|` with
``distance="1-|r|"``, which groups strongly anti-correlated features too). The dendrogram is drawn
above the matrix. Features whose correlations are undefined (constant columns) are left out and
logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from numpy.typing import NDArray
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

from radiogenomics.errors import UnknownNameError
from radiogenomics.plotting import DPI, new_figure
from radiogenomics.stats._common import _preview
from radiogenomics.stats.correlation import correlation_matrix
from radiogenomics.stats.errors import StatsError

__all__ = ["HEATMAP_SIZE", "cluster_order", "correlation_heatmap", "heatmap_from_matrix"]

logger = logging.getLogger(__name__)

HEATMAP_SIZE = (8.0, 7.5)
LINKAGES = ("average", "complete", "single", "weighted")
DISTANCES = ("1-r", "1-|r|")


def cluster_order(
    corr: pd.DataFrame, linkage: str = "average", distance: str = "1-r"
) -> tuple[NDArray[np.intp], NDArray[np.float64]]:
    """Leaf order and linkage matrix of the hierarchical clustering of a correlation matrix.

    Parameters
    ----------
    corr : pandas.DataFrame
        Square correlation matrix without NaN.
    linkage : {"average", "complete", "single", "weighted"}
        ``scipy.cluster.hierarchy.linkage`` method.
    distance : {"1-r", "1-|r|"}
        Correlation distance.

    Returns
    -------
    order : ndarray
        Positions of the features in dendrogram leaf order.
    z : ndarray
        The SciPy linkage matrix.
    """
    if linkage not in LINKAGES:
        raise UnknownNameError("linkage", linkage, LINKAGES)
    if distance not in DISTANCES:
        raise UnknownNameError("correlation distance", distance, DISTANCES)
    r = corr.to_numpy(dtype=np.float64)
    if np.isnan(r).any():
        raise StatsError("the correlation matrix holds NaN; drop constant features first")
    d = 1.0 - (np.abs(r) if distance == "1-|r|" else r)
    d = np.clip((d + d.T) / 2.0, 0.0, None)
    np.fill_diagonal(d, 0.0)
    z = hierarchy.linkage(squareform(d, checks=False), method=linkage)
    return np.asarray(hierarchy.leaves_list(z), dtype=np.intp), z


def heatmap_from_matrix(
    corr: pd.DataFrame,
    *,
    cluster: bool = True,
    linkage: str = "average",
    distance: str = "1-r",
    max_labels: int = 60,
    title: str | None = None,
    label: str = "r",
    size: tuple[float, float] = HEATMAP_SIZE,
    dpi: int = DPI,
) -> Figure:
    """Heatmap of a square correlation matrix, clustered (dendrogram on top) unless ``cluster=False``.

    Tick labels are shown when there are at most ``max_labels`` features. Rows/columns that are
    entirely NaN (constant features) are dropped (logged).
    """
    if corr.shape[0] != corr.shape[1] or list(corr.index) != list(corr.columns):
        raise StatsError("heatmap_from_matrix needs a square matrix with the same row and column labels")
    undefined = pd.Series(np.isnan(np.diag(corr.to_numpy(dtype=np.float64))), index=corr.index)
    if undefined.any():
        dropped = list(corr.index[undefined])
        logger.warning("heatmap: %d feature(s) with undefined correlations left out: %s", len(dropped),
                       _preview(dropped))
        keep = ~undefined.to_numpy()
        corr = corr.loc[keep, keep]
    if corr.isna().to_numpy().any():
        raise StatsError("the correlation matrix holds NaN for some pairs (too few complete cases)")
    if corr.shape[0] < 2:
        raise StatsError("a correlation heatmap needs at least two features with defined correlations")
    names = [str(c) for c in corr.columns]
    fig = new_figure(size, dpi)
    if cluster:
        _, z = cluster_order(corr, linkage, distance)
        gs = fig.add_gridspec(2, 2, height_ratios=(1, 5), width_ratios=(30, 1))
        ax_d = fig.add_subplot(gs[0, 0])
        ax = fig.add_subplot(gs[1, 0])
        cax = fig.add_subplot(gs[1, 1])
        dn = hierarchy.dendrogram(z, no_plot=True)
        segs = [np.column_stack([ic, dc]) for ic, dc in zip(dn["icoord"], dn["dcoord"], strict=True)]
        ax_d.add_collection(LineCollection(segs, colors="0.2", linewidths=0.6))
        ax_d.set_xlim(0, 10 * len(names))
        ax_d.set_ylim(0, max(float(np.max(dn["dcoord"])), 1e-9) * 1.05)
        ax_d.set_axis_off()
        order = np.asarray(dn["leaves"], dtype=np.intp)
        if title:
            ax_d.set_title(title, loc="left", fontsize=10)
    else:
        order = np.arange(len(names))
        gs = fig.add_gridspec(1, 2, width_ratios=(30, 1))
        ax = fig.add_subplot(gs[0, 0])
        cax = fig.add_subplot(gs[0, 1])
        if title:
            ax.set_title(title, loc="left", fontsize=10)
    mat = corr.to_numpy(dtype=np.float64)[np.ix_(order, order)]
    im = ax.imshow(mat, cmap="RdBu_r", vmin=-1.0, vmax=1.0, aspect="auto", interpolation="nearest")
    fig.colorbar(im, cax=cax, label=label)
    if len(names) <= max_labels:
        fs = max(3.0, min(8.0, 400.0 / len(names)))
        ticks = np.arange(len(names))
        ax.set_xticks(ticks, [names[i] for i in order], rotation=90, fontsize=fs)
        ax.set_yticks(ticks, [names[i] for i in order], fontsize=fs)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(f"{len(names)} features (clustered)" if cluster else f"{len(names)} features")
    return fig


def correlation_heatmap(
    df: pd.DataFrame,
    features: str | Sequence[str] | None = None,
    method: str = "pearson",
    *,
    cluster: bool = True,
    linkage: str = "average",
    distance: str = "1-r",
    max_labels: int = 60,
    title: str | None = None,
    size: tuple[float, float] = HEATMAP_SIZE,
    dpi: int = DPI,
) -> Figure:
    """Clustered heatmap of the correlations among ``features`` (see :func:`correlation_matrix`).

    Parameters
    ----------
    df : pandas.DataFrame
        One row per case.
    features : str, list of str or None
        Numeric columns (default: all numeric columns except ``case_id``). The matrix is
        features × features: keep it to a few hundred features.
    method : {"pearson", "spearman"}
        Correlation coefficient.
    cluster, linkage, distance
        Clustering (see :func:`cluster_order`).
    max_labels : int
        Show feature names when there are at most this many features.
    title : str, optional
        Figure title.
    size, dpi
        Figure size in inches and resolution.

    Returns
    -------
    matplotlib.figure.Figure
        Save it with :func:`radiogenomics.plotting.save_figure`.
    """
    corr = correlation_matrix(df, features, method)
    return heatmap_from_matrix(corr, cluster=cluster, linkage=linkage, distance=distance, max_labels=max_labels,
                               title=title, label=f"{method} r", size=size, dpi=dpi)
