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
``targets``, ``clinical``
    Binary target columns (e.g. ``TP53``) and clinical covariates used by the models.
``stats``, ``models``, ``cnn``, ``cluster``, ``report``
    :class:`StatsStage`, :class:`ModelStage`, :class:`CnnStage` (off by default), :class:`ClusterStage`,
    :class:`ReportStage`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from radiogenomics.cohort.settings import CohortSettings
from radiogenomics.errors import SettingsError
from radiogenomics.settings import _Settings, raise_settings_error, read_settings_file

__all__ = [
    "ClusterStage",
    "CnnStage",
    "DataSettings",
    "ModelStage",
    "ReportStage",
    "StatsStage",
    "StudySettings",
    "SyntheticData",
]

_MODELS = ("transformer", "lasso", "elasticnet", "logistic", "rf", "hgb")


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

    @model_validator(mode="after")
    def _one(self) -> DataSettings:
        if (self.manifest is None) == (self.synthetic is None):
            raise SettingsError("data needs exactly one of 'manifest' (a file) or 'synthetic' (generated cohort)")
        for column, value in self.masks.items():
            if not column.endswith("_mask") and "_mask_" not in column:
                raise SettingsError(f"data.masks: {column!r} is not a mask column (<roi>_mask or "
                                    "<roi>_mask_<modality>)")
            if not value.startswith("auto:") or len(value) == len("auto:"):
                raise SettingsError(f"data.masks.{column}: expected 'auto:<modeldir>', got {value!r}")
        return self


class StatsStage(_Settings):
    """Group comparisons of every target (:func:`radiogenomics.stats.run.run_stats`)."""

    enabled: bool = True
    by: str | None = Field(None, description="subset column, e.g. cancer_type")
    test: Literal["auto", "t", "welch", "mannwhitney", "anova", "kruskal"] = "auto"
    fdr: float = Field(0.05, gt=0, lt=1)
    fc_threshold: float = Field(0.25, ge=0)
    labels: int = Field(5, ge=0)
    table1_by: str | None = None
    table1_vars: tuple[str, ...] | None = None
    heatmap_top: int = Field(50, ge=0)


class ModelStage(_Settings):
    """Mutation prediction per target under the leakage-safe protocol (:mod:`radiogenomics.models`)."""

    enabled: bool = True
    models: tuple[str, ...] = ("transformer", "lasso")
    sources: tuple[str, ...] | None = None
    protocol: Literal["holdout_cv", "kfold", "nested"] = "holdout_cv"
    folds: int = Field(5, ge=2)
    repeats: int = Field(1, ge=1)
    selector: Literal["none", "univariate", "mrmr", "lasso"] = "univariate"
    k: int = Field(50, ge=1)
    n_boot: int = Field(1000, ge=0)
    transformer: dict[str, Any] = Field(default_factory=dict, description="FeatureTokenTransformer parameters")

    @field_validator("models")
    @classmethod
    def _models(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from radiogenomics.errors import UnknownNameError

        if not value:
            raise SettingsError("models must name at least one model")
        for name in value:
            if name not in _MODELS:
                raise UnknownNameError("model", name, _MODELS)
        return value

    @field_validator("transformer")
    @classmethod
    def _transformer(cls, value: dict[str, Any]) -> dict[str, Any]:
        import inspect

        from radiogenomics.errors import UnknownNameError
        from radiogenomics.models.transformer import FeatureTokenTransformer

        valid = [p for p in inspect.signature(FeatureTokenTransformer).parameters if p != "categorical"]
        for key in value:
            if key not in valid:
                raise UnknownNameError("transformer parameter", key, valid)
        return value


class CnnStage(_Settings):
    """3D CNN classifiers on the images beside radiomics models (:func:`radiogenomics.cnn.run_cnn`); off by default.

    ``settings`` holds the CNN settings (sections ``preprocess`` and ``train``, see docs/cnn.md; validated with
    the study file); its training seed defaults to the study's seed. ``compare`` names the radiomics models
    evaluated on the same cases, splits and seeds (DeLong tests against the CNN); ``protocol``, ``folds``,
    ``test_size`` and ``n_boot`` are those of :class:`~radiogenomics.models.Protocol`.
    """

    enabled: bool = False
    settings: dict[str, Any] = Field(default_factory=dict, description="CNN settings: preprocess and train")
    compare: tuple[str, ...] = ("lasso",)
    protocol: Literal["holdout_cv", "kfold"] = "holdout_cv"
    folds: int = Field(5, ge=2)
    test_size: float = Field(0.2, gt=0, lt=1)
    n_boot: int = Field(1000, ge=0)

    @field_validator("settings")
    @classmethod
    def _cnn_settings(cls, value: dict[str, Any]) -> dict[str, Any]:
        from radiogenomics.cnn.settings import load_cnn_settings

        load_cnn_settings(value)  # unknown keys fail with the closest valid name
        return value

    @field_validator("compare")
    @classmethod
    def _compare(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        from radiogenomics.errors import UnknownNameError

        for name in value:
            if name not in _MODELS:
                raise UnknownNameError("model", name, _MODELS)
        return value

    def cnn_settings(self, seed: int) -> Any:
        """The validated :class:`~radiogenomics.cnn.CNNSettings` (training seed ``seed`` unless set)."""
        from radiogenomics.cnn.settings import load_cnn_settings

        s = load_cnn_settings(self.settings)
        if "seed" not in (self.settings.get("train") or {}):
            s = s.replace(train=s.train.replace(seed=seed))
        return s


class ClusterStage(_Settings):
    """Deep-feature clustering (:func:`radiogenomics.cluster.run_clustering`)."""

    enabled: bool = True
    embedding: Literal["transformer", "features"] = "transformer"
    target: str | None = Field(None, description="target of the embedding model (default: the first target)")
    k_min: int = Field(2, ge=2)
    k_max: int = Field(9, ge=2)
    annotate: tuple[str, ...] = ()
    n_boot: int = Field(50, ge=0)
    transformer: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _range(self) -> ClusterStage:
        if self.k_max < self.k_min:
            raise SettingsError(f"cluster.k_max ({self.k_max}) must be >= k_min ({self.k_min})")
        return self


class ReportStage(_Settings):
    """The HTML report."""

    enabled: bool = True
    overlay_cases: int = Field(2, ge=0, description="PET/CT + mask overlays per case type")
    case_type: str | None = Field(None, description="column grouping the overlay cases, e.g. cancer_type")
    show_case_ids: bool = Field(False, description="print case ids (else row numbers) in the report")


class StudySettings(_Settings):
    """A whole study (module docstring). Frozen; build with :meth:`from_file` or :meth:`validate_dict`."""

    name: str = "radiogenomics study"
    seed: int = Field(0, ge=0)
    data: DataSettings
    extraction: CohortSettings = Field(default_factory=CohortSettings)
    workers: int | None = Field(None, ge=1, description="local worker processes (default: all CPUs)")
    targets: tuple[str, ...]
    clinical: tuple[str, ...] = ()
    stats: StatsStage = Field(default_factory=StatsStage)
    models: ModelStage = Field(default_factory=ModelStage)
    cnn: CnnStage = Field(default_factory=CnnStage)
    cluster: ClusterStage = Field(default_factory=ClusterStage)
    report: ReportStage = Field(default_factory=ReportStage)

    @field_validator("targets", "clinical", mode="before")
    @classmethod
    def _tuple(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise SettingsError("targets must name at least one binary target column, e.g. [TP53]")
        return value

    @model_validator(mode="after")
    def _cluster_target(self) -> StudySettings:
        if self.cluster.target is not None and self.cluster.target not in self.targets:
            from radiogenomics.errors import UnknownNameError

            raise UnknownNameError("cluster target", self.cluster.target, self.targets)
        return self

    # ----------------------------------------------------------------------------------------------
    def stage_settings(self, stage: str) -> dict[str, Any]:
        """The settings a stage's result depends on, as plain JSON data."""
        common = {"seed": self.seed, "targets": list(self.targets), "clinical": list(self.clinical)}
        parts: dict[str, Any] = {
            "data": {"data": self.data.model_dump(mode="json"), "seed": self.seed},
            "extract": {"extraction": self.extraction.settings_hash(), "masks": dict(self.data.masks)},
            "stats": {**common, "stats": self.stats.model_dump(mode="json")},
            "models": {**common, "models": self.models.model_dump(mode="json")},
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
        section = data.get("data")
        if base is not None and isinstance(section, Mapping) and isinstance(section.get("masks"), Mapping):
            masks = {}
            for column, value in data["data"]["masks"].items():
                text = str(value)
                if text.startswith("auto:") and len(text) > len("auto:"):
                    folder = Path(text[len("auto:"):]).expanduser()
                    text = "auto:" + str(folder if folder.is_absolute() else Path(base) / folder)
                masks[column] = text
            data["data"] = {**data["data"], "masks": masks}
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise_settings_error(exc, "study file", locate_inner=True)

    @classmethod
    def from_file(cls, path: str | Path) -> StudySettings:
        """Read and validate a study YAML/JSON file."""
        return cls.validate_dict(read_settings_file(path, "study file"), base=Path(path).parent)
