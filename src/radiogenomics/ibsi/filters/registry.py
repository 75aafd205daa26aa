"""Registry of the IBSI-2 filters: name -> settings model and ``apply`` function.

Canonical names: ``mean``, ``log``, ``laws``, ``gabor``, ``wavelet`` (separable: Haar, Daubechies,
Coiflet...), ``simoncelli`` and ``riesz``. The IBSI-2 spellings are accepted too (case-insensitive), e.g.
``"Laplacian of Gaussian"``, ``"separable wavelet"``, ``"non-separable wavelet"``; any other name raises
:class:`~radiogenomics.errors.UnknownNameError` with the closest valid name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from radiogenomics.errors import SettingsError, UnknownNameError
from radiogenomics.ibsi.filters import gabor, laws, log, mean, riesz, simoncelli, wavelet
from radiogenomics.ibsi.filters.base import FilterSettings
from radiogenomics.image import Image

__all__ = ["FILTERS", "IbsiFilter", "apply_filter", "filter_settings", "get_filter"]


@dataclass(frozen=True)
class IbsiFilter:
    """One IBSI-2 filter: canonical ``name``, IBSI ``code``, ``settings`` model and ``apply`` function."""

    name: str
    code: str
    settings: type[FilterSettings]
    apply: Callable[[Image, Any], Image]


FILTERS: dict[str, IbsiFilter] = {
    "mean": IbsiFilter("mean", "S60F", mean.MeanSettings, mean.apply),
    "log": IbsiFilter("log", "L6PA", log.LogSettings, log.apply),
    "laws": IbsiFilter("laws", "JTXT", laws.LawsSettings, laws.apply),
    "gabor": IbsiFilter("gabor", "Q88H", gabor.GaborSettings, gabor.apply),
    "wavelet": IbsiFilter("wavelet", "25BO", wavelet.WaveletSettings, wavelet.apply),
    "simoncelli": IbsiFilter("simoncelli", "LODD", simoncelli.SimoncelliSettings, simoncelli.apply),
    "riesz": IbsiFilter("riesz", "AYRS", riesz.RieszSettings, riesz.apply),
}

_ALIASES = {
    "mean filter": "mean",
    "laplacian of gaussian": "log",
    "laplacian_of_gaussian": "log",
    "laws kernels": "laws",
    "gabor filter": "gabor",
    "separable wavelet": "wavelet",
    "separable_wavelet": "wavelet",
    "simoncelli wavelet": "simoncelli",
    "simoncelli non-separable wavelet": "simoncelli",
    "non-separable wavelet": "simoncelli",
    "nonseparable_wavelet": "simoncelli",
    "riesz transform": "riesz",
}


def get_filter(name: str) -> IbsiFilter:
    """The filter called ``name`` (canonical name or IBSI-2 spelling, case-insensitive)."""
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in FILTERS:
        raise UnknownNameError("IBSI-2 filter", str(name), FILTERS, also=_ALIASES)
    return FILTERS[key]


def filter_settings(name: str, settings: FilterSettings | Mapping[str, Any]) -> FilterSettings:
    """Validated settings of filter ``name`` from a mapping (or checked to be of the right model)."""
    spec = get_filter(name)
    if isinstance(settings, FilterSettings):
        if not isinstance(settings, spec.settings):
            raise SettingsError(f"filter {spec.name!r} needs {spec.settings.__name__}, got {type(settings).__name__}")
        return settings
    return spec.settings.validate_dict(settings)


def apply_filter(image: Image, name: str, settings: FilterSettings | Mapping[str, Any]) -> Image:
    """Response map of filter ``name`` on ``image`` with ``settings`` (model instance or mapping)."""
    spec = get_filter(name)
    return spec.apply(image, filter_settings(spec.name, settings))
