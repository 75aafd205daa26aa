"""Command-line interface (Typer): the only layer that prints or shows progress.

Each group of commands lives in its own module of this package and registers itself on :data:`app`;
the modules are imported at the bottom of this file.
"""

from __future__ import annotations

import logging
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


def fail(exc: Exception) -> typer.Exit:
    """Print ``exc`` as a one-line error and return the exit (status 2) to raise."""
    err_console.print(f"[bold red]error:[/] {exc}")
    return typer.Exit(code=2)


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
