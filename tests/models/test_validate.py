"""External validation: metrics equal scikit-learn's on the written predictions, calibration against statsmodels,
calibration on a cohort from the same generator, a planted scanner shift shown and removed by harmonisation, a
clear error for missing columns; and the ``validate`` command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from sklearn.metrics import roc_auc_score
from typer.testing import CliRunner

from radiogenomics.cli import app
from radiogenomics.errors import UnknownNameError
from radiogenomics.models.errors import ModelError
from radiogenomics.models.metrics import calibration, recalibrate, recalibration
from radiogenomics.models.stage import ModelSettings
from radiogenomics.models.stage import run as run_model
from radiogenomics.models.validate import FeatureMismatchError, ValidationSettings, run

from ._synth import cohort


def test_calibration_equals_statsmodels():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.05, 0.95, 400)
    eta = np.log(p / (1 - p))
    y = (rng.random(400) < 1 / (1 + np.exp(-(0.3 + 0.7 * eta)))).astype(float)
    c = calibration(y, p)
    slope_fit = sm.GLM(y, sm.add_constant(eta), family=sm.families.Binomial()).fit()
    citl = sm.GLM(y, np.ones((400, 1)), family=sm.families.Binomial(), offset=eta).fit()
    assert c["calibration_slope"] == pytest.approx(slope_fit.params[1], rel=1e-7)
    assert c["calibration_intercept"] == pytest.approx(citl.params[0], rel=1e-7, abs=1e-9)
    r = recalibration(y, p)
    assert (r["intercept"], r["slope"]) == pytest.approx(tuple(slope_fit.params), rel=1e-7)
    np.testing.assert_allclose(recalibrate(p, r), slope_fit.predict(sm.add_constant(eta)), rtol=1e-7)
    # saturated predictions: finite, no divergence
    sat = calibration(y, np.where(y == 1, 1e-9, 1 - 1e-9))
    assert np.isfinite(sat["calibration_intercept"]) and sat["calibration_slope"] < 0
    assert np.isnan(calibration(np.ones(5), np.full(5, 0.5))["calibration_slope"])
    assert recalibration(y, np.full(400, 0.3)) is None


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("val") / "model"
    train = cohort(n=300, p_per_source=10, effect=1.0, clinical=True, seed=11)
    settings = ModelSettings(target="TP53", clinical=("LN", "grade"), models=("lasso",), sources=("fused",),
                             protocol="kfold", folds=5, n_boot=20)
    run_model(settings, train, out)
    return out


def test_metrics_equal_sklearn_and_same_generator_is_calibrated(trained, tmp_path):
    ext = cohort(n=300, p_per_source=10, effect=1.0, clinical=True, seed=12)
    res = run(ValidationSettings(target="TP53", n_boot=200), trained / "lasso__fused", ext, tmp_path / "v")
    recs = {r["metric"]: r for r in json.loads((tmp_path / "v" / "metrics.json").read_text())}
    pred = pd.read_csv(tmp_path / "v" / "predictions.csv")
    assert list(pred.columns) == ["case_id", "probability", "label", "predicted"]
    assert recs["roc_auc"]["value"] == pytest.approx(roc_auc_score(pred["label"], pred["probability"]), abs=1e-12)
    assert recs["brier"]["value"] == pytest.approx(np.mean((pred["probability"] - pred["label"]) ** 2))
    for name in ("accuracy", "sensitivity", "specificity", "f1", "roc_auc", "calibration_slope",
                 "calibration_intercept", "brier"):
        r = recs[name]
        assert r["split"] == "external" and r["n"] == 300 and r["n_pos"] == int(ext["TP53"].sum())
        assert r["ci_low"] <= r["value"] <= r["ci_high"], name
    assert 0.7 <= recs["calibration_slope"]["value"] <= 1.3
    assert abs(recs["calibration_intercept"]["value"]) < 0.3
    assert res.meta["median_abs_smd"] < 0.2  # same generator: no shift
    for f in ("roc.png", "calibration.png", "calibration.svg", "shift.csv", "provenance.json"):
        assert (tmp_path / "v" / f).is_file(), f


def test_scanner_shift_is_visible_and_harmonisation_reduces_it(trained, tmp_path):
    ext = cohort(n=300, p_per_source=10, effect=1.0, clinical=True, seed=12)
    cols = [c for c in ext.columns if "__" in c]
    shifted = ext.copy()
    shifted[cols] = shifted[cols] * 1.5 + 1.0  # a scanner that reads 1 SD high with 1.5x the spread
    raw = run(ValidationSettings(target="TP53", n_boot=20), trained / "lasso__fused", shifted, tmp_path / "raw")
    fixed = run(ValidationSettings(target="TP53", n_boot=20, harmonise=True), trained / "lasso__fused", shifted,
                tmp_path / "h")
    assert raw.meta["median_abs_smd"] > 0.8 and (raw.shift["smd"].abs() > 0.5).mean() > 0.8
    cal = raw.metrics.set_index("metric")["value"]
    cal_h = fixed.metrics.set_index("metric")["value"]
    assert not (0.7 <= cal["calibration_slope"] <= 1.3) or abs(cal["calibration_intercept"]) > 1.0
    assert 0.7 <= cal_h["calibration_slope"] <= 1.3 and abs(cal_h["calibration_intercept"]) < 0.5
    assert cal_h["brier"] < cal["brier"]


def test_missing_columns_and_bad_inputs_are_clear_errors(trained, tmp_path):
    ext = cohort(n=60, p_per_source=10, effect=1.0, clinical=True, seed=13)
    gone = ext.drop(columns=["tumour_ct__original_firstorder_F3", "bat_pet__original_firstorder_F0"])
    with pytest.raises(FeatureMismatchError, match=r"lacks 2 of the 40 columns.*tumour_ct__original_firstorder_F3"):
        run(ValidationSettings(target="TP53"), trained / "lasso__fused", gone, tmp_path / "x")
    with pytest.raises(UnknownNameError, match="TP5"):
        run(ValidationSettings(target="TP5"), trained / "lasso__fused", ext, tmp_path / "x")
    with pytest.raises(ModelError, match="no saved model"):
        run(ValidationSettings(target="TP53"), tmp_path, ext, tmp_path / "x")


def test_validate_command(trained, tmp_path):
    ext = cohort(n=120, p_per_source=10, effect=1.0, clinical=True, seed=14)
    path = tmp_path / "ext.parquet"
    ext.to_parquet(path)
    r = CliRunner().invoke(app, ["validate", str(trained / "lasso__fused"), str(path), "--target", "TP53",
                                 "--n-boot", "50", "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert "roc_auc" in r.output and "calibration_slope" in r.output and "median |SMD|" in r.output
    r = CliRunner().invoke(app, ["validate", str(trained / "lasso__fused"), str(path), "--target", "TP53",
                                 "--n-boot", "5", "-o", str(tmp_path / "out2")])
    assert r.exit_code != 0 and "n_boot" in r.output
