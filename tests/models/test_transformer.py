"""FeatureTokenTransformer: sklearn API, determinism, learns a planted signal, categorical tokens."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from radiogenomics.models import ModelParameterError, roc_auc
from radiogenomics.models.transformer import FeatureTokenTransformer


def _data(n=300, p=8, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    cat = rng.integers(0, 3, n)
    logit = 1.5 * X[:, 0] - 1.5 * X[:, 1] + (cat == 2) * 1.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return np.column_stack([X, cat]), y


def test_learns_and_is_deterministic():
    X, y = _data()
    est = FeatureTokenTransformer(categorical=[8], d_token=16, n_layers=1, max_epochs=40, patience=8, lr=1e-3,
                                  dropout=0.1, weight_decay=1e-4, batch_size=64, val_fraction=0.15,
                                  random_state=3)
    p1 = clone(est).fit(X[:200], y[:200]).predict_proba(X[200:])[:, 1]
    fitted = clone(est).fit(X[:200], y[:200])
    p2 = fitted.predict_proba(X[200:])[:, 1]
    np.testing.assert_array_equal(p1, p2)
    assert roc_auc(y[200:], p1) > 0.75
    h = fitted.history_
    assert len(h["train_loss"]) == len(h["val_loss"]) >= 1
    assert fitted.get_params()["d_token"] == 16


def test_unseen_category_and_bad_params():
    X, y = _data(n=120)
    est = FeatureTokenTransformer(categorical=[8], d_token=8, n_heads=2, n_layers=1, max_epochs=3).fit(X, y)
    X2 = X.copy()
    X2[:, 8] = 7  # unseen code → the reserved embedding
    assert np.isfinite(est.predict_proba(X2)).all()
    with pytest.raises(ModelParameterError):
        FeatureTokenTransformer(d_token=10, n_heads=4).fit(X, y)
