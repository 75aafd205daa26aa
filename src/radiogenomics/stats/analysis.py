"""One statistics analysis of a cohort table, written to a folder (the ``stats`` command and study stage).

:func:`run_stats` compares every feature between the levels of a grouping column (in the whole cohort
and in each subset of ``by``, FDR per ROI × modality panel), draws the volcano grid, one whole-cohort
volcano and a correlation heatmap of the most significant features, and writes Table 1 and the
association of the group with ``by``. Files written under ``outdir``:

``compare_groups.parquet|csv``
    :func:`~radiogenomics.stats.compare_groups_by` output.
``table1.parquet|csv|html|md``, ``association.parquet|csv``
    :func:`~radiogenomics.stats.table1` of ``table1_vars`` by ``table1_by``, and
    :func:`~radiogenomics.stats.categorical_association` of ``group`` with ``by``.
``figures/volcano_grid.png|svg``, ``figures/volcano_all.png|svg``, ``figures/correlation_heatmap.png|svg``
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from radiogenomics.errors import RadiogenomicsError
from radiogenomics.plotting import save_figure
from radiogenomics.stats.categorical import categorical_association
from radiogenomics.stats.errors import StatsError
from radiogenomics.stats.fdr import fdr_bh
from radiogenomics.stats.groups import compare_groups_by
from radiogenomics.stats.heatmap import correlation_heatmap
from radiogenomics.stats.table1 import table1, write_table1
from radiogenomics.stats.volcano import volcano, volcano_grid
from radiogenomics.table import feature_columns

__all__ = ["StatsOutputs", "run_stats"]

logger = logging.getLogger(__name__)

@dataclass
class StatsOutputs:
    """What :func:`run_stats` computed and wrote.

    Attributes
    ----------
    results : :func:`~radiogenomics.stats.compare_groups_by` table.
    table1 : Table 1 (``None`` when it could not be made; see ``warnings``).
    association : association of ``group`` with ``by`` (``None`` without ``by``).
    features : the feature columns analysed.
    figures : figure name → PNG path.
    written : every file written.
    warnings : analyses left out, with the reason.
    excluded : cases the stage left out (:func:`radiogenomics.table.drop_unusable`), when run as a stage.
    """

    results: pd.DataFrame
    table1: pd.DataFrame | None
    association: pd.DataFrame | None
    features: list[str]
    figures: dict[str, Path] = field(default_factory=dict)
    written: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    excluded: pd.DataFrame | None = None


def _write(df: pd.DataFrame, stem: Path) -> list[Path]:
    stem.parent.mkdir(parents=True, exist_ok=True)
    df.to_parquet(stem.with_suffix(".parquet"), index=False)
    df.to_csv(stem.with_suffix(".csv"), index=False)
    return [stem.with_suffix(".parquet"), stem.with_suffix(".csv")]


def run_stats(
    df: pd.DataFrame,
    group: str,
    outdir: str | Path,
    *,
    by: str | None = None,
    features: Sequence[str] | None = None,
    test: str = "auto",
    levels: Sequence[Any] | None = None,
    fc_threshold: float = 0.25,
    fdr: float = 0.05,
    labels: int = 5,
    table1_by: str | None = None,
    table1_vars: Sequence[str] | None = None,
    heatmap_top: int = 50,
) -> StatsOutputs:
    """Run the group analysis of ``group`` on ``df`` and write its tables and figures to ``outdir``.

    Parameters
    ----------
    df : one row per case: feature columns, ``group``, ``by`` and clinical columns.
    group : grouping column (e.g. ``"TP53"``).
    outdir : output folder (created).
    by : subset column (e.g. ``"cancer_type"``): one analysis per level and one of the whole cohort.
    features : feature columns (default: :func:`radiogenomics.table.feature_columns`).
    test, levels : as :func:`~radiogenomics.stats.compare_groups`.
    fc_threshold, fdr, labels : volcano thresholds (|log2FC|, Benjamini–Hochberg) and labels per panel.
    table1_by : grouping column of Table 1 (default ``by``, else ``group``).
    table1_vars : Table 1 variables (default: every non-feature column).
    heatmap_top : correlation heatmap of at most N features significant at ``fdr`` (0: none; not drawn with fewer
        than two), the most significant first; its size grows with the number of features.

    Raises
    ------
    StatsError
        No feature column, or the feature analysis itself fails. Table 1 and the association are
        optional: their failure is recorded in :attr:`StatsOutputs.warnings`.
    """
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    reserved = [group, *([by] if by else [])]
    names = list(features) if features is not None else feature_columns(df, None, reserved)
    if not names:
        raise StatsError("no numeric feature column found")
    res = compare_groups_by(df, names, group, by, test, on_error="skip", levels=levels, alpha=fdr)
    warnings = [f"subset {s!r} skipped: {why}" for s, why in res.attrs.get("skipped", {}).items()]
    written = _write(res, out / "compare_groups")
    figures: dict[str, Path] = {}

    facets = [c for c in ("roi", "modality", "subset") if res[c].nunique() > 1] or ["subset"]
    fig_dir = out / "figures"
    fig = volcano_grid(res, facets, fc_threshold=fc_threshold, fdr_threshold=fdr, n_labels=labels)
    paths = save_figure(fig, fig_dir / "volcano_grid")
    written += paths
    figures["volcano_grid"] = paths[0]
    whole = res[res["subset"] == "all"] if (res["subset"] == "all").any() else res
    # one panel over all features of the whole cohort (FDR re-computed over all of them)
    whole = whole.assign(p_fdr=fdr_bh(whole["p"].to_numpy(dtype=np.float64)))
    fig = volcano(whole, fc_threshold=fc_threshold, fdr_threshold=fdr, n_labels=2 * labels,
                  title=f"{group}: all features")
    paths = save_figure(fig, fig_dir / "volcano_all")
    written += paths
    figures["volcano_all"] = paths[0]

    t1_group = table1_by or by or group
    t1_vars = list(table1_vars) if table1_vars else [c for c in df.columns
                                                     if c not in set(names) and c not in ("case_id", t1_group)]
    t1 = assoc = None
    try:
        if t1_vars:
            t1 = table1(df, t1_group, t1_vars)
            written += _write(t1, out / "table1")
            written += write_table1(t1, out / "table1", formats=("html", "md"))
    except RadiogenomicsError as exc:  # the feature analysis above stands on its own
        warnings.append(f"Table 1 not written: {exc}")
    try:
        if by is not None:
            assoc = categorical_association(df, group, [by])
            written += _write(assoc, out / "association")
    except RadiogenomicsError as exc:
        warnings.append(f"association of {group!r} with {by!r} not written: {exc}")

    if heatmap_top > 0:
        # the features significant at the FDR level, most significant first: a heatmap of non-significant
        # features says nothing, and more than a few dozen names cannot be read
        tested = whole[(whole["status"] == "tested") & (whole["p_fdr"] < fdr)].sort_values("p")
        top = list(dict.fromkeys(tested["feature"].astype(str)))[:heatmap_top]
        if len(top) >= 2:
            side = float(np.clip(3.0 + 0.17 * len(top), 5.0, 12.0))
            fig = correlation_heatmap(df, top, "spearman", size=(side + 1.0, side), max_labels=40,
                                      title=f"{len(top)} most significant features (FDR < {fdr:g}), Spearman r")
            paths = save_figure(fig, fig_dir / "correlation_heatmap")
            written += paths
            figures["correlation_heatmap"] = paths[0]
        else:
            warnings.append(f"correlation heatmap not drawn: {len(top)} feature(s) significant at FDR < {fdr:g} "
                            "(it needs two)")
    for w in warnings:
        logger.warning(w)
    return StatsOutputs(res, t1, assoc, names, figures, written, warnings)
