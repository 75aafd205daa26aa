"""The LASSO signature table and the stacked model's coefficients reproduce the fitted model's predictions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radiogenomics.models.pipeline import make_pipeline
from radiogenomics.models.registry import make_model
from radiogenomics.models.signature import SIGNATURE_COLUMNS, formula, signature_table, training_standardisation
from radiogenomics.models.stacked import StackedClinical

from ._synth import cohort


def _score(table: pd.DataFrame, level: str, df: pd.DataFrame, encodings: dict) -> np.ndarray:
    t = table[table.level == level]
    score = np.full(len(df), float(t.loc[t.term == "(intercept)", "coefficient"].iloc[0]))
    for r in t[t.term != "(intercept)"].itertuples(index=False):
        if "=" in r.term:  # one-hot level
            col, label = r.term.split("=", 1)
            code = list(map(str, encodings[col])).index(label)
            x = (df[col].to_numpy() == code).astype(float)
        else:
            x = df[r.term].to_numpy(dtype=float)
        score += r.coefficient * (x - r.mean) / r.sd
    return score


def test_lasso_signature_reproduces_predictions():
    df = cohort(n=150, p_per_source=6, effect=1.5, clinical=True, seed=4)
    enc = {"grade": [1, 2, 3]}
    df["grade"] = df["grade"].map({1: 0.0, 2: 1.0, 3: 2.0})  # codes as prepare_table writes them
    feats = [c for c in df.columns if "__" in c]
    pipe = make_pipeline(make_model("lasso"), feats, clinical=["LN", "grade"], categorical=["grade"],
                         clinical_weight=4.0, k=8).fit(df, df["TP53"])
    table = signature_table(pipe, enc)
    assert list(table.columns) == list(SIGNATURE_COLUMNS) and set(table.level) == {"model"}
    assert (table.term == "(intercept)").sum() == 1 and len(table) > 3
    assert set(table.term) - {"(intercept)"} <= set(feats) | {"LN", "grade=1", "grade=2", "grade=3"}
    p = 1 / (1 + np.exp(-_score(table, "model", df, enc)))
    np.testing.assert_allclose(p, pipe.predict_proba(df)[:, 1], rtol=1e-9, atol=1e-12)
    assert formula(table).startswith("score = ")
    assert signature_table(make_pipeline(make_model("rf"), feats).fit(df, df["TP53"])) is None


def test_stacked_table_reproduces_predictions_and_standardisation():
    df = cohort(n=150, p_per_source=6, effect=1.5, clinical=True, seed=6)
    feats = [c for c in df.columns if "__" in c]
    imaging = make_pipeline(make_model("lasso"), feats, k=6)
    est = StackedClinical(imaging, ["LN", "grade"]).fit(df, df["TP53"])
    table = signature_table(est)
    assert set(table.level) == {"stack", "imaging"}
    imaging_score = _score(table, "imaging", df, {})
    p_img = est.imaging_.predict_proba(df)[:, 1]
    np.testing.assert_allclose(1 / (1 + np.exp(-imaging_score)), p_img, rtol=1e-9)
    stack = table[table.level == "stack"].set_index("term")
    eta = np.log(np.clip(p_img, 1e-6, 1 - 1e-6) / (1 - np.clip(p_img, 1e-6, 1 - 1e-6)))
    score = stack.loc["(intercept)", "coefficient"] + stack.loc["imaging_score", "coefficient"] * (
        eta - stack.loc["imaging_score", "mean"]) / stack.loc["imaging_score", "sd"]
    for col in ("LN", "grade"):
        r = stack.loc[col]
        score = score + r["coefficient"] * (df[col].to_numpy(dtype=float) - r["mean"]) / r["sd"]
    np.testing.assert_allclose(1 / (1 + np.exp(-score)), est.predict_proba(df)[:, 1], rtol=1e-8)
    ref = training_standardisation(est)
    kept = set(ref.feature)
    assert kept <= set(feats) and len(kept) >= 6
    row = ref.iloc[0]
    assert row["mean"] == pytest.approx(df[row["feature"]].mean()) and row["sd"] == pytest.approx(
        df[row["feature"]].std(ddof=0))
