"""CohortSettings: defaults of seed 001, validation with suggestions, and which settings each result depends on."""

from __future__ import annotations

import pytest

from radiogenomics.cohort import CohortSettings
from radiogenomics.errors import SettingsError, UnknownNameError
from radiogenomics.presets import load_preset


def test_defaults_follow_the_seed_study() -> None:
    s = CohortSettings()
    assert s.rois == ("tumour", "bat") and s.modalities == ("ct", "pet")
    assert s.parts() == (("tumour", "ct"), ("tumour", "pet"), ("bat", "ct"), ("bat", "pet"))
    assert s.extraction["tumour"] == load_preset("paper") and s.extraction["bat"] == load_preset("bat")
    assert s.pet_grid == "ct" and s.interpolation == "linear" and s.crop_size == (512, 512)
    assert s.bat.suv_threshold == 1.5 and s.bat.hu_range == (-190.0, -10.0)
    assert not s.normalise
    with pytest.raises(Exception, match="frozen"):
        s.pet_grid = "native"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "suggestion"),
    [
        ({"modalitis": ["ct"]}, "modalities"),
        ({"modalities": ["ct", "pte"]}, "pet"),
        ({"extraction": {"tumour": "papr", "bat": "bat"}}, "paper"),
        ({"bat": {"suv_treshold": 2.0}}, "suv_threshold"),
        ({"crop_sise": [256, 256]}, "crop_size"),
    ],
)
def test_unknown_names_suggest_the_closest(data: dict, suggestion: str) -> None:
    with pytest.raises(UnknownNameError) as info:
        CohortSettings.validate_dict(data)
    assert f"Did you mean {suggestion!r}" in str(info.value)


@pytest.mark.parametrize(
    "data",
    [{"rois": ["tumour", "node"]}, {"rois": ["Tumour"]}, {"modalities": ["ct"]}, {"crop_size": [0, 512]},
     {"pet_grid": "mri"}, {"bat": {"hu_range": [-10, -190]}}, {"rois": []}],
)
def test_invalid_settings_fail(data: dict) -> None:
    with pytest.raises(SettingsError):
        CohortSettings.validate_dict(data)


def test_extraction_accepts_presets_params_files_and_mappings(tmp_path) -> None:
    params = tmp_path / "p.yaml"
    params.write_text("featureClass:\n  firstorder:\nsetting:\n  binWidth: 10\n")
    s = CohortSettings.validate_dict({"extraction": {
        "tumour": str(params), "bat": {"featureClass": {"firstorder": None}}, "node": "default"},
        "rois": ["tumour", "bat", "node"]})
    assert s.extraction["tumour"].bin_width == 10 and list(s.extraction["tumour"].feature_classes) == ["firstorder"]
    assert list(s.extraction["bat"].feature_classes) == ["firstorder"]
    assert s.extraction["node"] == load_preset("default")


def test_part_hash_changes_only_with_the_settings_a_part_reads() -> None:
    base = CohortSettings()
    parts = base.parts()

    def changed(other: CohortSettings) -> set[tuple[str, str]]:
        return {p for p in parts if base.part_hash(*p) != other.part_hash(*p)}

    tumour, bat = {("tumour", "ct"), ("tumour", "pet")}, {("bat", "ct"), ("bat", "pet")}
    assert changed(base.replace(extraction={"tumour": "default", "bat": "bat"})) == tumour
    assert changed(base.replace(extraction={"tumour": "paper", "bat": "default"})) == bat
    assert changed(base.replace(bat={"suv_threshold": 2.0})) == bat
    assert changed(base.replace(interpolation="bspline")) == {("tumour", "pet"), ("bat", "pet")}
    assert changed(base.replace(pet_grid="native")) == {("tumour", "pet"), ("bat", "pet")}
    assert changed(base.replace(crop_size=(256, 256))) == set(parts)
    assert changed(base.replace(strict=True)) == set()
    assert changed(base.replace(suv_features=False)) == {("tumour", "pet"), ("bat", "pet")}
    assert changed(base.replace(mode="ibsi", ibsi={"tumour": "A", "bat": "A"})) == set(parts)
    assert base.settings_hash() == CohortSettings().settings_hash()


def test_settings_file(tmp_path) -> None:
    path = tmp_path / "cohort.yaml"
    path.write_text("extraction:\n  tumour: default\n  bat: bat\npet_grid: native\nbat:\n  min_component_voxels: 10\n")
    s = CohortSettings.from_file(path)
    assert s.pet_grid == "native" and s.bat.min_component_voxels == 10
    with pytest.raises(SettingsError, match="not found"):
        CohortSettings.from_file(tmp_path / "missing.yaml")


def test_ibsi_mode_settings(tmp_path) -> None:
    config = tmp_path / "ibsi.yaml"
    config.write_text("discretisation: fbn\nbin_number: 16\n")
    s = CohortSettings.validate_dict({"mode": "ibsi", "ibsi": {"tumour": "a", "bat": str(config)}})
    assert s.ibsi["tumour"].bin_width == 25.0 and s.ibsi["bat"].bin_number == 16
    with pytest.raises(SettingsError, match="mode ibsi needs IBSI settings for ROI\\(s\\) \\['bat'\\]"):
        CohortSettings.validate_dict({"mode": "ibsi", "ibsi": {"tumour": "A"}})
    with pytest.raises(UnknownNameError, match="Did you mean 'digital'"):
        CohortSettings.validate_dict({"mode": "ibsi", "ibsi": {"tumour": "digitl", "bat": "A"}})
    with pytest.raises(UnknownNameError, match="ROI of the ibsi settings"):
        CohortSettings.validate_dict({"ibsi": {"tumor": "A"}})
    with pytest.raises(UnknownNameError, match="Did you mean 'bin_number'"):
        CohortSettings.validate_dict({"mode": "ibsi", "ibsi": {"tumour": {"bin_numbr": 8}, "bat": "A"}})
