"""A whole study from one YAML file: data → features → statistics → models → clustering → report.

:class:`StudySettings` validates the study file; :func:`run_study` runs its stages in order, each
reading the artefact of the previous one, skipping stages whose inputs and settings did not change.
"""

from __future__ import annotations

import logging

from radiogenomics.study.demo import demo_settings
from radiogenomics.study.runner import STAGES, StageError, StageEvent, StudyResult, run_study
from radiogenomics.study.settings import (
    ClusterStage,
    DataSettings,
    ModelStage,
    ReportStage,
    StatsStage,
    StudySettings,
    SyntheticData,
)

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "STAGES",
    "ClusterStage",
    "DataSettings",
    "ModelStage",
    "ReportStage",
    "StageError",
    "StageEvent",
    "StatsStage",
    "StudyResult",
    "StudySettings",
    "SyntheticData",
    "demo_settings",
    "run_study",
]
