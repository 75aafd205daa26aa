"""Study file validation: every problem is found before any work starts, with a suggestion."""

from __future__ import annotations

from pathlib import Path

import pytest

from radiogenomics.errors import SettingsError, UnknownNameError
from radiogenomics.study import StudySettings, demo_settings
from tests.study.tiny import TINY

REPO = Path(__file__).resolve().parents[2]


def test_unknown_top_level_key_suggests_the_closest() -> None:
    with pytest.raises(UnknownNameError, match=r"'modles'.*Did you mean 'models'"):
        StudySettings.validate_dict({**TINY, "modles": {}})


def test_unknown_nested_key_names_its_section() -> None:
    with pytest.raises(UnknownNameError, match=r"models.*'fold'.*Did you mean 'folds'"):
        StudySettings.validate_dict({**TINY, "models": {"fold": 3}})


def test_unknown_model_and_transformer_parameter() -> None:
    with pytest.raises(UnknownNameError, match=r"'lasso2'.*Did you mean 'lasso'"):
        StudySettings.validate_dict({**TINY, "models": {"models": ["lasso2"]}})
    with pytest.raises(UnknownNameError, match=r"'d_tokens'.*Did you mean 'd_token'"):
        StudySettings.validate_dict({**TINY, "models": {"transformer": {"d_tokens": 8}}})


def test_extraction_settings_are_validated_too() -> None:
    with pytest.raises(UnknownNameError, match=r"'rios'.*Did you mean 'rois'"):
        StudySettings.validate_dict({**TINY, "extraction": {"rios": ["tumour"]}})


def test_data_needs_exactly_one_source() -> None:
    with pytest.raises(SettingsError, match="exactly one"):
        StudySettings.validate_dict({**TINY, "data": {}})
    with pytest.raises(SettingsError, match="exactly one"):
        StudySettings.validate_dict({**TINY, "data": {"manifest": "m.csv", "synthetic": {}}})


def test_bad_values_are_listed_with_their_location() -> None:
    with pytest.raises(SettingsError, match=r"models\.folds"):
        StudySettings.validate_dict({**TINY, "models": {"folds": 1}})
    with pytest.raises(SettingsError, match="k_max"):
        StudySettings.validate_dict({**TINY, "cluster": {"k_min": 5, "k_max": 3}})
    with pytest.raises(UnknownNameError, match="cluster target"):
        StudySettings.validate_dict({**TINY, "cluster": {"target": "MMR"}})
    with pytest.raises(SettingsError, match="targets"):
        StudySettings.validate_dict({**TINY, "targets": []})


def test_manifest_path_is_relative_to_the_study_file(tmp_path: Path) -> None:
    (tmp_path / "study.yaml").write_text("data: {manifest: cohort/manifest.csv}\ntargets: TP53\n")
    s = StudySettings.from_file(tmp_path / "study.yaml")
    assert s.data.manifest == tmp_path / "cohort" / "manifest.csv"
    assert s.targets == ("TP53",)


def test_unreadable_study_files(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not found"):
        StudySettings.from_file(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("data: [unclosed\n")
    with pytest.raises(SettingsError, match="cannot parse"):
        StudySettings.from_file(tmp_path / "bad.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(SettingsError, match="mapping"):
        StudySettings.from_file(tmp_path / "list.yaml")


def test_example_study_file_and_demo_settings_validate() -> None:
    s = StudySettings.from_file(REPO / "examples" / "study.yaml")
    assert s.targets and s.data.synthetic is not None  # runs as shipped (tests/study/test_examples.py)
    d = demo_settings(n=40, seed=3)
    assert d.data.synthetic is not None and d.data.synthetic.n == 40 and d.seed == 3


def test_stage_settings_separate_the_stages() -> None:
    a = StudySettings.validate_dict(TINY)
    b = StudySettings.validate_dict({**TINY, "stats": {**TINY["stats"], "fdr": 0.1}})
    assert a.stage_settings("stats") != b.stage_settings("stats")
    for stage in ("data", "extract", "models", "cnn", "cluster"):
        assert a.stage_settings(stage) == b.stage_settings(stage)
    assert a.settings_hash() != b.settings_hash()


def test_ibsi_mode_is_a_study_key() -> None:
    """``extraction: {mode: ibsi, ibsi: {roi: preset|file|mapping}}`` selects IBSI-1 features for the study's cohort;
    a missing ROI or a misspelt preset fails when the study is validated."""
    s = StudySettings.validate_dict({**TINY, "extraction": {"mode": "ibsi", "ibsi": {"tumour": "A", "bat": "B"}}})
    assert s.extraction.mode == "ibsi" and s.extraction.ibsi["bat"].bin_number == 32
    with pytest.raises(SettingsError, match="mode ibsi needs IBSI settings"):
        StudySettings.validate_dict({**TINY, "extraction": {"mode": "ibsi", "ibsi": {"tumour": "A"}}})
    with pytest.raises(UnknownNameError, match="Did you mean 'digital'"):
        StudySettings.validate_dict({**TINY, "extraction": {"mode": "ibsi", "ibsi": {"tumour": "digtal", "bat": "A"}}})
