"""Commands ``run`` (a whole study from one YAML file) and ``demo`` (the study on built-in synthetic data)."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from radiogenomics.cli import app, console, err_console, fail, interrupted, out_folder
from radiogenomics.errors import RadiogenomicsError

if TYPE_CHECKING:
    from radiogenomics.study import StudySettings

_TITLES = {"data": "synthetic cohort", "extract": "feature extraction", "stats": "statistics",
           "models": "mutation prediction", "cnn": "3D CNN", "cluster": "clustering", "report": "report"}


def _run(settings: StudySettings, out: Path) -> None:
    from radiogenomics.study import StageEvent, run_study

    columns = (TextColumn("[bold]{task.description:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[note]}"))
    t0 = time.perf_counter()
    with Progress(*columns, console=err_console) as bar:
        tasks: dict[str, TaskID] = {}

        def task(stage: str) -> TaskID:
            if stage not in tasks:
                tasks[stage] = bar.add_task(_TITLES.get(stage, stage), total=None, note="")
            return tasks[stage]

        def progress(ev: StageEvent) -> None:
            t = task(ev.stage)
            if ev.kind == "start":
                bar.update(t, note="running")
            elif ev.kind == "step":
                bar.update(t, completed=ev.done, total=ev.total or None, note=ev.message)
            elif ev.kind == "skip":
                bar.update(t, total=1, completed=1, note=f"[dim]skipped: {ev.message}")
            elif ev.kind == "done":
                bar.update(t, total=1, completed=1, note=f"[green]done in {ev.seconds:.1f} s")

        result = run_study(settings, out, progress=progress)
    table = Table("stage", "status", "seconds", title=f"study finished in {time.perf_counter() - t0:.1f} s")
    for stage, status in result.status.items():
        table.add_row(stage, status, f"{result.seconds.get(stage, 0.0):.1f}")
    console.print(table)
    console.print(f"report: [bold]{result.report}[/]")


@app.command()
def run(
    study: Annotated[Path, typer.Argument(help="Study file (YAML): data, extraction, targets, models, clustering.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="Output folder; running again into it resumes.",
                                      callback=out_folder)],
) -> None:
    """Run a whole study: features → statistics → models → clustering → report.html (resumable)."""
    from radiogenomics.study import StudySettings

    try:
        settings = StudySettings.from_file(study)
        _run(settings, out)
    except RadiogenomicsError as exc:
        raise fail(exc) from None
    except KeyboardInterrupt:
        raise interrupted("finished stages and extracted cases are kept") from None


@app.command()
def demo(
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Output folder (default: a new temporary folder).",
                                  callback=out_folder)
    ] = None,
    n: Annotated[int, typer.Option("--n", min=12, help="Number of synthetic patients.")] = 60,
    seed: Annotated[int, typer.Option(help="Seed of the data, the splits and the models.")] = 0,
) -> None:
    """Generate a synthetic PET/CT cohort and run the full study on it (about 5 minutes on 2 cores)."""
    from radiogenomics.study import demo_settings

    folder = out or Path(tempfile.mkdtemp(prefix="radiogenomics-demo-"))
    try:
        settings = demo_settings(n=n, seed=seed)
        console.print(f"demo study: {n} synthetic patients, seed {seed} -> [bold]{folder}[/]\n"
                      "(the first run also compiles the feature kernels, about 15 s)")
        _run(settings, folder)
    except RadiogenomicsError as exc:
        raise fail(exc) from None
    except KeyboardInterrupt:
        raise interrupted(f"finished stages are kept in {folder}") from None
