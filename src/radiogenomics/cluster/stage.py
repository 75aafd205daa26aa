"""The clustering stage: its settings and its one entry point, :func:`run` (the ``cluster`` command and the study).

:class:`ClusterOptions` are the study file's ``cluster`` section; :class:`ClusterSettings` add the targets
(the first trains the Transformer embedding), clinical columns and seed. :func:`run` runs
:func:`~radiogenomics.cluster.analysis.run_clustering` and writes ``provenance.json`` beside its files.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal, Self

import pandas as pd
from pydantic import Field, field_validator, model_validator

from radiogenomics.cluster.analysis import ClusterOutputs, run_clustering
from radiogenomics.cluster.cluster import LINKAGES
from radiogenomics.errors import SettingsError, UnknownNameError
from radiogenomics.models.stage import check_transformer_params
from radiogenomics.provenance import provenance_record, write_json
from radiogenomics.settings import Names, _Settings
from radiogenomics.table import drop_unusable, dropped_record, feature_columns, stage_input

__all__ = ["ClusterOptions", "ClusterSettings", "run"]

#: The annotation used when none is given, when the table has it.
DEFAULT_ANNOTATION = "cancer_type"


class ClusterOptions(_Settings):
    """Options of a clustering analysis.

    Attributes
    ----------
    embedding
        ``transformer`` (out-of-fold deep features of a Transformer trained on the first target) or
        ``features`` (scaled radiomic features + PCA).
    k_min, k_max
        Range of the number of clusters (k chosen by the smallest Davies–Bouldin index).
    linkage
        Agglomeration method: ``ward``, ``average``, ``complete`` or ``single``.
    annotate
        Heatmap annotation columns, also tested against the clusters (``None``: ``cancer_type`` when the
        table has it and it is neither a target nor a clinical column).
    n_boot
        Bootstrap resamples of the stability index (0: not computed).
    transformer
        :class:`~radiogenomics.models.transformer.FeatureTokenTransformer` parameters of the embedding.
    """

    settings_name: ClassVar[str] = "clustering settings"

    embedding: Literal["transformer", "features"] = "transformer"
    k_min: int = Field(2, ge=2)
    k_max: int = Field(9, ge=2)
    linkage: str = "ward"
    annotate: Names | None = None
    n_boot: int = Field(50, ge=0)
    transformer: dict[str, Any] = Field(default_factory=dict)

    @field_validator("linkage")
    @classmethod
    def _linkage(cls, value: str) -> str:
        if value not in LINKAGES:
            raise UnknownNameError("linkage", value, LINKAGES)
        return value

    @field_validator("transformer")
    @classmethod
    def _transformer(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_transformer_params(value)

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.k_max < self.k_min:
            raise SettingsError(f"k_max ({self.k_max}) must be >= k_min ({self.k_min})")
        return self


class ClusterSettings(ClusterOptions):
    """One clustering analysis: :class:`ClusterOptions`, the targets, clinical columns and seed."""

    targets: Names = ()
    clinical: Names = ()
    seed: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _needs_target(self) -> Self:
        if self.embedding == "transformer" and not self.targets:
            raise SettingsError("the transformer embedding needs a target (targets=[...]); or use "
                                "embedding='features'")
        return self


def annotation(settings: ClusterSettings, columns: pd.Index) -> list[str]:
    """The annotation columns of a run on a table with ``columns`` (:attr:`ClusterOptions.annotate`)."""
    if settings.annotate is not None:
        return list(settings.annotate)
    used = {*settings.targets, *settings.clinical}
    return [DEFAULT_ANNOTATION] if DEFAULT_ANNOTATION in columns and DEFAULT_ANNOTATION not in used else []


def run(settings: ClusterSettings, table: pd.DataFrame | str | Path, outdir: str | Path, *,
        exclude: Mapping[str, str] | None = None) -> ClusterOutputs:
    """Cluster the patients of ``table`` as ``settings`` say; write the files and ``provenance.json`` to ``outdir``.

    ``exclude`` (``{case_id: reason}``, e.g. failed extractions) and rows whose every feature is missing are left
    out (:func:`radiogenomics.table.drop_unusable`; patients without a target are kept: they are embedded and
    clustered, only the association tests leave them out); ``provenance.json`` says which and why.

    Raises
    ------
    UnknownNameError
        A target, clinical or annotation column is not in the table.
    ClusterError
        No feature column, too few patients, or the analysis fails.
    """
    started, t0 = datetime.now(UTC), time.perf_counter()
    df, table_input = stage_input(table)
    reserved = [*settings.targets, *settings.clinical, *annotation(settings, df.columns)]
    df, dropped = drop_unusable(df, feature_columns(df, None, reserved), exclude=exclude)
    out = Path(outdir)
    result = run_clustering(df, out, targets=settings.targets, clinical=settings.clinical,
                            annotate=annotation(settings, df.columns), embedding=settings.embedding,
                            k_range=range(settings.k_min, settings.k_max + 1), seed=settings.seed,
                            transformer_params=settings.transformer or None, n_boot=settings.n_boot,
                            linkage=settings.linkage)
    record = provenance_record(
        "cluster", settings=settings, seed=settings.seed, started=started, seconds=time.perf_counter() - t0,
        inputs=table_input,
        n_cases=len(df), excluded=dropped_record(dropped), k=result.result.k, warnings=result.warnings)
    result.written.append(write_json(out / "provenance.json", record))
    return result
