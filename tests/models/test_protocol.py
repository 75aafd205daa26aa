"""Leakage-safe protocol: spies prove scaler/selector never see test rows; shuffled labels give AUC 0.5;
fusion beats single sources when the signal is split across sources."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.preprocessing import StandardScaler

from radiogenomics.models import (
    LassoSignature,
    Protocol,
    build_models,
    evaluate,
    find_sources,
    make_model,
    make_pipeline,
)
from radiogenomics.models.errors import InvalidTargetError, UnknownModelError

from ._synth import SOURCES, cohort

TAG = 1e6  # the id column carries TAG + row number: unique values that survive imputation/filters


class SpyScaler(StandardScaler):
    seen: ClassVar[list[set[int]]] = []

    def fit(self, X, y=None, sample_weight=None):
        SpyScaler.seen.append({int(v - TAG) for v in np.asarray(X).ravel() if v >= TAG})
        # pass-through scaling so that the selector below still sees the tags
        return super().fit(np.zeros((2, np.asarray(X).shape[1])))


class SpySelector(SelectKBest):
    seen: ClassVar[list[set[int]]] = []

    def fit(self, X, y):
        SpySelector.seen.append({int(v - TAG) for v in np.asarray(X).ravel() if v >= TAG})
        return super().fit(X, y)


def test_scaler_and_selector_never_see_test_rows():
    df = cohort(n=80, p_per_source=5, seed=1)
    df.insert(1, "tumour_ct__original_firstorder_Id", TAG + np.arange(len(df)))
    pipe = make_pipeline(LassoSignature(C=1.0), [c for c in df.columns if "__" in c], selector="univariate", k=5)
    pipe.set_params(scale=SpyScaler(with_mean=False, with_std=False), select=SpySelector(f_classif, k=5))
    SpyScaler.seen.clear()
    SpySelector.seen.clear()
    protocol = Protocol(kind="holdout_cv", repeats=2, n_folds=3, n_boot=50, seed=4)
    res = evaluate(df, "TP53", {("lasso", "fused"): pipe}, protocol)
    pred = res.predictions
    test_rows = {rep: {int(c[1:]) for c in g["case_id"]} for rep, g in pred[pred.split == "test"].groupby("repeat")}
    assert all(len(t) == 8 for t in test_rows.values())  # 9:1 of 80
    # per repeat: 3 CV fits + 1 refit, in that order; then the final model on every case
    for spies in (SpyScaler.seen, SpySelector.seen):
        assert len(spies) == 9
        assert len(spies[-1]) == 80  # the final model (the one saved) sees every case, after the evaluation
        for i, seen in enumerate(spies[:-1]):
            rep, fold = divmod(i, 4)
            assert not seen & test_rows[rep], "a test row reached fit()"
            if fold < 3:
                val = {int(c[1:]) for c in pred.loc[(pred.repeat == rep) & (pred.fold == fold), "case_id"]}
                assert not seen & val, "a validation row reached fit()"
                assert len(seen) == 72 - len(val)
            else:
                assert len(seen) == 72


@pytest.mark.slow
def test_shuffled_labels_give_chance_auc():
    df = cohort(n=150, p_per_source=250, effect=1.5, seed=2)  # 1,000 features
    df["TP53"] = np.random.default_rng(0).permutation(df["TP53"].to_numpy())
    sources = find_sources(df, "TP53")
    models = build_models(sources, ["lasso", "logistic", "rf", "hgb"], ["fused"], k=30, seed=0)
    models[("rf", "fused")].set_params(model__n_estimators=60)
    models[("hgb", "fused")].set_params(model__max_iter=50)
    res = evaluate(df, "TP53", models, Protocol(kind="holdout_cv", repeats=2, n_boot=50))
    s = res.summary()
    cv_auc = s[(s.split == "cv") & (s.metric == "roc_auc")].set_index("model")["value"]
    assert ((cv_auc - 0.5).abs() <= 0.08).all(), cv_auc.to_dict()


def test_fusion_beats_every_single_source():
    df = cohort(n=400, p_per_source=20, effect=1.5, n_signal=2, seed=5)
    sources = find_sources(df, "TP53")
    assert set(sources) == set(SOURCES)
    models = build_models(sources, ["logistic"], [*SOURCES, "fused", "late"], k=10, seed=0)
    res = evaluate(df, "TP53", models, Protocol(kind="holdout_cv", repeats=1, n_boot=50, test_size=0.25))
    s = res.summary()
    auc = s[(s.split == "test") & (s.metric == "roc_auc")].set_index("source")["value"]
    for src in SOURCES:
        assert auc["fused"] > auc[src], auc.to_dict()
        assert auc["late"] > auc[src], auc.to_dict()


def test_unprefixed_table_is_source_all_and_clinical():
    df = cohort(n=60, p_per_source=3, prefixed=False, clinical=True)
    s = find_sources(df, "TP53", clinical=["LN", "grade"])
    assert set(s) == {"all", "clinical"}
    assert s["clinical"] == ["LN", "grade"]
    with pytest.raises(UnknownModelError):
        find_sources(df, "TP53", clinical=["figo"])


def test_lasso_signature_exposes_features_and_clone():
    df = cohort(n=200, p_per_source=5, effect=2.0)
    cols = [c for c in df.columns if "__" in c]
    est = LassoSignature(C=0.2, feature_names=cols)
    clone(est).get_params()
    est.fit(df[cols].to_numpy(), df["TP53"])
    assert "tumour_ct__original_firstorder_F0" in est.selected_features_
    assert len(est.selected_features_) < len(cols)
    assert est.formula().startswith("score = ")
    assert est.predict_proba(df[cols].to_numpy()).shape == (200, 2)


def test_invalid_inputs():
    df = cohort(n=40, p_per_source=3)
    m = {("logistic", "fused"): make_pipeline(make_model("logistic"), None)}
    with pytest.raises(InvalidTargetError):
        evaluate(df, "missing", m)
    with pytest.raises(UnknownModelError):
        make_model("lassso")
    bad = df.assign(TP53=2)
    with pytest.raises(InvalidTargetError):
        evaluate(bad, "TP53", m)
    assert isinstance(pd.DataFrame(), pd.DataFrame)
