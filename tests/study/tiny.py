"""A tiny study (synthetic 'tiny' cohort, first-order + GLCM, LASSO, a CPU-sized CNN beside LASSO, clustering);
run once per session by the ``tiny_study`` fixture of tests/conftest.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

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
    "cnn": {"enabled": True, "compare": ["lasso"], "folds": 3, "n_boot": 100,
            "settings": {"preprocess": {"channels": ["pet", "ct"], "size": [16, 16, 16]},
                         "train": {"arch": "resnet10", "width": 0.25, "max_epochs": 2, "patience": 2,
                                   "batch_size": 8, "device": "cpu"}}},
    "cluster": {"embedding": "features", "k_max": 5, "n_boot": 5, "annotate": ["cancer_type"]},
    "report": {"overlay_cases": 1, "case_type": "cancer_type"},
}


def tiny_settings(**changes: Any) -> StudySettings:
    data = {**TINY, **changes}
    return StudySettings.validate_dict(data)


def run_tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[StudySettings, Path, StudyResult]:
    out = tmp_path_factory.mktemp("tiny_study")
    settings = tiny_settings()
    events: list = []
    result = run_study(settings, out, progress=events.append)
    result.events = events  # type: ignore[attr-defined]
    return settings, out, result
