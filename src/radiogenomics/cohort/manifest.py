"""Checking a manifest for a cohort extraction (:func:`validate_manifest`).

The manifest itself — reading, columns, cell selectors — is :mod:`radiogenomics.io.manifest`; this module
says what a cohort run needs from it: the requested modalities and ROIs (BAT is computed, so it must not be
a column) and, per case, the cells of every ``(roi, modality)`` part (:func:`required_columns`).
"""

from __future__ import annotations

from radiogenomics.cohort.jobs import part_inputs
from radiogenomics.cohort.settings import BAT_ROI, CohortSettings
from radiogenomics.io.manifest import Manifest, ManifestProblem, check_manifest

__all__ = ["required_columns", "validate_manifest"]


def validate_manifest(manifest: Manifest, settings: CohortSettings) -> list[ManifestProblem]:
    """Every problem of ``manifest`` for a run with ``settings``, found without reading an image
    (:func:`radiogenomics.io.manifest.check_manifest` with the run's modalities, ROIs and cells)."""
    return check_manifest(manifest, modalities=settings.modalities, rois=settings.rois,
                          computed_rois={BAT_ROI: "from CT and PET by the BAT rule"},
                          required=lambda row: required_columns(manifest, settings, row))


def required_columns(manifest: Manifest, settings: CohortSettings, row: int) -> set[str]:
    """Columns whose files the results of ``row`` need (images of the requested modalities and masks)."""
    needed: set[str] = set()
    for roi, modality in settings.parts():
        needed.update(part_inputs(manifest, settings, row, roi, modality).values())
    return needed
