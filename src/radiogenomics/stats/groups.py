r"""Feature-wise comparison of groups: t / Welch / Mann–Whitney / ANOVA / Kruskal–Wallis, with FDR.

:func:`compare_groups` tests every feature of a table between the levels of a grouping column (e.g.
TP53 mutant vs wild type) and returns one tidy row per feature. All tests are computed at once for all
features with vectorised formulas (no Python loop over features); each is checked against SciPy to
1e-10 in the test suite. Missing values are handled complete-case *per feature*: a row counts for a
feature when that feature and the group are both present, and the row's ``n_*`` columns report it.

Test statistics, for groups :math:`j = 1..k` of sizes :math:`n_j`, means :math:`\bar x_j`, variances
:math:`s_j^2` (ddof = 1), :math:`n = \sum n_j`; *a* = first level, *b* = second level:

- ``"t"`` (Student): :math:`t = (\bar x_b - \bar x_a) / \sqrt{s_p^2 (1/n_a + 1/n_b)}`, pooled
  :math:`s_p^2 = ((n_a-1)s_a^2 + (n_b-1)s_b^2)/(n-2)`, :math:`n - 2` degrees of freedom, two-sided
  :math:`p = 2\,T_{\nu}(-|t|)`. Equals ``scipy.stats.ttest_ind(x_b, x_a)``.
- ``"welch"``: :math:`t = (\bar x_b - \bar x_a)/\sqrt{s_a^2/n_a + s_b^2/n_b}` with Welch–Satterthwaite
  :math:`\nu = (s_a^2/n_a + s_b^2/n_b)^2 / \big((s_a^2/n_a)^2/(n_a-1) + (s_b^2/n_b)^2/(n_b-1)\big)`.
  Equals ``scipy.stats.ttest_ind(x_b, x_a, equal_var=False)``.
- ``"mannwhitney"``: :math:`U_b = R_b - n_b(n_b+1)/2` from the average ranks :math:`R_b` of group b in the
  pooled sample. Two-sided p from :math:`U = \max(U_a, U_b)`: exact null distribution when
  :math:`\min(n_a, n_b) \le 8` and there are no ties (``mw_method="auto"``), otherwise the normal
  approximation with tie and continuity correction,
  :math:`z = (U - n_a n_b/2 - 1/2) / \sqrt{\tfrac{n_a n_b}{12}\big(n + 1 - \tfrac{\sum_g (t_g^3 - t_g)}{n(n-1)}\big)}`,
  :math:`p = 2\,\Phi(-z)` (clipped to 1). Equals ``scipy.stats.mannwhitneyu(x_b, x_a, method=...)``.
- ``"anova"`` (one-way): :math:`F = \frac{SS_B/(k-1)}{SS_W/(n-k)}`, :math:`SS_B = \sum n_j (\bar x_j - \bar x)^2`,
  :math:`SS_W = \sum_j \sum_i (x_{ij} - \bar x_j)^2`. Equals ``scipy.stats.f_oneway``.
- ``"kruskal"``: :math:`H = \big(\frac{12}{n(n+1)} \sum_j R_j^2/n_j - 3(n+1)\big) / \big(1 - \frac{\sum_g
  (t_g^3 - t_g)}{n^3 - n}\big)`, :math:`p = P(\chi^2_{k-1} > H)`. Equals ``scipy.stats.kruskal``.

The ``"auto"`` rule (as in the seed study: parametric tests for normal data, rank tests otherwise),
decided per feature: every group's values are tested for normality with Shapiro–Wilk
(``scipy.stats.shapiro``); when all groups have :math:`p \ge` ``normality_alpha`` (default 0.05, and
the group's values are not all equal) the feature is *normal* and gets Welch's t-test (2 groups; Welch
rather than Student because it does not assume equal variances) or one-way ANOVA (3+ groups);
otherwise Mann–Whitney U (2 groups) or Kruskal–Wallis (3+ groups). The ``test`` column says which
test each feature got and ``normality_p`` the smallest Shapiro–Wilk p over the groups.

Effect sizes and fold changes are defined in :mod:`radiogenomics.stats.effect`; multiple-testing
corrections in :mod:`radiogenomics.stats.fdr`.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import special, stats

from radiogenomics.choices import Choice
from radiogenomics.errors import UnknownNameError
from radiogenomics.stats._common import (
    _preview,
    as_list,
    check_columns,
    group_codes,
    numeric_matrix,
    plain,
    rank_columns,
    resolve_features,
)
from radiogenomics.stats.effect import cohens_d, eta_squared, eta_squared_h, log2_fold_change, rank_biserial
from radiogenomics.stats.errors import NotEnoughGroupsError, StatsError, TooFewObservationsError
from radiogenomics.stats.fdr import bonferroni, fdr_bh
from radiogenomics.table import parse_feature_column

__all__ = [
    "FoldChange",
    "GroupTest",
    "compare_groups",
    "compare_groups_by",
    "mannwhitney_exact_sf",
    "split_feature_name",
]

logger = logging.getLogger(__name__)

TWO_GROUP_TESTS = ("t", "welch", "mannwhitney")
EFFECT_TYPE = {"t": "cohen_d", "welch": "cohen_d", "mannwhitney": "rank_biserial", "anova": "eta2",
               "kruskal": "eta2_h"}
Arr = NDArray[np.float64]


_TEST_ALIASES = {"ttest": "t", "student": "t", "t-test": "t", "mwu": "mannwhitney", "mann-whitney": "mannwhitney",
                 "mannwhitneyu": "mannwhitney", "f_oneway": "anova", "kruskal-wallis": "kruskal", "kw": "kruskal"}


class GroupTest(Choice, kind="group test", aliases=_TEST_ALIASES):
    """Tests of :func:`compare_groups` (``"auto"`` chooses per feature, see the module docstring)."""

    AUTO = "auto"
    T = "t"
    WELCH = "welch"
    MANNWHITNEY = "mannwhitney"
    ANOVA = "anova"
    KRUSKAL = "kruskal"


class FoldChange(Choice, kind="fold change"):
    """How :func:`compare_groups` computes ``log2fc`` (see :mod:`radiogenomics.stats.effect`)."""

    MINMAX = "minmax"
    RAW = "raw"


# --------------------------------------------------------------------------------------------- tests
def _t_p(t: NDArray[np.float64], dof: NDArray[np.float64]) -> NDArray[np.float64]:
    return 2.0 * special.stdtr(dof, -np.abs(t))


def _student(ma: Arr, mb: Arr, va: Arr, vb: Arr, na: Arr, nb: Arr) -> tuple[Arr, Arr]:
    dof = na + nb - 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        sp2 = ((na - 1.0) * va + (nb - 1.0) * vb) / dof
        t = (mb - ma) / np.sqrt(sp2 * (1.0 / na + 1.0 / nb))
    return t, _t_p(t, dof)


def _welch(ma: Arr, mb: Arr, va: Arr, vb: Arr, na: Arr, nb: Arr) -> tuple[Arr, Arr]:
    with np.errstate(divide="ignore", invalid="ignore"):
        qa, qb = va / na, vb / nb
        t = (mb - ma) / np.sqrt(qa + qb)
        dof = (qa + qb) ** 2 / (qa * qa / (na - 1.0) + qb * qb / (nb - 1.0))
    return t, _t_p(t, dof)


def _mwu_null_counts(m: int, n: int) -> NDArray[np.float64]:
    """Number of orderings of ``m`` x's and ``n`` y's with U = u, for u = 0..m*n (no ties).

    Recurrence on the largest observation: c(m, n; u) = c(m-1, n; u-n) + c(m, n-1; u).
    """
    m, n = min(m, n), max(m, n)
    size = m * n + 1
    prev = np.zeros((m + 1, size))  # prev[i] = c(i, j-1; .)
    prev[:, 0] = 1.0  # c(i, 0; u) = [u == 0]
    for j in range(1, n + 1):
        cur = np.zeros_like(prev)
        cur[0, 0] = 1.0
        for i in range(1, m + 1):
            cur[i] = prev[i]
            cur[i, j:] += cur[i - 1, : size - j]
        prev = cur
    return prev[m]


def mannwhitney_exact_sf(u: NDArray[np.float64], n_a: int, n_b: int) -> NDArray[np.float64]:
    """Exact null survival function ``P(U >= u)`` of the Mann–Whitney U for sizes ``n_a``, ``n_b`` (no ties)."""
    counts = _mwu_null_counts(int(n_a), int(n_b))
    tail = np.cumsum(counts[::-1])[::-1] / counts.sum()
    idx = np.clip(np.round(np.asarray(u)).astype(np.int64), 0, counts.size - 1)
    return tail[idx]


def _mannwhitney(
    x: NDArray[np.float64], in_b: NDArray[np.bool_], method: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """U of group b and the two-sided p for columns of ``x`` (rows of groups a and b only)."""
    ranks, tie = rank_columns(x)
    valid = ~np.isnan(x)
    na = np.sum(valid & ~in_b[:, None], axis=0).astype(np.float64)
    nb = np.sum(valid & in_b[:, None], axis=0).astype(np.float64)
    n = na + nb
    rb = np.nansum(np.where(in_b[:, None], ranks, np.nan), axis=0)
    ub = rb - nb * (nb + 1.0) / 2.0
    ua = na * nb - ub
    big = np.maximum(ua, ub)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.sqrt(na * nb / 12.0 * ((n + 1.0) - tie / (n * (n - 1.0))))
        z = (big - na * nb / 2.0 - 0.5) / s
    p = 2.0 * special.ndtr(-z)
    if method == "exact":
        exact = np.ones(x.shape[1], dtype=bool)
    elif method == "auto":
        exact = (np.minimum(na, nb) <= 8) & (tie == 0)
    else:
        exact = np.zeros(x.shape[1], dtype=bool)
    if exact.any():
        pairs = np.stack([na[exact], nb[exact]], axis=1).astype(np.int64)
        idx = np.flatnonzero(exact)
        for pa, pb in np.unique(pairs, axis=0):  # one null distribution per (n_a, n_b), not per feature
            sel = idx[(pairs[:, 0] == pa) & (pairs[:, 1] == pb)]
            p[sel] = 2.0 * mannwhitney_exact_sf(big[sel], int(pa), int(pb))
    return ub, np.clip(p, 0.0, 1.0)


def _anova(means: Arr, variances: Arr, counts: Arr) -> tuple[Arr, Arr, Arr, Arr]:
    """F, p, SS_between, SS_within from per-group (k × features) means, variances and counts."""
    n = counts.sum(axis=0)
    k = means.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        grand = np.sum(counts * means, axis=0) / n
        ssb = np.sum(counts * (means - grand) ** 2, axis=0)
        ssw = np.sum((counts - 1.0) * variances, axis=0)
        f = (ssb / (k - 1.0)) / (ssw / (n - k))
    p = special.fdtrc(k - 1.0, n - k, f)
    return f, p, ssb, ssw


def _kruskal(x: NDArray[np.float64], codes: NDArray[np.intp], k: int) -> tuple[NDArray[np.float64], ...]:
    """H and p for columns of ``x`` (rows of the k groups only, codes 0..k-1)."""
    ranks, tie = rank_columns(x)
    valid = ~np.isnan(x)
    n = valid.sum(axis=0).astype(np.float64)
    total = np.zeros(x.shape[1])
    for j in range(k):  # loop over groups, vectorised over features
        rows = codes == j
        nj = valid[rows].sum(axis=0)
        rj = np.nansum(ranks[rows], axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            total += np.where(nj > 0, rj * rj / nj, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = (12.0 / (n * (n + 1.0)) * total - 3.0 * (n + 1.0)) / (1.0 - tie / (n**3 - n))
    p = special.chdtrc(k - 1.0, h)
    return h, p, n


def _shapiro_min_p(
    x: NDArray[np.float64], codes: NDArray[np.intp], k: int, group_range: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Smallest Shapiro–Wilk p over the k groups per column (0 where a group's values are all equal)."""
    out = np.ones(x.shape[1])
    for j in range(k):
        xj = x[codes == j]
        policy = "omit" if np.isnan(xj).any() else "propagate"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pj = np.asarray(stats.shapiro(xj, axis=0, nan_policy=policy).pvalue, dtype=np.float64)
        pj = np.where(group_range[j] > 0, pj, 0.0)
        out = np.minimum(out, np.nan_to_num(pj, nan=0.0))
    return out


# --------------------------------------------------------------------------------------------- API
def compare_groups(
    df: pd.DataFrame,
    features: str | Sequence[str] | None,
    group: str,
    test: str | GroupTest = "auto",
    *,
    levels: Sequence[Any] | None = None,
    fold_change: str | FoldChange = "minmax",
    mw_method: str = "auto",
    normality_alpha: float = 0.05,
    alpha: float = 0.05,
    min_group_size: int = 3,
) -> pd.DataFrame:
    r"""Compare every feature between the groups of ``group``; one tidy row per feature.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per case; feature columns and the grouping column.
    features : str, list of str or None
        Feature columns (numeric or boolean). ``None``: every numeric column except ``group`` and
        ``case_id``.
    group : str
        Grouping column (e.g. ``"TP53"``); rows where it is missing are left out.
    test : {"auto", "t", "welch", "mannwhitney", "anova", "kruskal"}
        Test (formulas in the module docstring). ``"auto"``: Shapiro–Wilk in every group; all normal →
        Welch's t (2 groups) or one-way ANOVA (3+), otherwise Mann–Whitney U (2) or Kruskal–Wallis (3+),
        decided per feature. ``"t"``, ``"welch"`` and ``"mannwhitney"`` need exactly two groups.
    levels : sequence, optional
        Group levels to compare and their order (default: sorted distinct values). The first level is
        the reference *a* and the second the comparison *b* of two-group statistics; rows of other
        levels are left out.
    fold_change : {"minmax", "raw"}
        ``log2fc`` definition (:mod:`radiogenomics.stats.effect`): ``"minmax"`` (default)
        :math:`\log_2((\bar x_b - \min)/(\bar x_a - \min))`, defined for negative-valued features too;
        ``"raw"`` :math:`\log_2(\bar x_b/\bar x_a)` (NaN unless both means are positive).
    mw_method : {"auto", "asymptotic", "exact"}
        p-value of Mann–Whitney U, as ``scipy.stats.mannwhitneyu(method=...)``: ``"auto"`` is exact when
        the smaller group has ≤ 8 values and there are no ties.
    normality_alpha : float
        Shapiro–Wilk level of the ``"auto"`` rule.
    alpha : float
        FDR level of the ``significant`` column.
    min_group_size : int
        Smallest group the tests accept (default 3).

    Returns
    -------
    pandas.DataFrame
        One row per feature, in the order of ``features``, with the columns (for levels
        :math:`g_1..g_k`; ``<g>`` is ``str(level)``):

        ========================= ===========================================================================
        ``feature``               feature column name
        ``test``                  test applied: ``t``, ``welch``, ``mannwhitney``, ``anova``, ``kruskal``
                                  (missing when the feature was excluded)
        ``status``                ``tested``; ``constant`` (all complete-case values equal: excluded, reported
                                  here, not silently NaN); ``too_few`` (a group has fewer than
                                  ``min_group_size`` non-missing values for this feature)
        ``n``                     complete cases of this feature (over the compared groups)
        ``n_<g>``                 complete cases per group
        ``mean_<g>``              group mean
        ``sd_<g>``                group standard deviation (ddof = 1)
        ``median_<g>``            group median
        ``log2fc``                log2 fold change of the 2nd level over the 1st (NaN for 3+ groups)
        ``smd``                   standardised mean difference (Cohen's d, pooled SD) of the 2nd level minus
                                  the 1st (NaN for 3+ groups): the effect on the volcano's x axis for a
                                  feature that is not strictly positive
        ``positive``              every compared value of the feature is > 0 (a ratio of means is meaningful)
        ``effect_size``           Cohen's d (t, welch), rank-biserial r (mannwhitney), η² (anova),
                                  η²_H (kruskal); positive = higher in the 2nd level for two-group effects
        ``effect_type``           ``cohen_d``, ``rank_biserial``, ``eta2`` or ``eta2_h``
        ``statistic``             t (2nd minus 1st level), U of the 2nd level, F or H
        ``dof``                   degrees of freedom: n−2 (t), Welch–Satterthwaite ν (welch), k−1 (anova
                                  numerator, kruskal); NaN for mannwhitney
        ``p``                     two-sided p-value
        ``p_fdr``                 Benjamini–Hochberg adjusted p over the tested features
        ``p_bonf``                Bonferroni adjusted p over the tested features
        ``significant``           ``p_fdr < alpha``
        ``normality_p``           smallest Shapiro–Wilk p over the groups (``"auto"`` only, else NaN)
        ========================= ===========================================================================

    Raises
    ------
    UnknownNameError
        A column or test name is unknown (the message suggests the closest one).
    NotEnoughGroupsError
        Fewer than two groups, or a two-group test with more than two.
    TooFewObservationsError
        A group has fewer than ``min_group_size`` rows.
    NonNumericColumnError, NonFiniteValueError
        A feature is not numeric, or holds ±inf.

    Examples
    --------
    >>> res = compare_groups(df, None, "TP53")                   # doctest: +SKIP
    >>> res.sort_values("p").head()                              # doctest: +SKIP
    """
    test = GroupTest.parse(test)
    fold_change = FoldChange.parse(fold_change)
    if mw_method not in ("auto", "asymptotic", "exact"):
        raise UnknownNameError("Mann-Whitney method", mw_method, ["auto", "asymptotic", "exact"])
    if min_group_size < 2:
        raise StatsError(f"min_group_size must be at least 2, got {min_group_size}")
    check_columns(df, [group], "group column")
    names = resolve_features(df, features, exclude=[group])
    if group in names:
        raise StatsError(f"the group column {group!r} is also listed as a feature")

    codes_all, levels = group_codes(df[group], levels)
    k = len(levels)
    if k < 2:
        raise NotEnoughGroupsError(
            f"column {group!r} has {k} group level(s) {levels}; comparing groups needs at least 2"
        )
    if test in (GroupTest.T, GroupTest.WELCH, GroupTest.MANNWHITNEY) and k != 2:
        raise NotEnoughGroupsError(
            f"test {test.value!r} compares two groups but column {group!r} has {k} levels {levels}; "
            "use test='anova', 'kruskal' or 'auto', or pass levels=[a, b]"
        )
    keep = codes_all >= 0
    if (~keep).any():
        logger.info("%d row(s) without a %r level left out", int((~keep).sum()), group)
    codes = codes_all[keep]
    sizes = np.bincount(codes, minlength=k)
    if sizes.min() < min_group_size:
        detail = ", ".join(f"{lv!r}: {int(s)}" for lv, s in zip(levels, sizes, strict=True))
        raise TooFewObservationsError(
            f"column {group!r} has a group with fewer than {min_group_size} rows ({detail}); "
            "merge or drop small groups (or pass levels=...)"
        )

    x = numeric_matrix(df.loc[keep], names)
    p_feat = x.shape[1]
    valid = ~np.isnan(x)

    # per-group descriptive statistics, k × features (two-pass variance, as NumPy/SciPy)
    counts = np.zeros((k, p_feat))
    means = np.full((k, p_feat), np.nan)
    variances = np.full((k, p_feat), np.nan)
    medians = np.full((k, p_feat), np.nan)
    mins = np.full((k, p_feat), np.inf)
    maxs = np.full((k, p_feat), -np.inf)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for j in range(k):
            xj = x[codes == j]
            vj = valid[codes == j]
            nj = vj.sum(axis=0).astype(np.float64)
            counts[j] = nj
            mj = np.where(vj, xj, 0.0).sum(axis=0) / nj
            means[j] = mj
            dev = np.where(vj, xj - mj, 0.0)
            variances[j] = np.sum(dev * dev, axis=0) / (nj - 1.0)
            medians[j] = np.nanmedian(xj, axis=0)
            mins[j] = np.where(vj, xj, np.inf).min(axis=0)
            maxs[j] = np.where(vj, xj, -np.inf).max(axis=0)
    n_total = counts.sum(axis=0)
    lo, hi = mins.min(axis=0), maxs.max(axis=0)
    group_range = maxs - mins

    too_few = counts.min(axis=0) < min_group_size
    constant = ~too_few & (lo == hi)
    tested = ~too_few & ~constant
    status = np.where(too_few, "too_few", np.where(constant, "constant", "tested")).astype(object)
    if constant.any():
        const_names = [names[i] for i in np.flatnonzero(constant)]
        logger.warning("%d constant feature(s) excluded from testing (status 'constant'): %s",
                       len(const_names), _preview(const_names))
    if too_few.any():
        few_names = [names[i] for i in np.flatnonzero(too_few)]
        logger.warning("%d feature(s) with fewer than %d complete cases in a group excluded (status 'too_few'): %s",
                       len(few_names), min_group_size, _preview(few_names))

    # which test for which feature
    normality_p = np.full(p_feat, np.nan)
    chosen = np.full(p_feat, "", dtype=object)
    if test is GroupTest.AUTO:
        cols = np.flatnonzero(tested)
        if cols.size:
            normality_p[cols] = _shapiro_min_p(x[:, cols], codes, k, group_range[:, cols])
        normal = normality_p >= normality_alpha
        chosen[tested & normal] = "welch" if k == 2 else "anova"
        chosen[tested & ~normal] = "mannwhitney" if k == 2 else "kruskal"
    else:
        chosen[tested] = test.value

    statistic = np.full(p_feat, np.nan)
    pval = np.full(p_feat, np.nan)
    dof = np.full(p_feat, np.nan)
    effect = np.full(p_feat, np.nan)
    for name in ("t", "welch", "mannwhitney", "anova", "kruskal"):
        cols = np.flatnonzero(chosen == name)
        if not cols.size:
            continue
        if name in ("t", "welch"):
            args = (means[0, cols], means[1, cols], variances[0, cols], variances[1, cols],
                    counts[0, cols], counts[1, cols])
            fn: Callable[..., tuple[NDArray[np.float64], NDArray[np.float64]]] = _student if name == "t" else _welch
            statistic[cols], pval[cols] = fn(*args)
            if name == "t":
                dof[cols] = counts[0, cols] + counts[1, cols] - 2.0
            else:
                qa, qb = args[2] / args[4], args[3] / args[5]
                with np.errstate(divide="ignore", invalid="ignore"):
                    dof[cols] = (qa + qb) ** 2 / (qa * qa / (args[4] - 1.0) + qb * qb / (args[5] - 1.0))
            effect[cols] = cohens_d(*args)
        elif name == "mannwhitney":
            ub, p = _mannwhitney(x[:, cols], codes == 1, mw_method)
            statistic[cols], pval[cols] = ub, p
            effect[cols] = rank_biserial(ub, counts[0, cols], counts[1, cols])
        elif name == "anova":
            f, p, ssb, ssw = _anova(means[:, cols], variances[:, cols], counts[:, cols])
            statistic[cols], pval[cols], dof[cols] = f, p, k - 1.0
            effect[cols] = eta_squared(ssb, ssw)
        else:
            h, p, n_h = _kruskal(x[:, cols], codes, k)
            statistic[cols], pval[cols], dof[cols] = h, p, k - 1.0
            effect[cols] = eta_squared_h(h, k, n_h)

    if k == 2:
        minimum = lo if fold_change is FoldChange.MINMAX else None
        log2fc = log2_fold_change(means[0], means[1], minimum)
        log2fc[~tested] = np.nan
        smd = cohens_d(means[0], means[1], variances[0], variances[1], counts[0], counts[1])
        smd[~tested] = np.nan
    else:
        log2fc = np.full(p_feat, np.nan)
        smd = np.full(p_feat, np.nan)
    p_fdr = fdr_bh(pval)
    p_bonf = bonferroni(pval)

    data: dict[str, Any] = {
        "feature": names,
        "test": pd.array(np.where(chosen == "", None, chosen), dtype="string"),
        "status": status,
        "n": n_total.astype(np.int64),
    }
    labels = [str(lv) for lv in levels]
    if len(set(labels)) != k:
        raise StatsError(f"group levels {levels} are not distinct as text; recode column {group!r}")
    for j, lab in enumerate(labels):
        data[f"n_{lab}"] = counts[j].astype(np.int64)
    with np.errstate(invalid="ignore"):
        sds = np.sqrt(variances)
    for prefix, arr in (("mean", means), ("sd", sds), ("median", medians)):
        for j, lab in enumerate(labels):
            data[f"{prefix}_{lab}"] = arr[j]
    effect_type = np.array([EFFECT_TYPE.get(c) for c in chosen], dtype=object)
    data.update({
        "log2fc": log2fc,
        "smd": smd,
        "positive": lo > 0,
        "effect_size": effect,
        "effect_type": pd.array(effect_type, dtype="string"),
        "statistic": statistic,
        "dof": dof,
        "p": pval,
        "p_fdr": p_fdr,
        "p_bonf": p_bonf,
        "significant": np.nan_to_num(p_fdr, nan=1.0) < alpha,
        "normality_p": normality_p,
    })
    out = pd.DataFrame(data)
    out["status"] = out["status"].astype("string")
    out.attrs.update(plain({"group": group, "levels": list(levels), "test": test.value, "alpha": alpha}))
    n_tested = int(tested.sum())
    logger.info("compare_groups: %d feature(s), %d tested, %d significant at FDR %.3g",
                p_feat, n_tested, int(out["significant"].sum()), alpha)
    return out


def split_feature_name(name: str) -> tuple[str, str, str]:
    """Split a cohort feature name ``<roi>_<modality>__<feature>`` into ``(roi, modality, feature)``.

    Names without a source prefix give ``("", "", name)``; the ROI may itself contain underscores
    (:func:`radiogenomics.table.parse_feature_column`).

    >>> split_feature_name("tumour_pet__original_glcm_Contrast")
    ('tumour', 'pet', 'original_glcm_Contrast')
    """
    parsed = parse_feature_column(name)
    return ("", "", name) if parsed is None else tuple(parsed)  # type: ignore[return-value]


def compare_groups_by(
    df: pd.DataFrame,
    features: str | Sequence[str] | None,
    group: str,
    by: str | None = None,
    test: str | GroupTest = "auto",
    *,
    include_all: bool = True,
    all_label: str = "all",
    split_sources: bool = True,
    on_error: str = "raise",
    **kwargs: Any,
) -> pd.DataFrame:
    """:func:`compare_groups` in every subset of ``by`` (and the whole cohort), per feature source.

    This is the analysis behind a volcano grid: one panel per subset × ROI × modality. The FDR
    (``p_fdr``, ``p_bonf``, ``significant``) is computed within each panel, i.e. over the features of
    one source in one subset.

    Parameters
    ----------
    df, features, group, test
        As :func:`compare_groups`.
    by : str, optional
        Column whose levels define subsets (e.g. ``"cancer_type"``). ``None``: the whole cohort only.
    include_all : bool
        Also analyse the whole cohort, as subset ``all_label``.
    all_label : str
        Subset name of the whole cohort (default ``"all"``).
    split_sources : bool
        Split features by their ``<roi>_<modality>__`` prefix (FDR per source); otherwise one set.
    on_error : {"raise", "skip"}
        What to do when a subset cannot be analysed (e.g. a group with fewer than 3 cases):
        raise the :class:`StatsError`, or skip the subset with a warning; skipped subsets and their
        reasons are listed in ``result.attrs["skipped"]``.
    **kwargs
        Passed to :func:`compare_groups` (``levels``, ``fold_change``, ``alpha``...).

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`compare_groups`, preceded by ``subset`` (level of ``by`` or
        ``all_label``), ``roi``, ``modality`` (empty strings for features without a source prefix) and
        ``radiomic_feature`` (the feature name without the prefix). Rows ordered by subset (levels of
        ``by`` in sorted order, then ``all_label``), source, then feature order.
    """
    if on_error not in ("raise", "skip"):
        raise UnknownNameError("on_error value", on_error, ["raise", "skip"])
    check_columns(df, [group, *as_list(by)], "column")
    exclude: list[Hashable] = [group, *as_list(by)]
    names = resolve_features(df, features, exclude=exclude)
    if by is not None and by in names:
        raise StatsError(f"the subset column {by!r} is also listed as a feature")
    levels = kwargs.pop("levels", None)
    if levels is None:
        levels = group_codes(df[group])[1]

    subsets: list[tuple[str, pd.DataFrame]] = []
    if by is not None:
        _, by_levels = group_codes(df[by])
        subsets += [(str(lv), df[df[by] == lv]) for lv in by_levels]
        if all_label in [s for s, _ in subsets]:
            raise StatsError(f"subset name {all_label!r} is a level of {by!r}; pass another all_label")
    if by is None or include_all:
        subsets.append((all_label, df))

    parts = [split_feature_name(n) for n in names] if split_sources else [("", "", n) for n in names]
    sources: dict[tuple[str, str], list[int]] = {}
    for i, (roi, modality, _) in enumerate(parts):
        sources.setdefault((roi, modality), []).append(i)

    frames: list[pd.DataFrame] = []
    skipped: dict[str, str] = {}
    for subset, sub in subsets:
        try:
            for (roi, modality), idx in sources.items():
                res = compare_groups(sub, [names[i] for i in idx], group, test, levels=levels, **kwargs)
                res.insert(0, "radiomic_feature", [parts[i][2] for i in idx])
                res.insert(0, "modality", modality)
                res.insert(0, "roi", roi)
                res.insert(0, "subset", subset)
                frames.append(res)
        except StatsError as exc:
            if on_error == "raise":
                raise StatsError(f"subset {subset!r}: {exc}") from exc
            logger.warning("subset %r skipped: %s", subset, exc)
            skipped[subset] = str(exc)
            frames = [f for f in frames if f["subset"].iat[0] != subset]
    if not frames:
        raise StatsError(f"no subset could be analysed: {skipped}")
    out = pd.concat(frames, ignore_index=True)
    for col in ("subset", "roi", "modality", "radiomic_feature"):
        out[col] = out[col].astype("string")
    out.attrs.update(plain({"group": group, "by": by, "levels": list(levels), "skipped": skipped}))
    return out
