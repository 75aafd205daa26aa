"""Command group ``cohort``: ``radiogenomics cohort extract MANIFEST -o OUTDIR``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from radiogenomics.cli import app, console, err_console, fail, interrupted, out_folder
from radiogenomics.errors import RadiogenomicsError

if TYPE_CHECKING:
    from radiogenomics.cohort import CohortResult, CohortSettings, Executor
    from radiogenomics.io.manifest import Manifest

cohort_app = typer.Typer(
    name="cohort", help="Cohort extraction: manifest → feature table (cached, resumable, parallel).",
    no_args_is_help=True,
)
app.add_typer(cohort_app, name="cohort")


def _settings(settings_file: Path | None, preset_tumour: str | None, preset_bat: str | None, strict: bool,
              nonuniform: str | None = None) -> CohortSettings:
    """The run's settings: the file's (or the defaults), with the command-line options on top."""
    from radiogenomics.cohort import CohortSettings

    try:
        settings = CohortSettings.from_file(settings_file) if settings_file else CohortSettings()
        extraction = dict(settings.extraction)
        if preset_tumour is not None:
            extraction["tumour"] = preset_tumour
        if preset_bat is not None:
            extraction["bat"] = preset_bat
        changes: dict[str, object] = {"extraction": extraction}
        if strict:
            changes["strict"] = True
        if nonuniform is not None:
            changes["nonuniform"] = nonuniform
        return settings.replace(**changes)
    except RadiogenomicsError as exc:
        raise fail(exc) from None


def _auto_masks(manifest: Path, outdir: Path, masks: list[str] | None) -> Path | Manifest:
    """The manifest with ``auto:<modeldir>`` masks (``--mask`` options or cells) replaced by predicted masks."""
    from radiogenomics.cohort import read_manifest

    overrides = {}
    for item in masks or []:
        column, sep, value = item.partition("=")
        if not sep or not value.startswith("auto:"):
            raise typer.BadParameter(f"expected COLUMN=auto:MODELDIR, got {item!r}", param_hint="--mask")
        overrides[column.strip()] = value.strip()
    try:
        m = read_manifest(manifest)
        if not overrides and not any(str(v).startswith("auto:") for c in m.table.columns for v in m.table[c]):
            return manifest
        from radiogenomics.segment.registry import resolve_auto_masks

        with err_console.status("predicting auto masks"):
            resolved, status = resolve_auto_masks(m, outdir / "auto_masks", overrides)
    except RadiogenomicsError as exc:
        raise fail(exc) from None
    failed = status[status["status"] == "failed"]
    err_console.print(f"auto masks: {len(status) - len(failed)} ready, {len(failed)} failed "
                      f"(status.csv in {outdir / 'auto_masks'})")
    return resolved


def _run(manifest: Path | Manifest, outdir: Path, settings: CohortSettings, executor: Executor) -> CohortResult:
    """List the manifest's problems, then run the cohort with a progress bar."""
    from radiogenomics.cohort import read_manifest, run_cohort, validate_manifest

    try:  # every manifest problem, before any work starts (run_cohort checks again and stops on fatal ones)
        problems = validate_manifest(manifest if not isinstance(manifest, Path) else read_manifest(manifest),
                                     settings)
    except RadiogenomicsError as exc:
        raise fail(exc) from None
    if problems and not any(p.case_id is None and p.kind != "empty_id" for p in problems) and not settings.strict:
        err_console.print(f"[yellow]{len(problems)} manifest problem(s)[/]: the results that need these inputs fail, "
                          "the others are extracted")
        for p in problems:
            err_console.print(f"  {p}")
    columns = (
        TextColumn("[bold]cohort[/] {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, console=err_console, transient=True) as bar:
            task = bar.add_task("jobs", total=None)

            def progress(done: int, total: int, case_id: str) -> None:
                bar.update(task, completed=done, total=total, description=case_id)

            return run_cohort(manifest, outdir, settings, executor=executor, progress=progress)
    except KeyboardInterrupt:
        raise interrupted("finished results are cached") from None
    except (RadiogenomicsError, OSError, ValueError) as exc:
        raise fail(exc) from None


@cohort_app.command("extract")
def extract_cohort(
    manifest: Annotated[Path, typer.Argument(help="Manifest (.csv or .yaml): case_id, ct, pet, *_mask, clinical.")],
    outdir: Annotated[Path, typer.Option("-o", "--out", help="Output folder (features, failures, cache).",
                                         callback=out_folder)],
    workers: Annotated[
        int | None, typer.Option("--workers", min=1, help="Local worker processes (default: all CPUs; 1: serial).")
    ] = None,
    dask_scheduler: Annotated[
        str | None, typer.Option("--dask-scheduler", help="Run on a Dask cluster: scheduler address tcp://HOST:PORT.")
    ] = None,
    dask_local: Annotated[
        int | None, typer.Option("--dask-local", min=1, help="Start a local Dask cluster with N workers.")
    ] = None,
    preset_tumour: Annotated[
        str | None, typer.Option("--preset-tumour", help="Preset or params file of the tumour ROI (default: paper).")
    ] = None,
    preset_bat: Annotated[
        str | None, typer.Option("--preset-bat", help="Preset or params file of the BAT ROI (default: bat).")
    ] = None,
    settings_file: Annotated[
        Path | None, typer.Option("--settings", help="Cohort settings file (YAML/JSON); options above override it.")
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop on any manifest problem.")] = False,
    mask: Annotated[
        list[str] | None, typer.Option("--mask", help="COLUMN=auto:MODELDIR: predict that mask column with a "
                                                      "'segment train' model (repeatable).")
    ] = None,
    nonuniform: Annotated[
        str | None, typer.Option(help="DICOM series with uneven slice spacing (a missing slice): error (default) "
                                      "or resample onto a uniform grid.")
    ] = None,
    max_failed_fraction: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Exit with status 4 when more than this fraction of the cases "
                                                   "failed (every case failed: status 3).")
    ] = 1.0,
) -> None:
    """Extract tumour and BAT features from CT and PET of every case of a manifest.

    Mask cells (or --mask columns) of the form auto:MODELDIR are first predicted by that segmentation model
    (OUTDIR/auto_masks, reused on re-runs).

    Writes OUTDIR/features.parquet and features.csv (one row per case), status.csv, failures.csv,
    provenance.json and masks/ (the mask of every result). Finished results are cached in OUTDIR/cache: run the
    same command again to resume. Exit status 3 when every case failed, 4 when more than --max-failed-fraction.
    """
    from radiogenomics.cohort.executors import make_executor

    if dask_scheduler is not None and dask_local is not None:
        raise typer.BadParameter("give --dask-scheduler or --dask-local, not both", param_hint="--dask-local")
    t0 = time.perf_counter()
    try:  # workers start first: they load the extraction code while this process reads settings and manifest
        with console.status("starting workers"):
            executor = make_executor(workers, dask_scheduler, dask_local)
            executor.start()
    except (OSError, ValueError) as exc:
        raise fail(exc) from None
    with executor:
        settings = _settings(settings_file, preset_tumour, preset_bat, strict, nonuniform)
        result = _run(_auto_masks(manifest, outdir, mask), outdir, settings, executor)
    seconds = time.perf_counter() - t0

    status = result.status
    how = result.provenance["executor"]["executor"]
    table = Table(title=f"{len(result.features)} cases in {seconds:.1f} s ({how}, {len(result.cache_hits)} results "
                        f"cached, {len(result.computed)} computed)")
    table.add_column("roi")
    table.add_column("modality")
    for name in ("ok", "empty", "too_small", "failed"):
        table.add_column(name, justify="right")
    for (roi, modality), group in status.groupby(["roi", "modality"], sort=False):
        counts = group["status"].value_counts()
        table.add_row(roi, modality, *(str(int(counts.get(n, 0))) for n in ("ok", "empty", "too_small", "failed")))
    console.print(table)
    if len(result.failures):
        err_console.print(f"[yellow]{len(result.failures)} failure(s)[/] (first ones below; all in failures.csv):")
        for row in result.failures.head(10).itertuples(index=False):
            where = f" {row.roi}/{row.modality}" if row.roi else ""
            err_console.print(f"  {row.case_id} [{row.stage}{where}] {row.error_type}: {row.message}")
    n_failed = result.failed_cases
    colour = "green" if n_failed == 0 else "yellow"
    err_console.print(f"[{colour}]{n_failed} of {len(result.features)} case(s) failed[/] (cases with a failed result "
                      "are left out of every analysis)")
    console.print(f"features.parquet, features.csv, status.csv, failures.csv, provenance.json, masks/ -> "
                  f"[bold]{outdir}[/]")
    try:
        result.check_failures(max_failed_fraction)
    except RadiogenomicsError as exc:
        raise fail(exc) from None
