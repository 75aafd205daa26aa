"""Embeddings: out-of-fold transformer deep features (each patient by the model of its own fold) and scaled PCA."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from radiogenomics.cluster import ClusterError, feature_embedding, oof_transformer_embeddings
from radiogenomics.models.pipeline import make_pipeline
from radiogenomics.models.transformer import FeatureTokenTransformer

from ._synth import spec_table
from .conftest import SMALL_TRANSFORMER

FEATURES = [c for c in spec_table(5, 1.0, 0).columns if "__" in c]


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return spec_table(60, 1.0, 11)


@pytest.fixture(scope="module")
def unaligned(cohort: pd.DataFrame) -> pd.DataFrame:
    return oof_transformer_embeddings(cohort, "TP53", n_folds=3, seed=2, transformer_params=SMALL_TRANSFORMER,
                                      align="none")


def test_each_patient_is_embedded_by_the_model_of_its_own_fold(cohort: pd.DataFrame, unaligned: pd.DataFrame) -> None:
    fold = np.asarray(unaligned.attrs["fold"])
    assert sorted(np.unique(fold)) == [0, 1, 2]
    # stratified: each fold holds a third of each class (±1)
    for f in range(3):
        counts = cohort.loc[fold == f, "TP53"].value_counts()
        total = cohort["TP53"].value_counts()
        assert (abs(counts - total / 3) <= 1).all()
    assert list(unaligned.columns) == [f"deep_{j:03d}" for j in range(8)]
    assert unaligned.index.name == "case_id" and list(unaligned.index) == list(cohort["case_id"])
    assert unaligned.attrs["columns"] == FEATURES
    for f in range(3):
        train = fold != f
        est = FeatureTokenTransformer(random_state=2).set_params(**SMALL_TRANSFORMER)
        pipe = make_pipeline(est, FEATURES, selector="univariate", k=50, random_state=2)
        pipe.fit(cohort.loc[train], cohort.loc[train, "TP53"].to_numpy())
        emb = pipe[-1].embed(pipe[:-1].transform(cohort))
        z = (emb - emb[train].mean(axis=0)) / emb[train].std(axis=0)
        np.testing.assert_allclose(unaligned.to_numpy()[fold == f], z[fold == f], rtol=1e-10, atol=1e-12)


def test_procrustes_alignment_is_a_rotation_per_fold(cohort: pd.DataFrame, unaligned: pd.DataFrame) -> None:
    aligned = oof_transformer_embeddings(cohort, "TP53", n_folds=3, seed=2, transformer_params=SMALL_TRANSFORMER)
    fold = np.asarray(aligned.attrs["fold"])
    a, u = aligned.to_numpy(), unaligned.to_numpy()
    np.testing.assert_allclose(a[fold == 0], u[fold == 0], rtol=1e-12, atol=1e-12)
    for f in (1, 2):
        rot, *_ = np.linalg.lstsq(u[fold == f], a[fold == f], rcond=None)
        np.testing.assert_allclose(rot.T @ rot, np.eye(rot.shape[0]), atol=1e-8)
        np.testing.assert_allclose(u[fold == f] @ rot, a[fold == f], atol=1e-8)
        assert not np.allclose(rot, np.eye(rot.shape[0]), atol=1e-3)


def test_unlabelled_patients_are_embedded_but_not_trained_on(cohort: pd.DataFrame) -> None:
    t = cohort.copy()
    t["TP53"] = t["TP53"].astype("float64")
    t.loc[[0, 1, 2], "TP53"] = np.nan
    emb = oof_transformer_embeddings(t, "TP53", n_folds=3, seed=2, transformer_params=SMALL_TRANSFORMER)
    assert np.isfinite(emb.to_numpy()).all()
    assert [emb.attrs["fold"][i] for i in range(3)] == [0, 1, 2]


def test_target_errors(cohort: pd.DataFrame) -> None:
    with pytest.raises(ClusterError, match="binary"):
        oof_transformer_embeddings(cohort, "grade", transformer_params=SMALL_TRANSFORMER)
    tiny = cohort.iloc[:8]
    with pytest.raises(ClusterError, match="n_folds"):
        oof_transformer_embeddings(tiny, "TP53", n_folds=5, transformer_params=SMALL_TRANSFORMER)


def test_feature_embedding_equals_scaled_pca(cohort: pd.DataFrame) -> None:
    emb = feature_embedding(cohort, n_components=0.9)
    z = StandardScaler().fit_transform(cohort[FEATURES].to_numpy(dtype=np.float64))
    ref = PCA(svd_solver="full").fit(z)
    cum = np.cumsum(ref.explained_variance_ratio_)
    m = int(np.searchsorted(cum, 0.9) + 1)
    assert emb.shape == (60, m) and cum[m - 2] < 0.9 <= cum[m - 1]
    np.testing.assert_allclose(np.abs(emb.to_numpy()), np.abs(ref.transform(z)[:, :m]), rtol=1e-9, atol=1e-9)
    assert emb.attrs["columns"] == FEATURES
    assert feature_embedding(cohort, n_components=3).shape == (60, 3)
    with pytest.raises(ClusterError, match="fractional"):
        feature_embedding(cohort, n_components=1.5)


def test_feature_embedding_imputes_and_drops_constant_columns(cohort: pd.DataFrame) -> None:
    t = cohort.copy()
    t["tumour_ct__constant"] = 7.0
    t.loc[3, "tumour_pet__suvmax"] = np.nan
    emb = feature_embedding(t, n_components=4)
    assert "tumour_ct__constant" not in emb.attrs["columns"] and np.isfinite(emb.to_numpy()).all()
    t.loc[4, "tumour_pet__suvmax"] = np.inf
    with pytest.raises(ClusterError, match="infinite"):
        feature_embedding(t)
