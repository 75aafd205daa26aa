"""Reading the feature tables given to the table commands (``stats``, ``model``, ``predict``, ``cluster``).

One reader for all of them, so every command accepts the same inputs: ``.parquet``/``.pq``, ``.csv``
(optionally ``.csv.gz``) or ``.tsv``, either wide (one row per case) or the long table written by
``radiogenomics cohort extract`` (one row per case × ROI × modality), which is pivoted to one row per case with
columns ``<roi>_<modality>__<feature>``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_table", "to_wide"]

_PYRADIOMICS_NAME = re.compile(r"^[A-Za-z0-9.\-]+_(shape|shape2D|firstorder|glcm|glrlm|glszm|gldm|ngtdm)_\w+$")


def to_wide(df: pd.DataFrame) -> pd.DataFrame:
    """A long cohort table (one row per case × ROI × modality) pivoted to one row per case.

    Feature columns become ``<roi>_<modality>__<feature>``; the other columns (clinical variables, labels)
    are taken from the first row of each case.
    """
    import pandas as pd

    feats = [c for c in df.columns if _PYRADIOMICS_NAME.match(str(c))]
    clinical = [c for c in df.columns if c not in feats and c not in ("roi", "modality")]
    wide = df.pivot_table(index="case_id", columns=["roi", "modality"], values=feats, aggfunc="first")
    wide.columns = [f"{roi}_{mod}__{name}" for name, roi, mod in wide.columns]
    info = df[clinical].drop_duplicates("case_id").set_index("case_id")
    return pd.concat([info, wide], axis=1).reset_index()


def is_long(df: pd.DataFrame) -> bool:
    """True for a long cohort table: ``case_id``, ``roi`` and ``modality`` columns with repeated case ids."""
    return {"case_id", "roi", "modality"} <= set(df.columns) and bool(df["case_id"].duplicated().any())


def read_table(path: Path, param_hint: str = "FEATURES") -> pd.DataFrame:
    """Read ``path`` (.parquet/.pq, .csv/.csv.gz, .tsv); a long cohort table is pivoted by :func:`to_wide`.

    Raises
    ------
    typer.BadParameter
        The file does not exist or has an unsupported suffix.
    """
    import pandas as pd

    if not path.is_file():
        raise typer.BadParameter(f"file not found: {path}", param_hint=param_hint)
    name = path.name.lower()
    if name.endswith((".parquet", ".pq")):
        df = pd.read_parquet(path)
    elif name.endswith((".csv", ".csv.gz")):
        df = pd.read_csv(path)
    elif name.endswith(".tsv"):
        df = pd.read_csv(path, sep="\t")
    else:
        raise typer.BadParameter(f"{param_hint} must be .parquet, .csv or .tsv, got {path.name}", param_hint=param_hint)
    return to_wide(df) if is_long(df) else df
