"""ComBat: closed form without EB, neuroCombat's EB formulas re-derived in numpy, training-rows-only fit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from radiogenomics.models import LassoSignature, make_pipeline
from radiogenomics.models.errors import ModelParameterError
from radiogenomics.models.harmonise import ComBat


def _batched(n_per=(30, 40, 25), p=6, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for b, n in enumerate(n_per):
        shift = rng.normal(0, 2, p)
        scale = rng.uniform(0.5, 2.0, p)
        rows.append(pd.DataFrame(rng.normal(5, 1, (n, p)) * scale + shift, columns=[f"f{j}" for j in range(p)])
                    .assign(scanner=f"S{b}"))
    return pd.concat(rows, ignore_index=True)


def test_location_scale_closed_form():
    df = _batched()
    out = ComBat("scanner", empirical_bayes=False).fit_transform(df)
    X = df.drop(columns="scanner").to_numpy()
    grand = X.mean(axis=0)
    resid = np.vstack([g.drop(columns="scanner").to_numpy() - g.drop(columns="scanner").to_numpy().mean(axis=0)
                       for _, g in df.groupby("scanner")])
    pooled = (resid ** 2).mean(axis=0)
    for b in df["scanner"].unique():
        rows = (df["scanner"] == b).to_numpy()
        np.testing.assert_allclose(out[rows].mean(axis=0), grand, rtol=1e-12)
        np.testing.assert_allclose(out[rows].var(axis=0, ddof=1), pooled, rtol=1e-10)


def _neurocombat_eb(X, batch):
    """neuroCombat (Fortin et al.) steps without covariates, features × samples layout, written from its
    published formulas: aprior, bprior, postmean, postvar, it_sol (conv 1e-4)."""
    dat = X.T
    levels = sorted(set(batch))
    idx = [np.where(batch == b)[0] for b in levels]
    n = dat.shape[1]
    design = np.column_stack([(batch == b).astype(float) for b in levels])
    B_hat = np.linalg.solve(design.T @ design, design.T @ dat.T)
    n_batches = np.array([len(i) for i in idx])
    grand_mean = (n_batches / n) @ B_hat
    var_pooled = ((dat - (design @ B_hat).T) ** 2) @ np.ones(n) / n
    stand_mean = grand_mean[:, None]
    s_data = (dat - stand_mean) / np.sqrt(var_pooled)[:, None]
    gamma_hat = np.linalg.solve(design.T @ design, design.T @ s_data.T)
    delta_hat = [np.var(s_data[:, i], axis=1, ddof=1) for i in idx]
    gamma_bar = gamma_hat.mean(axis=1)
    t2 = gamma_hat.var(axis=1, ddof=1)

    def aprior(d):
        m, s2 = d.mean(), d.var(ddof=1)
        return (2 * s2 + m ** 2) / s2

    def bprior(d):
        m, s2 = d.mean(), d.var(ddof=1)
        return (m * s2 + m ** 3) / s2

    out = np.empty_like(dat)
    for k, i in enumerate(idx):
        sdat = s_data[:, i]
        g_hat, d_hat = gamma_hat[k], delta_hat[k]
        a, b = aprior(d_hat), bprior(d_hat)
        nn = np.full(sdat.shape[0], sdat.shape[1], dtype=float)
        g_old, d_old, change = g_hat.copy(), d_hat.copy(), 1.0
        while change > 1e-4:
            g_new = (t2[k] * nn * g_hat + d_old * gamma_bar[k]) / (t2[k] * nn + d_old)
            sum2 = ((sdat - g_new[:, None]) ** 2).sum(axis=1)
            d_new = (0.5 * sum2 + b) / (nn / 2.0 + a - 1.0)
            change = max((abs(g_new - g_old) / g_old).max(), (abs(d_new - d_old) / d_old).max())
            g_old, d_old = g_new, d_new
        out[:, i] = (sdat - g_new[:, None]) / np.sqrt(d_new)[:, None] * np.sqrt(var_pooled)[:, None] + stand_mean
    return out.T


def test_empirical_bayes_matches_neurocombat_formulas():
    df = _batched(n_per=(12, 20, 9), p=15, seed=3)
    out = ComBat("scanner").fit_transform(df)
    ref = _neurocombat_eb(df.drop(columns="scanner").to_numpy(), df["scanner"].to_numpy())
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-10)
    # EB shrinks: batch means no longer exactly equal, but much closer than before
    X = df.drop(columns="scanner").to_numpy()
    spread = lambda A: np.ptp([A[(df.scanner == b).to_numpy()].mean(axis=0) for b in ("S0", "S1", "S2")], axis=0)  # noqa: E731
    assert (spread(out) < 0.2 * spread(X)).all()


def test_fitted_on_training_rows_only_in_pipeline():
    df = _batched(n_per=(40, 40), p=5, seed=1)
    df["y"] = np.random.default_rng(0).integers(0, 2, 80)
    feats = [f"f{j}" for j in range(5)]
    train, test = df.iloc[::2], df.iloc[1::2]
    pipe = make_pipeline(LassoSignature(C=1.0), feats, selector="none", harmonise="scanner").fit(train, train["y"])
    cb = pipe.named_steps["combat"]
    np.testing.assert_allclose(cb.grand_mean_, train[feats].mean().to_numpy(), rtol=1e-12)
    # transforming held-out rows uses the stored training parameters (closed form)
    direct = ComBat("scanner").fit(train[[*feats, "scanner"]])
    np.testing.assert_allclose(pipe[:2].transform(test), direct.transform(test[[*feats, "scanner"]]), rtol=1e-12)
    assert pipe.predict_proba(test).shape == (40, 2)
    with pytest.raises(ModelParameterError):
        ComBat("site").fit(df)
