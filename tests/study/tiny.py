"""A tiny study (synthetic 'tiny' cohort, first-order + GLCM, LASSO, a CPU-sized CNN beside LASSO, clustering);
run once per test run by the ``tiny_study`` fixture of tests/conftest.py (shared by the xdist workers)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from radiogenomics.study import StudyResult, StudySettings, run_study

TINY: dict[str, Any] = {
    "name": "tiny test study",
    "seed": 0,
    "data": {"synthetic": {"n": 30, "size": "tiny", "effect": 1.5}},
    "workers": 1,
    "extraction": {"extraction": {"tumour": {"featureClass": {"firstorder": None, "glcm": None}}, "bat": "bat"}},
    "targets": ["TP53"],
    "clinical": ["grade"],
    "stats": {"by": "cancer_type", "heatmap_top": 10, "table1_by": "TP53",
              "table1_vars": ["age", "grade", "cancer_type"]},
    "models": {"models": ["lasso"], "folds": 3, "n_boot": 100, "k": 10},
    "cnn": {"enabled": True, "compare": ["lasso"], "protocol": "kfold", "folds": 3, "n_boot": 100,
            "settings": {"preprocess": {"channels": ["pet", "ct"], "size": [16, 16, 16]},
                         "train": {"arch": "resnet10", "width": 0.25, "max_epochs": 2, "patience": 2,
                                   "batch_size": 8, "device": "cpu"}}},
    "cluster": {"embedding": "features", "k_max": 5, "n_boot": 5, "annotate": ["cancer_type"]},
    "report": {"overlay_cases": 1, "case_type": "cancer_type"},
}


def tiny_settings(**changes: Any) -> StudySettings:
    data = {**TINY, **changes}
    return StudySettings.validate_dict(data)


def run_tiny(out: Path) -> tuple[StudySettings, Path, StudyResult]:
    """Run the tiny study into ``out``; the result carries the progress events (``result.events``)."""
    settings = tiny_settings()
    events: list = []
    result = run_study(settings, out, progress=events.append)
    result.events = events  # type: ignore[attr-defined]
    return settings, out, result


def copy_tiny(built: tuple[StudySettings, Path, StudyResult], out: Path) -> tuple[StudySettings, Path, StudyResult]:
    """A copy of a finished tiny study in ``out`` (each test may change its copy: re-runs, a failing stage)."""
    settings, shared, result = built
    shutil.copytree(shared, out, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".result.pkl"))
    copy = StudyResult(out, dict(result.status), dict(result.seconds), {
        "features": out / "features.parquet", "report": out / "report.html", "provenance": out / "provenance.json"})
    copy.events = result.events  # type: ignore[attr-defined]
    return settings, out, copy
