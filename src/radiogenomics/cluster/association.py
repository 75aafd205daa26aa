r"""What the clusters mean: association with targets and clinical variables, and cluster-vs-rest feature tests.

:func:`cluster_association` tests the cluster labels against each variable:

- a *categorical* variable (non-numeric, boolean, or numeric with at most ``max_levels`` distinct values, e.g.
  TP53 0/1, grade 1–3) gets :func:`radiogenomics.stats.categorical_association` of clusters × levels (Pearson
  chi-square; Fisher's exact test for a 2 × 2 table with an expected count below 5), effect size Cramér's V;
- a *continuous* variable (numeric with more than ``max_levels`` distinct values, e.g. age, BMI) gets the
  Kruskal–Wallis test across the clusters (:func:`radiogenomics.stats.compare_groups`, ``test="kruskal"``),
  effect size :math:`\eta^2_H = (H - k + 1)/(n - k)`.

Complete cases per variable. ``p_fdr`` is the Benjamini–Hochberg adjustment over all the variables tested. A
variable that cannot be tested (fewer than two levels, or a cluster without enough values) is left out with a
logged warning and listed in ``result.attrs["skipped"]`` with the reason.

:func:`cluster_vs_rest` compares features between each cluster and all other patients
(:func:`radiogenomics.stats.compare_groups`, levels ``["rest", "cluster <c>"]``, so a positive ``log2fc`` means
higher in the cluster), one block of rows per cluster with the FDR computed within the block; draw it with
:func:`radiogenomics.stats.volcano_grid` faceted by ``comparison``.

:func:`features_by_target` is the same comparison for the classes of each binary (0/1) target instead of the
clusters: target-positive against target-negative patients (:func:`radiogenomics.stats.compare_groups`, levels
``["neg", "pos"]``, so a positive ``log2fc`` / ``smd`` / effect means higher in the target-positive patients),
rows with a missing target left out, one block of rows per target with the FDR computed within the block. A
target that is not 0/1 or has fewer than ``min_group_size`` patients in a class is left out (logged;
``attrs["skipped"]``), never returned as rows of NaN.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from radiogenomics.cluster.errors import ClusterError
from radiogenomics.errors import UnknownNameError
from radiogenomics.stats import categorical_association, compare_groups, fdr_bh
from radiogenomics.stats.errors import StatsError

__all__ = ["ASSOCIATION_COLUMNS", "cluster_association", "cluster_vs_rest", "features_by_target", "is_continuous"]

logger = logging.getLogger(__name__)

ASSOCIATION_COLUMNS = ("variable", "kind", "test", "n", "levels", "statistic", "dof", "p", "p_fdr", "effect_size",
                       "effect_type", "min_expected")
_COL = "__cluster__"
_GROUP = "__in_cluster__"
_CLASS = "__target_class__"


def is_continuous(values: pd.Series, max_levels: int = 10) -> bool:
    """True for a numeric (non-boolean) column with more than ``max_levels`` distinct non-missing values."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return False
    return int(values.nunique(dropna=True)) > max_levels


def _labels(labels: ArrayLike, n: int) -> np.ndarray:
    lab = np.asarray(labels)
    if lab.shape != (n,):
        raise ClusterError(f"labels must have one entry per row of the table ({n}), got shape {lab.shape}")
    return lab


def cluster_association(
    table: pd.DataFrame,
    labels: ArrayLike,
    variables: Sequence[str],
    *,
    max_levels: int = 10,
) -> pd.DataFrame:
    """Association of the clusters with each of ``variables`` (tests in the module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per patient, in the order of ``labels``.
    labels : array_like
        Cluster of each row.
    variables : sequence of str
        Targets and clinical columns to test.
    max_levels : int
        A numeric column with more distinct values than this is treated as continuous.

    Returns
    -------
    pandas.DataFrame
        One row per tested variable, columns :data:`ASSOCIATION_COLUMNS`:

        ================ ==========================================================================
        ``variable``     column name
        ``kind``         ``categorical`` or ``continuous``
        ``test``         ``chi2``, ``fisher`` or ``kruskal``
        ``n``            complete cases
        ``levels``       levels of the variable (categorical) or clusters compared (continuous)
        ``statistic``    χ², the odds ratio (fisher) or H
        ``dof``          degrees of freedom (NaN for fisher)
        ``p``            p-value
        ``p_fdr``        Benjamini–Hochberg over the rows
        ``effect_size``  Cramér's V or η²_H
        ``effect_type``  ``cramers_v`` or ``eta2_h``
        ``min_expected`` smallest expected count of the contingency table (NaN for kruskal)
        ================ ==========================================================================
    """
    lab = _labels(labels, len(table))
    missing = [v for v in variables if v not in table.columns]
    if missing:
        raise UnknownNameError("column", missing[0], [str(c) for c in table.columns])
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    for var in dict.fromkeys(variables):
        df = pd.DataFrame({_COL: lab, var: table[var].to_numpy()})
        try:
            if is_continuous(table[var], max_levels):
                res = compare_groups(df, [var], _COL, "kruskal")
                r = res.iloc[0]
                if r["status"] != "tested":
                    raise StatsError(f"not tested (status {r['status']!r})")
                rows.append({"variable": var, "kind": "continuous", "test": "kruskal", "n": int(r["n"]),
                             "levels": int(np.unique(lab[table[var].notna().to_numpy()]).size),
                             "statistic": float(r["statistic"]), "dof": float(r["dof"]), "p": float(r["p"]),
                             "effect_size": float(r["effect_size"]), "effect_type": "eta2_h",
                             "min_expected": np.nan})
            else:
                res = categorical_association(df, var, _COL)
                r = res.iloc[0]
                rows.append({"variable": var, "kind": "categorical", "test": str(r["test"]), "n": int(r["n"]),
                             "levels": int(r["levels_a"]), "statistic": float(r["statistic"]),
                             "dof": float(r["dof"]), "p": float(r["p"]), "effect_size": float(r["cramers_v"]),
                             "effect_type": "cramers_v", "min_expected": float(r["min_expected"])})
        except StatsError as exc:
            logger.warning("cluster association with %r not tested: %s", var, exc)
            skipped[var] = str(exc)
    out = pd.DataFrame(rows, columns=[c for c in ASSOCIATION_COLUMNS if c != "p_fdr"])
    out.insert(ASSOCIATION_COLUMNS.index("p_fdr"), "p_fdr", fdr_bh(out["p"].to_numpy(dtype=np.float64)))
    for col in ("variable", "kind", "test", "effect_type"):
        out[col] = out[col].astype("string")
    out["n"] = out["n"].astype(np.int64)
    out["levels"] = out["levels"].astype(np.int64)
    out.attrs["skipped"] = skipped
    return out


def cluster_vs_rest(
    table: pd.DataFrame,
    labels: ArrayLike,
    features: Sequence[str],
    *,
    test: str = "auto",
    min_group_size: int = 3,
) -> pd.DataFrame:
    """Each cluster against the rest, feature by feature (module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per patient, in the order of ``labels``, holding the ``features``.
    labels : array_like
        Cluster of each row (integers ``0 .. k-1``).
    features : sequence of str
        Numeric feature columns.
    test : str
        :func:`~radiogenomics.stats.compare_groups` test (default ``"auto"``: Welch or Mann–Whitney per feature).
    min_group_size : int
        Clusters (or rests) smaller than this are left out (logged; ``attrs["skipped"]``).

    Returns
    -------
    pandas.DataFrame
        ``cluster`` (int), ``comparison`` (``"cluster <c> vs rest"``), then the columns of
        :func:`~radiogenomics.stats.compare_groups` with group columns ``n_rest``, ``n_in``, ``mean_rest``,
        ``mean_in`` ... (``in`` = the cluster).
    """
    lab = _labels(labels, len(table))
    feats = list(features)
    if not feats:
        raise ClusterError("cluster_vs_rest needs at least one feature")
    data = table[feats].reset_index(drop=True)
    frames = []
    skipped: dict[str, str] = {}
    for c in np.unique(lab):
        name = f"cluster {c} vs rest"
        size = int(np.sum(lab == c))
        if size < min_group_size or len(lab) - size < min_group_size:
            logger.warning("%s not compared: %d patient(s) in the cluster", name, size)
            skipped[name] = f"{size} patient(s) in the cluster, {len(lab) - size} in the rest"
            continue
        df = data.assign(**{_GROUP: np.where(lab == c, "in", "rest")})
        res = compare_groups(df, feats, _GROUP, test, levels=["rest", "in"], min_group_size=min_group_size)
        res.insert(0, "comparison", name)
        res.insert(0, "cluster", int(c))
        frames.append(res)
    if not frames:
        raise ClusterError(f"no cluster could be compared with the rest: {skipped}")
    out = pd.concat(frames, ignore_index=True)
    out["comparison"] = out["comparison"].astype("string")
    out.attrs["skipped"] = skipped
    return out


def _binary_classes(values: pd.Series) -> np.ndarray | None:
    """``values`` (non-missing) as a boolean array (True = 1), or None when they are not all 0 or 1."""
    if not (pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values)):
        return None
    v = values.to_numpy(dtype=np.float64)
    if not np.isin(v, (0.0, 1.0)).all():
        return None
    return v == 1.0


def features_by_target(
    table: pd.DataFrame,
    targets: pd.DataFrame,
    features: Sequence[str],
    *,
    test: str = "auto",
    min_group_size: int = 3,
) -> pd.DataFrame:
    """Target-positive against target-negative patients, feature by feature, for every binary target (module
    docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        One row per patient, holding the ``features`` (e.g. the embedding columns).
    targets : pandas.DataFrame
        One 0/1 column per target, one row per row of ``table`` in the same order (missing values: the patient is
        left out of that target's comparison).
    features : sequence of str
        Numeric feature columns of ``table``.
    test : str
        :func:`~radiogenomics.stats.compare_groups` test (default ``"auto"``: Welch or Mann–Whitney per feature,
        as :func:`cluster_vs_rest`).
    min_group_size : int
        A target with fewer patients than this in either class is left out (logged; ``attrs["skipped"]``).

    Returns
    -------
    pandas.DataFrame
        ``target`` (column name), ``comparison`` (``"<target>: 1 vs 0"``), then the columns of
        :func:`~radiogenomics.stats.compare_groups` with group columns ``n_neg``, ``n_pos``, ``mean_neg``,
        ``mean_pos`` ... (``pos`` = target 1, ``neg`` = target 0). ``attrs["skipped"]`` maps each target left
        out to the reason.

    Raises
    ------
    ClusterError
        No feature, ``targets`` not aligned with ``table``, or no target could be compared.
    """
    feats = list(features)
    if not feats:
        raise ClusterError("features_by_target needs at least one feature")
    if len(targets) != len(table):
        raise ClusterError(f"targets must have one row per row of the table ({len(table)}), got {len(targets)}")
    data = table[feats].reset_index(drop=True)
    frames = []
    skipped: dict[str, str] = {}
    for name in dict.fromkeys(targets.columns):
        values = targets[name].reset_index(drop=True)
        present = values.notna().to_numpy()
        positive = _binary_classes(values[present])
        if positive is None:
            levels = [str(v) for v in pd.unique(values[present])][:5]
            skipped[str(name)] = f"not a 0/1 target (values {levels})"
        else:
            n_pos, n_neg = int(positive.sum()), int((~positive).sum())
            if min(n_pos, n_neg) < min_group_size:
                skipped[str(name)] = (f"{n_pos} patient(s) with {name} = 1 and {n_neg} with {name} = 0; at least "
                                      f"{min_group_size} of each are needed")
        if str(name) in skipped:
            logger.warning("%s not compared: %s", name, skipped[str(name)])
            continue
        df = data.loc[present].assign(**{_CLASS: np.where(positive, "pos", "neg")})
        res = compare_groups(df, feats, _CLASS, test, levels=["neg", "pos"], min_group_size=min_group_size)
        res.insert(0, "comparison", f"{name}: 1 vs 0")
        res.insert(0, "target", str(name))
        frames.append(res)
    if not frames:
        raise ClusterError(f"no target could be compared: {skipped}")
    out = pd.concat(frames, ignore_index=True)
    for col in ("target", "comparison"):
        out[col] = out[col].astype("string")
    out.attrs["skipped"] = skipped
    return out
