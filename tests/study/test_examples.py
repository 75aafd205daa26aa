"""The shipped example study runs as shipped (its data, extraction and statistics stages; the models, CNN and
clustering settings are validated with it)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from radiogenomics.study import StudySettings, run_study

pytestmark = pytest.mark.slow  # generates and extracts a 60-patient synthetic cohort

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "study.yaml"


def test_example_study_runs_as_shipped(tmp_path: Path) -> None:
    settings = StudySettings.from_file(EXAMPLE)
    settings.check_columns()  # every column it names exists
    result = run_study(settings, tmp_path / "out", stop_after="stats")
    assert result.status["data"] == result.status["extract"] == result.status["stats"] == "ran"
    features = pd.read_parquet(tmp_path / "out" / "features.parquet")
    assert len(features) == settings.data.synthetic.n
    assert pd.read_csv(tmp_path / "out" / "failures.csv").empty
    for target in settings.targets:
        assert (tmp_path / "out" / "stats" / target / "compare_groups.parquet").is_file()


def test_the_demo_does_not_rest_on_a_small_hold_out() -> None:
    """The demo's 60 patients: whatever their class balance, a 10% hold-out holds 6 patients, so the ``auto``
    protocol runs repeated stratified 5-fold CV (every patient tested once per repeat) instead."""
    import numpy as np

    from radiogenomics.models.protocol import AUTO_REPEATS, resolve_protocol
    from radiogenomics.study.demo import demo_settings

    settings = demo_settings()
    n = settings.data.synthetic.n
    protocol = settings.model_settings("TP53").make_protocol(settings.seed)
    assert protocol.kind == "auto"
    for positives in (n // 4, n // 2, 3 * n // 4):
        resolved, why = resolve_protocol(protocol, np.r_[np.ones(positives), np.zeros(n - positives)])
        assert resolved.kind == "kfold" and resolved.repeats >= AUTO_REPEATS and "too few" in why
