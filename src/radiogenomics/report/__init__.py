"""Figures and the self-contained HTML report of a study (:func:`write_report`)."""

from __future__ import annotations

from radiogenomics.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "html": ("image_uri", "write_report"),
    "stage": ("ReportOptions", "ReportSettings", "run"),
})
