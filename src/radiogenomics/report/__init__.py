"""Figures and the self-contained HTML report of a study (:func:`write_report`)."""

from __future__ import annotations

import logging

from radiogenomics.report.html import image_uri, write_report

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["image_uri", "write_report"]
