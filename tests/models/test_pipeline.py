"""Clinical branch of the pipeline: never selected away, standardised and weighted (closed form)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from radiogenomics.models import build_models, find_sources, make_pipeline
from radiogenomics.models.errors import ModelParameterError

from ._synth import cohort


class Capture(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.X_ = np.asarray(X)
        self.classes_ = np.unique(y)
        return self

    def predict_proba(self, X):
        return np.full((len(X), 2), 0.5)


def test_clinical_columns_bypass_selection_and_are_weighted():
    df = cohort(n=100, p_per_source=5, effect=2.0, clinical=True, seed=4)
    df.loc[3, "grade"] = np.nan
    img = [c for c in df.columns if "__" in c]
    pipe = make_pipeline(Capture(), img, clinical=["LN", "grade"], clinical_weight=3.0, selector="univariate", k=2)
    pipe.fit(df, df["TP53"])
    X = pipe.named_steps["model"].X_
    assert X.shape == (100, 4)  # 2 selected imaging features + 2 clinical, although LN/grade carry no signal
    g = df["grade"].fillna(df["grade"].median()).to_numpy(dtype=float)
    np.testing.assert_allclose(X[:, 3], 3.0 * (g - g.mean()) / g.std(), rtol=1e-12)
    ln = df["LN"].to_numpy(dtype=float)
    np.testing.assert_allclose(X[:, 2], 3.0 * (ln - ln.mean()) / ln.std(), rtol=1e-12)
    with pytest.raises(ModelParameterError):
        make_pipeline(Capture(), img, clinical=["LN"], clinical_weight=0.0)


def test_build_models_clinical_sources():
    df = cohort(n=60, p_per_source=3, clinical=True)
    src = find_sources(df, "TP53", ["LN", "grade"])
    m = build_models(src, ["logistic"], ["clinical", "tumour_ct+clinical", "fused+clinical", "late+clinical"])
    assert m[("logistic", "late+clinical")].method == "stack"
    assert [n for n, _ in m[("logistic", "late+clinical")].estimators][-1] == "clinical"
    for key in m:
        m[key].fit(df, df["TP53"])
    no_clin = find_sources(df, "TP53")
    with pytest.raises(ModelParameterError):
        build_models(no_clin, ["logistic"], ["fused+clinical"])
