"""radiogenomics: PET/CT radiogenomics from images to mutation prediction.

The main entry points are imported lazily so that ``import radiogenomics`` stays fast:

- :func:`extract` — radiomic features of one image and ROI (PyRadiomics-compatible);
- :class:`ExtractionSettings` — validated extraction settings (reads PyRadiomics params files);
- :class:`Image`, :class:`Mask`, :func:`read_image`, :func:`read_mask`.
"""

from __future__ import annotations

import logging

from radiogenomics.lazy import lazy_exports

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

__getattr__, _names = lazy_exports(__name__, {
    "radiogenomics.features.extractor": ("extract",),
    "radiogenomics.settings": ("ExtractionSettings",),
    "radiogenomics.image": ("Image", "Mask"),
    "radiogenomics.io": ("read_image", "read_mask"),
    "radiogenomics.presets": ("load_preset",),
})
__all__ = ["__version__", *_names]
