"""Added value of imaging over clinical: the corrected resampled t, the paired DeLong on the hold-out, and the
stacked imaging + clinical model that can learn to ignore imaging."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from radiogenomics.models.added_value import ADDED_COLUMNS, added_value, corrected_t
from radiogenomics.models.delong import delong_test
from radiogenomics.models.errors import ModelParameterError
from radiogenomics.models.outputs import run_models
from radiogenomics.models.protocol import Protocol
from radiogenomics.models.stacked import StackedClinical

from ._synth import cohort


def test_corrected_t_closed_form():
    d = np.array([0.05, 0.12, -0.02, 0.08, 0.03, 0.10, 0.01, 0.06, 0.04, 0.09])
    frac = 1 / 4  # 5-fold CV: n_test / n_train
    mean, lo, hi, p = corrected_t(d, frac)
    se = np.sqrt((1 / d.size + frac) * d.var(ddof=1))
    t = d.mean() / se
    assert mean == pytest.approx(d.mean())
    assert hi - mean == pytest.approx(stats.t.ppf(0.975, d.size - 1) * se)
    assert mean - lo == pytest.approx(hi - mean)
    assert p == pytest.approx(2 * stats.t.sf(abs(t), d.size - 1))
    # wider than the naive t interval (which ignores the overlap of training sets)
    naive = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
    assert hi - mean > naive
    assert corrected_t(np.full(4, 0.0), frac)[1:] == (0.0, 0.0, 1.0)
    assert np.isnan(corrected_t(np.array([0.1]), frac)[1])
    with pytest.raises(ModelParameterError):
        corrected_t(d, 0.0)


@pytest.fixture(scope="module")
def holdout_result():
    df = cohort(n=200, p_per_source=5, effect=1.2, clinical=True, seed=5)
    res, _ = run_models(df, "TP53", clinical=["LN", "grade"], categorical=["grade"], models=["lasso"],
                        sources=["fused+clinical", "stacked"],
                        protocol=Protocol(kind="holdout_cv", test_size=0.3, n_folds=4, repeats=2, n_boot=20))
    return res


def test_added_value_pairs_the_same_folds_and_hold_out(holdout_result):
    res = holdout_result
    av = added_value(res)
    assert list(av.columns) == list(ADDED_COLUMNS)
    assert set(zip(av.source, av.split, strict=True)) == {(s, sp) for s in ("fused+clinical", "stacked")
                                                           for sp in ("cv", "test")}
    assert dict(zip(av.source, av.reference, strict=True)) == {"fused+clinical": "clinical",
                                                                "stacked": "clinical_stack"}
    f = res.folds[(res.folds.split == "cv") & (res.folds.metric == "roc_auc")]
    for source, ref in (("fused+clinical", "clinical"), ("stacked", "clinical_stack")):
        a = f[f.source == source].set_index(["repeat", "fold"])["value"]
        b = f[f.source == ref].set_index(["repeat", "fold"])["value"]
        d = (a - b.loc[a.index]).to_numpy()
        row = av[(av.source == source) & (av.split == "cv")].iloc[0]
        _, lo, hi, p = corrected_t(d, 1 / 3)  # 4 folds of the training rows
        assert row.k == 8 and row.difference == pytest.approx(d.mean())
        assert (row.ci_low, row.ci_high, row.p) == pytest.approx((lo, hi, p), rel=1e-9)
        # hold-out: DeLong per repeat, averaged
        pr = res.predictions[res.predictions.split == "test"]
        diffs = []
        for _, g in pr.groupby("repeat"):
            x = g[g.source == source].set_index("case_id")
            y = g[g.source == ref].set_index("case_id").loc[x.index]
            diffs.append(delong_test(x["y_true"], x["prob"], y["prob"]).difference)
        row = av[(av.source == source) & (av.split == "test")].iloc[0]
        assert row.difference == pytest.approx(np.mean(diffs)) and row.k == 2 and row.n == 60
        assert row.ci_low < row.difference < row.ci_high


def test_final_model_is_fitted_on_every_case_and_apparent_is_reported(holdout_result):
    res = holdout_result
    pipe = res.fitted[("lasso", "fused+clinical")]
    imaging = pipe.named_steps["features"].named_transformers_["imaging"]
    assert imaging.named_steps["impute"].n_features_in_ > 0
    assert pipe.named_steps["features"].named_transformers_["clinical"].named_steps["scale"].n_samples_seen_ == 200
    s = res.summary()
    app = s[(s.split == "apparent") & (s.metric == "roc_auc")]
    assert set(app.source) == {"fused+clinical", "stacked", "clinical", "clinical_stack"} and set(app.n) == {200}
    assert app["ci_low"].notna().all()
    assert set(res.thresholds) == set(res.fitted) and all(0 <= t <= 1 for t in res.thresholds.values())
    assert all(r is None or r["slope"] > 0 for r in res.recalibration.values())


def _clinical_only_signal(seed: int, n: int = 240) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = cohort(n=n, p_per_source=8, effect=0.0, clinical=False, seed=seed)
    age = rng.normal(0, 1, n)
    df["age"] = age
    df["TP53"] = (rng.random(n) < 1 / (1 + np.exp(-2.0 * age))).astype(int)
    return df


def test_stacked_ignores_imaging_that_adds_nothing():
    df = _clinical_only_signal(3)
    res, meta = run_models(df, "TP53", clinical=["age"], models=["lasso"], sources=["fused+clinical", "stacked"],
                           protocol=Protocol(kind="kfold", n_folds=5, repeats=1, n_boot=20), stack_folds=3)
    assert meta["stack_folds"] == 3 and res.fitted[("lasso", "stacked")].cv == 3
    s = res.summary()
    auc = s[(s.split == "cv") & (s.metric == "roc_auc")].set_index("source")["value"]
    assert auc["stacked"] >= auc["clinical"] - 0.01 and auc["stacked"] >= auc["clinical_stack"] - 0.01
    row = added_value(res).set_index("source").loc["stacked"]
    assert row.ci_low <= 0 <= row.ci_high
    stacked = res.fitted[("lasso", "stacked")]
    age = stacked.coef_[stacked.terms_.index("age")]
    assert abs(stacked.imaging_weight_) < 0.25 * abs(age)


def test_stacked_weights_imaging_that_carries_signal():
    df = cohort(n=200, p_per_source=5, effect=1.5, clinical=True, seed=2)
    est = StackedClinical(__import__("radiogenomics.models.pipeline", fromlist=["make_pipeline"]).make_pipeline(
        __import__("radiogenomics.models.registry", fromlist=["make_model"]).make_model("lasso"),
        [c for c in df.columns if "__" in c], k=10), clinical=["LN", "grade"], categorical=["grade"])
    est.fit(df, df["TP53"])
    assert est.imaging_weight_ > 1.0
    assert est.terms_[0] == "imaging_score" and any(t.startswith("grade_") for t in est.terms_)
    p = est.predict_proba(df)[:, 1]
    assert p.shape == (200,) and np.all((p > 0) & (p < 1))
    with pytest.raises(ModelParameterError, match="clinical columns"):
        StackedClinical(est.imaging, []).fit(df, df["TP53"])
    # without imaging: the clinical second level alone (the reference of the added value), weight 0
    ref = StackedClinical(None, ["LN", "grade"], categorical=["grade"]).fit(df, df["TP53"])
    assert ref.imaging_weight_ == 0.0 and "imaging_score" not in ref.terms_
    assert ref.predict_proba(df).shape == (200, 2)


def test_ridge_logistic_equals_scikit_learn():
    from sklearn.linear_model import LogisticRegression

    from radiogenomics.models.stacked import balanced_weights, ridge_logistic

    rng = np.random.default_rng(3)
    Z = rng.standard_normal((150, 4))
    y = (rng.random(150) < 1 / (1 + np.exp(-(Z @ [1.0, -0.5, 0.0, 0.3] + 0.2)))).astype(int)
    for C in (0.01, 0.3, 10.0):
        coef, b0 = ridge_logistic(Z, y, C)
        ref = LogisticRegression(C=C, tol=1e-12, max_iter=10000).fit(Z, y)
        np.testing.assert_allclose(coef, ref.coef_.ravel(), rtol=1e-6, atol=1e-8)
        assert b0 == pytest.approx(float(ref.intercept_[0]), rel=1e-6, abs=1e-8)
        coef, b0 = ridge_logistic(Z, y, C, balanced_weights(y))
        ref = LogisticRegression(C=C, tol=1e-12, max_iter=10000, class_weight="balanced").fit(Z, y)
        np.testing.assert_allclose(coef, ref.coef_.ravel(), rtol=1e-6, atol=1e-8)
        assert b0 == pytest.approx(float(ref.intercept_[0]), rel=1e-6, abs=1e-8)
