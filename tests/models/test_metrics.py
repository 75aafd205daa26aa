"""Metrics agree with scikit-learn; bootstrap CI coverage; DeLong against independent references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from sklearn import metrics as skm

from radiogenomics.models import binary_metrics, bootstrap_ci, delong_test, roc_auc, youden_threshold
from radiogenomics.models.errors import InvalidTargetError


@pytest.mark.parametrize("seed", range(5))
def test_metrics_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 200)
    p = np.round(np.clip(0.3 * y + rng.random(200) * 0.7, 0, 1), 2)  # rounded: ties
    m = binary_metrics(y, p, 0.5)
    pred = (p >= 0.5).astype(int)
    tn, fp, _, _ = skm.confusion_matrix(y, pred).ravel()
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, pred), abs=1e-12)
    assert m["precision"] == pytest.approx(skm.precision_score(y, pred, zero_division=0), abs=1e-12)
    assert m["sensitivity"] == pytest.approx(skm.recall_score(y, pred), abs=1e-12)
    assert m["specificity"] == pytest.approx(tn / (tn + fp), abs=1e-12)
    assert m["f1"] == pytest.approx(skm.f1_score(y, pred), abs=1e-12)
    assert m["roc_auc"] == pytest.approx(skm.roc_auc_score(y, p), abs=1e-12)
    assert m["pr_auc"] == pytest.approx(skm.average_precision_score(y, p), abs=1e-12)
    assert m["brier"] == pytest.approx(skm.brier_score_loss(y, p), abs=1e-12)


def test_bad_target():
    with pytest.raises(InvalidTargetError):
        binary_metrics([0, 2], [0.1, 0.2])
    assert np.isnan(roc_auc([1, 1], [0.1, 0.2]))


def test_youden_threshold_separates():
    y = np.array([0, 0, 0, 1, 1, 1])
    p = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.8])
    t = youden_threshold(y, p)
    assert binary_metrics(y, p, t)["accuracy"] == 1.0


def _delong_bruteforce(y, p1, p2):
    """Direct O(m n) DeLong et al. (1988) structural components (independent of the rank trick)."""
    out = []
    for p in (p1, p2):
        x, w = p[y == 1], p[y == 0]
        psi = (x[:, None] > w[None, :]) + 0.5 * (x[:, None] == w[None, :])
        out.append((psi.mean(), psi.mean(axis=1), psi.mean(axis=0)))
    m, n = (y == 1).sum(), (y == 0).sum()
    s10 = np.cov(np.vstack([out[0][1], out[1][1]]))
    s01 = np.cov(np.vstack([out[0][2], out[1][2]]))
    s = s10 / m + s01 / n
    z = (out[0][0] - out[1][0]) / np.sqrt(s[0, 0] + s[1, 1] - 2 * s[0, 1])
    return z, 2 * norm.sf(abs(z)), s


def test_delong_matches_direct_definition():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 120)
    p1 = np.round(y * 0.8 + rng.standard_normal(120), 1)
    p2 = np.round(y * 0.3 + rng.standard_normal(120), 1)
    r = delong_test(y, p1, p2)
    z, pv, s = _delong_bruteforce(y, p1, p2)
    assert r.z == pytest.approx(z, rel=1e-10)
    assert r.p_value == pytest.approx(pv, rel=1e-10)
    assert r.var1 == pytest.approx(s[0, 0], rel=1e-10)
    assert r.auc1 == pytest.approx(skm.roc_auc_score(y, p1), abs=1e-12)


def test_delong_hanley_mcneil_example():
    """Published example: Hanley & McNeil (1982) Radiology 143:29, Table 1 — 109 CT images rated on
    a 5-point scale (normal 33/6/6/11/2, abnormal 3/2/2/11/33). Published: AUC = 0.893 (trapezoidal,
    equal to the Mann-Whitney/DeLong AUC) and SE = 0.032 (Hanley-McNeil approximation). Our DeLong
    SE is 0.0307, within 0.002 of the published approximation."""
    normal = np.repeat([1, 2, 3, 4, 5], [33, 6, 6, 11, 2])
    abnormal = np.repeat([1, 2, 3, 4, 5], [3, 2, 2, 11, 33])
    y = np.r_[np.zeros(normal.size), np.ones(abnormal.size)].astype(int)
    s = np.r_[normal, abnormal].astype(float)
    r = delong_test(y, s, np.zeros_like(s))  # versus a constant (useless) score
    assert r.auc1 == pytest.approx(0.893, abs=5e-4)
    assert np.sqrt(r.var1) == pytest.approx(0.032, abs=2e-3)
    assert r.auc2 == 0.5


def test_bootstrap_ci_coverage():
    """Coverage of the 95% percentile bootstrap CI of the AUC in a small simulation (true AUC known)."""
    true_auc = norm.cdf(1.0 / np.sqrt(2))  # binormal, d' = 1
    hits, n_sim = 0, 60
    for i in range(n_sim):
        rng = np.random.default_rng(100 + i)
        y = np.r_[np.zeros(60), np.ones(60)].astype(int)
        p = rng.standard_normal(120) + y
        lo, hi = bootstrap_ci(y, p, roc_auc, n_boot=300, seed=i)
        hits += lo <= true_auc <= hi
    coverage = hits / n_sim
    assert 0.85 <= coverage <= 1.0, coverage


def test_delong_needs_two_cases_per_class():
    """One positive gives a variance with 0 degrees of freedom: a typed error, not a NaN and a numpy warning."""
    import warnings

    y = np.array([0, 0, 0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InvalidTargetError, match="at least 2 positives and 2 negatives"):
            delong_test(y, np.array([0.1, 0.2, 0.3, 0.9]), np.array([0.3, 0.2, 0.1, 0.5]))
        r = delong_test(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9]), np.array([0.3, 0.2, 0.1, 0.5]))
    assert (r.auc1, r.auc2) == (1.0, 0.5) and np.isfinite(r.se) and r.se > 0
