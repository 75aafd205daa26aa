"""Settings of the IBSI mode (IBSI-1 image processing and feature computation) and their presets.

:class:`IbsiSettings` is a frozen pydantic model; unknown keys raise
:class:`~radiogenomics.errors.UnknownNameError` naming the closest valid key (use
:meth:`IbsiSettings.validate_dict` to get the typed error rather than pydantic's wrapper).

Presets (:func:`ibsi_preset`): ``digital`` (IBSI-1 digital phantom: no processing, no discretisation)
and ``A`` ... ``E`` (IBSI-1 CT phantom configurations, IBSI reference manual chapter 5):

====  =====  ==============  ==============  ============  =======  ==========  ==============
cfg   dims   voxel size mm   interpolator    reseg. range  outlier  texture/IH  IVH
====  =====  ==============  ==============  ============  =======  ==========  ==============
A     2D     (none)          -               [-500, 400]   no       FBS 25      none
B     2D     2 x 2 in-plane  linear          [-500, 400]   no       FBN 32      none
C     3D     2 x 2 x 2       linear          [-1000, 400]  no       FBS 25      FBS 2.5
D     3D     2 x 2 x 2       linear          none          3 sigma  FBN 32      none
E     3D     2 x 2 x 2       cubic spline    [-1000, 400]  3 sigma  FBN 32      FBN 1000
====  =====  ==============  ==============  ============  =======  ==========  ==============
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator, model_validator

from radiogenomics.errors import SettingsError, UnknownNameError
from radiogenomics.settings import raise_settings_error, read_settings_file

__all__ = [
    "FAMILIES",
    "PRESETS",
    "Discretisation",
    "IbsiSettings",
    "Interpolator",
    "StrictSettings",
    "ibsi_preset",
    "resolve_ibsi",
]


class Interpolator(StrEnum):
    """Image interpolators: B-spline orders 0 (nearest), 1 (linear) and 3 (cubic spline)."""

    nearest = "nearest"
    linear = "linear"
    cubic_spline = "cubic_spline"

    @property
    def order(self) -> int:
        return {"nearest": 0, "linear": 1, "cubic_spline": 3}[self.value]


class Discretisation(StrEnum):
    """Grey-level discretisation: ``none`` (intensities are already integer levels >= 1), fixed bin
    number (``fbn``) or fixed bin size (``fbs``)."""

    none = "none"
    fbn = "fbn"
    fbs = "fbs"


FAMILIES = (
    "morphology", "local_intensity", "intensity_statistics", "intensity_histogram",
    "intensity_volume_histogram", "glcm", "glrlm", "glszm", "gldzm", "ngtdm", "ngldm",
)
"""Feature families, in output order (the ``family`` column of the IBSI reference table)."""

DIMENSIONS = ("2D", "2.5D", "3D")
AGGREGATIONS = ("avg", "comb")


_CHOICES: dict[str, tuple[str, tuple[str, ...]]] = {
    "interpolator": ("interpolator", tuple(e.value for e in Interpolator)),
    "mask_interpolator": ("interpolator", tuple(e.value for e in Interpolator)),
    "discretisation": ("discretisation", tuple(e.value for e in Discretisation)),
    "ivh_discretisation": ("discretisation", tuple(e.value for e in Discretisation)),
    "texture_dimensions": ("texture dimension", DIMENSIONS),
    "aggregations": ("aggregation", AGGREGATIONS),
    "families": ("feature family", FAMILIES),
}
"""Fields whose values (or items) name one of a fixed set: ``{field: (kind in messages, valid names)}``."""


class StrictSettings(BaseModel):
    """Frozen settings model of the IBSI mode: an unknown key raises
    :class:`~radiogenomics.errors.UnknownNameError` naming the closest valid key, and
    :meth:`validate_dict` turns pydantic errors into :class:`~radiogenomics.errors.SettingsError`.

    Messages name the model as :meth:`_names` says (default: the class name).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def _names(cls) -> tuple[str, str]:
        """How error messages call one key and the whole model."""
        return f"{cls.__name__} setting", cls.__name__

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            for key in data:
                if key not in cls.model_fields:
                    raise UnknownNameError(cls._names()[0], str(key), cls.model_fields)
        return data

    @classmethod
    def validate_dict(cls, data: Mapping[str, Any]) -> Self:
        """Validate a mapping; the first :class:`SettingsError` raised by a validator is re-raised as is,
        other pydantic errors become one :class:`SettingsError` with one line per problem."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise_settings_error(exc, cls._names()[1])


class IbsiSettings(StrictSettings):
    """IBSI-1 processing and feature settings.

    Attributes
    ----------
    round_intensities
        Round intensities to the nearest integer after loading and after interpolation (IBSI CT rule).
    voxel_size
        New voxel spacing in mm: ``(x, y)`` interpolates in-plane only (slice-wise, z kept), ``(x, y, z)``
        in 3D; ``None`` keeps the grid. The new grid is IBSI-aligned: its size is
        :math:`\\lceil n s / s' \\rceil` per axis and its centre coincides with the centre of the old grid.
    interpolator
        Image interpolator (``linear``, ``cubic_spline`` or ``nearest``); out-of-grid positions take the
        nearest boundary intensity.
    mask_interpolator, mask_threshold
        The ROI mask is interpolated (``linear`` or ``nearest``) as a 0/1 float map and a voxel is kept
        where the value is >= ``mask_threshold``.
    resegmentation_range
        ``(lower, upper)`` intensity range of the intensity mask (either may be ``None``); the lower
        bound is also the lowest bin edge of fixed bin size discretisation and the lower intensity of
        the IVH.
    outlier_sigma
        Remove intensity-mask voxels outside :math:`\\mu \\pm k\\sigma` (mean and population SD of the
        interpolated ROI); combined with ``resegmentation_range`` by intersection.
    discretisation, bin_number, bin_width
        Discretisation for texture matrices and the intensity histogram.
    ivh_discretisation, ivh_bin_number, ivh_bin_width
        Discretisation of the intensity-volume histogram (``none``: discrete intensities, step 1).
    texture_dimensions
        Which of ``2D`` (per slice), ``2.5D`` (slices merged) and ``3D`` texture features to compute.
    aggregations
        GLCM/GLRLM aggregations: ``avg`` (features per matrix, averaged) and/or ``comb`` (matrices merged).
    glcm_distance, ngldm_distance, ngldm_coarseness
        Chebyshev distance of GLCM and NGLDM neighbours; NGLDM coarseness :math:`\\alpha`.
    families
        Feature families to compute (see :data:`FAMILIES`).
    """

    round_intensities: bool = False
    voxel_size: tuple[float, float] | tuple[float, float, float] | None = None
    interpolator: Interpolator = Interpolator.linear
    mask_interpolator: Interpolator = Interpolator.linear
    mask_threshold: float = 0.5
    resegmentation_range: tuple[float | None, float | None] | None = None
    outlier_sigma: float | None = None
    discretisation: Discretisation = Discretisation.none
    bin_number: int | None = None
    bin_width: float | None = None
    ivh_discretisation: Discretisation = Discretisation.none
    ivh_bin_number: int | None = None
    ivh_bin_width: float | None = None
    texture_dimensions: tuple[str, ...] = ("3D",)
    aggregations: tuple[str, ...] = AGGREGATIONS
    glcm_distance: int = 1
    ngldm_distance: int = 1
    ngldm_coarseness: float = 0.0
    families: tuple[str, ...] = FAMILIES

    @classmethod
    def _names(cls) -> tuple[str, str]:
        return "IBSI setting", "IBSI settings"

    @field_validator(*_CHOICES, mode="before")
    @classmethod
    def _known_names(cls, value: Any, info: ValidationInfo) -> Any:
        kind, valid = _CHOICES[info.field_name]
        for name in value if isinstance(value, list | tuple) else [value]:
            if isinstance(name, str) and name not in valid:
                raise UnknownNameError(kind, name, valid)
        return value

    @field_validator("voxel_size")
    @classmethod
    def _voxel_size(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if value is not None and any(not v > 0 for v in value):
            raise SettingsError(f"voxel_size must be positive, got {value}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> IbsiSettings:
        for prefix in ("", "ivh_"):
            method = getattr(self, f"{prefix}discretisation")
            number, width = getattr(self, f"{prefix}bin_number"), getattr(self, f"{prefix}bin_width")
            if method == Discretisation.fbn and (number is None or number < 1):
                raise SettingsError(f"{prefix}discretisation 'fbn' needs {prefix}bin_number >= 1")
            if method == Discretisation.fbs and (width is None or not width > 0):
                raise SettingsError(f"{prefix}discretisation 'fbs' needs {prefix}bin_width > 0")
        if self.resegmentation_range is not None:
            lo, hi = self.resegmentation_range
            if lo is not None and hi is not None and lo > hi:
                raise SettingsError(f"resegmentation_range lower bound {lo} exceeds upper bound {hi}")
        if self.outlier_sigma is not None and not self.outlier_sigma > 0:
            raise SettingsError(f"outlier_sigma must be positive, got {self.outlier_sigma}")
        if not 0 < self.mask_threshold <= 1:
            raise SettingsError(f"mask_threshold must lie in (0, 1], got {self.mask_threshold}")
        if min(self.glcm_distance, self.ngldm_distance) < 1:
            raise SettingsError("glcm_distance and ngldm_distance must be >= 1")
        return self

    @property
    def lower_bound(self) -> float | None:
        """Lower bound of the re-segmentation range (``None`` if not set)."""
        return None if self.resegmentation_range is None else self.resegmentation_range[0]

    @property
    def upper_bound(self) -> float | None:
        """Upper bound of the re-segmentation range (``None`` if not set)."""
        return None if self.resegmentation_range is None else self.resegmentation_range[1]

    def replace(self, **changes: Any) -> IbsiSettings:
        """A validated copy with ``changes`` applied."""
        return type(self).validate_dict({**self.model_dump(), **changes})


_CT = {"round_intensities": True, "ngldm_coarseness": 0.0, "glcm_distance": 1, "ngldm_distance": 1}

PRESETS: dict[str, dict[str, Any]] = {
    "digital": {"texture_dimensions": DIMENSIONS},
    "A": {**_CT, "resegmentation_range": (-500.0, 400.0), "discretisation": "fbs", "bin_width": 25.0,
          "texture_dimensions": ("2D", "2.5D")},
    "B": {**_CT, "voxel_size": (2.0, 2.0), "interpolator": "linear", "resegmentation_range": (-500.0, 400.0),
          "discretisation": "fbn", "bin_number": 32, "texture_dimensions": ("2D", "2.5D")},
    "C": {**_CT, "voxel_size": (2.0, 2.0, 2.0), "interpolator": "linear", "resegmentation_range": (-1000.0, 400.0),
          "discretisation": "fbs", "bin_width": 25.0, "ivh_discretisation": "fbs", "ivh_bin_width": 2.5},
    "D": {**_CT, "voxel_size": (2.0, 2.0, 2.0), "interpolator": "linear", "outlier_sigma": 3.0,
          "discretisation": "fbn", "bin_number": 32},
    "E": {**_CT, "voxel_size": (2.0, 2.0, 2.0), "interpolator": "cubic_spline",
          "resegmentation_range": (-1000.0, 400.0), "outlier_sigma": 3.0, "discretisation": "fbn", "bin_number": 32,
          "ivh_discretisation": "fbn", "ivh_bin_number": 1000},
}
"""Keyword settings of the built-in presets (see the module docstring)."""


def ibsi_preset(name: str) -> IbsiSettings:
    """Settings of preset ``name``: ``digital`` or a CT configuration ``A`` ... ``E`` (case-insensitive)."""
    key = name if name in PRESETS else name.upper() if name.upper() in PRESETS else name.lower()
    if key not in PRESETS:
        raise UnknownNameError("IBSI preset", name, PRESETS)
    return IbsiSettings.validate_dict(PRESETS[key])


def resolve_ibsi(value: Any) -> IbsiSettings:
    """IBSI settings from :class:`IbsiSettings`, a preset name (``digital``, ``A`` ... ``E``), a YAML/JSON file of
    :class:`IbsiSettings` keys, or such a mapping.

    Raises
    ------
    UnknownNameError
        A string that is neither a preset nor an existing file (the closest preset is suggested), or an unknown key.
    SettingsError
        Invalid settings.
    """
    if isinstance(value, IbsiSettings):
        return value
    if isinstance(value, str | Path):
        text = str(value)
        if text in PRESETS or text.upper() in PRESETS or text.lower() in PRESETS:
            return ibsi_preset(text)
        if Path(text).is_file():
            return IbsiSettings.validate_dict(read_settings_file(text, "IBSI settings file"))
        raise UnknownNameError("IBSI preset (or settings file)", text, PRESETS)
    if isinstance(value, Mapping):
        return IbsiSettings.validate_dict(value)
    raise SettingsError(f"IBSI settings must be a preset name, a file or a mapping, got {type(value).__name__}")
