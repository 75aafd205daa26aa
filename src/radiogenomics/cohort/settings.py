"""Settings of a cohort extraction: which ROIs and modalities, preprocessing, BAT rule, extraction presets.

:class:`CohortSettings` is frozen and validated like :class:`~radiogenomics.settings.ExtractionSettings`:
unknown keys fail with the closest valid name. Its defaults reproduce the preprocessing of seed 001
(Methods 2.2–2.4):

- the PET is resampled onto the CT grid with linear interpolation, masks drawn on another grid with
  nearest neighbour (``pet_grid = "ct"``);
- every working image is cropped to its central 512 × 512 voxels in-plane (``crop_size``; an image that
  is already smaller keeps its extent);
- an optional whole-image normalisation (``normalise``) — off by default because the ``paper`` and
  ``bat`` presets normalise inside the extraction, as PyRadiomics did for the study;
- the tumour ROI uses the ``paper`` preset (1,781 features), the BAT ROI the ``bat`` preset (342 first-order
  features), BAT found by :mod:`radiogenomics.bat` (SUV > 1.5 and −190 ≤ HU ≤ −10).

:meth:`CohortSettings.part_settings` names the settings each ``(roi, modality)`` result depends on; the
cache key of a result hashes only those, so changing a setting recomputes only the results it affects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from radiogenomics.bat import BatSettings
from radiogenomics.errors import SettingsError, UnknownNameError
from radiogenomics.features.suv import FORMAT as SUV_FORMAT
from radiogenomics.ibsi.settings import IbsiSettings, resolve_ibsi
from radiogenomics.preprocess.case import MaskCheck, WorkingGrid
from radiogenomics.presets import PRESETS, load_preset
from radiogenomics.settings import ExtractionSettings, Names, _Settings, read_settings_file, sha256_json
from radiogenomics.table import is_modality

__all__ = ["BAT_ROI", "CohortSettings", "resolve_extraction"]

#: The ROI computed from CT and PET by the BAT rule instead of read from a mask column.
BAT_ROI = "bat"

_ROI = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_PARAMS_SECTIONS = {"setting", "imageType", "featureClass", "voxelSetting"}


def resolve_extraction(value: Any) -> ExtractionSettings:
    """Extraction settings from a preset name, a PyRadiomics params file, a mapping or settings.

    Parameters
    ----------
    value
        :class:`ExtractionSettings`; a built-in preset name (``default``, ``paper``, ``bat``); a path to a
        PyRadiomics params file (YAML/JSON); or a mapping, either in params-file form (``setting``,
        ``imageType``, ``featureClass`` sections) or with :class:`ExtractionSettings` field names.

    Raises
    ------
    UnknownNameError
        A string that is neither a preset nor an existing file (the closest preset is suggested).
    SettingsError
        Invalid settings.
    """
    if isinstance(value, ExtractionSettings):
        return value
    if isinstance(value, Path) or (isinstance(value, str) and value not in PRESETS):
        path = Path(value)
        if path.is_file():
            return ExtractionSettings.from_params(path)
        raise UnknownNameError("preset (or params file)", str(value), PRESETS)
    if isinstance(value, str):
        return load_preset(value)
    if isinstance(value, Mapping):
        if value and set(value) <= _PARAMS_SECTIONS:
            return ExtractionSettings.from_params(value)
        return ExtractionSettings.validate_dict(value)
    raise SettingsError(f"extraction settings must be a preset name, a params file or a mapping, got {value!r}")


def _default_extraction() -> dict[str, ExtractionSettings]:
    return {"tumour": resolve_extraction("paper"), BAT_ROI: resolve_extraction("bat")}


class CohortSettings(_Settings):
    """Settings of :func:`~radiogenomics.cohort.run_cohort` (frozen; unknown keys fail with a suggestion).

    Attributes
    ----------
    rois
        ROIs to extract, in output column order. ``bat`` is computed by the BAT rule; every other ROI
        ``r`` is read from the manifest column ``r_mask`` (or ``r_mask_<modality>``, see
        :mod:`radiogenomics.io.manifest`).
    modalities
        Modalities to extract, in output column order: ``ct``, ``pet``, ``mri_<sequence>``.
    extraction
        Extraction settings per ROI. Accepts a preset name, a PyRadiomics params file path or mapping, or
        :class:`~radiogenomics.settings.ExtractionSettings`. Defaults: ``tumour`` → ``paper``,
        ``bat`` → ``bat``.
    pet_grid
        ``"ct"`` (seed 001): the PET is resampled onto the CT grid, and PET features are computed there;
        ``"native"``: PET features on the PET's own grid (masks drawn on another grid are resampled onto
        it with nearest neighbour).
    interpolation
        Kernel that resamples the PET onto the CT grid (masks always use nearest neighbour).
    crop_size
        In-plane ``(x, y)`` size of the centre crop of every working image, or ``None`` for no crop. An
        image smaller than this keeps its whole extent along that axis.
    normalise, normalise_scale, normalise_remove_outliers
        Whole-image z-score normalisation of each working image after cropping (PyRadiomics'
        ``normalize`` formula), before extraction. Off by default: the presets normalise themselves.
    bat
        The BAT rule (:class:`~radiogenomics.bat.BatSettings`): thresholds, interpolation of the PET
        onto the CT grid, minimum component size, body restriction.
    bat_exclude_tumour
        Remove the tumour ROI and ``bat.tumour_margin_mm`` (10 mm) around it from the BAT mask (default): an
        FDG-avid tumour in fat meets the BAT rule itself (SUV > 1.5, fat HU), so without this the "BAT" of a
        sarcoma holds tumour voxels. ``false`` applies the seed study's rule literally (SUV and HU only).
    pet_suv_limit
        A PET read from a NIfTI/NRRD file whose maximum exceeds this is rejected as not being in SUV
        (activity concentration in Bq/mL is in the thousands); ``None`` disables the check.
    strict
        Abort the run when the manifest has any problem; by default only the results that depend on a
        bad manifest entry fail (recorded in ``failures.csv``) and the rest of the cohort is extracted.
    nonuniform
        A DICOM series whose slices are not evenly spaced (a missing slice): ``error`` (the case fails with
        the spacings found) or ``resample`` (interpolated linearly onto a uniform grid, with a warning).
    mode
        ``pyradiomics`` (default): features with PyRadiomics names and definitions, from ``extraction``;
        ``ibsi``: IBSI-1 features (:mod:`radiogenomics.ibsi`, columns ``<roi>_<modality>__<IBSI tag>``, e.g.
        ``tumour_ct__stat_mean``) with each ROI's ``ibsi`` settings, computed on the same working images.
    ibsi
        IBSI settings per ROI for ``mode: ibsi``: a preset (``digital``, CT configurations ``A`` … ``E``), a
        YAML/JSON file of :class:`~radiogenomics.ibsi.settings.IbsiSettings` keys, or such a mapping.
    suv_features
        Add the ``suv`` family (:mod:`radiogenomics.features.suv`: SUVmax, SUVmean, SUVpeak, MTV, TLG and
        their threshold variants, in SUV units) to every PET result, computed on the **native PET grid** from the
        un-normalised SUV image whatever the extraction settings do: the ROI is the PET-grid contour
        (``<roi>_mask_pet``) when the manifest has one, else the CT-grid contour (or the BAT mask) resampled
        onto the PET with nearest neighbour. Columns ``<roi>_pet__suv_<name>``. A contour with no voxel on the
        PET grid fails the result; a BAT with none (smaller than a PET voxel) gets NaN values and a warning.
    save_masks
        Write the mask each result was computed from, on its working grid, to
        ``OUTDIR/masks/<case_id>/<roi>_<modality>.nii.gz`` (the BAT masks included), so that reports and
        users read the ROIs the features describe instead of recomputing them.
    """

    settings_name: ClassVar[str] = "cohort settings"

    rois: Names = ("tumour", BAT_ROI)
    modalities: Names = ("ct", "pet")
    extraction: dict[str, ExtractionSettings] = Field(default_factory=_default_extraction)
    pet_grid: Literal["ct", "native"] = "ct"
    interpolation: Literal["linear", "nearest", "bspline"] = "linear"
    crop_size: tuple[int, int] | None = (512, 512)
    normalise: bool = False
    normalise_scale: float = Field(1.0, gt=0)
    normalise_remove_outliers: float | None = Field(None, gt=0)
    bat: BatSettings = Field(default_factory=BatSettings)
    bat_exclude_tumour: bool = True
    pet_suv_limit: float | None = Field(100.0, gt=0)
    strict: bool = False
    mode: Literal["pyradiomics", "ibsi"] = "pyradiomics"
    ibsi: dict[str, IbsiSettings] = Field(default_factory=dict)
    suv_features: bool = True
    save_masks: bool = True
    nonuniform: Literal["error", "resample"] = "error"

    @field_validator("rois")
    @classmethod
    def _rois(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise SettingsError("rois must name at least one ROI")
        for roi in value:
            if not _ROI.match(roi) or "_mask" in roi:
                raise SettingsError(
                    f"ROI name {roi!r} must be lower case letters/digits joined by single underscores "
                    "(e.g. 'tumour', 'lymph_node') and must not contain '_mask'"
                )
        if len(set(value)) != len(value):
            raise SettingsError(f"rois are listed twice: {list(value)}")
        return value

    @field_validator("modalities")
    @classmethod
    def _modalities(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise SettingsError("modalities must name at least one modality")
        for name in value:
            if not is_modality(name):
                raise UnknownNameError("modality", name, ["ct", "pet", "mri_<sequence>"], also=["ct", "pet"])
        if len(set(value)) != len(value):
            raise SettingsError(f"modalities are listed twice: {list(value)}")
        return value

    @field_validator("extraction", mode="before")
    @classmethod
    def _extraction(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise SettingsError("extraction must map ROI names to a preset, params file or settings")
        return {str(roi): resolve_extraction(v) for roi, v in value.items()}

    @field_validator("ibsi", mode="before")
    @classmethod
    def _ibsi(cls, value: Any) -> Any:
        if not isinstance(value, Mapping):
            raise SettingsError("ibsi must map ROI names to an IBSI preset (digital, A ... E), a file or settings")
        return {str(roi): resolve_ibsi(v) for roi, v in value.items()}

    @field_validator("crop_size")
    @classmethod
    def _crop(cls, value: tuple[int, int] | None) -> tuple[int, int] | None:
        if value is not None and any(v < 1 for v in value):
            raise SettingsError(f"crop_size needs two positive voxel counts (x, y), got {value}")
        return value

    @model_validator(mode="after")
    def _complete(self) -> CohortSettings:
        missing = [roi for roi in self.rois if roi not in self.extraction]
        if missing:
            raise SettingsError(
                f"no extraction settings for ROI(s) {missing}; give them, e.g. extraction: "
                f"{{{missing[0]!r}: 'default'}}"
            )
        if self.mode == "ibsi":
            lacking = [roi for roi in self.rois if roi not in self.ibsi]
            if lacking:
                raise SettingsError(f"mode ibsi needs IBSI settings for ROI(s) {lacking}; give them, e.g. ibsi: "
                                    f"{{{lacking[0]!r}: 'A'}} (a preset: digital, A ... E, or a settings file)")
        unused = sorted(set(self.ibsi) - set(self.rois))
        if unused:
            raise UnknownNameError("ROI of the ibsi settings", unused[0], self.rois)
        if BAT_ROI in self.rois and not {"ct", "pet"} <= set(self.modalities):
            raise SettingsError("the 'bat' ROI is computed from CT and PET: modalities must include 'ct' and 'pet'")
        return self

    # ----------------------------------------------------------------------------------------------
    def parts(self) -> tuple[tuple[str, str], ...]:
        """``(roi, modality)`` pairs to extract, in output order (BAT only for CT and PET)."""
        return tuple(
            (roi, mod) for roi in self.rois for mod in self.modalities
            if roi != BAT_ROI or mod in ("ct", "pet")
        )

    def part_settings(self, roi: str, modality: str) -> dict[str, Any]:
        """The settings the result of ``(roi, modality)`` depends on, as plain JSON data.

        Every result depends on the crop, the normalisation and the ROI's extraction settings; a PET
        result also on the PET grid, the interpolation, the SUV check and the ``suv`` family; a BAT result on
        the BAT rule (and the SUV check, since the rule reads the PET).
        """
        out: dict[str, Any] = {
            "crop_size": self.crop_size,
            "normalise": [self.normalise, self.normalise_scale, self.normalise_remove_outliers]
            if self.normalise else False,
            "extraction": self.extraction[roi].settings_hash() if self.mode == "pyradiomics" else
            {"ibsi": sha256_json(self.ibsi[roi].model_dump(mode="json"))},
        }
        if modality == "pet":
            out["pet_grid"] = self.pet_grid
            if self.pet_grid == "ct":
                out["interpolation"] = self.interpolation
        if modality == "pet" or roi == BAT_ROI:
            out["pet_suv_limit"] = self.pet_suv_limit
        if modality == "pet" and self.suv_features:
            out["suv_features"] = SUV_FORMAT
        if self.nonuniform != "error":  # (absent at the default, so that earlier cache entries stay valid)
            out["nonuniform"] = self.nonuniform
        if roi == BAT_ROI:
            out["bat"] = self.bat.model_dump(mode="json")
            out["bat_exclude_tumour"] = self.bat_exclude_tumour
        return json.loads(json.dumps(out))

    def working_grid(self) -> WorkingGrid:
        """How a case's images are put on their working grids (:class:`~radiogenomics.preprocess.case.WorkingGrid`)."""
        return WorkingGrid(self.pet_grid, self.interpolation, self.crop_size, self.normalise, self.normalise_scale,
                           self.normalise_remove_outliers, self.pet_suv_limit, self.nonuniform)

    def mask_check(self, column: str) -> MaskCheck:
        """The geometry check of mask column ``<roi>_mask[_<modality>]``: the ROI's ``geometryTolerance`` and
        ``correctMask`` (exact geometry for a ROI without extraction settings)."""
        roi = self.extraction.get(column.split("_mask")[0])
        return MaskCheck() if roi is None else MaskCheck(roi.geometry_tolerance, roi.correct_mask)

    def part_hash(self, roi: str, modality: str) -> str:
        """SHA-256 of :meth:`part_settings` (canonical JSON)."""
        return sha256_json(self.part_settings(roi, modality))

    @classmethod
    def from_file(cls, path: str | Path) -> CohortSettings:
        """Read settings from a YAML or JSON file (a mapping of the field names above)."""
        return cls.validate_dict(read_settings_file(path, "cohort settings file"))
