"""Command-line interface (Typer): the only layer that prints or shows progress.

Each group of commands lives in its own module of this package and registers itself on :data:`app`;
the modules are imported at the bottom of this file.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from radiogenomics import __version__

app = typer.Typer(
    name="radiogenomics",
    help="PET/CT radiogenomics: PyRadiomics-exact features, cohort statistics, mutation prediction.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        console.print(f"radiogenomics {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="More log output (-v, -vv).")] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    from rich.logging import RichHandler

    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    # log records go through Rich, so that they print above progress bars instead of through them
    handler = RichHandler(console=err_console, show_time=False, show_path=False, markup=False)
    logging.basicConfig(level=level, format="%(name)s: %(message)s", handlers=[handler], force=True)


#: Exit codes of the commands (documented in docs/errors.md).
EXIT_ERROR = 2  # bad input, settings or usage: the message says what and how to fix it
EXIT_ALL_FAILED = 3  # every case of a cohort failed extraction
EXIT_TOO_MANY_FAILED = 4  # more cases failed than --max-failed-fraction allows
EXIT_INTERRUPTED = 130  # Ctrl-C: finished work is kept; the same command resumes


def fail(exc: Exception) -> typer.Exit:
    """Print ``exc`` as a one-line error and return the exit to raise: :data:`EXIT_ERROR`, or for failed
    extractions :data:`EXIT_ALL_FAILED` / :data:`EXIT_TOO_MANY_FAILED`."""
    err_console.print(f"[bold red]error:[/] {exc}")
    cause = getattr(exc, "cause", exc)  # a study's StageError carries the stage's error
    if type(cause).__name__ == "ExtractionFailedError":
        return typer.Exit(code=EXIT_ALL_FAILED if cause.n_failed == cause.n_cases else EXIT_TOO_MANY_FAILED)
    return typer.Exit(code=EXIT_ERROR)


def interrupted(what: str = "finished work is kept") -> typer.Exit:
    """Print the message of a Ctrl-C and return the exit (:data:`EXIT_INTERRUPTED`) to raise."""
    err_console.print(f"[yellow]interrupted[/]: {what}; run the same command again to resume")
    return typer.Exit(code=EXIT_INTERRUPTED)


def out_folder(path: Path | None) -> Path | None:
    """Callback of an output-folder option: a clear usage error when the path exists as a file."""
    if path is not None and path.exists() and not path.is_dir():
        raise typer.BadParameter(f"{path} is a file; give a folder (it is created when missing)")
    return path


def split_list(text: str | None) -> list[str]:
    """The items of a comma-separated option (``"a, b,,c"`` → ``["a", "b", "c"]``; ``None`` → ``[]``)."""
    return [t.strip() for t in text.split(",") if t.strip()] if text else []


def main() -> None:
    """Console-script entry point."""
    app()


# command modules register themselves on ``app`` (imported last: they import ``app`` from here)
from radiogenomics.cli import cluster as _cluster  # noqa: E402, F401
from radiogenomics.cli import cnn as _cnn  # noqa: E402, F401
from radiogenomics.cli import cohort as _cohort  # noqa: E402, F401
from radiogenomics.cli import extract as _extract  # noqa: E402, F401
from radiogenomics.cli import ibsi as _ibsi  # noqa: E402, F401
from radiogenomics.cli import model as _model  # noqa: E402, F401
from radiogenomics.cli import run as _run  # noqa: E402, F401
from radiogenomics.cli import segment as _segment  # noqa: E402, F401
from radiogenomics.cli import stats as _stats  # noqa: E402, F401
from radiogenomics.cli import synth as _synth  # noqa: E402, F401

if __name__ == "__main__":  # pragma: no cover
    main()
