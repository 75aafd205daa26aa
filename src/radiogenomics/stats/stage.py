"""The statistics stage: its settings and its one entry point, :func:`run` (the ``stats`` command and the study).

:class:`StatsOptions` are the options of an analysis (the study file's ``stats`` section);
:class:`StatsSettings` add the grouping column and the columns to ignore. :func:`run` checks the table
against the settings before any work, runs :func:`~radiogenomics.stats.analysis.run_stats` and writes its
tables, figures and ``provenance.json`` (:func:`radiogenomics.provenance.provenance_record`, stage
``stats``): the same settings and table give the same files whoever calls it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
from pydantic import Field, field_validator

from radiogenomics.errors import UnknownNameError
from radiogenomics.provenance import provenance_record, write_json
from radiogenomics.settings import Names, _Settings
from radiogenomics.stats.analysis import StatsOutputs, run_stats
from radiogenomics.stats.errors import StatsError
from radiogenomics.stats.groups import GroupTest
from radiogenomics.table import drop_unusable, dropped_record, feature_columns, stage_input

__all__ = ["StatsOptions", "StatsSettings", "run", "summary"]

logger = logging.getLogger(__name__)


class StatsOptions(_Settings):
    """Options of a group analysis (everything but the grouping column).

    Attributes
    ----------
    by
        Subset column (e.g. ``cancer_type``): one analysis per level and one of the whole cohort.
    test
        ``auto``, ``t``, ``welch``, ``mannwhitney``, ``anova`` or ``kruskal`` (aliases such as ``ttest``
        accepted, :class:`~radiogenomics.stats.groups.GroupTest`).
    fdr, fc_threshold, labels
        FDR level (Benjamini–Hochberg), volcano |log2FC| threshold, labelled features per volcano panel.
    table1_by, table1_vars
        Grouping column of Table 1 (default: ``by``, else the group) and its variables (default: every
        non-feature column).
    heatmap_top
        Correlation heatmap of at most N features significant at ``fdr`` (0: none; not drawn with fewer than two).
    features
        Regular expression selecting the feature columns (default: :func:`radiogenomics.table.feature_columns`).
    """

    settings_name: ClassVar[str] = "statistics settings"

    by: str | None = Field(None, description="subset column, e.g. cancer_type")
    test: str = "auto"
    fdr: float = Field(0.05, gt=0, lt=1)
    fc_threshold: float = Field(0.25, ge=0)
    labels: int = Field(5, ge=0)
    table1_by: str | None = None
    table1_vars: Names | None = None
    heatmap_top: int = Field(30, ge=0)
    features: str | None = Field(None, description="regular expression selecting the feature columns")

    @field_validator("test")
    @classmethod
    def _test(cls, value: str) -> str:
        return GroupTest.parse(value).value


class StatsSettings(StatsOptions):
    """One analysis: :class:`StatsOptions`, the grouping column, its reference level, columns to ignore."""

    group: str
    reference: str | None = Field(None, description="reference level of group (log2FC = other / reference)")
    drop: Names = Field((), description="columns to ignore (e.g. other targets)")


def _check_columns(df: pd.DataFrame, settings: StatsSettings) -> None:
    columns = [str(c) for c in df.columns]
    for what, name in (("group column", settings.group), ("by column", settings.by),
                       ("Table 1 grouping column", settings.table1_by)):
        if name is not None and name not in df.columns:
            raise UnknownNameError(what, name, columns)
    for name in settings.table1_vars or ():
        if name not in df.columns:
            raise UnknownNameError("Table 1 variable", name, columns)


def _levels(df: pd.DataFrame, group: str, reference: str | None) -> list[Any] | None:
    if reference is None:
        return None
    values = list(df[group].dropna().unique())
    ref = [v for v in values if str(v) == reference]
    if not ref:
        shown = sorted({str(v) for v in values})
        raise StatsError(f"{reference!r} is not a level of {group!r} (levels: {', '.join(shown[:20])}"
                         f"{', …' if len(shown) > 20 else ''})")
    return [ref[0], *sorted((v for v in values if v != ref[0]), key=str)]


def run(settings: StatsSettings, table: pd.DataFrame | str | Path, outdir: str | Path, *,
        exclude: Mapping[str, str] | None = None) -> StatsOutputs:
    """Run the group analysis of ``settings.group`` on ``table`` and write everything to ``outdir``.

    Parameters
    ----------
    settings
        The analysis.
    table
        Cohort table (one row per case) or the path of one (:func:`radiogenomics.table.read_feature_table`).
    outdir
        Output folder (created): the files of :func:`~radiogenomics.stats.analysis.run_stats`,
        ``warnings.json`` (analyses left out, with the reason) and ``provenance.json`` (with the cases left out).
    exclude
        ``{case_id: reason}`` of cases to leave out (e.g. their extraction failed); rows whose every feature is
        missing and rows without a group are left out too (:func:`radiogenomics.table.drop_unusable`).

    Raises
    ------
    UnknownNameError
        A column named in the settings is not in the table (the closest names are listed).
    StatsError
        No feature column, or the analysis fails.
    """
    started, t0 = datetime.now(UTC), time.perf_counter()
    df, table_input = stage_input(table)
    df = df.drop(columns=[c for c in settings.drop if c in df.columns and c != settings.group])
    _check_columns(df, settings)
    reserved = [settings.group, *([settings.by] if settings.by else [])]
    names = feature_columns(df, settings.features, reserved)
    if not names:
        raise StatsError("no numeric feature column found" + (f" matching {settings.features!r}"
                                                                if settings.features else ""))
    df, dropped = drop_unusable(df, names, target=settings.group, exclude=exclude)
    out = Path(outdir)
    result = run_stats(df, settings.group, out, by=settings.by, features=names, test=settings.test,
                       levels=_levels(df, settings.group, settings.reference), fc_threshold=settings.fc_threshold,
                       fdr=settings.fdr, labels=settings.labels, table1_by=settings.table1_by,
                       table1_vars=settings.table1_vars, heatmap_top=settings.heatmap_top)
    record = provenance_record(
        "stats", settings=settings, seed=None, started=started, seconds=time.perf_counter() - t0,
        inputs=table_input,
        n_cases=len(df), excluded=dropped_record(dropped), n_features=len(names),
        skipped_subsets=result.results.attrs.get("skipped", {}), warnings=result.warnings,
        outputs=sorted(str(p.relative_to(out)) for p in result.written))
    result.excluded = dropped
    result.written.append(write_json(out / "warnings.json", result.warnings))
    result.written.append(write_json(out / "provenance.json", record))
    return result


def summary(result: StatsOutputs) -> pd.DataFrame:
    """Features tested and significant per subset × ROI × modality (``subset, roi, modality, tested,
    significant``)."""
    res = result.results
    out = res.groupby(["subset", "roi", "modality"], sort=False).agg(
        tested=("status", lambda s: int((s == "tested").sum())), significant=("significant", "sum"))
    return out.reset_index()
