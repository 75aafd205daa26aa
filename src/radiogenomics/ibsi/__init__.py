"""IBSI mode: IBSI-1 compliant image processing and features, independent of the PyRadiomics-exact default.

Public API: :class:`~radiogenomics.ibsi.settings.IbsiSettings` (with presets), :func:`compute_ibsi`
and :func:`ibsi_table`. The IBSI-2 filters live in :mod:`radiogenomics.ibsi.filters` (not imported here).
"""

from __future__ import annotations

__all__ = ["IbsiSettings", "compute_ibsi", "ibsi_preset", "ibsi_table"]


def __getattr__(name: str):  # lazy: keep ``import radiogenomics.ibsi.filters`` light
    if name in ("compute_ibsi", "ibsi_table"):
        from radiogenomics.ibsi import compute

        return getattr(compute, name)
    if name in ("IbsiSettings", "ibsi_preset"):
        from radiogenomics.ibsi import settings

        return getattr(settings, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
