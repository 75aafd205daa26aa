"""Clinical branch of the pipeline: never selected away, standardised and weighted (closed form)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

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


def test_categorical_clinical_columns_are_one_hot_or_transformer_tokens():
    from radiogenomics.errors import SettingsError
    from radiogenomics.models.outputs import prepare_table
    from radiogenomics.models.stage import ModelSettings
    from radiogenomics.models.transformer import FeatureTokenTransformer

    rng = np.random.default_rng(0)
    n = 160
    stage = rng.integers(1, 5, n)  # FIGO-like stage 1..4: stage 3 carries the signal, not ordinal
    df = pd.DataFrame({"case_id": [f"P{i}" for i in range(n)], "age": rng.normal(60, 10, n), "stage": stage,
                       "tumour_ct__original_firstorder_Mean": rng.normal(size=n)})
    df["T"] = ((stage == 3) | (rng.random(n) < 0.1)).astype(int)
    table, enc = prepare_table(df, "T", ["age", "stage"], categorical=["stage"])
    assert enc == {"stage": [1, 2, 3, 4]} and set(table["stage"]) == {0.0, 1.0, 2.0, 3.0}
    lasso = make_pipeline(LogisticRegression(C=100, max_iter=2000), ["tumour_ct__original_firstorder_Mean"],
                          clinical=["age", "stage"], categorical=["stage"]).fit(table, table["T"])
    Z = lasso.named_steps["features"].transform(table)
    assert Z.shape[1] == 1 + 1 + 4  # imaging, age, one column per stage
    unseen = table.assign(stage=[9.0] * n)
    np.testing.assert_array_equal(lasso.named_steps["features"].transform(unseen)[:, 2:], 0.0)
    p = lasso.predict_proba(table)[:, 1]
    assert roc_auc_score(table["T"], p) > 0.9  # the non-ordinal level is learned
    ft = make_pipeline(FeatureTokenTransformer(d_token=8, n_heads=2, n_layers=1, max_epochs=80, patience=80,
                                               lr=3e-3, dropout=0.0), [],
                       clinical=["age", "stage"], categorical=["stage"]).fit(table, table["T"])
    model = ft.named_steps["model"]
    assert tuple(model.categorical) == (-1,)
    np.testing.assert_array_equal(model.categories_[0], [0.0, 1.0, 2.0, 3.0])
    p_ft = ft.predict_proba(table)[:, 1]
    assert roc_auc_score(table["T"], p_ft) > 0.7
    assert p_ft[stage == 3].mean() > p_ft[stage != 3].mean() + 0.1  # the stage-3 token carries the risk
    with pytest.raises(SettingsError, match="must also be clinical"):
        ModelSettings.validate_dict({"target": "T", "clinical": ["age"], "categorical": ["stage"]})
