"""IBSI mode: IBSI-1 compliant image processing and features, independent of the PyRadiomics-exact default.

Public API: :class:`~radiogenomics.ibsi.settings.IbsiSettings` (with presets), :func:`compute_ibsi`
and :func:`ibsi_table`. The IBSI-2 filters live in :mod:`radiogenomics.ibsi.filters` (not imported here).
"""

from __future__ import annotations

from radiogenomics.lazy import lazy_exports

# lazy: keep ``import radiogenomics.ibsi.filters`` light
__getattr__, __all__ = lazy_exports(__name__, {
    "compute": ("compute_ibsi", "ibsi_series", "ibsi_table"),
    "settings": ("IbsiSettings", "ibsi_preset"),
})
