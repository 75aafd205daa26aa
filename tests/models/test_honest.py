"""Honest evaluation: every metric with its n and positives, unreliable results flagged with the reason, a protocol
whose test estimate means something for small cohorts, failed and unusable cases left out and recorded."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from radiogenomics.models import Protocol, make_pipeline
from radiogenomics.models.outputs import delong_table
from radiogenomics.models.protocol import AUTO_REPEATS, MIN_PER_CLASS, evaluate, reliability, resolve_protocol
from radiogenomics.models.registry import make_model
from radiogenomics.models.stage import ModelSettings, run

from ._synth import cohort


@pytest.mark.parametrize(("n_pos", "n_neg", "kind"), [(30, 30, "kfold"), (99, 200, "kfold"), (100, 100, "holdout_cv"),
                                                       (150, 400, "holdout_cv")])
def test_auto_protocol_needs_ten_of_each_class_in_the_hold_out(n_pos: int, n_neg: int, kind: str) -> None:
    y = np.r_[np.ones(n_pos), np.zeros(n_neg)]
    ran, reason = resolve_protocol(Protocol(), y)
    assert ran.kind == kind
    if kind == "kfold":
        assert ran.repeats == AUTO_REPEATS and "too few for a test estimate" in reason
        assert f"about {int(0.1 * n_pos)} positive" in reason
    else:
        assert ran.repeats == 1 and f">= {MIN_PER_CLASS} cases of each class" in reason
    assert resolve_protocol(Protocol(kind="holdout_cv"), y)[0].kind == "holdout_cv"  # explicit kinds are kept


def test_reliability_rule() -> None:
    assert reliability(40, 20, 0, 5) == (True, "")
    ok, why = reliability(40, 9, 0, 5)
    assert not ok and "fewer than 10 cases of a class (9 positive, 31 negative)" in why
    ok, why = reliability(40, 20, 3, 5)
    assert not ok and "constant predictions in 3 of 5 fold(s)" in why
    assert reliability(40, 20, 2, 5)[0]


def test_records_carry_n_positives_and_flag_a_model_that_learned_nothing() -> None:
    df = cohort(n=60, p_per_source=5, effect=0.0, seed=4)
    cols = [c for c in df.columns if "__" in c]
    lasso = make_pipeline(make_model("lasso").set_params(C=1e-4), cols, selector="none")  # selects nothing
    logistic = make_pipeline(make_model("logistic"), cols, selector="none")
    res = evaluate(df, "TP53", {("lasso", "fused"): lasso, ("logistic", "fused"): logistic},
                   Protocol(n_folds=3, n_boot=50))
    assert res.protocol.kind == "kfold" and res.protocol.repeats == AUTO_REPEATS  # 60 patients: no hold-out
    s = res.summary()
    n_pos = int(df["TP53"].sum())
    assert set(s["n"]) == {60} and set(s["n_pos"]) == {n_pos}
    dead = s[(s.model == "lasso") & (s.metric == "roc_auc")].iloc[0]
    assert not dead.reliable and "constant predictions in 9 of 9 fold(s)" in dead.reason
    alive = s[(s.model == "logistic") & (s.metric == "roc_auc")].iloc[0]
    assert bool(alive.reliable) == (min(n_pos, 60 - n_pos) >= MIN_PER_CLASS)
    # no hold-out: DeLong on the pooled out-of-fold predictions of every repeat, and a model fitted on every case
    dl = delong_table(res)
    assert len(dl) == AUTO_REPEATS and set(dl["split"]) == {"cv"}
    assert res.fitted[("logistic", "fused")].predict_proba(df).shape == (60, 2)


def test_model_stage_leaves_out_failed_empty_and_unlabelled_cases(tmp_path) -> None:
    df = cohort(n=80, p_per_source=4, effect=1.0, seed=2)
    feats = [c for c in df.columns if "__" in c]
    df.loc[[3, 5], feats] = np.nan  # extraction of these cases gave nothing
    df.loc[7, "TP53"] = np.nan
    settings = ModelSettings(target="TP53", models=("logistic",), sources=("fused",), folds=3, n_boot=50)
    out = run(settings, df, tmp_path, exclude={"P0010": "extraction failed (tumour/ct)"})
    assert out.n_cases == 76
    assert out.excluded.to_dict("list") == {
        "row": [4, 6, 8, 11], "case_id": ["P0003", "P0005", "P0007", "P0010"],
        "reason": ["every feature is missing", "every feature is missing", "the target 'TP53' is missing",
                   "extraction failed (tumour/ct)"]}
    meta = json.loads((tmp_path / "meta.json").read_text())
    assert meta["excluded"] == {"n": 4, "rows": [4, 6, 8, 11], "reasons": {
        "every feature is missing": 2, "the target 'TP53' is missing": 1, "extraction failed (tumour/ct)": 1}}
    prov = json.loads((tmp_path / "provenance.json").read_text())
    assert prov["excluded"]["n"] == 4 and "case_id" not in json.dumps(prov["excluded"])
    records = json.loads((tmp_path / "metrics.json").read_text())
    assert {r["n"] for r in records} == {76} and {"n_pos", "reliable", "reason"} <= set(records[0])
    assert meta["protocol"]["kind"] == "kfold" and "kfold" in meta["protocol_reason"]


def test_unusable_rows_are_logged_once_per_reason(caplog) -> None:
    from radiogenomics.table import drop_unusable

    df = pd.DataFrame({"case_id": ["a", "b", "c", "d"], "y": [1, np.nan, 0, 1], "f": [1.0, 2.0, np.nan, np.nan]})
    kept, dropped = drop_unusable(df, ["f"], target="y", exclude={"a": "extraction failed"})
    assert kept.empty
    assert dropped["reason"].tolist() == ["extraction failed", "the target 'y' is missing", "every feature is missing",
                                          "every feature is missing"]
    lines = [r.getMessage() for r in caplog.records if "left out of the analysis" in r.getMessage()]
    assert len(lines) == 3 and "2 case(s) left out of the analysis: every feature is missing (rows 3, 4)" in lines
    assert not any("'a'" in line or " a " in line for line in lines)  # rows, not case ids
