"""Segmentation settings: what both methods share (method, channels, reference grid, seed, device) and their checks."""

from __future__ import annotations

import pytest

from radiogenomics.devices import Device
from radiogenomics.errors import SettingsError, UnknownNameError
from radiogenomics.segment import AttentionUNetSettings, Method, NnUNetSettings, load_segment_settings


@pytest.mark.parametrize("cls", [AttentionUNetSettings, NnUNetSettings])
def test_shared_fields_and_checks(cls) -> None:
    s = cls.validate_dict({"channels": ["PET", "ct"], "device": "CPU", "seed": 3})
    assert s.channels == ("pet", "ct") and s.device is Device.cpu and s.seed == 3
    assert s.reference_modality == "ct" and s.mask_column == "tumour_mask"
    with pytest.raises(UnknownNameError, match="Did you mean 'pet'"):
        cls.validate_dict({"channels": ["pet", "ct"], "reference": "pett"})
    with pytest.raises(SettingsError, match="seed"):
        cls.validate_dict({"seed": -1})
    other = Method.nnunet if cls is AttentionUNetSettings else Method.attention_unet
    with pytest.raises(SettingsError, match=f"not {other.value!r}"):
        cls.validate_dict({"method": other.value})
    with pytest.raises(UnknownNameError, match="Did you mean 'epochs'"):
        cls.validate_dict({"epochs_": 3})


def test_each_method_reads_its_own_settings() -> None:
    assert isinstance(load_segment_settings("attention_unet", {"epochs": 2}), AttentionUNetSettings)
    nn = load_segment_settings("nnunet", {"folds": [0, 1], "n_splits": 2})
    assert isinstance(nn, NnUNetSettings) and nn.dataset_folder == "Dataset501_Radiogenomics"
    with pytest.raises(SettingsError, match="folds"):
        load_segment_settings("nnunet", {"folds": [0, 5]})
