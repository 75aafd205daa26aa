"""The cross-validation interval of ``summarise``: logit-scale normal interval, inside [0, 1]."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit, logit

from radiogenomics.models.errors import ModelParameterError
from radiogenomics.models.protocol import cv_interval, summarise

Z = stats.norm.ppf(0.975)


def test_closed_form_on_the_logit_scale():
    v = np.array([0.70, 0.74, 0.78, 0.66, 0.72])
    m, se = v.mean(), v.std(ddof=1) / np.sqrt(v.size)
    lo, hi = cv_interval(v)
    half = Z * se / (m * (1 - m))
    assert lo == pytest.approx(expit(logit(m) - half), abs=1e-14)
    assert hi == pytest.approx(expit(logit(m) + half), abs=1e-14)
    # far from the bounds it is close to the plain normal interval m ± z·se (within 2 % of its width)
    assert abs((hi - lo) - 2 * Z * se) < 0.02 * 2 * Z * se
    assert lo < m < hi


def test_stays_inside_zero_one_where_the_plain_interval_does_not():
    v = np.array([1.0, 1.0, 0.80, 1.0, 0.90])
    m, se = v.mean(), v.std(ddof=1) / np.sqrt(v.size)
    assert m + Z * se > 1.0  # the old interval left [0, 1]
    lo, hi = cv_interval(v)
    assert 0.0 < lo < m < hi < 1.0


def test_degenerate_cases():
    assert cv_interval(np.array([1.0, 1.0, 1.0])) == (1.0, 1.0)
    assert cv_interval(np.array([0.5, 0.5])) == (0.5, 0.5)
    assert all(np.isnan(cv_interval(np.array([0.7]))))
    with pytest.raises(ModelParameterError, match=r"\[0, 1\]"):
        cv_interval(np.array([1.5, 1.7]))


def test_summarise_uses_it_for_cv_and_the_bootstrap_for_test():
    folds = pd.DataFrame({
        "model": "m", "source": "s", "metric": "roc_auc",
        "split": ["cv"] * 4 + ["test"],
        "value": [0.9, 1.0, 0.95, 1.0, 0.8],
        "ci_low": [np.nan] * 4 + [0.6], "ci_high": [np.nan] * 4 + [0.95], "n": [10, 10, 10, 10, 20],
        "n_pos": [5, 5, 5, 5, 10], "repeat": 0,
    })
    s = summarise(folds).set_index("split")
    lo, hi = cv_interval(np.array([0.9, 1.0, 0.95, 1.0]))
    assert (s.loc["cv", "ci_low"], s.loc["cv", "ci_high"]) == (lo, hi)
    assert s.loc["cv", "ci_high"] < 1.0 and s.loc["cv", "n"] == 40 and s.loc["cv", "n_pos"] == 20
    assert (s.loc["test", "ci_low"], s.loc["test", "ci_high"]) == (0.6, 0.95)
