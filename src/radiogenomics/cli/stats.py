"""Command ``stats``: group comparisons, volcano grid, Table 1 and a correlation heatmap of a feature table."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from radiogenomics.cli import app, console, err_console, fail, out_folder, split_list
from radiogenomics.cli.tables import failed_beside, read_table
from radiogenomics.errors import RadiogenomicsError


@app.command()
def stats(
    features: Annotated[Path, typer.Argument(help="Feature table (.parquet or .csv): one row per case.")],
    group: Annotated[str, typer.Option("--group", "-g", help="Grouping column, e.g. TP53.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.", callback=out_folder)],
    by: Annotated[
        str | None, typer.Option("--by", help="Subset column, e.g. cancer_type: one analysis per level + all.")
    ] = None,
    test: Annotated[str, typer.Option(help="auto, t, welch, mannwhitney, anova or kruskal.")] = "auto",
    reference: Annotated[
        str | None, typer.Option(help="Reference level of --group (log2FC = other / reference).")
    ] = None,
    feature_pattern: Annotated[
        str | None, typer.Option("--features", help="Regex selecting feature columns (default: detected).")
    ] = None,
    fc_threshold: Annotated[float, typer.Option(help="|log2FC| threshold of the volcano plots.")] = 0.25,
    fdr: Annotated[float, typer.Option(help="FDR threshold (Benjamini-Hochberg).")] = 0.05,
    labels: Annotated[int, typer.Option(help="Labelled features per volcano panel.")] = 5,
    table1_by: Annotated[
        str | None, typer.Option("--table1-by", help="Grouping column of Table 1 (default: --by, else --group).")
    ] = None,
    table1_vars: Annotated[
        str | None, typer.Option("--table1-vars", help="Comma-separated Table 1 variables (default: clinical).")
    ] = None,
    heatmap_top: Annotated[
        int, typer.Option(help="Correlation heatmap of at most N features significant at --fdr (0: none).")
    ] = 30,
    drop: Annotated[str | None, typer.Option(help="Comma-separated columns to ignore (e.g. other targets).")]
    = None,
) -> None:
    """Compare features between groups: tables (Parquet + CSV), volcano grid, Table 1 and a heatmap."""
    from radiogenomics.stats import stage

    t0 = time.perf_counter()
    try:
        settings = stage.StatsSettings.validate_dict(dict(
            group=group, by=by, test=test, reference=reference, features=feature_pattern, fc_threshold=fc_threshold,
            fdr=fdr, labels=labels, table1_by=table1_by, table1_vars=split_list(table1_vars) or None,
            heatmap_top=heatmap_top, drop=split_list(drop)))
        df = read_table(features)
        with console.status(f"comparing the features between the levels of {group!r}"):
            result = stage.run(settings, df, out, exclude=failed_beside(features))
    except RadiogenomicsError as exc:
        raise fail(exc) from None
    for w in result.warnings:
        err_console.print(f"[yellow]{w}[/]")
    seconds = time.perf_counter() - t0
    table = Table("subset", "roi", "modality", "tested", f"FDR < {fdr:g}",
                  title=f"{len(result.features)} features, {len(df)} cases, {seconds:.1f} s")
    for row in stage.summary(result).itertuples(index=False):
        table.add_row(str(row.subset), str(row.roi) or "-", str(row.modality) or "-", str(row.tested),
                      str(row.significant))
    console.print(table)
    console.print(f"{len(result.written)} files written to [bold]{out}[/]")
