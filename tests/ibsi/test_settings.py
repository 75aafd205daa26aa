"""IbsiSettings validation and presets."""

from __future__ import annotations

import pytest

from radiogenomics.errors import SettingsError, UnknownNameError
from radiogenomics.ibsi.settings import PRESETS, Discretisation, IbsiSettings, Interpolator, ibsi_preset


def test_unknown_key_suggests_closest() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'bin_width'"):
        IbsiSettings.validate_dict({"bin_widht": 25})


def test_unknown_enum_value_suggests_closest() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'cubic_spline'"):
        IbsiSettings.validate_dict({"interpolator": "cubic_splin"})
    with pytest.raises(UnknownNameError, match=r"Did you mean '2\.5D'"):
        IbsiSettings.validate_dict({"texture_dimensions": ["2.5d"]})


@pytest.mark.parametrize(
    "data",
    [
        {"discretisation": "fbn"},
        {"discretisation": "fbs", "bin_width": 0},
        {"resegmentation_range": (400, -500)},
        {"outlier_sigma": -3},
        {"voxel_size": (2, 0, 2)},
    ],
)
def test_inconsistent_settings_fail(data: dict) -> None:
    with pytest.raises(SettingsError):
        IbsiSettings.validate_dict(data)


def test_settings_are_frozen() -> None:
    s = IbsiSettings()
    with pytest.raises(Exception, match="frozen"):
        s.bin_number = 3  # type: ignore[misc]
    assert s.replace(discretisation="fbn", bin_number=8).bin_number == 8


def test_presets_follow_the_ibsi_configurations() -> None:
    a, b, c, d, e = (ibsi_preset(x) for x in "ABCDE")
    assert a.voxel_size is None and a.texture_dimensions == ("2D", "2.5D") and a.bin_width == 25
    assert b.voxel_size == (2.0, 2.0) and b.discretisation == Discretisation.fbn and b.bin_number == 32
    assert c.voxel_size == (2.0, 2.0, 2.0) and c.resegmentation_range == (-1000.0, 400.0)
    assert c.ivh_discretisation == Discretisation.fbs and c.ivh_bin_width == 2.5
    assert d.resegmentation_range is None and d.outlier_sigma == 3.0
    assert e.interpolator == Interpolator.cubic_spline and e.ivh_bin_number == 1000
    assert all(s.round_intensities for s in (a, b, c, d, e))
    digital = ibsi_preset("Digital")
    assert digital.texture_dimensions == ("2D", "2.5D", "3D") and not digital.round_intensities
    assert ibsi_preset("c") == c
    with pytest.raises(UnknownNameError, match="IBSI preset"):
        ibsi_preset("F")


def test_package_exports_are_lazy_and_complete() -> None:
    import radiogenomics.ibsi as ibsi

    assert ibsi.ibsi_preset("A") == ibsi.IbsiSettings.validate_dict(PRESETS["A"])
    assert callable(ibsi.compute_ibsi) and callable(ibsi.ibsi_table)
    with pytest.raises(AttributeError):
        _ = ibsi.not_there
