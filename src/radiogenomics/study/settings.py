"""The study file: one validated settings object for every stage of ``radiogenomics run``.

A study YAML has these sections (all but ``data`` and ``targets`` optional; unknown keys fail with the
closest valid name, and every value is validated before any work starts):

``name``, ``seed``
    Title of the report; base seed of every random step (synthetic data, splits, models, clustering).
``data``
    Either ``manifest`` (path of a cohort manifest, relative to the study file) or ``synthetic`` (a
    built-in synthetic cohort generated into ``OUTDIR/data``).
``extraction``
    :class:`~radiogenomics.cohort.CohortSettings` (ROIs, modalities, presets, BAT rule), and ``workers``.
``targets``, ``clinical``, ``categorical``
    Binary target columns (e.g. ``TP53``), clinical covariates used by the models, and which of those are
    categorical (one-hot; Transformer tokens), e.g. grade, FIGO stage.
``stats``, ``models``, ``validation``, ``cnn``, ``cluster``, ``report``
    :class:`StatsStage`, :class:`ModelStage`, :class:`ValidationStage` (external validation, off unless a cohort
    is given), :class:`CnnStage` (off by default), :class:`ClusterStage`, :class:`ReportStage`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from radiogenomics.cluster.stage import ClusterOptions, ClusterSettings
from radiogenomics.cnn.settings import CNNSettings, load_cnn_settings
from radiogenomics.cnn.stage import CnnOptions, CnnRunSettings
from radiogenomics.cohort.settings import CohortSettings
from radiogenomics.errors import SettingsError, UnknownNameError
from radiogenomics.io.manifest import read_manifest
from radiogenomics.models.stage import ModelOptions, ModelSettings
from radiogenomics.report.stage import ReportOptions, ReportSettings
from radiogenomics.settings import Names, _Settings, raise_settings_error, read_settings_file
from radiogenomics.stats.stage import StatsOptions, StatsSettings
from radiogenomics.synth.cohort import MANIFEST_COLUMNS

__all__ = [
    "ClusterStage",
    "CnnStage",
    "DataSettings",
    "ModelStage",
    "ReportStage",
    "StatsStage",
    "StudySettings",
    "SyntheticData",
    "ValidationStage",
]

class SyntheticData(_Settings):
    """A built-in synthetic PET/CT cohort (:func:`radiogenomics.synth.make_cohort`)."""

    n: int = Field(60, ge=12, description="number of patients")
    effect: float = Field(1.0, ge=0, description="planted effect size (0 = none)")
    size: Literal["small", "paper", "tiny"] = "small"


class DataSettings(_Settings):
    """Where the cohort comes from: a manifest file, or a synthetic cohort; optionally predicted masks.

    ``masks`` maps a mask column to ``auto:<modeldir>`` (a ``radiogenomics segment train`` model folder,
    relative to the study file): every case's mask of that column is then predicted by the model before
    extraction (the "auto-mask" experiment), see :func:`radiogenomics.segment.resolve_auto_masks`.
    """

    manifest: Path | None = None
    synthetic: SyntheticData | None = None
    masks: dict[str, str] = Field(default_factory=dict, description="mask column -> 'auto:<modeldir>'")
    compare_masks: dict[str, str] = Field(default_factory=dict, description="mask column -> 'auto:<modeldir>': "
                                          "features also extracted from these masks, every model also evaluated "
                                          "on them (sources <source>@auto)")

    @model_validator(mode="after")
    def _one(self) -> DataSettings:
        if (self.manifest is None) == (self.synthetic is None):
            raise SettingsError("data needs exactly one of 'manifest' (a file) or 'synthetic' (generated cohort)")
        for key, masks in (("masks", self.masks), ("compare_masks", self.compare_masks)):
            for column, value in masks.items():
                if not column.endswith("_mask") and "_mask_" not in column:
                    raise SettingsError(f"data.{key}: {column!r} is not a mask column (<roi>_mask or "
                                        "<roi>_mask_<modality>)")
                if not value.startswith("auto:") or len(value) == len("auto:"):
                    raise SettingsError(f"data.{key}.{column}: expected 'auto:<modeldir>', got {value!r}")
        return self


class StatsStage(StatsOptions):
    """The ``stats`` section: :class:`~radiogenomics.stats.StatsOptions`, run for every target."""

    enabled: bool = True


class ModelStage(ModelOptions):
    """The ``models`` section: :class:`~radiogenomics.models.ModelOptions`, run for every target."""

    enabled: bool = True


class ValidationStage(_Settings):
    """The ``validation`` section: external validation of each target's model on another cohort
    (:mod:`radiogenomics.models.validate`); on when ``features`` or ``manifest`` is given.

    Attributes
    ----------
    features, manifest
        The external cohort: a feature table, or a manifest extracted with the study's extraction settings
        (paths relative to the study file); exactly one, or neither (stage off).
    model
        ``best`` (the model × source with the best reliable CV ROC AUC of the ``models`` stage) or a
        ``<model>__<source>`` folder name, e.g. ``lasso__stacked``.
    harmonise, n_boot
        :class:`~radiogenomics.models.validate.ValidationSettings`.
    """

    features: Path | None = None
    manifest: Path | None = None
    model: str = "best"
    harmonise: bool = False
    n_boot: int = Field(1000, ge=10)

    @model_validator(mode="after")
    def _one(self) -> ValidationStage:
        if self.features is not None and self.manifest is not None:
            raise SettingsError("validation needs one of 'features' (a table) or 'manifest' (images), not both")
        if self.model != "best" and "__" not in self.model:
            raise SettingsError(f"validation.model: expected 'best' or '<model>__<source>', got {self.model!r}")
        return self

    @property
    def enabled(self) -> bool:
        """Whether an external cohort is given."""
        return self.features is not None or self.manifest is not None


class CnnStage(CnnOptions):
    """The ``cnn`` section (off by default): :class:`~radiogenomics.cnn.CnnOptions` and the network settings.

    ``settings`` holds the CNN settings (sections ``preprocess`` and ``train``, see docs/cnn.md; validated with
    the study file); its training seed defaults to the study's seed.
    """

    enabled: bool = False
    settings: dict[str, Any] = Field(default_factory=dict, description="CNN settings: preprocess and train")

    @field_validator("settings")
    @classmethod
    def _cnn_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        load_cnn_settings(value)  # unknown keys fail with the closest valid name
        return value

    def cnn_settings(self, seed: int) -> CNNSettings:
        """The validated :class:`~radiogenomics.cnn.CNNSettings` (training seed ``seed`` unless set)."""
        s = load_cnn_settings(self.settings)
        if "seed" not in (self.settings.get("train") or {}):
            s = s.replace(train=s.train.replace(seed=seed))
        return s


class ClusterStage(ClusterOptions):
    """The ``cluster`` section: :class:`~radiogenomics.cluster.ClusterOptions` and the embedding's target."""

    enabled: bool = True
    target: str | None = Field(None, description="target of the embedding model (default: the first target)")


class ReportStage(ReportOptions):
    """The ``report`` section: :class:`~radiogenomics.report.ReportOptions`."""

    enabled: bool = True


class StudySettings(_Settings):
    """A whole study (module docstring). Frozen; build with :meth:`from_file` or :meth:`validate_dict`."""

    name: str = "radiogenomics study"
    seed: int = Field(0, ge=0)
    data: DataSettings
    extraction: CohortSettings = Field(default_factory=CohortSettings)
    workers: int | None = Field(None, ge=1, description="local worker processes (default: all CPUs)")
    max_failed_fraction: float = Field(1.0, ge=0, le=1, description="stop after extraction when more cases failed")
    targets: Names
    clinical: Names = ()
    categorical: Names = ()
    stats: StatsStage = Field(default_factory=StatsStage)
    models: ModelStage = Field(default_factory=ModelStage)
    validation: ValidationStage = Field(default_factory=ValidationStage)
    cnn: CnnStage = Field(default_factory=CnnStage)
    cluster: ClusterStage = Field(default_factory=ClusterStage)
    report: ReportStage = Field(default_factory=ReportStage)

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise SettingsError("targets must name at least one binary target column, e.g. [TP53]")
        return value

    @model_validator(mode="after")
    def _stages_valid(self) -> StudySettings:
        """Build every stage's settings now, so that a bad combination fails before any stage runs."""
        if self.cluster.target is not None and self.cluster.target not in self.targets:
            raise UnknownNameError("cluster target", self.cluster.target, self.targets)
        overlap = set(self.targets) & set(self.clinical)
        if overlap:
            raise SettingsError(f"{sorted(overlap)} cannot be both a target and a clinical column")
        for target in self.targets:
            for stage, build in (("stats", self.stats_settings), ("models", self.model_settings),
                                 ("cnn", self.cnn_run_settings)):
                if getattr(self, stage).enabled:
                    build(target)
        if self.cluster.enabled:
            self.cluster_settings()
        self.report_settings()
        return self

    # ------------------------------------------------------------------------------- the data's columns
    def manifest_columns(self) -> tuple[str, ...]:
        """Columns of the study's manifest: the built-in synthetic cohort's, or the header of ``data.manifest``."""
        if self.data.synthetic is not None:
            return MANIFEST_COLUMNS
        return read_manifest(self.data.manifest).columns

    def check_columns(self, columns: Sequence[str] | None = None) -> None:
        """Every column the study names (targets, clinical variables, the statistics' ``by`` and Table 1, the
        clustering's annotations, the report's case type, the CNN's channels) is a column of the manifest.

        Raises
        ------
        UnknownNameError
            A named column is missing (the closest columns are listed, at most 10).
        """
        available = tuple(columns if columns is not None else self.manifest_columns())
        named: list[tuple[str, str]] = [("target column", t) for t in self.targets]
        named += [("clinical column", c) for c in self.clinical]
        named += [("categorical column", c) for c in self.categorical]
        if self.stats.enabled:
            named += [("stats.by column", c) for c in (self.stats.by, self.stats.table1_by) if c]
            named += [("stats.table1_vars column", c) for c in self.stats.table1_vars or ()]
        if self.cluster.enabled:
            named += [("cluster.annotate column", c) for c in self.cluster.annotate or ()]
        if self.report.enabled and self.report.case_type:
            named.append(("report.case_type column", self.report.case_type))
        if self.cnn.enabled:
            named += [("cnn channel column", c) for c in self.cnn.cnn_settings(self.seed).preprocess.channels]
        for kind, name in named:
            if name not in available:
                raise UnknownNameError(f"{kind} in the study file", name, available)

    # ----------------------------------------------------------------------- the stages' own settings
    def _others(self, target: str) -> list[str]:
        return [t for t in self.targets if t != target]

    def stats_settings(self, target: str) -> StatsSettings:
        """The ``stats`` stage's settings for ``target`` (the other targets are ignored)."""
        options = self.stats.model_dump(exclude={"enabled"})
        return StatsSettings.validate_dict({**options, "group": target, "drop": self._others(target)})

    def model_settings(self, target: str) -> ModelSettings:
        """The ``models`` stage's settings for ``target``: the study's clinical columns and seed."""
        options = self.models.model_dump(exclude={"enabled"})
        return ModelSettings.validate_dict({**options, "target": target, "clinical": self.clinical,
                                            "categorical": self.categorical, "seed": self.seed,
                                            "drop": self._others(target)})

    def cnn_run_settings(self, target: str) -> CnnRunSettings:
        """The ``cnn`` stage's settings for ``target`` (training seed: the study's unless set)."""
        options = self.cnn.model_dump(exclude={"enabled", "settings"})
        return CnnRunSettings.validate_dict({**options, "target": target, "cnn": self.cnn.cnn_settings(self.seed),
                                             "drop": self._others(target)})

    def cluster_settings(self) -> ClusterSettings:
        """The ``cluster`` stage's settings: the embedding's target first, then the other targets."""
        first = self.cluster.target or self.targets[0]
        options = self.cluster.model_dump(exclude={"enabled", "target"})
        return ClusterSettings.validate_dict({**options, "targets": [first, *self._others(first)],
                                              "clinical": self.clinical, "seed": self.seed})

    def report_settings(self) -> ReportSettings:
        """The ``report`` stage's settings: its options and what it states about this study."""
        options = self.report.model_dump(exclude={"enabled"})
        sections = {name: getattr(self, name).enabled for name in ("stats", "models", "cnn", "cluster")}
        return ReportSettings.validate_dict({**options, "title": self.name, "targets": self.targets,
                                             "seed": self.seed, "by": self.stats.by, "sections": sections,
                                             "study": self.model_dump(mode="json")})

    # ----------------------------------------------------------------------------------------------
    def stage_settings(self, stage: str) -> dict[str, Any]:
        """The settings a stage's result depends on, as plain JSON data."""
        common = {"seed": self.seed, "targets": list(self.targets), "clinical": list(self.clinical),
                  "categorical": list(self.categorical)}
        parts: dict[str, Any] = {
            "data": {"data": self.data.model_dump(mode="json"), "seed": self.seed},
            "extract": {"extraction": self.extraction.settings_hash(), "masks": dict(self.data.masks),
                        "compare_masks": dict(self.data.compare_masks)},
            "stats": {**common, "stats": self.stats.model_dump(mode="json")},
            "models": {**common, "models": self.models.model_dump(mode="json")},
            "validation": {**common, "validation": self.validation.model_dump(mode="json"),
                           "extraction": self.extraction.settings_hash()},
            "cnn": {**common, "cnn": self.cnn.model_dump(mode="json"), "masks": dict(self.data.masks)},
            "cluster": {**common, "cluster": self.cluster.model_dump(mode="json")},
            "report": {"name": self.name, "report": self.report.model_dump(mode="json")},
        }
        return json.loads(json.dumps(parts[stage]))

    @classmethod
    def validate_dict(cls, data: Mapping[str, Any], base: str | Path | None = None) -> StudySettings:
        """Validate a mapping; relative ``data.manifest`` paths are taken relative to ``base``.

        Pydantic errors become one :class:`SettingsError` listing every problem with its location.
        """
        data = dict(data)
        if base is not None and isinstance(data.get("data"), Mapping) and data["data"].get("manifest"):
            manifest = Path(str(data["data"]["manifest"])).expanduser()
            data["data"] = {**data["data"], "manifest": manifest if manifest.is_absolute() else Path(base) / manifest}
        for key in ("masks", "compare_masks"):
            section = data.get("data")
            if base is not None and isinstance(section, Mapping) and isinstance(section.get(key), Mapping):
                masks = {}
                for column, value in section[key].items():
                    text = str(value)
                    if text.startswith("auto:") and len(text) > len("auto:"):
                        folder = Path(text[len("auto:"):]).expanduser()
                        text = "auto:" + str(folder if folder.is_absolute() else Path(base) / folder)
                    masks[column] = text
                data["data"] = {**section, key: masks}
        section = data.get("validation")
        if base is not None and isinstance(section, Mapping):
            data["validation"] = {**section, **{
                key: (Path(str(section[key])).expanduser() if Path(str(section[key])).expanduser().is_absolute()
                      else Path(base) / Path(str(section[key])).expanduser())
                for key in ("features", "manifest") if section.get(key)}}
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise_settings_error(exc, "study file", locate_inner=True)

    @classmethod
    def from_file(cls, path: str | Path) -> StudySettings:
        """Read and validate a study YAML/JSON file."""
        return cls.validate_dict(read_settings_file(path, "study file"), base=Path(path).parent)
