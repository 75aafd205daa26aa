"""Library outputs: prepare_table encodings, run_models + write_outputs artefacts, DeLong table, figures."""

from __future__ import annotations

import json

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest

from radiogenomics.models import (
    Protocol,
    apply_encodings,
    delong_table,
    delong_test,
    prepare_table,
    run_models,
    write_outputs,
)
from radiogenomics.models.errors import InvalidTargetError

from ._synth import cohort


def _non_blank(path):
    img = mpimg.imread(path)
    assert img.std() > 0
    assert np.unique(img.reshape(-1, img.shape[-1]), axis=0).shape[0] > 1


def test_prepare_table_encodes_sorted_categories():
    df = pd.DataFrame({"case_id": ["a", "b", "c", "d"], "x": [1.0, 2, 3, 4], "txt": ["u", "v", "w", "z"],
                       "grade": ["G3", None, "G1", "G2"], "other": [0, 1, 0, 1], "T": [0, 1, 0, 1]})
    t, enc = prepare_table(df, "T", clinical=["grade"], drop=["other"])
    assert list(t.columns) == ["case_id", "x", "grade", "T"]  # txt (non-numeric, not clinical) dropped
    assert enc == {"grade": ["G1", "G2", "G3"]}
    np.testing.assert_array_equal(t["grade"].to_numpy(), [2.0, np.nan, 0.0, 1.0])
    # new table: codes from the stored encodings, not re-derived ("G2" alone would become 0 if re-encoded)
    # a declared categorical integer column matches its values read back as floats or text
    num = apply_encodings(pd.DataFrame({"stage": [1.0, "3", 2, np.nan, 4.5]}), {"stage": [1, 2, 3]})
    np.testing.assert_array_equal(num["stage"].to_numpy(), [0.0, 2.0, 1.0, np.nan, np.nan])
    new = apply_encodings(pd.DataFrame({"grade": ["G2", "G9", None]}), enc)
    np.testing.assert_array_equal(new["grade"].to_numpy(), [1.0, np.nan, np.nan])
    with pytest.raises(InvalidTargetError):
        prepare_table(df, "T", drop=["T"])


def test_run_models_write_outputs(tmp_path):
    df = cohort(n=120, p_per_source=5, effect=1.5, clinical=True, seed=3)
    df["LN"] = np.where(df["LN"] == 1, "yes", "no")
    res, meta = run_models(df, "TP53", clinical=["LN", "grade"], models=["logistic", "transformer"],
                           sources=["fused+clinical"], protocol=Protocol(kind="holdout_cv", n_folds=2, n_boot=50),
                           k=5, transformer_params={"d_token": 8, "n_heads": 2, "n_layers": 1, "max_epochs": 4})
    assert meta["encodings"] == {"LN": ["no", "yes"]}
    assert meta["sources"] == ["fused+clinical", "clinical"]
    assert set(meta) >= {"target", "clinical", "encodings", "models", "sources", "protocol"}
    assert meta["protocol"]["n_folds"] == 2
    paths = write_outputs(res, tmp_path, meta)
    recs = json.loads(paths["metrics"].read_text())
    # models × sources × splits (cv, test, apparent) × metrics, plus the added value (models × cv/test)
    assert len(recs) == 2 * 2 * 3 * 8 + 2 * 2
    added = [r for r in recs if r["metric"] == "roc_auc_added"]
    assert {(r["model"], r["source"], r["split"]) for r in added} == {
        (m, "fused+clinical", s) for m in ("logistic", "transformer") for s in ("cv", "test")}
    assert all("vs clinical" in r["reason"] for r in added)
    assert all(set(r) == {"model", "source", "split", "metric", "value", "ci_low", "ci_high", "n", "n_pos", "reliable",
                          "reason"} for r in recs)
    test_auc = [r for r in recs if r["split"] == "test" and r["metric"] == "roc_auc"]
    y = df["TP53"].to_numpy()
    assert {r["n"] for r in test_auc} == {12} and {r["n_pos"] for r in test_auc} <= set(range(4, 9))
    assert sum(y) > 48 and all(r["reliable"] is False and "fewer than 10" in r["reason"] for r in test_auc)
    d = paths["transformer__fused+clinical"]
    for f in ("metrics.parquet", "predictions.parquet", "confusion.csv", "confusion.png", "roc.png", "roc.svg",
              "loss_curves.json", "loss_curves.png", "model/model.json", "model/transformer.safetensors"):
        assert (d / f).exists(), f
    for f in ("confusion.png", "roc.png", "loss_curves.png"):
        _non_blank(d / f)
    assert not (paths["logistic__clinical"] / "loss_curves.json").exists()
    saved = json.loads((d / "model" / "model.json").read_text())
    assert saved["encodings"] == {"LN": ["no", "yes"]} and saved["source"] == "fused+clinical"
    # DeLong records: every other model × source against the best by CV AUC, on the hold-out
    dl = json.loads(paths["delong"].read_text())
    assert len(dl) == 3
    f = res.folds[(res.folds.split == "cv") & (res.folds.metric == "roc_auc")]
    best = f.groupby(["model", "source"])["value"].mean().idxmax()
    pred = res.predictions[res.predictions.split == "test"]
    for r in dl:
        assert (r["model_b"], r["source_b"]) == best
        a = pred[(pred.model == r["model_a"]) & (pred.source == r["source_a"])].set_index("case_id")
        b = pred[(pred.model == best[0]) & (pred.source == best[1])].set_index("case_id").loc[a.index]
        ref = delong_test(a["y_true"], a["prob"], b["prob"])
        assert r["z"] == pytest.approx(ref.z, rel=1e-12) and r["p"] == pytest.approx(ref.p_value, rel=1e-12)
    assert list(delong_table(res).columns) == ["model_a", "source_a", "model_b", "source_b", "split", "repeat",
                                               "auc_a", "auc_b", "z", "p"]
