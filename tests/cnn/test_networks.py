"""The network registry: every name builds for several input channels and gives one logit per case."""

from __future__ import annotations

import pytest

from radiogenomics.cnn import ARCHITECTURES, build_network, canonical_arch, count_parameters
from radiogenomics.cnn.networks import WIDTH_ARCHITECTURES, min_input_size
from radiogenomics.errors import SettingsError, UnknownNameError

torch = pytest.importorskip("torch")

# every architecture's stem is a 7³ convolution with 64 output channels (times the width factor), so each extra
# input channel adds 7³ · 64 · width weights and nothing else
STEM = 7**3 * 64

# forward passes on a tiny input; seresnext101 (52 M parameters) is only built and counted to keep the test fast
FORWARD = {"resnet10": 16, "resnet18": 16, "resnet34": 16, "resnet50": 16, "seresnet50": 16, "seresnext50": 16,
           "densenet121": 29}


def test_registry_names() -> None:
    assert set(ARCHITECTURES) == {"resnet10", "resnet18", "resnet34", "resnet50", "seresnet50", "seresnext50",
                                  "seresnext101", "densenet121"}
    assert WIDTH_ARCHITECTURES == {"resnet10", "resnet18", "resnet34", "resnet50"}


@pytest.mark.parametrize("name", sorted(ARCHITECTURES))
def test_builds_with_in_channels_and_gives_one_logit_per_case(name: str) -> None:
    """Parameters(4 channels) - parameters(2 channels) = 2 · 7³ · 64 · width for every architecture (the stem is
    the only layer that sees the channels); a batch of 2 four-channel cases gives a (2, 1) logit tensor."""
    width = 0.25 if name in WIDTH_ARCHITECTURES else 1.0
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        two, four = build_network(name, 2, width), build_network(name, 4, width)
        assert count_parameters(four) - count_parameters(two) == int(2 * STEM * width)
        assert count_parameters(two) == sum(p.numel() for p in two.parameters())
        if name not in FORWARD:
            return
        size = FORWARD[name]
        x = torch.randn(2, 4, size, size, size)
    with torch.no_grad():
        out = four.eval()(x)
    assert tuple(out.shape) == (2, 1)
    assert torch.isfinite(out).all()


def test_width_scales_the_resnets() -> None:
    """Width 0.25 gives about 1/16 of the parameters (convolution weights scale with the square of the width)."""
    full, quarter = build_network("resnet10", 2), build_network("resnet10", 2, width=0.25)
    assert 1 / 20 < count_parameters(quarter) / count_parameters(full) < 1 / 12
    for name in sorted(set(ARCHITECTURES) - WIDTH_ARCHITECTURES):
        with pytest.raises(SettingsError, match="fixed width"):
            build_network(name, 2, width=0.5)
    with pytest.raises(SettingsError, match="width must be > 0"):
        build_network("resnet10", 2, width=0)
    with pytest.raises(SettingsError, match="in_channels"):
        build_network("resnet10", 0)


@pytest.mark.parametrize(("given", "key"), [("ResNet34", "resnet34"), ("SE-ResNeXt-101", "seresnext101"),
                                            ("se_resnet_50", "seresnet50"), (" DenseNet-121 ", "densenet121")])
def test_names_ignore_case_and_separators(given: str, key: str) -> None:
    assert canonical_arch(given) == key


def test_unknown_name_names_the_closest() -> None:
    with pytest.raises(UnknownNameError, match="Did you mean 'resnet34'") as err:
        build_network("resnet43", 2)
    assert err.value.valid == sorted(ARCHITECTURES)
    with pytest.raises(UnknownNameError, match="Did you mean 'seresnext50'"):
        canonical_arch("seresnext05")


def test_min_input_size() -> None:
    assert min_input_size("DenseNet121") == 29
    assert all(min_input_size(n) == 1 for n in ARCHITECTURES if n != "densenet121")
