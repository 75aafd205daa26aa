"""Reading the feature tables given to the table commands (``stats``, ``model``, ``predict``, ``cluster``).

One reader for all of them (:func:`radiogenomics.table.read_feature_table`), so every command accepts the
same inputs: ``.parquet``/``.pq``, ``.csv`` (optionally ``.csv.gz``) or ``.tsv``, wide or long; a problem
with the file is a usage error naming the argument.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_table"]


def read_table(path: Path, param_hint: str = "FEATURES") -> pd.DataFrame:
    """:func:`~radiogenomics.table.read_feature_table`; its errors become :class:`typer.BadParameter`."""
    from radiogenomics.table import TableReadError, read_feature_table

    try:
        return read_feature_table(path)
    except TableReadError as exc:
        raise typer.BadParameter(str(exc), param_hint=param_hint) from None
