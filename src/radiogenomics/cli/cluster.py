"""Command ``cluster``: embed patients, cluster them (k by Davies–Bouldin), test and draw the clusters."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from radiogenomics.cli import app, console, err_console, fail, out_folder, split_list
from radiogenomics.cli.tables import failed_beside, read_table
from radiogenomics.errors import RadiogenomicsError

_K_RANGE = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def _split(values: list[str] | None) -> list[str]:
    """Repeatable options that may also hold comma-separated lists."""
    out: list[str] = []
    for v in values or []:
        out += split_list(v)
    return list(dict.fromkeys(out))


def _k_range(text: str) -> range:
    m = _K_RANGE.match(text)
    if m is None:
        raise typer.BadParameter(f"expected a range like 2-9 (or one k), got {text!r}", param_hint="--k")
    lo = int(m.group(1))
    hi = int(m.group(2)) if m.group(2) else lo
    if lo < 2 or hi < lo:
        raise typer.BadParameter(f"need 2 <= from <= to, got {text!r}", param_hint="--k")
    return range(lo, hi + 1)


@app.command()
def cluster(
    features: Annotated[Path, typer.Argument(
        help="Cohort table (.parquet or .csv): case_id, <roi>_<modality>__<feature> columns, clinical and targets.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder.", callback=out_folder)],
    target: Annotated[list[str] | None, typer.Option(
        "--target", "-t", help="Target column(s), repeatable or comma-separated; the first trains the embedding.")]
    = None,
    clinical: Annotated[list[str] | None, typer.Option(
        help="Clinical column(s) tested against the clusters (repeatable or comma-separated).")] = None,
    annotate: Annotated[list[str] | None, typer.Option(
        help="Heatmap annotation column(s) (default: cancer_type when present).")] = None,
    embedding: Annotated[str, typer.Option(help="transformer (out-of-fold deep features) or features (PCA).")]
    = "transformer",
    k: Annotated[str, typer.Option("--k", help="Range of the number of clusters, e.g. 2-9.")] = "2-9",
    linkage: Annotated[str, typer.Option(help="ward, average, complete or single.")] = "ward",
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples of the stability index (0: none).")] = 50,
    d_token: Annotated[int | None, typer.Option(help="Transformer token size (default 32).")] = None,
    max_epochs: Annotated[int | None, typer.Option(help="Transformer maximum epochs (default 100).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of folds, models, bootstrap and t-SNE.")] = 0,
) -> None:
    """Cluster patients on out-of-fold Transformer deep features (or PCA features); write tables and figures."""
    import numpy as np

    from radiogenomics.cluster.stage import ClusterSettings, run

    if features.is_dir():
        raise typer.BadParameter(
            "a folder is not supported: pass the cohort table (the embedding models are re-fitted out of fold, so "
            "that no patient is embedded by a model trained on it)", param_hint="FEATURES")
    ks = _k_range(k)
    t0 = time.perf_counter()
    try:
        params = {key: v for key, v in (("d_token", d_token), ("max_epochs", max_epochs)) if v is not None}
        settings = ClusterSettings.validate_dict(dict(
            targets=_split(target), clinical=_split(clinical), annotate=None if annotate is None else _split(annotate),
            embedding=embedding, k_min=ks.start, k_max=ks.stop - 1, linkage=linkage, n_boot=n_boot,
            transformer=params, seed=seed))
        df = read_table(features)
        with console.status(f"clustering {len(df)} patients ({embedding} embedding)"):
            res = run(settings, df, out, exclude=failed_beside(features))
    except RadiogenomicsError as exc:
        raise fail(exc) from None
    for w in res.warnings:
        err_console.print(f"[yellow]{w}[/]")
    r = res.result
    chosen = r.scores.set_index("k").loc[r.k]
    sizes = ", ".join(str(int(s)) for s in np.bincount(r.labels))
    console.print(f"chosen k = [bold]{r.k}[/] (Davies–Bouldin {chosen['davies_bouldin']:.3f}, silhouette "
                  f"{chosen['silhouette']:.3f}); cluster sizes {sizes}")
    if not res.association.empty:
        table = Table("variable", "test", "n", "statistic", "p", "FDR", "effect",
                      title="clusters vs targets and clinical variables")
        for _, a in res.association.iterrows():
            table.add_row(str(a["variable"]), str(a["test"]), str(a["n"]), f"{a['statistic']:.3g}", f"{a['p']:.3g}",
                          f"{a['p_fdr']:.3g}", f"{a['effect_type']} {a['effect_size']:.2f}")
        console.print(table)
    console.print(f"{len(res.written)} files written to [bold]{out}[/] in {time.perf_counter() - t0:.1f} s")
