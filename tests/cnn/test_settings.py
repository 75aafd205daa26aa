"""CNN settings: the shared ``_Settings`` base (unknown keys, nested sections, hashing) and settings files."""

from __future__ import annotations

import json

import pytest

from radiogenomics.cnn import CNNSettings, PreprocessSettings, TrainSettings, load_cnn_settings
from radiogenomics.errors import SettingsError, UnknownNameError
from radiogenomics.settings import _Settings


def test_classes_use_the_shared_base() -> None:
    for cls, name in ((CNNSettings, "CNN settings"), (PreprocessSettings, "CNN preprocessing settings"),
                      (TrainSettings, "CNN training settings")):
        assert issubclass(cls, _Settings)
        assert cls.settings_name == name
        # validate_dict / replace / settings_hash are inherited, not copied
        for method in ("validate_dict", "replace", "settings_hash"):
            assert getattr(cls, method).__qualname__.startswith("_Settings.")


def test_defaults() -> None:
    s = CNNSettings()
    assert s.preprocess.size == (128, 128, 68) and s.preprocess.channels == ("pet", "ct")
    assert s.train.arch == "resnet34" and s.train.device == "auto" and s.train.amp


def test_nested_mappings_validate() -> None:
    s = CNNSettings.validate_dict({"preprocess": {"channels": "dce_0, dce_1,dce_2", "size": [32, 32, 16],
                                                  "n4": ["dce_0"]},
                                   "train": {"arch": "SE-ResNet50", "max_epochs": 2}})
    assert s.preprocess.channels == ("dce_0", "dce_1", "dce_2")
    assert s.preprocess.size == (32, 32, 16) and s.preprocess.n4 == ("dce_0",)
    assert s.train.arch == "seresnet50" and s.train.max_epochs == 2
    assert isinstance(s.preprocess, PreprocessSettings) and isinstance(s.train, TrainSettings)


def test_unknown_keys_name_the_closest() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'channels'"):
        CNNSettings.validate_dict({"preprocess": {"chanels": ["pet"]}})
    with pytest.raises(UnknownNameError, match="Did you mean 'max_epochs'"):
        CNNSettings.validate_dict({"train": {"max_epoch": 3}})
    with pytest.raises(UnknownNameError, match="Did you mean 'train'"):
        CNNSettings.validate_dict({"trian": {}})
    with pytest.raises(UnknownNameError, match="Did you mean 'seresnet50'"):
        TrainSettings.validate_dict({"arch": "seresnet05"})


@pytest.mark.parametrize(
    ("section", "data", "message"),
    [
        ("preprocess", {"size": [3, 32, 32]}, "every dimension must be >= 4"),
        ("preprocess", {"size": [32, 32]}, r"size needs 3 values \(x, y, z\), got 2"),
        ("preprocess", {"channels": ["pet", "pet"]}, "duplicates"),
        ("preprocess", {"n4": ["mri"]}, "not among the channels"),
        ("preprocess", {"margin_mm": -1}, "margin_mm must be >= 0"),
        ("train", {"width": 0.5, "arch": "seresnet50"}, "width 0.5 is invalid for seresnet50"),
        ("train", {"batch_size": 1}, "batch_size must be >= 2"),
        ("train", {"val_fraction": 0.5}, "val_fraction"),
        ("train", {"device": "gpu"}, "device"),
    ],
)
def test_invalid_values(section: str, data: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        CNNSettings.validate_dict({section: data})


def test_input_size_must_fit_the_architecture() -> None:
    """densenet121 needs >= 29 voxels along every axis (networks module docstring)."""
    ok = CNNSettings.validate_dict({"preprocess": {"size": [29, 29, 29]}, "train": {"arch": "densenet121"}})
    assert ok.train.arch == "densenet121"
    with pytest.raises(SettingsError, match="at least 29 voxels"):
        CNNSettings.validate_dict({"preprocess": {"size": [32, 32, 28]}, "train": {"arch": "densenet121"}})


def test_replace_and_hash() -> None:
    a = CNNSettings()
    b = a.replace(train=a.train.replace(arch="resnet10", width=0.25))
    assert b.train.arch == "resnet10" and b.preprocess == a.preprocess
    assert b.preprocess.settings_hash() == a.preprocess.settings_hash()
    assert b.settings_hash() != a.settings_hash()
    assert CNNSettings().settings_hash() == a.settings_hash()
    with pytest.raises(SettingsError, match="width"):
        a.train.replace(width=2.0, arch="densenet121")


def test_load_settings_file(tmp_path) -> None:
    assert load_cnn_settings() == CNNSettings()
    y = tmp_path / "cnn.yaml"
    y.write_text("preprocess:\n  channels: [mri_dce0, mri_dce1]\n  n4: [mri_dce0, mri_dce1]\n"
                 "train:\n  arch: resnet18\n  seed: 3\n")
    s = load_cnn_settings(y)
    assert s.preprocess.n4 == ("mri_dce0", "mri_dce1") and s.train.arch == "resnet18" and s.train.seed == 3
    j = tmp_path / "cnn.json"
    j.write_text(json.dumps(s.model_dump(mode="json")))
    assert load_cnn_settings(j) == s
    assert load_cnn_settings({"train": {"seed": 3}}).train.seed == 3
    with pytest.raises(SettingsError, match="CNN settings file not found"):
        load_cnn_settings(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("preprocess: [1, 2\n")
    with pytest.raises(SettingsError, match="cannot parse CNN settings file"):
        load_cnn_settings(bad)
    top = tmp_path / "list.yaml"
    top.write_text("- 1\n- 2\n")
    with pytest.raises(SettingsError, match="must hold a mapping"):
        load_cnn_settings(top)
