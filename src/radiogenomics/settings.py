"""Validated, immutable settings.

:class:`ExtractionSettings` covers every PyRadiomics 3.0.1 setting that changes feature values, under
snake_case names with the PyRadiomics spelling accepted as an alias (``binWidth`` = ``bin_width``), plus
the ``imageType`` and ``featureClass`` sections of a PyRadiomics params file. A PyRadiomics params
YAML/JSON file loads unchanged with :meth:`ExtractionSettings.from_params`. Unknown keys, image types,
feature classes and feature names fail with the closest valid name suggested.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, NoReturn, Self

import pywt
import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator, model_validator

from radiogenomics.catalogue import DEFAULT_FAMILIES, FEATURES, IMAGE_TYPES
from radiogenomics.errors import SettingsError, UnknownNameError

__all__ = [
    "ExtractionSettings", "Interpolator", "Names", "load_params", "raise_settings_error", "read_settings_file",
    "sha256_json", "split_names",
]


class Interpolator(StrEnum):
    """SimpleITK interpolators accepted by ``interpolator`` (PyRadiomics spelling)."""

    nearest = "sitkNearestNeighbor"
    linear = "sitkLinear"
    bspline = "sitkBSpline"
    gaussian = "sitkGaussian"
    label_gaussian = "sitkLabelGaussian"
    hamming_windowed_sinc = "sitkHammingWindowedSinc"
    cosine_windowed_sinc = "sitkCosineWindowedSinc"
    welch_windowed_sinc = "sitkWelchWindowedSinc"
    lanczos_windowed_sinc = "sitkLanczosWindowedSinc"
    blackman_windowed_sinc = "sitkBlackmanWindowedSinc"


# SimpleITK's integer codes for the interpolators, as PyRadiomics params files sometimes give them.
_INTERPOLATOR_CODES = {
    1: Interpolator.nearest, 2: Interpolator.linear, 3: Interpolator.bspline, 4: Interpolator.gaussian,
    5: Interpolator.label_gaussian, 6: Interpolator.hamming_windowed_sinc,
    7: Interpolator.cosine_windowed_sinc, 8: Interpolator.welch_windowed_sinc,
    9: Interpolator.lanczos_windowed_sinc, 10: Interpolator.blackman_windowed_sinc,
}

_FROZEN = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, use_enum_values=False)


def split_names(value: Any) -> Any:
    """A comma-separated string as a tuple of its stripped, non-empty items (``"pet, ct"`` → ``("pet", "ct")``);
    anything else unchanged (validated by the field's type)."""
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return value


#: A tuple of names, given as a list or as one comma-separated string.
Names = Annotated[tuple[str, ...], BeforeValidator(split_names)]


def sha256_json(data: Any) -> str:
    """SHA-256 hex digest of the canonical JSON form of ``data`` (sorted keys, no white space)."""
    payload = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def raise_settings_error(exc: ValidationError, what: str, *, locate_inner: bool = False) -> NoReturn:
    """Turn a pydantic :class:`ValidationError` into a :class:`SettingsError` and raise it.

    A :class:`SettingsError` raised inside a validator (e.g. an :class:`UnknownNameError` with its
    suggestion) is re-raised as is, prefixed with ``"<what>, <location>: "`` when ``locate_inner``;
    otherwise one error lists every problem, one ``location: message`` line each.
    """
    lines = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        inner = (err.get("ctx") or {}).get("error")
        if isinstance(inner, SettingsError):
            if locate_inner and loc:
                inner.args = (f"{what}, {loc}: {inner}",)
            raise inner from None
        lines.append(f"{loc or 'settings'}: {err['msg']}")
    raise SettingsError(f"invalid {what}:\n  " + "\n  ".join(lines)) from None


def read_settings_file(path: str | Path, what: str) -> Mapping[str, Any]:
    """Read a YAML or JSON file holding a mapping (``what`` names the file in error messages)."""
    path = Path(path)
    if not path.is_file():
        raise SettingsError(f"{what} not found: {path}")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise SettingsError(f"cannot parse {what} {path}: {exc}") from exc
    if not isinstance(data, Mapping):
        raise SettingsError(f"{what} {path} must hold a mapping at the top level")
    return data


class _Settings(BaseModel):
    """Base class: frozen, unknown keys rejected with a suggestion of the closest valid key.

    Subclasses set ``settings_name`` (used in error messages) and inherit :meth:`validate_dict`,
    :meth:`replace` and :meth:`settings_hash`.
    """

    model_config = _FROZEN
    settings_name: ClassVar[str] = "settings"

    @classmethod
    def validate_dict(cls, data: Mapping[str, Any]) -> Self:
        """Validate a mapping; pydantic errors become one :class:`SettingsError` with one line per problem
        (a :class:`SettingsError` raised by a validator, such as an unknown name, is re-raised as is)."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            raise_settings_error(exc, cls.settings_name)

    def replace(self, **changes: Any) -> Self:
        """A copy with some fields changed (validated again)."""
        data = {name: getattr(self, name) for name in type(self).model_fields}
        data.update(changes)
        return type(self).validate_dict(data)

    def settings_hash(self) -> str:
        """SHA-256 of the canonical JSON form of all settings; equal settings give equal hashes across runs."""
        return sha256_json(self.model_dump(mode="json"))

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            valid = set()
            for name, field in cls.model_fields.items():
                valid.add(name)
                if field.alias:
                    valid.add(field.alias)
            for key in data:
                if key not in valid:
                    aliases = sorted(f.alias or n for n, f in cls.model_fields.items())
                    raise UnknownNameError("setting", str(key), aliases, also=cls.model_fields)
        return data


class ExtractionSettings(_Settings):
    """Settings of one radiomic feature extraction (PyRadiomics semantics).

    Every field has the PyRadiomics name as an alias; defaults are PyRadiomics 3.0.1's
    ``RadiomicsFeatureExtractor`` defaults. ``image_types`` maps a PyRadiomics image type name to its
    custom settings (e.g. ``{"LoG": {"sigma": [1.0, 3.0]}}``); ``feature_classes`` maps a family name to
    an explicit feature list or ``None`` (all non-deprecated features of the family).
    """

    # --- discretisation -------------------------------------------------------------------------
    bin_width: float = Field(25.0, alias="binWidth", gt=0)
    bin_count: int | None = Field(None, alias="binCount", gt=0)
    # --- mask ---------------------------------------------------------------------------------------
    label: int = Field(1, gt=0)
    label_channel: int = Field(0, ge=0)
    minimum_roi_dimensions: int = Field(2, alias="minimumROIDimensions", ge=1, le=3)
    minimum_roi_size: int | None = Field(None, alias="minimumROISize", gt=0)
    geometry_tolerance: float | None = Field(None, alias="geometryTolerance", gt=0)
    correct_mask: bool = Field(False, alias="correctMask")
    # --- intensity ----------------------------------------------------------------------------------
    normalize: bool = False
    normalize_scale: float = Field(1.0, alias="normalizeScale", gt=0)
    remove_outliers: float | None = Field(None, alias="removeOutliers", gt=0)
    voxel_array_shift: float = Field(0.0, alias="voxelArrayShift")
    # --- resampling / cropping ----------------------------------------------------------------------
    resampled_pixel_spacing: tuple[float, ...] | None = Field(None, alias="resampledPixelSpacing")
    interpolator: Interpolator = Interpolator.bspline
    pad_distance: int = Field(5, alias="padDistance", ge=0)
    pre_crop: bool = Field(False, alias="preCrop")
    # --- re-segmentation ----------------------------------------------------------------------------
    resegment_range: tuple[float] | tuple[float, float] | None = Field(None, alias="resegmentRange")
    resegment_mode: Literal["absolute", "relative", "sigma"] = Field("absolute", alias="resegmentMode")
    resegment_shape: bool = Field(False, alias="resegmentShape")
    # --- texture ------------------------------------------------------------------------------------
    force2d: bool = Field(False, alias="force2D")
    force2d_dimension: int = Field(0, alias="force2Ddimension", ge=0, le=2)
    distances: tuple[int, ...] = Field((1,), min_length=1)
    symmetrical_glcm: bool = Field(True, alias="symmetricalGLCM")
    weighting_norm: Literal["manhattan", "euclidean", "infinity", "no_weighting"] | None = Field(
        None, alias="weightingNorm"
    )
    gldm_a: int = Field(0, ge=0)
    # --- filters (image types) ----------------------------------------------------------------------
    sigma: tuple[int | float, ...] = Field(
        (), description="LoG sigmas in mm (an integer keeps PyRadiomics' name, e.g. log-sigma-1-mm-3D)"
    )
    start_level: int = Field(0, ge=0)
    level: int = Field(1, gt=0)
    wavelet: str = "coif1"
    gradient_use_spacing: bool = Field(True, alias="gradientUseSpacing")
    lbp2d_radius: float = Field(1.0, alias="lbp2DRadius", gt=0)
    lbp2d_samples: int = Field(8, alias="lbp2DSamples", ge=1)
    lbp2d_method: Literal["default", "ror", "uniform", "var"] = Field("uniform", alias="lbp2DMethod")
    lbp3d_levels: int = Field(2, alias="lbp3DLevels", ge=2)
    lbp3d_icosphere_radius: float = Field(1.0, alias="lbp3DIcosphereRadius", gt=0)
    lbp3d_icosphere_subdivision: int = Field(1, alias="lbp3DIcosphereSubdivision", ge=0)
    # --- bookkeeping --------------------------------------------------------------------------------
    additional_info: bool = Field(True, alias="additionalInfo", description="accepted for compatibility; "
                                  "provenance is always recorded")
    # --- sections of a params file ------------------------------------------------------------------
    image_types: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: {"Original": {}}, alias="imageType"
    )
    feature_classes: dict[str, tuple[str, ...] | None] = Field(
        default_factory=lambda: {f: None for f in DEFAULT_FAMILIES}, alias="featureClass"
    )

    @field_validator("interpolator", mode="before")
    @classmethod
    def _interpolator(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            if value not in _INTERPOLATOR_CODES:
                raise SettingsError(f"Unknown SimpleITK interpolator code {value}")
            return _INTERPOLATOR_CODES[value]
        if isinstance(value, str):
            names = {i.value: i for i in Interpolator}
            if value not in names:
                raise UnknownNameError("interpolator", value, names)
            return names[value]
        return value

    @field_validator("resampled_pixel_spacing", "sigma", "distances", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return (value,)
        return value

    @field_validator("resampled_pixel_spacing")
    @classmethod
    def _spacing(cls, value: tuple[float, ...] | None) -> tuple[float, ...] | None:
        if value is not None and (len(value) not in (2, 3) or any(v < 0 for v in value)):
            raise SettingsError("resampledPixelSpacing needs 2 or 3 values >= 0 (0 keeps that spacing)")
        return value

    @field_validator("distances")
    @classmethod
    def _distances(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(d <= 0 for d in value):
            raise SettingsError("distances must be positive integers")
        return value

    @field_validator("wavelet")
    @classmethod
    def _wavelet(cls, value: str) -> str:
        names = pywt.wavelist(kind="discrete")
        if value not in names:
            raise UnknownNameError("wavelet", value, names)
        return value

    @field_validator("image_types", mode="before")
    @classmethod
    def _image_types(cls, value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise SettingsError("imageType must be a mapping of image type name to settings")
        out = {}
        for name, custom in value.items():
            if name not in IMAGE_TYPES:
                raise UnknownNameError("image type", str(name), IMAGE_TYPES)
            custom = dict(custom or {})
            for key in custom:
                if key in ("imageType", "featureClass", "image_types", "feature_classes"):
                    raise SettingsError(f"image type {name!r} cannot override {key!r}")
            out[name] = custom
        return out

    @field_validator("feature_classes", mode="before")
    @classmethod
    def _feature_classes(cls, value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise SettingsError("featureClass must be a mapping of family name to a feature list or null")
        out: dict[str, tuple[str, ...] | None] = {}
        for family, names in value.items():
            if family not in FEATURES:
                raise UnknownNameError("feature class", str(family), FEATURES)
            if names is None or (isinstance(names, list | tuple) and len(names) == 0):
                out[family] = None
                continue
            if isinstance(names, str):
                names = [names]
            for feature in names:
                if feature not in FEATURES[family]:
                    raise UnknownNameError(f"{family} feature", str(feature), FEATURES[family])
            out[family] = tuple(names)
        return out

    @model_validator(mode="after")
    def _consistent(self) -> ExtractionSettings:
        for name, custom in self.image_types.items():
            try:
                self.for_image_type(name)
            except UnknownNameError as exc:
                raise UnknownNameError(
                    f"setting of image type {name!r}", exc.name, exc.valid, also=type(self).model_fields
                ) from None
            if name == "LoG" and not (custom.get("sigma") or self.sigma):
                raise SettingsError("image type 'LoG' needs at least one sigma (e.g. sigma: [1.0, 3.0])")
        if self.resampled_pixel_spacing is not None and self.interpolator is None:
            raise SettingsError("resampledPixelSpacing needs an interpolator")
        return self

    # ----------------------------------------------------------------------------------------------
    def for_image_type(self, name: str) -> ExtractionSettings:
        """Settings with the image type's custom settings (from ``imageType``) applied on top."""
        custom = self.image_types.get(name) or {}
        if not custom:
            return self
        data = self.model_dump(by_alias=False)
        fields = {n: n for n in type(self).model_fields}
        fields.update({f.alias: n for n, f in type(self).model_fields.items() if f.alias})
        for key, val in custom.items():
            if key not in fields:
                aliases = sorted(f.alias or n for n, f in type(self).model_fields.items())
                raise UnknownNameError("setting", str(key), aliases, also=fields)
            data[fields[key]] = val
        data["image_types"] = {}
        return type(self).model_validate(data)

    def enabled_features(self, family: str) -> tuple[str, ...]:
        """Features of ``family`` to compute (empty when the family is not enabled)."""
        if family not in self.feature_classes:
            return ()
        names = self.feature_classes[family]
        return FEATURES[family] if names is None else names

    @classmethod
    def from_params(cls, params: str | Path | Mapping[str, Any]) -> ExtractionSettings:
        """Read a PyRadiomics params file (YAML or JSON) or an already-parsed params mapping.

        The file's ``setting`` section becomes the fields, ``imageType`` and ``featureClass`` the two
        sections; a ``voxelSetting`` section is rejected (voxel-based extraction is not supported).
        """
        if not isinstance(params, Mapping):
            params = read_settings_file(params, "params file")
        sections = {"setting", "imageType", "featureClass", "voxelSetting"}
        for key in params:
            if key not in sections:
                raise UnknownNameError("params file section", str(key), sections)
        if params.get("voxelSetting"):
            raise SettingsError("voxel-based extraction (voxelSetting) is not supported")
        data: dict[str, Any] = dict(params.get("setting") or {})
        if "imageType" in params:
            data["imageType"] = params["imageType"] or {}
        if "featureClass" in params:
            data["featureClass"] = params["featureClass"] or {}
        return cls.validate_dict(data)


def load_params(params: str | Path | Mapping[str, Any]) -> ExtractionSettings:
    """Shorthand for :meth:`ExtractionSettings.from_params`."""
    return ExtractionSettings.from_params(params)
