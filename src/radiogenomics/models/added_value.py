r"""What imaging adds beyond the clinical variables: paired AUC differences with 95% intervals.

For every model :math:`m` and every source that combines imaging with the clinical columns (``stacked``,
``late+clinical``, ``<imaging>+clinical``; :func:`~radiogenomics.models.sources.combined`), against its clinical-only
reference (:func:`~radiogenomics.models.sources.reference`: ``clinical_stack``, the same logistic second level
without the imaging score, for ``stacked``; the same model on the clinical columns, ``clinical``, otherwise), on the
*same* splits (every model × source of a run shares its folds and hold-out):

* **CV** (``split="cv"``): the per-fold differences :math:`d_j = AUC^{comb}_j - AUC^{clin}_j` over the
  :math:`J` = folds × repeats test folds, with the corrected resampled t of Nadeau & Bengio (2003) (Bouckaert &
  Frank, 2004), which accounts for the overlap of the training sets:

  .. math:: \hat\sigma^2 = \Big(\frac1J + \frac{n_{test}}{n_{train}}\Big) s_d^2, \qquad
            t = \bar d / \hat\sigma, \qquad \bar d \pm t_{1-\alpha/2,\,J-1}\, \hat\sigma,

  two-sided :math:`p` from Student's t with :math:`J - 1` degrees of freedom;
* **hold-out** (``split="test"``): DeLong's test (:func:`~radiogenomics.models.delong.delong_test`) on the
  hold-out predictions of each repeat, :math:`\Delta \pm z_{1-\alpha/2}\, SE`; with several repeats the
  difference and the bounds are the means over repeats and :math:`p` is the median.

Sources evaluated on alternate features (``<source>@<name>``) are left out (they are not trained on the same
features).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from radiogenomics.models.delong import delong_test
from radiogenomics.models.errors import ModelParameterError
from radiogenomics.models.protocol import EvaluationResult, reliability
from radiogenomics.models.sources import combined, reference

__all__ = ["ADDED_COLUMNS", "added_value", "corrected_t"]

#: Columns of :func:`added_value`.
ADDED_COLUMNS = ("model", "source", "reference", "split", "auc", "auc_reference", "difference", "ci_low",
                 "ci_high", "p", "method", "k", "n", "n_pos", "reliable", "reason")


def corrected_t(d: np.ndarray, test_fraction: float, alpha: float = 0.05) -> tuple[float, float, float, float]:
    r"""``(mean, low, high, p)`` of the corrected resampled t over the fold differences ``d`` (module docstring).

    ``test_fraction`` is :math:`n_{test} / n_{train}` of one fold (:math:`1 / (k - 1)` for k-fold CV). All
    differences equal gives ``(d, d, d, p)`` with ``p = 1`` for 0 and ``0`` otherwise; fewer than two gives NaN
    bounds.
    """
    d = np.asarray(d, dtype=np.float64)
    d = d[np.isfinite(d)]
    if not test_fraction > 0:
        raise ModelParameterError(f"test_fraction must be > 0, got {test_fraction}")
    if d.size < 2:
        m = float(d.mean()) if d.size else float("nan")
        return m, float("nan"), float("nan"), float("nan")
    m = float(d.mean())
    se = float(np.sqrt((1.0 / d.size + test_fraction) * d.var(ddof=1)))
    if se == 0.0:
        return m, m, m, 1.0 if m == 0 else 0.0
    df = d.size - 1
    half = float(stats.t.ppf(1 - alpha / 2, df)) * se
    p = float(2 * stats.t.sf(abs(m / se), df))
    return m, m - half, m + half, p


def _cv_rows(result: EvaluationResult, model: str, source: str, reference: str, alpha: float) -> dict | None:
    f = result.folds
    auc = f[(f.split == "cv") & (f.metric == "roc_auc") & (f.model == model)]
    a = auc[auc.source == source].set_index(["repeat", "fold"])
    b = auc[auc.source == reference].set_index(["repeat", "fold"])
    both = a.index.intersection(b.index)
    if both.empty:
        return None
    a, b = a.loc[both], b.loc[both]
    d = a["value"].to_numpy(dtype=float) - b["value"].to_numpy(dtype=float)
    n_test = float(a["n"].mean())
    repeats = int(a.index.get_level_values(0).nunique())
    n_total = float(a["n"].sum()) / repeats
    mean, lo, hi, p = corrected_t(d, n_test / max(n_total - n_test, 1.0), alpha)
    n, n_pos = int(a["n"].sum()) // repeats, int(a["n_pos"].sum()) // repeats
    ok, why = reliability(n, n_pos, int(a["constant"].sum() + b["constant"].sum()) if "constant" in a else 0,
                          2 * len(both))
    return {"model": model, "source": source, "reference": reference, "split": "cv",
            "auc": float(np.nanmean(a["value"])), "auc_reference": float(np.nanmean(b["value"])),
            "difference": mean, "ci_low": lo, "ci_high": hi, "p": p, "method": "corrected resampled t",
            "k": int(d.size), "n": n, "n_pos": n_pos, "reliable": ok, "reason": why}


def _test_rows(result: EvaluationResult, model: str, source: str, reference: str, alpha: float) -> dict | None:
    pr = result.predictions
    pr = pr[(pr.split == "test") & (pr.model == model)]
    if pr.empty:
        return None
    z = float(stats.norm.ppf(1 - alpha / 2))
    diffs, los, his, ps, auc_a, auc_b, ns, npos = [], [], [], [], [], [], [], []
    for _, g in pr.groupby("repeat", sort=True):
        a = g[g.source == source].set_index("case_id")
        b = g[g.source == reference].set_index("case_id")
        if a.empty or b.empty:
            continue
        b = b.loc[a.index]
        y = a["y_true"].to_numpy()
        if min(int(y.sum()), int((1 - y).sum())) < 2:
            continue
        r = delong_test(y, a["prob"].to_numpy(), b["prob"].to_numpy())
        diffs.append(r.difference)
        los.append(r.difference - z * r.se)
        his.append(r.difference + z * r.se)
        ps.append(r.p_value)
        auc_a.append(r.auc1)
        auc_b.append(r.auc2)
        ns.append(y.size)
        npos.append(int(y.sum()))
    if not diffs:
        return None
    n, n_pos = int(np.mean(ns)), int(np.mean(npos))
    ok, why = reliability(n, n_pos, 0, 0)
    return {"model": model, "source": source, "reference": reference, "split": "test", "auc": float(np.mean(auc_a)),
            "auc_reference": float(np.mean(auc_b)), "difference": float(np.mean(diffs)),
            "ci_low": float(np.mean(los)), "ci_high": float(np.mean(his)), "p": float(np.median(ps)),
            "method": "DeLong", "k": len(diffs), "n": n, "n_pos": n_pos, "reliable": ok, "reason": why}


def added_value(result: EvaluationResult, alpha: float = 0.05) -> pd.DataFrame:
    """The added value of imaging: one row per model × combined source × split (module docstring).

    Columns :data:`ADDED_COLUMNS`; ``difference`` is the AUC of the combined source minus its reference's, ``k``
    the number of paired estimates (folds, or hold-out repeats). A combined source whose reference was not
    evaluated is left out.
    """
    f = result.folds
    pairs = f[["model", "source"]].drop_duplicates()
    rows = []
    for model, source in pairs.itertuples(index=False):
        if "@" in source or not combined(source):
            continue
        ref = reference(source)
        if not ((pairs.model == model) & (pairs.source == ref)).any():
            continue
        for fn in (_cv_rows, _test_rows):
            row = fn(result, model, source, ref, alpha)
            if row is not None:
                rows.append(row)
    return pd.DataFrame(rows, columns=list(ADDED_COLUMNS))
