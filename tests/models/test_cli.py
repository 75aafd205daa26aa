"""CLI ``radiogenomics model`` / ``predict`` end to end on a small synthetic table; persistence round trip."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from radiogenomics.cli import app
from radiogenomics.models import make_pipeline
from radiogenomics.models.persistence import load_model, save_model
from radiogenomics.models.transformer import FeatureTokenTransformer

from ._synth import cohort


def test_model_and_predict_cli(tmp_path):
    df = cohort(n=120, p_per_source=6, effect=1.5, clinical=True)
    df["grade"] = df["grade"].map({1: "G1", 2: "G2", 3: "G3"})  # text: coded by the run, reused by predict
    path = tmp_path / "features.parquet"
    df.to_parquet(path)
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["model", str(path), "--target", "TP53", "--clinical", "LN,grade",
                                 "--categorical", "grade", "--models", "lasso,logistic",
                                 "--sources", "tumour_ct,fused,stacked",
                                 "--n-boot", "50", "--k", "5", "--protocol", "holdout_cv", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "DeLong" in r.output and "imaging adds" in r.output and "apparent" in r.output
    added = json.loads((out / "added_value.json").read_text())
    assert {(a["model"], a["source"], a["split"]) for a in added} == {
        (m, "stacked", s) for m in ("lasso", "logistic") for s in ("cv", "test")}
    saved = json.loads((out / "lasso__stacked" / "model" / "model.json").read_text())
    assert saved["categorical"] == ["grade"] and saved["n_train"] == 120 and "imaging_weight" in saved
    assert "LN" in saved["columns"] and "tumour_ct__original_firstorder_F0" in saved["columns"]
    sig = pd.read_csv(out / "lasso__fused" / "signature.csv")
    assert list(sig.columns) == ["level", "term", "coefficient", "mean", "sd"]
    assert (out / "lasso__fused" / "signature.txt").read_text().startswith("[model] score = ")
    recs = json.loads((out / "metrics.json").read_text())
    keys = {(x["model"], x["source"], x["split"], x["metric"]) for x in recs}
    for m in ("lasso", "logistic"):
        for s in ("tumour_ct", "fused", "clinical"):
            for split in ("cv", "test"):
                assert (m, s, split, "roc_auc") in keys
    assert set(recs[0]) == {"model", "source", "split", "metric", "value", "ci_low", "ci_high", "n", "n_pos",
                            "reliable", "reason"}
    d = out / "lasso__fused"
    for f in ("metrics.parquet", "predictions.parquet", "confusion.csv", "roc.png", "roc.svg", "model/model.skops"):
        assert (d / f).exists(), f
    r = CliRunner().invoke(app, ["predict", str(d / "model"), str(path), "-o", str(tmp_path / "p.csv")])
    assert r.exit_code == 0, r.output
    full = pd.read_csv(tmp_path / "p.csv")
    assert len(full) == 120
    # a file holding only G3 patients (as CSV): re-encoding it alone would give code 0; stored codes give 2
    sub = df[df["grade"] == "G3"]
    sub.to_csv(tmp_path / "sub.csv", index=False)
    r = CliRunner().invoke(app, ["predict", str(out / "logistic__clinical" / "model"), str(tmp_path / "sub.csv"),
                                 "-o", str(tmp_path / "s.csv")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["predict", str(out / "logistic__clinical" / "model"), str(path),
                                 "-o", str(tmp_path / "f.csv")])
    ref = pd.read_csv(tmp_path / "f.csv").set_index("case_id").loc[sub["case_id"], "prob"]
    np.testing.assert_allclose(pd.read_csv(tmp_path / "s.csv")["prob"].to_numpy(), ref.to_numpy(), rtol=1e-12)


def test_transformer_persistence_round_trip(tmp_path):
    df = cohort(n=100, p_per_source=4, effect=1.5)
    cols = [c for c in df.columns if "__" in c]
    pipe = make_pipeline(FeatureTokenTransformer(d_token=8, n_heads=2, n_layers=1, max_epochs=5), cols,
                         selector="none").fit(df, df["TP53"])
    save_model(pipe, tmp_path / "m", {"model": "transformer"})
    assert (tmp_path / "m" / "transformer.safetensors").exists()
    loaded, meta = load_model(tmp_path / "m")
    np.testing.assert_allclose(loaded.predict_proba(df), pipe.predict_proba(df))
    assert meta["model"] == "transformer"
