"""Settings: validation, PyRadiomics params files, suggestions for unknown names, presets."""

from __future__ import annotations

from pathlib import Path

import pytest

from radiogenomics.errors import SettingsError, UnknownNameError
from radiogenomics.presets import PRESETS, load_preset
from radiogenomics.settings import ExtractionSettings, Interpolator


def test_defaults_are_pyradiomics_defaults() -> None:
    s = ExtractionSettings()
    assert s.bin_width == 25 and s.bin_count is None and s.label == 1
    assert s.minimum_roi_dimensions == 2 and s.pad_distance == 5 and s.distances == (1,)
    assert s.symmetrical_glcm and s.interpolator is Interpolator.bspline
    assert list(s.image_types) == ["Original"]
    assert list(s.feature_classes) == ["shape", "firstorder", "glcm", "glrlm", "glszm", "gldm", "ngtdm"]


def test_pyradiomics_names_and_snake_case_are_the_same_field() -> None:
    a = ExtractionSettings.validate_dict({"binWidth": 10, "force2D": True, "resampledPixelSpacing": [1, 1, 0]})
    b = ExtractionSettings.validate_dict({"bin_width": 10, "force2d": True, "resampled_pixel_spacing": [1, 1, 0]})
    assert a == b and a.settings_hash() == b.settings_hash()


def test_frozen() -> None:
    s = ExtractionSettings()
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        s.bin_width = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("data", "suggestion"),
    [
        ({"binwidth": 10}, "binWidth"),
        ({"bin_widht": 10}, "bin_width"),
        ({"resampledPixelSpacin": [1, 1, 1]}, "resampledPixelSpacing"),
        ({"featureClass": {"glmc": None}}, "glcm"),
        ({"featureClass": {"glcm": ["Contrastt"]}}, "Contrast"),
        ({"imageType": {"Wavlet": {}}}, "Wavelet"),
        ({"imageType": {"Original": {"binWidht": 5}}}, "binWidth"),
        ({"interpolator": "sitkBspline"}, "sitkBSpline"),
    ],
)
def test_unknown_names_suggest_the_closest(data: dict, suggestion: str) -> None:
    with pytest.raises(UnknownNameError) as info:
        ExtractionSettings.validate_dict(data)
    assert f"Did you mean {suggestion!r}" in str(info.value)


@pytest.mark.parametrize(
    "data",
    [{"binWidth": 0}, {"binCount": -1}, {"label": 0}, {"minimumROIDimensions": 4}, {"distances": [0]},
     {"resegmentMode": "percent"}, {"resampledPixelSpacing": [1, -1, 1]}, {"force2Ddimension": 3}],
)
def test_invalid_values_fail(data: dict) -> None:
    with pytest.raises(SettingsError):
        ExtractionSettings.validate_dict(data)


def test_params_file_round_trip(tmp_path: Path) -> None:
    params = tmp_path / "params.yaml"
    params.write_text(
        "imageType:\n  Original: {}\n  LoG:\n    sigma: [1.0, 3.0]\n"
        "featureClass:\n  firstorder:\n  glcm: [Contrast, Idm]\n"
        "setting:\n  binWidth: 10\n  interpolator: 3\n  label: 2\n"
    )
    s = ExtractionSettings.from_params(params)
    assert s.bin_width == 10 and s.label == 2 and s.interpolator is Interpolator.bspline
    assert s.enabled_features("glcm") == ("Contrast", "Idm")
    assert len(s.enabled_features("firstorder")) == 18
    assert s.enabled_features("shape") == ()
    assert s.for_image_type("LoG").sigma == (1.0, 3.0)


def test_params_file_errors(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="not found"):
        ExtractionSettings.from_params(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("settings:\n  binWidth: 10\n")
    with pytest.raises(UnknownNameError, match="Did you mean 'setting'"):
        ExtractionSettings.from_params(bad)
    voxel = tmp_path / "voxel.yaml"
    voxel.write_text("voxelSetting:\n  kernelRadius: 2\n")
    with pytest.raises(SettingsError, match="voxel-based"):
        ExtractionSettings.from_params(voxel)


def test_log_needs_sigma() -> None:
    with pytest.raises(SettingsError, match="sigma"):
        ExtractionSettings.validate_dict({"imageType": {"LoG": {}}})


def test_settings_hash_changes_with_any_setting() -> None:
    base = ExtractionSettings()
    assert base.settings_hash() == ExtractionSettings().settings_hash()
    assert base.replace(bin_width=10).settings_hash() != base.settings_hash()


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_equal_the_oracle_params_files(test_data: Path, name: str) -> None:
    oracle = test_data.parent / "tools" / "pyradiomics-oracle" / f"{name}_preset.yaml"
    if not oracle.exists():
        pytest.skip(f"oracle params file not found: {oracle}")
    assert load_preset(name) == ExtractionSettings.from_params(oracle)


def test_unknown_preset() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'paper'"):
        load_preset("papper")


def test_integer_sigma_keeps_pyradiomics_name() -> None:
    from radiogenomics.filters.log import image_type_name

    s = ExtractionSettings.validate_dict({"imageType": {"LoG": {"sigma": [1, 2.5]}}}).for_image_type("LoG")
    assert [image_type_name(x) for x in s.sigma] == ["log-sigma-1-mm-3D", "log-sigma-2-5-mm-3D"]


def test_lbp3d_needs_two_levels() -> None:
    with pytest.raises(SettingsError):
        ExtractionSettings.validate_dict({"lbp3DLevels": 1})


def test_sha256_json_is_the_digest_of_canonical_json() -> None:
    import hashlib

    from radiogenomics.settings import sha256_json

    expected = hashlib.sha256(b'{"a":[1,2.5],"b":"x"}').hexdigest()
    assert sha256_json({"b": "x", "a": [1, 2.5]}) == expected
    settings = ExtractionSettings()
    assert settings.settings_hash() == sha256_json(settings.model_dump(mode="json"))


def test_settings_errors_list_every_problem_and_keep_inner_errors() -> None:
    from radiogenomics.bat import BatSettings
    from radiogenomics.cohort.settings import CohortSettings

    with pytest.raises(SettingsError, match=r"invalid BAT settings:\n  suv_threshold: .*\n  connectivity: "):
        BatSettings.validate_dict({"suv_threshold": -1, "connectivity": 7})
    with pytest.raises(UnknownNameError, match="suv_threshold"):
        BatSettings.validate_dict({"suv_treshold": 2.0})
    with pytest.raises(SettingsError, match="invalid cohort settings:\n  pet_grid"):
        CohortSettings.validate_dict({"pet_grid": "mri"})
    changed = BatSettings().replace(suv_threshold=2.0)
    assert changed.suv_threshold == 2.0 and changed.hu_range == BatSettings().hu_range
    with pytest.raises(SettingsError, match="suv_threshold"):
        BatSettings().replace(suv_threshold=0)


def test_settings_files_give_typed_errors(tmp_path: Path) -> None:
    from radiogenomics.settings import read_settings_file

    with pytest.raises(SettingsError, match="study file not found"):
        read_settings_file(tmp_path / "missing.yaml", "study file")
    bad = tmp_path / "bad.yaml"
    bad.write_text("a: [1, 2\n")
    with pytest.raises(SettingsError, match="cannot parse study file"):
        read_settings_file(bad, "study file")
    listed = tmp_path / "list.yaml"
    listed.write_text("- 1\n- 2\n")
    with pytest.raises(SettingsError, match="must hold a mapping"):
        read_settings_file(listed, "study file")
    good = tmp_path / "good.json"
    good.write_text('{"a": 1}')
    assert read_settings_file(good, "study file") == {"a": 1}
