r"""Cohort feature tables: column naming, long/wide conversion and reading (one rule, used by every stage).

A cohort table has one row per case: ``case_id``, clinical and target columns, then one float64 column
per feature named ``<roi>_<modality>__<feature>`` (DESIGN §2), e.g. ``tumour_pet__original_glcm_Contrast``:

- ``roi``: lower-case words joined by single underscores (``tumour``, ``lymph_node``, ``bat``);
- ``modality``: ``ct``, ``pet`` or ``mri_<sequence>`` (``mri_t1``, ``mri_dce1``);
- ``feature``: the feature's own name (PyRadiomics ``<imagetype>_<family>_<Feature>`` for radiomics).

A *source* is the ``<roi>_<modality>`` part: the columns that one ROI on one image contributes. Foreign
names that merely contain ``__`` (``sum_variance__tissue_T1``) are not feature columns of a source, because
their middle part is not a modality. The *long* layout (one row per case × ROI × modality with ``roi`` and
``modality`` columns and bare feature names) is converted by :func:`to_wide`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from radiogenomics.errors import RadiogenomicsError

__all__ = [
    "DROPPED_COLUMNS",
    "PYRADIOMICS_NAME",
    "SEPARATOR",
    "FeatureColumn",
    "TableReadError",
    "drop_unusable",
    "dropped_record",
    "feature_column",
    "feature_columns",
    "frame_checksum",
    "is_long",
    "is_modality",
    "parse_feature_column",
    "read_feature_table",
    "source_name",
    "sources",
    "stage_input",
    "to_wide",
]

logger = logging.getLogger(__name__)

#: Between the source prefix and the feature name.
SEPARATOR = "__"

_ROI = r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*"
_MODALITY = r"ct|pet|mri(?:_[a-z0-9]+)+"
MODALITY = re.compile(rf"^(?:{_MODALITY})$")
_COLUMN = re.compile(rf"^(?P<roi>{_ROI}?)_(?P<modality>{_MODALITY})__(?P<feature>\S+)$")

#: A PyRadiomics feature name ``<imagetype>_<family>_<Feature>``.
PYRADIOMICS_NAME = re.compile(r"^[A-Za-z0-9.\-]+_(shape|shape2D|firstorder|glcm|glrlm|glszm|gldm|ngtdm)_\w+$")


class TableReadError(RadiogenomicsError, OSError):
    """A feature table is missing, has an unsupported format, or cannot be parsed."""


class FeatureColumn(NamedTuple):
    """The parts of a feature column name."""

    roi: str
    modality: str
    feature: str

    @property
    def source(self) -> str:
        """``<roi>_<modality>``."""
        return source_name(self.roi, self.modality)


def is_modality(name: str) -> bool:
    """True for a modality name: ``ct``, ``pet`` or ``mri_<sequence>`` (lower case, e.g. ``mri_t1``)."""
    return bool(MODALITY.match(name))


def source_name(roi: str, modality: str) -> str:
    """``<roi>_<modality>``, the prefix of a source's columns (without the separator)."""
    return f"{roi}_{modality}"


def feature_column(roi: str, modality: str, feature: str = "") -> str:
    """``<roi>_<modality>__<feature>`` (with ``feature=""``: the prefix of that source's columns)."""
    return f"{source_name(roi, modality)}{SEPARATOR}{feature}"


def parse_feature_column(name: str) -> FeatureColumn | None:
    """The ``(roi, modality, feature)`` of a feature column name, or ``None`` for any other column.

    The ROI is the shortest prefix followed by a valid modality, so ``lymph_node_pet__x`` is ROI
    ``lymph_node`` on ``pet`` and ``tumour_mri_t1__x`` is ROI ``tumour`` on ``mri_t1``.
    """
    m = _COLUMN.match(str(name))
    return None if m is None else FeatureColumn(m["roi"], m["modality"], m["feature"])


def feature_columns(df: pd.DataFrame, pattern: str | None = None, reserved: Sequence[str] = ()) -> list[str]:
    """Feature columns of a cohort table, in table order.

    Numeric (or boolean) columns other than ``case_id`` and ``reserved``; of those, the ones matching
    ``pattern`` (a regular expression, searched) when given, else the ``<roi>_<modality>__`` ones, else
    the ones with PyRadiomics names, else all of them.
    """
    skip = {*reserved, "case_id"}
    numeric = [c for c in df.columns if c not in skip
               and (pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]))]
    if pattern:
        rx = re.compile(pattern)
        return [c for c in numeric if rx.search(str(c))]
    prefixed = [c for c in numeric if parse_feature_column(str(c)) is not None]
    if prefixed:
        return prefixed
    named = [c for c in numeric if PYRADIOMICS_NAME.match(str(c))]
    return named or numeric


def sources(columns: Iterable[str]) -> dict[str, list[str]]:
    """``{source: its columns}`` of the feature columns among ``columns`` (table order)."""
    out: dict[str, list[str]] = {}
    for c in columns:
        parsed = parse_feature_column(str(c))
        if parsed is not None:
            out.setdefault(parsed.source, []).append(c)
    return out


def is_long(df: pd.DataFrame) -> bool:
    """True for a long cohort table: ``case_id``, ``roi`` and ``modality`` columns with repeated case ids."""
    return {"case_id", "roi", "modality"} <= set(df.columns) and bool(df["case_id"].duplicated().any())


def to_wide(df: pd.DataFrame) -> pd.DataFrame:
    """A long cohort table (one row per case × ROI × modality) pivoted to one row per case.

    Feature columns (PyRadiomics names) become ``<roi>_<modality>__<feature>``; the other columns (clinical
    variables, labels) are taken from the first row of each case.
    """
    feats = [c for c in df.columns if PYRADIOMICS_NAME.match(str(c))]
    clinical = [c for c in df.columns if c not in feats and c not in ("roi", "modality")]
    wide = df.pivot_table(index="case_id", columns=["roi", "modality"], values=feats, aggfunc="first")
    wide.columns = [feature_column(roi, mod, name) for name, roi, mod in wide.columns]
    info = df[clinical].drop_duplicates("case_id").set_index("case_id")
    return pd.concat([info, wide], axis=1).reset_index()


def frame_checksum(df: pd.DataFrame) -> str:
    """SHA-256 of a table's column names, dtypes and values (row order included): equal tables, equal sums."""
    h = hashlib.sha256()
    h.update("\x1f".join(f"{c}\x1e{t}" for c, t in zip(df.columns, df.dtypes, strict=True)).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


#: Columns of the table of cases an analysis left out (:func:`drop_unusable`).
DROPPED_COLUMNS = ("row", "case_id", "reason")


def drop_unusable(
    df: pd.DataFrame,
    features: Sequence[str],
    *,
    target: str | None = None,
    exclude: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of ``df`` an analysis can use, and the ones it leaves out with the reason.

    A row is left out when its ``case_id`` is in ``exclude`` (``case id → reason``, e.g. its extraction
    failed), when every one of its ``features`` is missing, or when its ``target`` is missing — in that order
    (one reason per row). Each reason is logged once as a warning with the row numbers (1-based positions in
    ``df``; case ids are never logged).

    Returns
    -------
    kept : the usable rows (index reset).
    dropped : :data:`DROPPED_COLUMNS` — ``row`` (1-based), ``case_id`` (``None`` without that column), ``reason``.
    """
    exclude = dict(exclude or {})
    ids = df["case_id"].astype(str).tolist() if "case_id" in df.columns else [None] * len(df)
    cols = [c for c in features if c in df.columns]
    no_features = df[cols].isna().all(axis=1).to_numpy() if cols else np.zeros(len(df), bool)
    no_target = df[target].isna().to_numpy() if target is not None and target in df.columns else np.zeros(len(df), bool)
    rows = []
    for i, cid in enumerate(ids):
        if cid is not None and cid in exclude:
            rows.append((i + 1, cid, exclude[cid]))
        elif no_features[i]:
            rows.append((i + 1, cid, "every feature is missing"))
        elif no_target[i]:
            rows.append((i + 1, cid, f"the target {target!r} is missing"))
    dropped = pd.DataFrame(rows, columns=list(DROPPED_COLUMNS))
    for reason, g in dropped.groupby("reason", sort=False):
        shown = ", ".join(str(r) for r in g["row"].head(20)) + (", …" if len(g) > 20 else "")
        logger.warning("%d case(s) left out of the analysis: %s (rows %s)", len(g), reason, shown)
    keep = np.ones(len(df), bool)
    keep[[r - 1 for r in dropped["row"]]] = False
    return df.loc[keep].reset_index(drop=True), dropped


def dropped_record(dropped: pd.DataFrame) -> dict[str, object]:
    """The provenance entry of :func:`drop_unusable`'s left-out rows: their count, row numbers and reasons."""
    return {"n": len(dropped), "rows": [int(r) for r in dropped["row"]],
            "reasons": {str(k): int(v) for k, v in dropped["reason"].value_counts(sort=False).items()}}


def stage_input(table: pd.DataFrame | str | Path) -> tuple[pd.DataFrame, dict[str, object]]:
    """A stage's table input (a DataFrame, or a file read by :func:`read_feature_table`) and its provenance
    entry ``{"table": path or "in memory", "sha256": frame_checksum, "rows": n}``."""
    df = table if isinstance(table, pd.DataFrame) else read_feature_table(table)
    where = "in memory" if isinstance(table, pd.DataFrame) else str(table)
    return df, {"table": where, "sha256": frame_checksum(df), "rows": len(df)}


def read_feature_table(path: str | Path) -> pd.DataFrame:
    """Read a feature table (``.parquet``/``.pq``, ``.csv``/``.csv.gz`` or ``.tsv``), wide or long.

    A long cohort table is pivoted by :func:`to_wide`.

    Raises
    ------
    TableReadError
        The file does not exist, its suffix is not supported, or it cannot be parsed.
    """
    path = Path(path)
    if not path.is_file():
        raise TableReadError(f"file not found: {path}")
    name = path.name.lower()
    try:
        if name.endswith((".parquet", ".pq")):
            df = pd.read_parquet(path)
        elif name.endswith((".csv", ".csv.gz")):
            df = pd.read_csv(path)
        elif name.endswith(".tsv"):
            df = pd.read_csv(path, sep="\t")
        else:
            raise TableReadError(f"a feature table must be .parquet, .csv or .tsv, got {path.name}")
    except TableReadError:
        raise
    except Exception as exc:  # pandas / pyarrow parser errors
        raise TableReadError(f"cannot read {path.name}: {exc}") from None
    return to_wide(df) if is_long(df) else df
