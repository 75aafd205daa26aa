"""CNNClassifier under the models protocol: planted effect vs null, same table as radiomics, reload, determinism.

Configuration (CPU smoke size): 56 ``tiny`` synthetic patients per cohort, PET + CT channels cropped around
the tumour (10 mm margin) and resized to 24³, ``resnet10`` at width 0.25, 3 epochs, batch 8; protocol
``holdout_cv`` with a 25 % hold-out and 3-fold CV inside the training cases (seed 0). A logistic model on
the radiomic tumour SUVmax is evaluated in the same call (same cases, splits and metrics).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radiogenomics.cnn import CNNClassifier, CNNSettings, load_cnn, run_cnn, save_cnn
from radiogenomics.models import METRICS, Protocol
from radiogenomics.models.outputs import delong_table
from tests.cnn.conftest import auc, tiny_preprocess, tiny_train

pytestmark = pytest.mark.slow

PROTOCOL = Protocol(kind="holdout_cv", test_size=0.25, n_folds=3, seed=0, n_boot=500)
CNN_KEY = ("resnet10", "tumour_pet+ct")


def _run(cohort, cache):
    settings = CNNSettings(preprocess=tiny_preprocess(), train=tiny_train())
    return run_cnn(cohort.manifest, "TP53", settings, cache, PROTOCOL, features=cohort.table,
                   models=("logistic",), drop=("MMR",), selector="none")


@pytest.fixture(scope="module")
def effect_run(effect_cohort, cnn_cache):
    return _run(effect_cohort, cnn_cache)


@pytest.fixture(scope="module")
def null_run(null_cohort, cnn_cache):
    return _run(null_cohort, cnn_cache)


def _cnn_auc(result) -> tuple[float, float, pd.Series]:
    """(mean CV fold AUC, pooled AUC over all held-out CV predictions, hold-out test row)."""
    f = result.folds
    cnn = f[(f.model == CNN_KEY[0]) & (f.source == CNN_KEY[1]) & (f.metric == "roc_auc")]
    p = result.predictions
    cv = p[(p.model == CNN_KEY[0]) & (p.split == "cv")]
    return float(cnn[cnn.split == "cv"]["value"].mean()), auc(cv.y_true, cv.prob), cnn[cnn.split == "test"].iloc[0]


def test_planted_effect_beats_chance(effect_run) -> None:
    """Effect 1: every held-out case's CNN probability ranks TP53 well above chance.

    Asserted: mean CV-fold AUC >= 0.75, pooled out-of-fold AUC >= 0.75 (42 cases; chance 0.5, SD about
    0.09), hold-out AUC >= 0.7 (14 cases) — measured 0.870 / 0.818 / 0.958 (95 % CI 0.833–1.000; see
    docs/cnn.md).
    """
    result, meta, failures = effect_run
    assert failures.empty and meta["n_cases"] == 56
    cv_mean, pooled, test = _cnn_auc(result)
    assert cv_mean >= 0.75
    assert pooled >= 0.75
    assert test["value"] >= 0.70 and test["ci_low"] <= test["value"] <= test["ci_high"]
    # the protocol's AUC is the Mann-Whitney AUC of its predictions (scikit-learn as the reference)
    p = result.predictions
    te = p[(p.model == CNN_KEY[0]) & (p.split == "test")]
    assert test["value"] == pytest.approx(auc(te.y_true, te.prob), abs=1e-12)


def test_null_effect_is_not_detected(null_run) -> None:
    """Effect 0: asserted mean CV-fold AUC <= 0.70, pooled out-of-fold AUC <= 0.70 and the hold-out AUC's
    bootstrap 95 % CI contains 0.5 — measured 0.459 / 0.468 / 0.583 (CI 0.250–0.854)."""
    result, _, _ = null_run
    cv_mean, pooled, test = _cnn_auc(result)
    assert cv_mean <= 0.70
    assert pooled <= 0.70
    assert test["ci_low"] <= 0.5 <= test["ci_high"]


def test_cnn_and_radiomics_share_one_table(effect_run) -> None:
    """Both models have every metric for every fold, on identical cases; DeLong compares them on the hold-out."""
    result, _, _ = effect_run
    f = result.folds
    assert set(zip(f.model, f.source, strict=True)) == {CNN_KEY, ("logistic", "tumour_pet")}
    per_model = f.groupby(["model", "source"]).size()
    assert (per_model == (3 + 1 + 1) * len(METRICS)).all()  # 3 folds, the hold-out, the final model (apparent)
    p = result.predictions
    ids = {k: sorted(g.case_id) for k, g in p.groupby("model")}
    assert ids["resnet10"] == ids["logistic"]
    dl = delong_table(result)
    assert len(dl) == 1 and 0 <= dl["p"].iloc[0] <= 1
    # the radiomics SUVmax model sees the planted effect too (a sanity check of the cohort)
    summary = result.summary()
    lr = summary[(summary.model == "logistic") & (summary.metric == "roc_auc") & (summary.split == "cv")]
    assert lr["value"].iloc[0] >= 0.75
    # history (loss curves) recorded per fold
    hist = [e for e in result.extras if e["model"] == "resnet10"]
    assert len(hist) == 4 and all(len(e["history"]["val_loss"]) == 3 for e in hist)


def test_reload_gives_identical_predictions(effect_run, tmp_path) -> None:
    result, meta, _ = effect_run
    est = result.fitted[CNN_KEY]
    ids = result.predictions["case_id"].unique().tolist()
    before = est.predict_proba(ids)
    d = save_cnn(est, tmp_path / "model", meta={"note": "test"})
    assert sorted(p.name for p in d.iterdir()) == ["config.json", "weights.safetensors"]
    loaded, pre, cfg = load_cnn(d, volumes=meta["cache"])
    assert pre == tiny_preprocess() and cfg["meta"] == {"note": "test"}
    np.testing.assert_array_equal(loaded.predict_proba(ids), before)
    # the saved model is the final one, fitted on every case: its predictions are the `apparent` split
    p = result.predictions
    te = p[(p.model == CNN_KEY[0]) & (p.split == "apparent")]
    np.testing.assert_allclose(loaded.predict_proba(te.case_id.tolist())[:, 1], te.prob.to_numpy(), rtol=0,
                               atol=1e-12)


def test_fit_is_deterministic_and_leaves_global_rng(effect_run) -> None:
    import torch

    _, meta, _ = effect_run
    ids = [f"SYN{i:04d}" for i in range(1, 25)]
    y = np.array([i % 2 for i in range(24)])
    state = torch.random.get_rng_state()
    a = CNNClassifier(meta["cache"], tiny_train(max_epochs=1)).fit(ids, y)
    assert torch.equal(torch.random.get_rng_state(), state)
    b = CNNClassifier(meta["cache"], tiny_train(max_epochs=1)).fit(pd.DataFrame({"case_id": ids}), y)
    np.testing.assert_array_equal(a.predict_proba(ids), b.predict_proba(ids))
    c = CNNClassifier(meta["cache"], tiny_train(max_epochs=1, seed=1)).fit(ids, y)
    assert not np.array_equal(a.predict_proba(ids), c.predict_proba(ids))
    assert a.device_ == "cpu"


def test_device_auto_falls_back_to_the_cpu(effect_run) -> None:
    """``device="auto"`` trains on CUDA when available, else on the CPU (without mixed precision); asking for
    ``"cuda"`` without CUDA is an error."""
    import torch

    from radiogenomics.models.errors import ModelParameterError

    _, meta, _ = effect_run
    ids = [f"SYN{i:04d}" for i in range(1, 13)]
    y = np.array([i % 2 for i in range(12)])
    est = CNNClassifier(meta["cache"], tiny_train(max_epochs=1, device="auto")).fit(ids, y)
    assert est.device_ == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ModelParameterError, match="CUDA is not available"):
            CNNClassifier(meta["cache"], tiny_train(max_epochs=1, device="cuda")).fit(ids, y)
