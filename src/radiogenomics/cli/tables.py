"""Reading the feature tables given to the table commands (``stats``, ``model``, ``predict``, ``cluster``).

One reader for all of them (:func:`radiogenomics.table.read_feature_table`), so every command accepts the
same inputs: ``.parquet``/``.pq``, ``.csv`` (optionally ``.csv.gz``) or ``.tsv``, wide or long; a problem
with the file is a usage error naming the argument.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from radiogenomics.cli import err_console

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["failed_beside", "read_table"]


def read_table(path: Path, param_hint: str = "FEATURES") -> pd.DataFrame:
    """:func:`~radiogenomics.table.read_feature_table`; its errors become :class:`typer.BadParameter`."""
    from radiogenomics.table import TableReadError, read_feature_table

    try:
        return read_feature_table(path)
    except TableReadError as exc:
        raise typer.BadParameter(str(exc), param_hint=param_hint) from None


def failed_beside(path: Path) -> dict[str, str]:
    """Cases whose extraction failed, from the ``status.csv`` beside a feature table written by ``cohort extract``
    or ``run`` (none without one): the table commands leave them out and say how many."""
    from radiogenomics.layout import failed_cases

    failed = failed_cases(path.parent)
    if failed:
        err_console.print(f"[yellow]{len(failed)} case(s) whose extraction failed are left out[/] "
                          f"({path.parent / 'status.csv'})")
    return failed
