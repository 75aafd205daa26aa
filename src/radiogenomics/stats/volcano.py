r"""Volcano plots of :func:`~radiogenomics.stats.compare_groups` results: one panel or a faceted grid.

A point per tested feature at :math:`(\mathrm{log_2FC}, -\log_{10} p)`. A ratio of means only means something
for strictly positive features: a panel holding any feature that is not (HU of a CT, a wavelet band, a LoG
response; column ``positive`` of :func:`~radiogenomics.stats.compare_groups`) uses the standardised mean
difference (Cohen's d, column ``smd``) as its x axis instead, and says so on the axis. A feature is *up* when
``p_fdr < fdr_threshold`` and the x value is ``>= fc_threshold``, *down* when ``p_fdr < fdr_threshold`` and it is
``<= -fc_threshold``, otherwise *ns*; they are drawn red, blue and grey. Dashed lines mark
:math:`\pm` ``fc_threshold`` and the FDR boundary (on the p axis: the largest raw p among the
FDR-significant features, i.e. the Benjamini–Hochberg cut-off). The ``n_labels`` most significant
up/down features are labelled; labels are placed greedily around their point (growing radius, 16
directions) at the first spot that stays inside the axes and overlaps no other label, no labelled
point and no panel text; a label that finds no free spot is left out (logged), so labels never overlap.

Figures are :class:`matplotlib.figure.Figure` objects on the Agg canvas (no pyplot, no global state),
with fixed sizes and DPI: a single panel is ``SINGLE_SIZE`` inches, a grid ``PANEL_SIZE`` inches per
panel, both at ``DPI`` dots per inch, so a saved PNG has exactly ``size × dpi`` pixels.
:func:`radiogenomics.plotting.save_figure` writes PNG and SVG (grey points are rasterised inside the SVG to keep
it small).
"""

from __future__ import annotations

import logging
import math
import string
from collections.abc import Callable, Mapping, Sequence
from itertools import product
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import Bbox

from radiogenomics.plotting import DPI, new_figure
from radiogenomics.stats._common import as_list, check_columns
from radiogenomics.stats.errors import StatsError

__all__ = [
    "COLORS",
    "PANEL_SIZE",
    "SINGLE_SIZE",
    "volcano",
    "volcano_classes",
    "volcano_grid",
]

logger = logging.getLogger(__name__)

SINGLE_SIZE = (6.0, 5.0)
PANEL_SIZE = (3.6, 3.2)
COLORS = {"up": "#d62728", "down": "#1f77b4", "ns": "#b4b4b4"}
_P_FLOOR = 1e-300


def effect_axis(results: pd.DataFrame) -> tuple[str, str]:
    """The x column of a volcano of ``results`` and its axis label: ``log2fc`` when every feature is strictly
    positive (or ``positive``/``smd`` are unknown), else ``smd`` (module docstring)."""
    if {"positive", "smd"} <= set(results.columns) and len(results) and not bool(results["positive"].all()):
        return "smd", "standardised mean difference (Cohen's d)"
    return "log2fc", "log$_2$ fold change"


def volcano_classes(results: pd.DataFrame, fc_threshold: float = 0.25, fdr_threshold: float = 0.05,
                    x: str = "log2fc") -> pd.Series:
    """``"up"``, ``"down"`` or ``"ns"`` per row of ``results`` (rule in the module docstring) on column ``x``."""
    check_columns(results, [x, "p_fdr"], "results column")
    fc = results[x].to_numpy(dtype=np.float64, na_value=np.nan)
    q = results["p_fdr"].to_numpy(dtype=np.float64, na_value=np.nan)
    sig = np.nan_to_num(q, nan=1.0) < fdr_threshold
    cls = np.where(sig & (fc >= fc_threshold), "up", np.where(sig & (fc <= -fc_threshold), "down", "ns"))
    return pd.Series(cls, index=results.index, name="direction", dtype="string")


# ------------------------------------------------------------------------------------------ labels
def _directions(n: int = 16) -> list[tuple[float, float]]:
    angles = [math.pi / 4 + 2 * math.pi * i / n for i in range(n)]
    return [(math.cos(a), math.sin(a)) for a in angles]


_DIRS = _directions()
_RADII = (4.0, 9.0, 15.0, 22.0, 30.0, 40.0, 52.0, 66.0)


def _overlaps(box: Bbox, boxes: Sequence[Bbox]) -> bool:
    return any(box.overlaps(b) for b in boxes)


def _place_labels(
    ax: Axes, xs: np.ndarray, ys: np.ndarray, texts: Sequence[str], fontsize: float, occupied: list[Bbox]
) -> list[Any]:
    """Annotate points (data coords) with non-overlapping labels; returns the annotations made."""
    fig = ax.get_figure()
    assert fig is not None
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    frame = ax.get_window_extent(renderer).padded(-2.0)
    px = ax.transData.transform(np.column_stack([xs, ys])) if len(xs) else np.zeros((0, 2))
    ppt = fig.dpi / 72.0
    blocked = list(occupied) + [Bbox.from_bounds(x - 3, y - 3, 6, 6) for x, y in px]
    made = []
    for (x, y), (dx0, dy0), label in zip(px, np.column_stack([xs, ys]), texts, strict=True):
        probe = ax.text(0, 0, label, fontsize=fontsize)
        bb = probe.get_window_extent(renderer)
        probe.remove()
        w, h = bb.width, bb.height
        # prefer the side away from the plot's centre line
        dirs = sorted(_DIRS, key=lambda d: -(d[0] * (1 if dx0 >= 0 else -1)) - 0.5 * d[1])
        placed = False
        for radius in _RADII:
            for ux, uy in dirs:
                ax_x, ay_y = x + radius * ppt * ux, y + radius * ppt * uy
                ha = "left" if ux > 0.38 else "right" if ux < -0.38 else "center"
                va = "bottom" if uy > 0.38 else "top" if uy < -0.38 else "center"
                x0 = ax_x - {"left": 0.0, "center": w / 2, "right": w}[ha]
                y0 = ay_y - {"bottom": 0.0, "center": h / 2, "top": h}[va]
                box = Bbox.from_bounds(x0, y0, w, h)
                if not (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1):
                    continue
                own = Bbox.from_bounds(x - 3, y - 3, 6, 6)
                if _overlaps(box, [b for b in blocked if not (b.bounds == own.bounds)]):
                    continue
                ann = ax.annotate(
                    label, xy=(dx0, dy0), xytext=(radius * ux, radius * uy), textcoords="offset points",
                    ha=ha, va=va, fontsize=fontsize, annotation_clip=False, zorder=5,
                    arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "0.35", "shrinkA": 0, "shrinkB": 1}
                    if radius > 6 else None,
                )
                ann.set_in_layout(False)
                blocked.append(box.padded(1.0))
                made.append(ann)
                placed = True
                break
            if placed:
                break
        if not placed:
            logger.debug("volcano: no free spot for label %r", label)
    return made


# ------------------------------------------------------------------------------------------ drawing
def _prepare(results: pd.DataFrame, y: str) -> tuple[pd.DataFrame, str, str]:
    check_columns(results, ["log2fc", "p", "p_fdr"], "results column")
    if y not in ("p", "p_fdr"):
        raise StatsError(f"y must be 'p' or 'p_fdr', got {y!r}")
    data = results.copy()
    if "status" in data.columns:
        data = data[data["status"] == "tested"]
    x, label = effect_axis(data)
    data = data[data[x].notna() & data[y].notna()]
    return data, x, label


def _draw_panel(
    ax: Axes,
    results: pd.DataFrame,
    *,
    fc_threshold: float,
    fdr_threshold: float,
    y: str,
    n_labels: int,
    label_column: str | None,
    fontsize: float,
    point_size: float,
    title: str | None,
) -> dict[str, Any]:
    """Draw one volcano into ``ax`` (labels are placed later); returns what label placement needs."""
    data, x, xlabel = _prepare(results, y)
    if title:
        ax.set_title(title, fontsize=fontsize + 1.5, loc="left")
    ax.set_xlabel(xlabel, fontsize=fontsize + 0.5)
    ax.set_ylabel(f"$-\\log_{{10}}$ {'p' if y == 'p' else 'FDR'}", fontsize=fontsize + 0.5)
    ax.tick_params(labelsize=fontsize)
    if data.empty:
        ax.text(0.5, 0.5, "no tested feature", transform=ax.transAxes, ha="center", va="center", fontsize=fontsize)
        return {"xs": np.zeros(0), "ys": np.zeros(0), "texts": [], "occupied_artists": []}
    fc = data[x].to_numpy(dtype=np.float64)
    finite = np.isfinite(fc)
    span = float(np.max(np.abs(fc[finite]))) if finite.any() else 1.0
    span = max(span, fc_threshold * 1.5, 1e-3)
    fc = np.clip(fc, -span * 1.04, span * 1.04)  # ±inf (a group all at the minimum) drawn at the edge
    yv = -np.log10(np.clip(data[y].to_numpy(dtype=np.float64), _P_FLOOR, 1.0))
    cls = volcano_classes(data, fc_threshold, fdr_threshold, x).to_numpy()
    for name, zorder in (("ns", 1), ("down", 2), ("up", 2)):
        sel = cls == name
        ax.scatter(fc[sel], yv[sel], s=point_size, c=COLORS[name], linewidths=0, zorder=zorder,
                   rasterized=(name == "ns"), label=name)
    top = float(np.max(yv)) if yv.size else 1.0
    ax.set_xlim(-span * 1.12, span * 1.12)
    ax.set_ylim(0, max(top, 1.0) * 1.12)
    for v in (-fc_threshold, fc_threshold):
        ax.axvline(v, color="0.4", lw=0.6, ls="--", zorder=0)
    sig = np.nan_to_num(data["p_fdr"].to_numpy(dtype=np.float64), nan=1.0) < fdr_threshold
    if sig.any():
        cut = float(np.max(data[y].to_numpy(dtype=np.float64)[sig]))
        ax.axhline(-math.log10(max(cut, _P_FLOOR)), color="0.4", lw=0.6, ls="--", zorder=0)
    counts = f"up {int((cls == 'up').sum())}  down {int((cls == 'down').sum())}  n {len(cls)}"
    info = ax.text(0.02, 0.98, counts, transform=ax.transAxes, ha="left", va="top", fontsize=fontsize - 0.5,
                   color="0.25")
    chosen = np.flatnonzero(cls != "ns")
    order = chosen[np.lexsort((-np.abs(fc[chosen]), data[y].to_numpy(dtype=np.float64)[chosen]))][:n_labels]
    col = label_column or "feature"
    if label_column is None and "radiomic_feature" in data.columns:
        source_cols = [c for c in ("roi", "modality") if c in data.columns]
        if not source_cols or len(data[source_cols].drop_duplicates()) <= 1:  # one source: short names are unique
            col = "radiomic_feature"
    texts = [str(t) for t in data[col].to_numpy()[order]] if col in data.columns else [str(i) for i in order]
    return {"xs": fc[order], "ys": yv[order], "texts": texts, "occupied_artists": [info]}


def volcano(
    results: pd.DataFrame,
    *,
    fc_threshold: float = 0.25,
    fdr_threshold: float = 0.05,
    y: str = "p",
    n_labels: int = 10,
    label_column: str | None = None,
    title: str | None = None,
    size: tuple[float, float] = SINGLE_SIZE,
    dpi: int = DPI,
) -> Figure:
    """One volcano plot of a :func:`~radiogenomics.stats.compare_groups` result.

    Parameters
    ----------
    results : pandas.DataFrame
        Needs ``log2fc``, ``p``, ``p_fdr`` (and uses ``status``, ``feature``/``radiomic_feature``).
        Rows not ``tested`` or without a finite fold change are not drawn.
    fc_threshold : float
        :math:`|\\log_2 FC|` threshold of up/down (default 0.25: the default min–max fold changes are
        compressed compared with raw ratios).
    fdr_threshold : float
        FDR threshold of up/down.
    y : {"p", "p_fdr"}
        The vertical axis: :math:`-\\log_{10}` of the raw or the adjusted p.
    n_labels : int
        How many of the most significant up/down features to label.
    label_column : str, optional
        Column of the label text (default ``radiomic_feature`` when the rows come from one feature
        source, else ``feature``).
    title : str, optional
        Panel title.
    size, dpi
        Figure size in inches and resolution (PNG pixels = size × dpi).

    Returns
    -------
    matplotlib.figure.Figure
        Save it with :func:`radiogenomics.plotting.save_figure`.
    """
    fig = new_figure(size, dpi)
    ax = fig.add_subplot()
    info = _draw_panel(ax, results, fc_threshold=fc_threshold, fdr_threshold=fdr_threshold, y=y,
                       n_labels=n_labels, label_column=label_column, fontsize=8.0, point_size=9.0, title=title)
    _legend(fig, fontsize=8.0, loc="outside right upper")
    _finish_labels(fig, [(ax, info)], fontsize=7.0)
    return fig


def _legend(fig: Figure, fontsize: float, loc: str) -> None:
    handles = [Line2D([], [], marker="o", ls="", color=COLORS[k], markersize=5, label=k) for k in ("up", "down", "ns")]
    fig.legend(handles=handles, loc=loc, fontsize=fontsize, frameon=False,
               ncols=3 if "lower" in loc or "upper center" in loc else 1)


def _finish_labels(fig: Figure, panels: Sequence[tuple[Axes, dict[str, Any]]], fontsize: float) -> None:
    fig.canvas.draw()  # run the layout once so label placement sees the final axes
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    for ax, info in panels:
        occupied = [a.get_window_extent(renderer).padded(2.0) for a in info["occupied_artists"]]
        _place_labels(ax, info["xs"], info["ys"], info["texts"], fontsize, occupied)
    fig.set_layout_engine("none")  # freeze the layout: labels were placed for these axes positions


def _default_title(keys: Mapping[str, Any]) -> str:
    parts = []
    for facet, value in keys.items():
        text = str(value)
        if not text:
            continue
        parts.append(text.upper() if facet == "modality" else text)
    return " · ".join(parts)


def volcano_grid(
    results: pd.DataFrame,
    facets: str | Sequence[str],
    *,
    order: Mapping[str, Sequence[Any]] | None = None,
    ncols: int | None = None,
    fc_threshold: float = 0.25,
    fdr_threshold: float = 0.05,
    y: str = "p",
    n_labels: int = 5,
    label_column: str | None = None,
    title_fn: Callable[[Mapping[str, Any]], str] | None = None,
    panel_size: tuple[float, float] = PANEL_SIZE,
    dpi: int = DPI,
    letters: bool = True,
) -> Figure:
    """A grid of volcano panels, one per combination of the ``facets`` columns' levels.

    Made for :func:`~radiogenomics.stats.compare_groups_by` output, e.g.
    ``volcano_grid(res, facets=["roi", "modality", "subset"])`` gives the seed study's 16 panels
    (tumour/BAT × CT/PET across, endometrial/ovarian/cervical/all down).

    Parameters
    ----------
    results : pandas.DataFrame
        Long results with the facet columns and ``log2fc``, ``p``, ``p_fdr``.
    facets : str or list of str
        One to three (or more) columns. Layout: the last facet's levels go down the rows, the
        combinations of the other facets across the columns (the first facet varying slowest). With a
        single facet, or when ``ncols`` is given, panels fill the grid row by row.
    order : mapping, optional
        Level order per facet (default: order of first appearance). Levels not listed are dropped.
    ncols : int, optional
        Number of columns (row-major layout).
    fc_threshold, fdr_threshold, y, n_labels, label_column
        As :func:`volcano` (``n_labels`` per panel, default 5).
    title_fn : callable, optional
        Maps ``{facet: level}`` to a panel title (default: the levels joined by " · ", modality in
        upper case).
    panel_size, dpi
        Inches per panel and resolution: the figure is ``ncols × panel_size[0]`` by
        ``nrows × panel_size[1]`` inches (the legend is inside that area).
    letters : bool
        Prefix titles with (a), (b), ... in row-major order.

    Returns
    -------
    matplotlib.figure.Figure
        With ``fig.axes`` the panels in row-major order (empty combinations show "no data").
    """
    names = as_list(facets)
    if not names:
        raise StatsError("volcano_grid needs at least one facet column")
    check_columns(results, names, "facet column")
    levels: list[list[Any]] = []
    for name in names:
        seen = list(pd.unique(results[name].dropna()))
        if order and name in order:
            wanted = list(order[name])
            levels.append([lv for lv in wanted if lv in seen] + [])
        else:
            levels.append(seen)
        if not levels[-1]:
            raise StatsError(f"facet column {name!r} has no level to draw")
    combos = [dict(zip(names, c, strict=True)) for c in product(*levels)]
    if ncols is None:
        if len(names) == 1:
            ncols = math.ceil(math.sqrt(len(combos)))
        else:
            ncols = len(combos) // len(levels[-1])
            # order so that the last facet runs down the rows
            combos = [dict(zip(names, (*rest, last), strict=True))
                      for last in levels[-1] for rest in product(*levels[:-1])]
    nrows = math.ceil(len(combos) / ncols)
    fig = new_figure((ncols * panel_size[0], nrows * panel_size[1]), dpi)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    panels = []
    fontsize = 6.5
    title_fn = title_fn or _default_title
    for i, keys in enumerate(combos):
        ax = axes[i // ncols][i % ncols]
        mask = np.ones(len(results), dtype=bool)
        for name, value in keys.items():
            mask &= (results[name] == value).fillna(False).to_numpy(dtype=bool)
        title = title_fn(keys)
        if letters:
            title = f"({string.ascii_lowercase[i % 26]}) {title}"
        sub = results.loc[mask]
        if sub.empty:
            ax.set_title(title, fontsize=fontsize + 1.5, loc="left")
            ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", fontsize=fontsize)
            continue
        info = _draw_panel(ax, sub, fc_threshold=fc_threshold, fdr_threshold=fdr_threshold, y=y, n_labels=n_labels,
                           label_column=label_column, fontsize=fontsize, point_size=4.0, title=title)
        panels.append((ax, info))
    for j in range(len(combos), nrows * ncols):
        axes[j // ncols][j % ncols].set_visible(False)
    _legend(fig, fontsize=fontsize + 1, loc="outside lower center")
    _finish_labels(fig, panels, fontsize=fontsize - 1.0)
    return fig
