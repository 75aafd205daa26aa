r"""Table 1: baseline characteristics by group, with tests, exported to CSV, HTML and Markdown.

Continuous variables are summarised as ``mean ± SD`` when every group passes Shapiro–Wilk
(p ≥ ``normality_alpha``; or when listed as normal through ``nonnormal``), otherwise as
``median [Q1, Q3]`` (quartiles by linear interpolation, ``numpy.percentile``'s default). Their p-value
comes from :func:`~radiogenomics.stats.compare_groups` with the matching test: Welch's t / one-way
ANOVA for normal variables, Mann–Whitney U / Kruskal–Wallis otherwise (the ``"auto"`` rule).
Categorical variables — non-numeric, boolean, binary (e.g. 0/1) and integer codes with at most
:data:`MAX_CODED_LEVELS` levels (grade, stage) — are summarised as ``n (%)`` per level (percent of the group's
non-missing values) and tested with :func:`~radiogenomics.stats.categorical_association` (chi-square, or Fisher's
exact test for a 2 × 2 table with an expected count below 5). Missing values are complete-case per
variable and counted in a ``missing`` row.
"""

from __future__ import annotations

import html
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from radiogenomics.errors import UnknownNameError
from radiogenomics.stats._common import as_list, check_columns, group_codes, plain
from radiogenomics.stats.categorical import categorical_association
from radiogenomics.stats.errors import NotEnoughGroupsError, StatsError, TooFewObservationsError
from radiogenomics.stats.groups import compare_groups

__all__ = ["format_p", "table1", "table1_to_html", "table1_to_markdown", "write_table1"]

logger = logging.getLogger(__name__)

TEST_LABELS = {
    "t": "Student's t-test",
    "welch": "Welch's t-test",
    "mannwhitney": "Mann–Whitney U",
    "anova": "one-way ANOVA",
    "kruskal": "Kruskal–Wallis",
    "chi2": "chi-square",
    "fisher": "Fisher's exact",
}


#: An integer-coded numeric variable with at most this many levels is categorical (grade, stage, 0/1 flags).
MAX_CODED_LEVELS = 5


def _is_categorical(s: pd.Series) -> bool:
    """Non-numeric and boolean variables; binary variables (two values, e.g. 0/1); integer-coded variables with
    at most :data:`MAX_CODED_LEVELS` levels (grade 1–3, FIGO stage 1–4). Other numeric variables are continuous."""
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        return True
    values = pd.to_numeric(s, errors="coerce").dropna().to_numpy(dtype=np.float64)
    levels = np.unique(values)
    return levels.size <= 2 or (levels.size <= MAX_CODED_LEVELS and bool(np.all(levels == np.round(levels))))


def _sorted_levels(s: pd.Series) -> list[Any]:
    return group_codes(s)[1]


def _fmt(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}"


def format_p(p: float, decimals: int = 3) -> str:
    """``"<0.001"`` style p-value text (empty for NaN)."""
    if p is None or (isinstance(p, float) and math.isnan(p)) or pd.isna(p):
        return ""
    floor = 10.0 ** (-decimals)
    return f"<{floor:.{decimals}f}" if p < floor else f"{p:.{decimals}f}"


def table1(
    df: pd.DataFrame,
    group: str | None,
    variables: str | Sequence[str],
    *,
    categorical: Sequence[str] | None = None,
    nonnormal: Sequence[str] | None = None,
    overall: bool = True,
    tests: bool = True,
    decimals: int = 1,
    normality_alpha: float = 0.05,
    levels: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Baseline characteristics of ``variables`` per level of ``group``.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per case.
    group : str or None
        Grouping column (e.g. ``"cancer_type"``); rows where it is missing are left out. ``None``: the
        overall column only, no tests.
    variables : str or list of str
        Columns to describe, in this order.
    categorical : list of str, optional
        Variables to treat as categorical. Default: non-numeric, boolean, binary and integer-coded variables
        with at most :data:`MAX_CODED_LEVELS` levels are categorical, other numeric columns continuous.
    nonnormal : list of str, optional
        Continuous variables to summarise as median [IQR] and test with rank tests; all other
        continuous variables are then treated as normal. Default (``None``): decided per variable by
        Shapiro–Wilk in every group.
    overall : bool
        Add the ``overall`` column (all rows with a group).
    tests : bool
        Add ``p`` and ``test``.
    decimals : int
        Decimals of means, SDs, medians, quartiles and percentages.
    normality_alpha : float
        Shapiro–Wilk level of the normality decision.
    levels : sequence, optional
        Group levels and their order (default: sorted).

    Returns
    -------
    pandas.DataFrame
        One row per line of the table, with the columns

        ============= ===========================================================================
        ``variable``  variable name (``n`` for the first row: the group sizes)
        ``level``     category level, ``missing`` for the missing-value count, else empty
        ``summary``   ``mean ± SD``, ``median [Q1, Q3]``, ``n (%)`` or ``n``
        ``<g>``       one text column per group level (``str(level)``)
        ``overall``   the same over all rows with a group (if ``overall``)
        ``p``         p-value (float; on the variable's first row; NaN elsewhere) (if ``tests``)
        ``test``      test used: Welch's t-test, Student's t-test, Mann–Whitney U, one-way ANOVA,
                      Kruskal–Wallis, chi-square, Fisher's exact (if ``tests``)
        ============= ===========================================================================

    Raises
    ------
    UnknownNameError
        A column is unknown.
    NotEnoughGroupsError, TooFewObservationsError
        ``group`` has fewer than two levels, or a level with fewer than 3 rows.
    """
    names = as_list(variables)
    if not names:
        raise StatsError("`variables` is empty")
    check_columns(df, ([group] if group else []) + names, "column")
    if group is not None and group in names:
        raise StatsError(f"the group column {group!r} is also listed as a variable")
    for name, listed in (("categorical", categorical), ("nonnormal", nonnormal)):
        for v in as_list(listed):
            if v not in names:
                raise UnknownNameError(f"variable in {name}", v, names)
    cat_set = set(as_list(categorical)) if categorical is not None else {v for v in names if _is_categorical(df[v])}

    if group is not None:
        codes, glevels = group_codes(df[group], levels)
        data = df.loc[codes >= 0].copy()
        codes = codes[codes >= 0]
        if len(glevels) < 2:
            raise NotEnoughGroupsError(f"column {group!r} has {len(glevels)} level(s); Table 1 needs 2 or more")
        sizes = np.bincount(codes, minlength=len(glevels))
        if sizes.min() < 3:
            detail = ", ".join(f"{lv!r}: {int(s)}" for lv, s in zip(glevels, sizes, strict=True))
            raise TooFewObservationsError(f"column {group!r} has a group with fewer than 3 rows ({detail})")
    else:
        glevels, data, codes = [], df, np.zeros(len(df), dtype=np.intp)
        tests = False
    labels = [str(lv) for lv in glevels]
    cols = labels + (["overall"] if overall or group is None else [])
    masks = [codes == j for j in range(len(glevels))]
    all_mask = np.ones(len(data), dtype=bool)
    col_masks = masks + ([all_mask] if "overall" in cols else [])

    rows: list[dict[str, Any]] = []

    def add(variable: str, level: str, summary: str, cells: Sequence[str], p: float = np.nan, test: str = "") -> None:
        row: dict[str, Any] = {"variable": variable, "level": level, "summary": summary}
        row.update(dict(zip(cols, cells, strict=True)))
        if tests:
            row.update({"p": p, "test": test})
        rows.append(row)

    add("n", "", "n", [str(int(m.sum())) for m in col_masks])
    for var in names:
        s = data[var]
        n_missing = [int(s[m].isna().sum()) for m in col_masks]
        if var in cat_set:
            cat_levels = _sorted_levels(s)
            p, test = np.nan, ""
            if tests:
                try:
                    res = categorical_association(data, group, var).iloc[0]  # type: ignore[arg-type]
                    p, test = float(res["p"]), TEST_LABELS[str(res["test"])]
                except NotEnoughGroupsError as exc:
                    logger.warning("Table 1: %s not tested: %s", var, exc)
            add(var, "", "n (%)", [""] * len(cols), p, test)
            for lv in cat_levels:
                cells = []
                for m in col_masks:
                    sub = s[m].dropna()
                    count = int((sub == lv).sum())
                    pct = 100.0 * count / len(sub) if len(sub) else float("nan")
                    cells.append(f"{count} ({_fmt(pct, decimals)}%)")
                add(var, str(lv), "n (%)", cells)
        else:
            if not pd.api.types.is_numeric_dtype(s):
                raise StatsError(f"variable {var!r} is not numeric; list it in `categorical`")
            values = s.astype("float64")
            if nonnormal is not None:
                normal = var not in set(nonnormal)
            else:
                normal = True
                for m in masks or [all_mask]:
                    v = values[m].dropna().to_numpy()
                    if len(v) < 3 or np.ptp(v) == 0:
                        normal = False
                        break
                    if stats.shapiro(v).pvalue < normality_alpha:
                        normal = False
                        break
            cells = []
            for m in col_masks:
                v = values[m].dropna().to_numpy()
                if not len(v):
                    cells.append("")
                elif normal:
                    sd = float(np.std(v, ddof=1)) if len(v) > 1 else float("nan")
                    cells.append(f"{_fmt(float(np.mean(v)), decimals)} ± {_fmt(sd, decimals)}")
                else:
                    q1, med, q3 = np.percentile(v, [25, 50, 75])
                    cells.append(f"{_fmt(med, decimals)} [{_fmt(q1, decimals)}, {_fmt(q3, decimals)}]")
            p, test = np.nan, ""
            if tests:
                k = len(glevels)
                forced = ("welch" if k == 2 else "anova") if normal else ("mannwhitney" if k == 2 else "kruskal")
                res = compare_groups(data, [var], group, forced, levels=glevels).iloc[0]  # type: ignore[arg-type]
                if res["status"] == "tested":
                    p, test = float(res["p"]), TEST_LABELS[str(res["test"])]
                else:
                    logger.warning("Table 1: %s not tested (%s)", var, res["status"])
            add(var, "", "mean ± SD" if normal else "median [Q1, Q3]", cells, p, test)
        if any(n_missing):
            add(var, "missing", "n", [str(c) for c in n_missing])
    out = pd.DataFrame(rows)
    for col in out.columns:
        if col != "p":
            out[col] = out[col].astype("string")
    out.attrs.update(plain({"group": group, "levels": list(glevels)}))
    return out


def _text_frame(table: pd.DataFrame, p_decimals: int) -> pd.DataFrame:
    text = table.copy()
    if "p" in text.columns:
        text["p"] = [format_p(p, p_decimals) for p in table["p"]]
    return text.astype(object).where(text.notna(), "")


def table1_to_markdown(table: pd.DataFrame, p_decimals: int = 3) -> str:
    """The table as a GitHub-flavoured Markdown pipe table (p formatted, e.g. ``<0.001``)."""
    text = _text_frame(table, p_decimals)

    def cell(v: Any) -> str:
        return str(v).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(cell(c) for c in text.columns) + " |",
             "| " + " | ".join("---" for _ in text.columns) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in text.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def table1_to_html(table: pd.DataFrame, p_decimals: int = 3, title: str = "Table 1") -> str:
    """The table as a standalone HTML document (escaped; p formatted)."""
    text = _text_frame(table, p_decimals)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in text.columns)
    body = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in text.itertuples(index=False)
    )
    style = ("body{font-family:sans-serif}table{border-collapse:collapse}"
             "th,td{padding:2px 8px;border-bottom:1px solid #ccc;text-align:left}")
    return (
        f"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head>\n<body>\n<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n"
        "</tbody>\n</table>\n</body></html>\n"
    )


def write_table1(
    table: pd.DataFrame, path: str | Path, formats: Sequence[str] = ("csv", "html", "md"), p_decimals: int = 3
) -> list[Path]:
    """Write ``table`` as ``<path>.csv`` (raw p values), ``.html`` and ``.md``; returns the paths written.

    ``path`` is the file name without extension (an extension, if given, is replaced).
    """
    stem = Path(path)
    stem = stem.with_suffix("") if stem.suffix in (".csv", ".html", ".md") else stem
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        out = stem.parent / f"{stem.name}.{fmt}"
        if fmt == "csv":
            table.to_csv(out, index=False)
        elif fmt == "html":
            out.write_text(table1_to_html(table, p_decimals), encoding="utf-8")
        elif fmt == "md":
            out.write_text(table1_to_markdown(table, p_decimals), encoding="utf-8")
        else:
            raise UnknownNameError("table format", fmt, ["csv", "html", "md"])
        written.append(out)
    return written
