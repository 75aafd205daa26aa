"""A whole study from one YAML file: data → features → statistics → models → clustering → report.

:class:`StudySettings` validates the study file; :func:`run_study` runs its stages in order, each
reading the artefact of the previous one, skipping stages whose inputs and settings did not change.
"""

from __future__ import annotations

from radiogenomics.lazy import lazy_exports

__getattr__, __all__ = lazy_exports(__name__, {
    "demo": ("demo_settings",),
    "runner": ("STAGES", "StageError", "StageEvent", "StudyResult", "run_study"),
    "settings": (
        "ClusterStage", "DataSettings", "ModelStage", "ReportStage", "StatsStage", "StudySettings", "SyntheticData"
    ),
})
