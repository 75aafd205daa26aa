"""Figures without pyplot's global state: one figure factory and one saver for every stage.

:func:`new_figure` makes a :class:`~matplotlib.figure.Figure` on its own Agg canvas (no pyplot, no
``matplotlib.use``, no figure registry to leak), so figures can be drawn in worker processes and tests in
parallel; :func:`save_figure` writes it as PNG and SVG at its own DPI (a PNG is exactly ``size × dpi``
pixels; SVGs carry no creation date, so identical figures give identical files).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["DPI", "Figure", "new_figure", "save_figure"]

#: Default resolution of saved figures, dots per inch.
DPI = 150


def new_figure(size: tuple[float, float], dpi: int = DPI, layout: str | None = "constrained") -> Figure:
    """A :class:`Figure` of ``size`` inches on its own Agg canvas (no pyplot), constrained layout by default."""
    fig = Figure(figsize=size, dpi=dpi, layout=layout)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig: Figure, path: str | Path, formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Save ``fig`` as ``<path>.png`` and ``<path>.svg`` (or ``formats``) at the figure's DPI.

    ``path`` is the file name without extension (an image extension, if given, is replaced). The
    figure keeps its size (no tight bounding box), so a PNG is ``figsize × dpi`` pixels. Returns the
    paths written.
    """
    stem = Path(path)
    if stem.suffix.lower() in (".png", ".svg", ".pdf"):
        stem = stem.with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        out = stem.parent / f"{stem.name}.{fmt}"
        fig.savefig(out, format=fmt, dpi=fig.dpi, metadata={"Date": None} if fmt == "svg" else None)
        written.append(out)
    return written
