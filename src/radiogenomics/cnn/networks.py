r"""Registry of 3D classification networks (MONAI), each built with ``in_channels`` inputs and one logit.

=================  ===================================================  =====================  ============
name               MONAI network                                        blocks per stage       ``width``
=================  ===================================================  =====================  ============
``resnet10``       ``ResNet`` (basic blocks)                            1, 1, 1, 1             yes
``resnet18``       ``ResNet`` (basic blocks)                            2, 2, 2, 2             yes
``resnet34``       ``ResNet`` (basic blocks)                            3, 4, 6, 3             yes
``resnet50``       ``ResNet`` (bottleneck blocks)                       3, 4, 6, 3             yes
``seresnet50``     ``SEResNet50`` (squeeze-and-excitation, r = 16)      3, 4, 6, 3             no
``seresnext50``    ``SEResNext50`` (grouped convolutions, 32 groups)    3, 4, 6, 3             no
``seresnext101``   ``SEResNext101``                                     3, 4, 23, 3            no
``densenet121``    ``DenseNet121`` (growth rate 32)                     6, 12, 24, 16          no
=================  ===================================================  =====================  ============

``width`` multiplies the ResNets' channel numbers (MONAI's ``widen_factor``; 64·w, 128·w, 256·w,
512·w): 0.25 makes a CPU-sized ``resnet10`` (0.9 M parameters instead of 14.4 M). The network's output
is one logit :math:`z`; :math:`P(y = 1) = \sigma(z)`. Weights are initialised from torch's global RNG,
so callers seed it (the classifier does, inside a forked RNG). Names are case-insensitive and ``-``/``_``
are ignored (``SEResNeXt-101`` = ``seresnext101``); an unknown name raises
:class:`~radiogenomics.errors.UnknownNameError` naming the closest one.

Smallest input: ``densenet121`` halves every axis five times with floor rounding (stride-2 7³ convolution,
stride-2 3³ max pooling, three 2³ average poolings), so every input dimension :math:`n` must satisfy
:math:`\lfloor(\lfloor(n-1)/2\rfloor + 1 - 1)/2\rfloor + 1 \ge 8`, i.e. :math:`n \ge 29`
(:func:`min_input_size`); the ResNets and SE-ResNe(X)ts end in adaptive pooling and accept any size the
preprocessing settings allow (>= 4).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from radiogenomics.errors import SettingsError, UnknownNameError

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = [
    "ARCHITECTURES",
    "WIDTH_ARCHITECTURES",
    "build_network",
    "canonical_arch",
    "count_parameters",
    "min_input_size",
]


def _resnet(factory: str) -> Callable[[int, float], Any]:
    def build(in_channels: int, width: float) -> Any:
        from monai.networks import nets

        return getattr(nets, factory)(spatial_dims=3, n_input_channels=in_channels, num_classes=1,
                                      widen_factor=width)

    return build


def _senet(cls: str) -> Callable[[int, float], Any]:
    def build(in_channels: int, width: float) -> Any:
        from monai.networks import nets

        return getattr(nets, cls)(spatial_dims=3, in_channels=in_channels, num_classes=1)

    return build


def _densenet121(in_channels: int, width: float) -> Any:
    from monai.networks.nets import DenseNet121

    return DenseNet121(spatial_dims=3, in_channels=in_channels, out_channels=1)


#: name → builder ``(in_channels, width) → torch.nn.Module`` with output shape ``(batch, 1)``.
ARCHITECTURES: dict[str, Callable[[int, float], Any]] = {
    "resnet10": _resnet("resnet10"),
    "resnet18": _resnet("resnet18"),
    "resnet34": _resnet("resnet34"),
    "resnet50": _resnet("resnet50"),
    "seresnet50": _senet("SEResNet50"),
    "seresnext50": _senet("SEResNext50"),
    "seresnext101": _senet("SEResNext101"),
    "densenet121": _densenet121,
}

#: architectures that accept ``width`` ≠ 1.
WIDTH_ARCHITECTURES: frozenset[str] = frozenset({"resnet10", "resnet18", "resnet34", "resnet50"})


#: smallest input dimension (voxels along every axis) of the architectures that need more than 4.
_MIN_INPUT = {"densenet121": 29}


def min_input_size(name: str) -> int:
    """Smallest number of voxels along every input axis that ``name`` accepts (module docstring)."""
    return _MIN_INPUT.get(canonical_arch(name), 1)


def canonical_arch(name: str) -> str:
    """The registry key of ``name`` (lower case, ``-``/``_`` removed); unknown names raise
    :class:`UnknownNameError` with the closest valid name."""
    key = str(name).strip().lower().replace("-", "").replace("_", "")
    if key not in ARCHITECTURES:
        raise UnknownNameError("architecture", str(name), ARCHITECTURES)
    return key


def build_network(name: str, in_channels: int, width: float = 1.0) -> Any:
    """Build architecture ``name`` for ``in_channels`` input channels with a one-logit head.

    Raises
    ------
    UnknownNameError
        ``name`` is not in :data:`ARCHITECTURES`.
    SettingsError
        ``in_channels < 1``, ``width <= 0``, or ``width != 1`` for a network without a width factor.
    """
    key = canonical_arch(name)
    if in_channels < 1:
        raise SettingsError(f"in_channels must be >= 1, got {in_channels}")
    if not width > 0:
        raise SettingsError(f"width must be > 0, got {width}")
    if width != 1.0 and key not in WIDTH_ARCHITECTURES:
        raise SettingsError(f"width {width:g} is only available for {', '.join(sorted(WIDTH_ARCHITECTURES))}; "
                            f"{key} has a fixed width (use width 1)")
    net = ARCHITECTURES[key](int(in_channels), float(width))
    logger.debug("built %s (%d input channels, width %g): %d parameters", key, in_channels, width,
                 count_parameters(net))
    return net


def count_parameters(net: Any) -> int:
    """Number of trainable parameters of a torch module."""
    return int(sum(p.numel() for p in net.parameters() if p.requires_grad))
