"""String options (``radiogenomics.choices.Choice``): forgiving parse, aliases, closest-name errors."""

from __future__ import annotations

import pytest

from radiogenomics.choices import Choice
from radiogenomics.devices import Device
from radiogenomics.errors import UnknownNameError
from radiogenomics.io.suv import PetUnits
from radiogenomics.preprocess.regrid import Interpolation
from radiogenomics.segment.settings import Method
from radiogenomics.stats import Correction, GroupTest


class Colour(Choice):
    RED = "red"
    GREEN = "green"

    @classmethod
    def kind(cls) -> str:
        return "colour"

    @classmethod
    def aliases(cls) -> dict[str, str]:
        return {"rouge": "red"}


def test_parse_folds_case_and_space_and_takes_aliases() -> None:
    assert Colour.parse(" RED ") is Colour.RED
    assert Colour.parse("rouge") is Colour.RED
    assert Colour.parse(Colour.GREEN) is Colour.GREEN


def test_unknown_value_names_the_closest() -> None:
    with pytest.raises(UnknownNameError, match=r"Unknown colour 'gren'\. Did you mean 'green'\? Valid: green, red"):
        Colour.parse("gren")


@pytest.mark.parametrize(("enum", "text", "member"), [
    (GroupTest, "ttest", GroupTest.T), (GroupTest, "Mann-Whitney", GroupTest.MANNWHITNEY),
    (Correction, "FDR_BH", Correction.FDR_BH), (Interpolation, "Linear", Interpolation.linear),
    (Method, "attention_unet", Method.attention_unet), (Device, "CPU", Device.cpu),
    (PetUnits, "bqml", PetUnits.BQML),
])
def test_every_option_enum_of_the_package_parses_alike(enum: type[Choice], text: str, member: Choice) -> None:
    assert enum.parse(text) is member
    with pytest.raises(UnknownNameError, match="Did you mean"):
        enum.parse(member.value[:-1] + "x")
