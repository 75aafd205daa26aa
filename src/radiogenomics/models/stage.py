"""The modelling stage: its settings and its one entry point, :func:`run` (the ``model`` command and the study).

- :class:`ProtocolOptions` — the evaluation protocol as settings (kind, folds, repeats, hold-out share,
  bootstrap); they are checked by building the :class:`~radiogenomics.models.protocol.Protocol` itself, so the
  rules live in one place and a bad value fails when the settings are built, before any stage runs.
- :class:`ModelOptions` — models (the registry's names), sources, feature selection, Transformer parameters:
  the study file's ``models`` section.
- :class:`ModelSettings` — one run: the options plus target, clinical columns, seed and columns to ignore.

:func:`run` picks the columns (``case_id``, target, clinical columns and the feature columns,
:func:`radiogenomics.table.feature_columns`), evaluates every model × source
(:func:`~radiogenomics.models.outputs.run_models`) and writes the run's files
(:func:`~radiogenomics.models.outputs.write_outputs`) and ``provenance.json``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

import pandas as pd
from pydantic import Field, field_validator, model_validator

from radiogenomics.errors import SettingsError, UnknownNameError
from radiogenomics.models.errors import ModelParameterError
from radiogenomics.models.outputs import run_models, write_outputs
from radiogenomics.models.protocol import PROTOCOLS, EvaluationResult, Protocol
from radiogenomics.models.registry import DEFAULT_MODELS, MODELS
from radiogenomics.models.sources import ID_COLUMNS
from radiogenomics.models.transformer import FeatureTokenTransformer
from radiogenomics.provenance import provenance_record, write_json
from radiogenomics.settings import Names, _Settings
from radiogenomics.table import drop_unusable, dropped_record, feature_columns, stage_input

__all__ = ["ModelOptions", "ModelOutputs", "ModelSettings", "ProtocolOptions", "check_transformer_params",
           "model_names", "model_table", "run"]

logger = logging.getLogger(__name__)

SELECTORS = ("none", "univariate", "mrmr", "lasso")


def model_names(names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` if each is a model of the registry (:data:`~radiogenomics.models.registry.MODELS`)."""
    for name in names:
        if name not in MODELS:
            raise UnknownNameError("model", name, MODELS)
    return names


def check_transformer_params(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` if every key is a :class:`~radiogenomics.models.transformer.FeatureTokenTransformer`
    parameter a user may set (not ``categorical`` or ``random_state``, which a run sets)."""
    valid = [p for p in FeatureTokenTransformer().get_params() if p not in ("categorical", "random_state")]
    for key in params:
        if key not in valid:
            raise UnknownNameError("transformer parameter", key, valid)
    return params


class ProtocolOptions(_Settings):
    """The evaluation protocol (:class:`~radiogenomics.models.protocol.Protocol`) as settings.

    Attributes
    ----------
    protocol
        ``auto`` (default: ``holdout_cv`` when the hold-out would hold at least 10 cases of each class, else
        ``kfold`` repeated at least 3 times, :func:`~radiogenomics.models.protocol.resolve_protocol`),
        ``holdout_cv`` (stratified hold-out + k-fold CV inside training), ``kfold`` or ``nested``.
    folds, repeats
        CV folds and repeats of the whole protocol.
    test_size
        Hold-out share of the patients (``holdout_cv``), in (0, 0.5).
    n_boot
        Bootstrap resamples of the hold-out confidence intervals (>= 10 with a hold-out).
    """

    settings_name: ClassVar[str] = "protocol settings"

    protocol: str = "auto"
    folds: int = Field(5, ge=2)
    repeats: int = Field(1, ge=1)
    test_size: float = 0.1
    n_boot: int = Field(1000, ge=0)

    @model_validator(mode="after")
    def _protocol_valid(self) -> Self:
        try:
            self.make_protocol(0)
        except ModelParameterError as exc:
            raise SettingsError(str(exc)) from None
        return self

    def make_protocol(self, seed: int) -> Protocol:
        """The :class:`~radiogenomics.models.protocol.Protocol` of these settings with base seed ``seed``."""
        if self.protocol not in PROTOCOLS:
            raise UnknownNameError("protocol", self.protocol, PROTOCOLS)
        return Protocol(kind=self.protocol, n_folds=self.folds, repeats=self.repeats, seed=seed,
                        test_size=self.test_size, n_boot=self.n_boot)


class ModelOptions(ProtocolOptions):
    """Models, sources and feature selection of a modelling run (the study file's ``models`` section).

    Attributes
    ----------
    models
        Model names of the registry (:data:`~radiogenomics.models.registry.MODELS`); default
        :data:`~radiogenomics.models.registry.DEFAULT_MODELS`.
    sources
        Feature sources (``tumour_ct``, ``fused``, ``fused+clinical``, ``late`` …; default: every source
        found plus ``fused``; ``clinical`` is added whenever there are clinical columns).
    selector, k
        Feature selection inside the training folds and the number of features it keeps.
    stack_folds
        Inner folds of ``stacked``'s out-of-fold imaging score (the imaging model is fitted ``stack_folds`` + 1 times
        per training set; 3 halves the cost of a slow model such as the Transformer on a laptop).
    transformer
        :class:`~radiogenomics.models.transformer.FeatureTokenTransformer` parameters (e.g. ``d_token``).
    """

    settings_name: ClassVar[str] = "model settings"

    models: Names = DEFAULT_MODELS
    sources: Names | None = None
    selector: Literal["none", "univariate", "mrmr", "lasso"] = "univariate"
    k: int = Field(50, ge=1)
    stack_folds: int = Field(5, ge=2, description="inner folds of the stacked model's out-of-fold imaging score")
    transformer: dict[str, Any] = Field(default_factory=dict, description="FeatureTokenTransformer parameters")

    @field_validator("models")
    @classmethod
    def _models(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise SettingsError("models must name at least one model")
        return model_names(value)

    @field_validator("sources")
    @classmethod
    def _sources(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return value or None

    @field_validator("transformer")
    @classmethod
    def _transformer(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_transformer_params(value)


class ModelSettings(ModelOptions):
    """One modelling run: :class:`ModelOptions`, the target, clinical columns, seed and columns to ignore."""

    target: str
    clinical: Names = ()
    categorical: Names = Field((), description="clinical columns that are categorical (one-hot; Transformer tokens)")
    seed: int = Field(0, ge=0)
    drop: Names = Field((), description="columns to ignore (e.g. other targets)")

    @model_validator(mode="after")
    def _target_apart(self) -> Self:
        if self.target in self.clinical or self.target in self.drop:
            raise SettingsError(f"the target {self.target!r} is also listed in clinical or drop")
        stray = [c for c in self.categorical if c not in self.clinical]
        if stray:
            raise SettingsError(f"categorical column(s) {stray} must also be clinical columns (add them to clinical)")
        return self


@dataclass
class ModelOutputs:
    """What :func:`run` computed and wrote: the evaluation, the run's description and the files."""

    result: EvaluationResult
    meta: dict[str, Any]
    paths: dict[str, Path]
    n_cases: int
    excluded: pd.DataFrame


def model_table(df: pd.DataFrame, settings: ModelSettings) -> pd.DataFrame:
    """The columns a run uses: ``case_id`` (when present), target, clinical columns, feature columns.

    Raises
    ------
    UnknownNameError
        The target or a clinical column is not in the table (the closest names are listed).
    """
    columns = [str(c) for c in df.columns]
    if settings.target not in df.columns:
        raise UnknownNameError("target column", settings.target, columns)
    for name in settings.clinical:
        if name not in df.columns:
            raise UnknownNameError("clinical column", name, columns)
    reserved = [settings.target, *settings.clinical, *settings.drop, *ID_COLUMNS]
    feats = feature_columns(df, None, reserved)
    keep = [c for c in ("case_id",) if c in df.columns] + [settings.target, *settings.clinical, *feats]
    return df[list(dict.fromkeys(keep))]


def run(settings: ModelSettings, table: pd.DataFrame | str | Path, outdir: str | Path, *,
        exclude: Mapping[str, str] | None = None,
        alternates: Mapping[str, pd.DataFrame] | None = None,
        progress: Callable[[int, int, str], None] | None = None) -> ModelOutputs:
    """Evaluate every model × source of ``settings`` on ``table``; write the files to ``outdir``.

    Parameters
    ----------
    settings
        The run.
    table
        Cohort table (one row per case) or the path of one (:func:`radiogenomics.table.read_feature_table`).
    outdir
        Output folder: ``metrics.json``, ``folds.parquet``, ``delong.json``, ``meta.json``, per model × source
        folders (:func:`~radiogenomics.models.outputs.write_outputs`) and ``provenance.json``.
    exclude
        ``{case_id: reason}`` of cases to leave out (e.g. their extraction failed); rows whose every feature is
        missing and rows without a target are left out too (:func:`radiogenomics.table.drop_unusable`); ``meta.json``
        and ``provenance.json`` say which (row numbers) and why.
    alternates
        ``{name: table}``: other features of the same cases (e.g. from automatic masks) that every fold and
        hold-out model also predicts, reported as sources ``<source>@<name>``
        (:func:`~radiogenomics.models.protocol.evaluate`).
    progress
        ``progress(done, total, "model / source")`` after each model × source × repeat.
    """
    started, t0 = datetime.now(UTC), time.perf_counter()
    df, table_input = stage_input(table)
    data = model_table(df, settings)
    features = [c for c in data.columns if c not in ("case_id", settings.target, *settings.clinical)]
    data, dropped = drop_unusable(data, features, target=settings.target, exclude=exclude)
    result, meta = run_models(data, settings.target, clinical=settings.clinical,
                              categorical=settings.categorical, alternates=alternates, models=settings.models,
                              sources=settings.sources, protocol=settings.make_protocol(settings.seed),
                              selector=settings.selector, k=settings.k, seed=settings.seed,
                              transformer_params=settings.transformer or None, stack_folds=settings.stack_folds,
                              progress=progress)
    meta["drop"] = list(settings.drop)
    meta["excluded"] = dropped_record(dropped)
    out = Path(outdir)
    paths = write_outputs(result, out, meta)
    n_cases = int(data[settings.target].notna().sum())
    record = provenance_record(
        "models", settings=settings, seed=settings.seed, started=started, seconds=time.perf_counter() - t0,
        inputs=table_input,
        n_cases=n_cases, n_features=len(features), excluded=meta["excluded"])
    paths["provenance"] = write_json(out / "provenance.json", record)
    return ModelOutputs(result, meta, paths, n_cases, dropped)
