"""The report stage: its settings and its one entry point, :func:`run` (the study's last stage).

:class:`ReportOptions` are the study file's ``report`` section; :class:`ReportSettings` add what the report
states about the study: its title, targets, seed, the sections that ran, and the study's settings as plain
data (shown under provenance, and read for the data and extraction sections). The report reads nothing but
these settings and the files of the study folder (:mod:`radiogenomics.report.html`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from radiogenomics.report.html import write_report
from radiogenomics.settings import _Settings

__all__ = ["ReportOptions", "ReportSettings", "run"]


class ReportOptions(_Settings):
    """How the report is drawn.

    Attributes
    ----------
    overlay_cases
        PET/CT + mask overlays per case type (0: none).
    case_type
        Column grouping the overlay cases, e.g. ``cancer_type`` (default: the statistics' ``by`` column).
    show_case_ids
        Print case ids in the report (else row numbers).
    """

    settings_name: ClassVar[str] = "report settings"

    overlay_cases: int = Field(2, ge=0, description="PET/CT + mask overlays per case type")
    case_type: str | None = Field(None, description="column grouping the overlay cases, e.g. cancer_type")
    show_case_ids: bool = Field(False, description="print case ids (else row numbers) in the report")


class ReportSettings(ReportOptions):
    """One report: :class:`ReportOptions` and what it states about the study.

    Attributes
    ----------
    title, targets, seed
        The study's name, target columns and base seed.
    by
        The statistics' subset column (cohort counts per level).
    sections
        ``{"stats", "models", "cnn", "cluster"} → enabled``: a disabled stage's section says so.
    study
        The study's settings as plain JSON data (hashed and shown under provenance).
    """

    title: str = "radiogenomics study"
    targets: tuple[str, ...] = ()
    seed: int = 0
    by: str | None = None
    sections: dict[str, bool] = Field(default_factory=dict)
    study: dict[str, Any] = Field(default_factory=dict)


def run(settings: ReportSettings, study_dir: str | Path, outdir: str | Path, *, manifest: str | Path | None = None,
        stages: Mapping[str, Mapping[str, Any]] | None = None) -> Path:
    """Write ``OUTDIR/report.html`` from the artefacts of ``study_dir``.

    ``manifest`` (for the PET/CT overlays) and ``stages`` (per stage ``status``, ``seconds``, ``key`` of the run,
    shown under provenance) are optional.
    """
    return write_report(study_dir, settings, manifest=manifest, stages=stages, path=Path(outdir) / "report.html")
