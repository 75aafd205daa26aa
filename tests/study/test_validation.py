"""The study's ``validation`` stage: the best saved model of each target applied to an external cohort; its
metrics equal scikit-learn's on the written predictions and the report has the section."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from radiogenomics.study import run_study
from tests.study.tiny import tiny_settings

pytestmark = pytest.mark.slow  # whole studies


def test_validation_stage_on_an_external_table(tiny_study, tmp_path: Path) -> None:
    _, out, _ = tiny_study
    external = pd.read_parquet(out / "features.parquet")
    rng = np.random.default_rng(0)
    cols = [c for c in external.columns if c.startswith("tumour_")]
    external[cols] = external[cols] * (1 + 0.01 * rng.standard_normal((len(external), len(cols))))
    external.to_parquet(tmp_path / "external.parquet")
    settings = tiny_settings(validation={"features": str(tmp_path / "external.parquet"), "n_boot": 50})
    res = run_study(settings, out)
    assert res.status["validation"] == "ran" and res.status["models"] == "skipped"
    folder = out / "validation" / "TP53"
    recs = {r["metric"]: r for r in json.loads((folder / "metrics.json").read_text())}
    pred = pd.read_csv(folder / "predictions.csv")
    assert recs["roc_auc"]["value"] == pytest.approx(roc_auc_score(pred["label"], pred["probability"]), abs=1e-12)
    assert recs["roc_auc"]["n"] == len(external) and "calibration_slope" in recs
    prov = json.loads((folder / "provenance.json").read_text())
    metrics = pd.DataFrame(json.loads((out / "models" / "TP53" / "metrics.json").read_text()))
    cv = metrics[(metrics.metric == "roc_auc") & (metrics.split == "cv") & metrics.reliable]
    best = cv.loc[cv["value"].idxmax()]
    assert (prov["model"], prov["source"]) == (best["model"], best["source"])
    html = (out / "report.html").read_text()
    assert "External validation" in html and "calibration_slope" in html
    again = run_study(settings, out)
    assert again.status["validation"] == "skipped"
    run_study(tiny_settings(), out)  # back to the fixture's settings for the other tests


def test_validation_stage_extracts_an_external_manifest(tiny_study, tmp_path: Path) -> None:
    """``validation.manifest``: the external cohort is extracted with the study's settings, then validated."""
    _, out, _ = tiny_study
    manifest = pd.read_csv(out / "data" / "manifest.csv")
    manifest = pd.concat([manifest[manifest.TP53 == 1].head(6), manifest[manifest.TP53 == 0].head(6)])
    for col in ("ct", "pet", "tumour_mask"):
        manifest[col] = [str((out / "data" / v).resolve()) for v in manifest[col]]
    manifest.to_csv(tmp_path / "external.csv", index=False)
    settings = tiny_settings(validation={"manifest": str(tmp_path / "external.csv"), "n_boot": 20,
                                         "model": "lasso__fused"})
    res = run_study(settings, out)
    assert res.status["validation"] == "ran"
    assert (out / "validation" / "cohort" / "features.parquet").is_file()
    recs = {r["metric"]: r for r in json.loads((out / "validation" / "TP53" / "metrics.json").read_text())}
    assert recs["roc_auc"]["n"] == 12 and recs["roc_auc"]["n_pos"] == 6 and recs["roc_auc"]["source"] == "fused"
    assert recs["roc_auc"]["reliable"] is False  # 6 of a class: said so, not hidden
    run_study(tiny_settings(), out)
