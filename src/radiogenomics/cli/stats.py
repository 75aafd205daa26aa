"""Command ``stats``: group comparisons, volcano grid, Table 1 and a correlation heatmap of a feature table."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from radiogenomics import __version__
from radiogenomics.cli import app, console, err_console, fail, split_list
from radiogenomics.cli.tables import read_table
from radiogenomics.errors import RadiogenomicsError
from radiogenomics.provenance import checksum

if TYPE_CHECKING:
    import pandas as pd

def _level(df: pd.DataFrame, column: str, text: str) -> Any:
    values = [v for v in df[column].dropna().unique() if str(v) == text]
    if not values:
        shown = sorted({str(v) for v in df[column].dropna().unique()})
        raise typer.BadParameter(f"{text!r} is not a level of {column!r} (levels: {', '.join(shown)})",
                                 param_hint="--reference")
    return values[0]


@app.command()
def stats(
    features: Annotated[Path, typer.Argument(help="Feature table (.parquet or .csv): one row per case.")],
    group: Annotated[str, typer.Option("--group", "-g", help="Grouping column, e.g. TP53.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.")],
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
        int, typer.Option(help="Correlation heatmap of the N most significant features (0: none).")
    ] = 50,
) -> None:
    """Compare features between groups: tables (Parquet + CSV), volcano grid, Table 1 and a heatmap."""
    from radiogenomics.stats.run import feature_columns, run_stats

    t0 = time.perf_counter()
    try:
        df = read_table(features)
        for col, hint in ((group, "--group"), (by, "--by"), (table1_by, "--table1-by")):
            if col is not None and col not in df.columns:
                from radiogenomics.errors import suggest

                raise typer.BadParameter(f"no column {col!r}.{suggest(col, map(str, df.columns))}", param_hint=hint)
        reserved = [group, *([by] if by else [])]
        names = feature_columns(df, feature_pattern, reserved)
        if not names:
            raise typer.BadParameter("no numeric feature column found", param_hint="--features")
        levels = None
        if reference is not None:
            ref = _level(df, group, reference)
            others = [v for v in df[group].dropna().unique() if v != ref]
            levels = [ref, *sorted(others, key=str)]
        t1_group = table1_by or by or group
        t1_vars = split_list(table1_vars) if table1_vars else None
        with console.status(f"comparing {len(names)} features between the levels of {group!r}"):
            result = run_stats(df, group, out, by=by, features=names, test=test, levels=levels,
                               fc_threshold=fc_threshold, fdr=fdr, labels=labels, table1_by=t1_group,
                               table1_vars=t1_vars, heatmap_top=heatmap_top)
        for w in result.warnings:
            err_console.print(f"[yellow]{w}[/]")
        res, written = result.results, result.written
    except RadiogenomicsError as exc:
        raise fail(exc) from None
    seconds = time.perf_counter() - t0

    provenance = {
        "command": "stats",
        "version": __version__,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "input": {"path": str(features), "sha256": checksum(features), "rows": len(df)},
        "settings": {"group": group, "by": by, "test": test, "reference": reference, "features": feature_pattern,
                     "fc_threshold": fc_threshold, "fdr": fdr, "labels": labels, "table1_by": t1_group,
                     "heatmap_top": heatmap_top},
        "n_features": len(names),
        "skipped_subsets": res.attrs.get("skipped", {}),
        "outputs": sorted(str(p.relative_to(out)) for p in written),
        "seconds": round(seconds, 3),
    }
    (out / "stats_provenance.json").write_text(json.dumps(provenance, indent=1) + "\n")

    summary = res.groupby(["subset", "roi", "modality"], sort=False).agg(
        tested=("status", lambda s: int((s == "tested").sum())), significant=("significant", "sum")
    )
    table = Table("subset", "roi", "modality", "tested", f"FDR < {fdr:g}",
                  title=f"{len(names)} features, {len(df)} cases, {seconds:.1f} s")
    for (subset, roi, modality), row in summary.iterrows():
        table.add_row(str(subset), str(roi) or "-", str(modality) or "-", str(row["tested"]), str(row["significant"]))
    console.print(table)
    console.print(f"{len(written) + 1} files written to [bold]{out}[/]")
